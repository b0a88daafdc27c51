#!/bin/sh
# Installs a downloaded vstash binary as a systemd service:
#   /usr/local/bin/vstash                  the binary (replaced when different)
#   /etc/systemd/system/vstash.service     the unit (replaced when different)
#   /etc/vstash/vstash.env                 configuration (0600; created once, never overwritten)
#   user and group "vstash"                (created when missing)
# Running it again changes nothing that is already in place, so it also upgrades: put the new
# binary beside it, run it, then `systemctl restart vstash`.
#
# Usage: sudo sh install.sh [--binary PATH] [--root DIR]
#   --binary PATH  the vstash binary (default: ./vstash or ./vstash-<target> beside this
#                  script, <target> matching this machine)
#   --root DIR     install into DIR instead of / (packaging, tests). The user is created
#                  there only if DIR/etc/passwd exists (useradd --prefix); nothing is started.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=""
binary=""
unit="$here/vstash.service"
env_template="$here/vstash.env"

usage() {
  sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [ -n "$root" ]; then
  [ -d "$root" ] || die "--root $root is not a directory"
  root=$(CDPATH='' cd -- "$root" && pwd)
  [ "$root" != "/" ] || root=""
elif [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo sh $0), or pass --root DIR"
fi

if [ -z "$binary" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) target=x86_64-unknown-linux-gnu ;;
    aarch64 | arm64) target=aarch64-unknown-linux-gnu ;;
    *) target=unknown ;;
  esac
  for candidate in "$here/vstash" "$here/vstash-$target" "./vstash" "./vstash-$target"; do
    if [ -f "$candidate" ]; then binary=$candidate; break; fi
  done
  [ -n "$binary" ] || die "no vstash binary found beside this script; pass --binary PATH"
fi
[ -f "$binary" ] || die "--binary $binary does not exist"
[ -f "$unit" ] || die "$unit is missing (it ships beside install.sh)"
[ -f "$env_template" ] || die "$env_template is missing (it ships beside install.sh)"

# Copies $1 to $2 with mode $3, only when the content differs, through a temporary file in
# the same directory (an atomic rename: a running binary is never half-written).
# $4, when given, is a command to run on the new copy before it is put in place.
put() {
  src=$1 dst=$2 mode=$3 check=${4:-}
  mkdir -p "$(dirname "$dst")"
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    chmod "$mode" "$dst"
    echo "  unchanged  $dst"
    return
  fi
  tmp="$dst.new.$$"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  if [ -n "$check" ] && ! $check "$tmp" >/dev/null 2>&1; then
    rm -f "$tmp"
    die "$src does not run here ($check failed): is it the binary for this machine?"
  fi
  [ -f "$dst" ] && verb=updated || verb=installed
  mv -f "$tmp" "$dst"
  echo "  $verb  $dst"
}

# A binary is only installed once it answers `vstash version` (wrong architecture, a
# truncated download or an HTML error page fail here, not at service start).
runs_version() {
  "$1" version | grep -q '^vstash '
}

echo "Installing vStash into ${root:-/}"
put "$binary" "$root/usr/local/bin/vstash" 0755 runs_version
put "$unit" "$root/etc/systemd/system/vstash.service" 0644

mkdir -p "$root/etc/vstash"
chmod 0755 "$root/etc/vstash"
env_file="$root/etc/vstash/vstash.env"
if [ -e "$env_file" ]; then
  echo "  kept       $env_file (your configuration is never overwritten)"
else
  (umask 077 && cp "$env_template" "$env_file")
  chmod 0600 "$env_file"
  echo "  installed  $env_file"
fi

nologin=/usr/sbin/nologin
[ -n "$root" ] || [ -x "$nologin" ] || nologin=/sbin/nologin
if [ -z "$root" ]; then
  if getent passwd vstash >/dev/null 2>&1; then
    echo "  exists     user vstash"
  else
    useradd --system --user-group --home-dir /var/lib/vstash --no-create-home \
      --shell "$nologin" --comment "vStash object store" vstash
    echo "  created    user vstash"
  fi
elif [ -f "$root/etc/passwd" ]; then
  if grep -q '^vstash:' "$root/etc/passwd"; then
    echo "  exists     user vstash (in $root/etc/passwd)"
  else
    useradd --prefix "$root" --system --user-group --home-dir /var/lib/vstash \
      --no-create-home --shell "$nologin" --comment "vStash object store" vstash
    echo "  created    user vstash (in $root/etc/passwd)"
  fi
else
  echo "  skipped    user vstash: $root/etc/passwd does not exist (create the user on the"
  echo "             target system: useradd --system --user-group --home-dir /var/lib/vstash"
  echo "             --no-create-home --shell $nologin vstash)"
fi

cat <<EOF

Next steps:
  systemctl daemon-reload
  systemctl enable --now vstash       # after an upgrade: systemctl restart vstash
  journalctl -u vstash -n 30          # the first start prints the first access key pair
                                      # and the admin API key, once
Configuration: /etc/vstash/vstash.env (then systemctl restart vstash)
Data: /var/lib/vstash. The CLI works on it as the service user:
  sudo -u vstash vstash key list --data-dir /var/lib/vstash
EOF
