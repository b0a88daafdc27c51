// Formatting for people: sizes, dates, countdowns. Pure functions, no DOM.

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Bytes in binary units with one decimal, as the API's *_human fields: 1536 → "1.5 KB". */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "—";
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (unit < UNITS.length - 1 && Math.round(value * 10) / 10 >= 1000) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A whole number with thousands separators. */
export function formatCount(n) {
  return new Intl.NumberFormat().format(n);
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** An ISO time as a short local date and time. */
export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : dateFormat.format(d);
}

/** Milliseconds as "2 d 4 h", "3 h 12 min", "4 min 05 s", "12 s". */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/** "3 h ago" / "in 5 min" relative to now, for times near the present. */
export function formatRelative(iso, now = Date.now()) {
  const diff = new Date(iso).getTime() - now;
  const text = formatDuration(Math.abs(diff)).replace(/ \d+ s$/, "");
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** The last segment of a key or prefix, for display inside its folder. */
export function baseName(key, prefix) {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}
