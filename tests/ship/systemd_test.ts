/**
 * The systemd unit (scripts/vstash.service), its environment file and scripts/install.sh.
 * The unit is checked by systemd's own parser (`systemd-analyze verify` and `security
 * --offline`), the install script by running it twice into a throwaway root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";
import { loadConfig, SETTINGS } from "../../src/config.ts";
import { ENV_ONLY } from "../../src/cli/help.ts";
import { run, withTempDir } from "../helpers/cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const UNIT = join(ROOT, "scripts/vstash.service");
const ENV_FILE = join(ROOT, "scripts/vstash.env");
const INSTALL = join(ROOT, "scripts/install.sh");
const unitText = await Deno.readTextFile(UNIT);

/** `Key=value` lines of a unit, by key (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/**
 * Runs `systemd-analyze verify` on a copy of `unitText` named vstash.service, with the
 * binary path pointing at `binary` (verify refuses an ExecStart that does not exist), and
 * returns what it said about the unit. Lines about other units (the host's) are ignored.
 */
async function verify(text: string, binary: string): Promise<{ code: number; said: string[] }> {
  return await withTempDir(async (dir) => {
    const path = join(dir, "vstash.service");
    await Deno.writeTextFile(path, text.replaceAll("/usr/local/bin/vstash", binary));
    const r = await run("systemd-analyze", ["verify", path], { allowFailure: true });
    const said = (r.stdout + r.stderr).split("\n").filter((l) => l.includes("vstash.service"));
    return { code: r.code, said };
  });
}

Deno.test("systemd-analyze verify accepts the unit without a single warning", async () => {
  const { code, said } = await verify(unitText, "/bin/true");
  assert.equal(code, 0, said.join("\n"));
  assert.deepEqual(said, []);
});

Deno.test("the verify check catches a broken unit (so the test above means something)", async () => {
  const broken = unitText.replace("Restart=on-failure", "Restart=sometimes")
    .replace("ProtectSystem=strict", "ProtectSystem=strictest")
    .replace("[Service]", "[Service]\nNoSuchKey=1");
  const { said } = await verify(broken, "/bin/true");
  assert.ok(said.some((l) => /sometimes/.test(l)), said.join("\n"));
  assert.ok(said.some((l) => /strictest/.test(l)), said.join("\n"));
  assert.ok(said.some((l) => /NoSuchKey/.test(l)), said.join("\n"));
  const missing = await verify(unitText, "/nonexistent/vstash");
  assert.notEqual(missing.code, 0, "a missing binary fails verify");
});

Deno.test("the unit runs vstash as its own user, hardened, restarting on failure", () => {
  const d = directives(unitText);
  const one = (key: string) => {
    assert.equal(d.get(key)?.length, 1, `${key} is set once`);
    return d.get(key)![0];
  };
  const expected: Record<string, string> = {
    User: "vstash",
    Group: "vstash",
    DynamicUser: "no",
    StateDirectory: "vstash",
    StateDirectoryMode: "0700",
    EnvironmentFile: "-/etc/vstash/vstash.env",
    ExecStart: "/usr/local/bin/vstash serve --data-dir /var/lib/vstash",
    Restart: "on-failure",
    KillSignal: "SIGTERM",
    TimeoutStopSec: "30",
    UMask: "0077",
    NoNewPrivileges: "true",
    ProtectSystem: "strict",
    ProtectHome: "true",
    PrivateTmp: "true",
    PrivateDevices: "true",
    ProtectKernelTunables: "true",
    ProtectKernelModules: "true",
    ProtectControlGroups: "true",
    RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
    LockPersonality: "true",
    CapabilityBoundingSet: "",
    WantedBy: "multi-user.target",
  };
  for (const [key, value] of Object.entries(expected)) assert.equal(one(key), value, key);
  assert.ok(d.get("SystemCallFilter")?.includes("@system-service @pkey"));
  // V8's JIT needs writable+executable memory: MemoryDenyWriteExecute would kill the server.
  assert.ok(!d.has("MemoryDenyWriteExecute") || /^(no|false)$/.test(one("MemoryDenyWriteExecute")));
});

Deno.test("systemd rates the unit's exposure as OK (at most 2.0 of 10)", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "vstash.service");
    await Deno.writeTextFile(path, unitText.replaceAll("/usr/local/bin/vstash", "/bin/true"));
    const r = await run("systemd-analyze", ["security", "--offline=true", "--no-pager", path], {
      allowFailure: true,
    });
    const level = /Overall exposure level for vstash\.service: ([\d.]+)/.exec(r.stdout)?.[1];
    assert.ok(level, r.stdout + r.stderr);
    assert.ok(Number(level) <= 2.0, `exposure ${level}:\n${r.stdout}`);
  });
});

Deno.test("the unit's ExecStart arguments are a valid vstash serve command line", () => {
  const exec = directives(unitText).get("ExecStart")![0].split(" ");
  assert.equal(exec[1], "serve");
  const config = loadConfig(exec.slice(2), () => undefined);
  assert.equal(config.dataDir, "/var/lib/vstash");
});

Deno.test("the environment file template names every setting, all commented out", async () => {
  const text = await Deno.readTextFile(ENV_FILE);
  for (const line of text.split("\n")) {
    assert.match(line, /^(#.*)?$/, `only comments in the template: ${line}`);
  }
  const named = new Set([...text.matchAll(/^#(VSTASH_[A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const wanted = [
    ...SETTINGS.map((s) => s.env).filter((e) => e !== "VSTASH_DATA_DIR"),
    ...ENV_ONLY.flatMap((e) => e.env.split(", ")),
  ];
  for (const name of wanted) assert.ok(named.has(name), `vstash.env shows ${name}`);
  for (const name of named) assert.ok(wanted.includes(name), `${name} is a real setting`);
});

/** Every file and directory under `dir`: mode, size, mtime and content. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const path = join(d, e.name);
      const info = await Deno.lstat(path);
      const mode = (info.mode! & 0o7777).toString(8);
      if (e.isDirectory) {
        out[path.slice(dir.length)] = `dir ${mode}`;
        await walk(path);
      } else {
        const content = await Deno.readTextFile(path);
        out[path.slice(dir.length)] =
          `${mode} ${info.size} ${info.mtime?.getTime()} ${content.length} ${content}`;
      }
    }
  };
  await walk(dir);
  return out;
}

/** A throwaway root with the account files useradd --prefix needs. */
async function fakeRoot(dir: string): Promise<string> {
  const root = join(dir, "root");
  await Deno.mkdir(join(root, "etc"), { recursive: true });
  await Deno.writeTextFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.writeTextFile(join(root, "etc/group"), "root:x:0:\n");
  await Deno.writeTextFile(join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n");
  await Deno.writeTextFile(join(root, "etc/gshadow"), "root:*::\n");
  return root;
}

/** A stand-in for the compiled binary: the same program, run by deno. */
async function fakeBinary(dir: string, name = "vstash"): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec "${Deno.execPath()}" run ${RUNTIME_PERMISSIONS.join(" ")} ` +
      `"${join(ROOT, "main.ts")}" "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

const install = (args: string[], allowFailure = false) =>
  run("dash", [INSTALL, ...args], { allowFailure });

Deno.test("install.sh installs into a root idempotently and keeps the operator's config", async (t) => {
  await withTempDir(async (dir) => {
    const root = await fakeRoot(dir);
    const binary = await fakeBinary(dir);

    await t.step("the first run installs binary, unit, env file and user", async () => {
      const r = await install(["--root", root, "--binary", binary]);
      assert.match(r.stdout, /installed\s+\S+\/usr\/local\/bin\/vstash/);
      assert.match(r.stdout, /systemctl enable --now vstash/);
      assert.match(r.stdout, /journalctl -u vstash/);
      const mode = async (p: string) => ((await Deno.stat(join(root, p))).mode! & 0o777);
      assert.equal(await mode("usr/local/bin/vstash"), 0o755);
      assert.equal(await mode("etc/systemd/system/vstash.service"), 0o644);
      assert.equal(await mode("etc/vstash/vstash.env"), 0o600);
      assert.equal(
        await Deno.readTextFile(join(root, "etc/systemd/system/vstash.service")),
        unitText,
      );
      assert.equal(
        await Deno.readTextFile(join(root, "etc/vstash/vstash.env")),
        await Deno.readTextFile(ENV_FILE),
      );
      const passwd = await Deno.readTextFile(join(root, "etc/passwd"));
      assert.match(passwd, /^vstash:x:\d+:\d+:[^:]*:\/var\/lib\/vstash:\S*nologin$/m);
      assert.match(await Deno.readTextFile(join(root, "etc/group")), /^vstash:x:\d+:/m);
      const v = await run(join(root, "usr/local/bin/vstash"), ["version"]);
      assert.match(v.stdout, /^vstash \d+\.\d+\.\d+/);
    });

    await t.step("the installed unit verifies with the installed binary", async () => {
      const installed = await Deno.readTextFile(join(root, "etc/systemd/system/vstash.service"));
      const { code, said } = await verify(installed, join(root, "usr/local/bin/vstash"));
      assert.equal(code, 0, said.join("\n"));
      assert.deepEqual(said, []);
    });

    await t.step("a second run changes nothing", async () => {
      const before = await snapshot(root);
      const r = await install(["--root", root, "--binary", binary]);
      assert.doesNotMatch(r.stdout, /installed|updated|created/);
      assert.deepEqual(await snapshot(root), before);
    });

    await t.step("an edited env file is never overwritten", async () => {
      const envPath = join(root, "etc/vstash/vstash.env");
      await Deno.writeTextFile(envPath, "VSTASH_REGION=eu-west-1\n");
      const before = await snapshot(root);
      const r = await install(["--root", root, "--binary", binary]);
      assert.match(r.stdout, /kept\s+\S+vstash\.env/);
      assert.deepEqual(await snapshot(root), before);
      assert.equal(await Deno.readTextFile(envPath), "VSTASH_REGION=eu-west-1\n");
    });

    await t.step("a new binary replaces the old one (an upgrade)", async () => {
      const newer = join(dir, "vstash-new");
      await Deno.writeTextFile(newer, "#!/bin/sh\necho 'vstash 9.9.9'\n");
      const r = await install(["--root", root, "--binary", newer]);
      assert.match(r.stdout, /updated\s+\S+\/usr\/local\/bin\/vstash/);
      const v = await run(join(root, "usr/local/bin/vstash"), ["version"]);
      assert.equal(v.stdout.trim(), "vstash 9.9.9");
    });

    await t.step("a file that is not a vstash binary is refused and changes nothing", async () => {
      const before = await snapshot(root);
      const bogus = join(dir, "bogus");
      await Deno.writeTextFile(bogus, "<html>404 Not Found</html>\n");
      const r = await install(["--root", root, "--binary", bogus], true);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /does not run here/);
      assert.deepEqual(await snapshot(root), before);
    });
  });
});

Deno.test("install.sh without an account database in the root skips the user and says so", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "bare");
    await Deno.mkdir(root);
    const r = await install(["--root", root, "--binary", await fakeBinary(dir)]);
    assert.match(r.stdout, /skipped\s+user vstash/);
    assert.match(r.stdout, /useradd --system/);
    assert.ok((await Deno.stat(join(root, "usr/local/bin/vstash"))).isFile);
  });
});

Deno.test("install.sh finds vstash-<target> beside itself and rejects bad arguments", async () => {
  await withTempDir(async (dir) => {
    // A release download: the script, unit, env file and binaries in one folder.
    const folder = join(dir, "download");
    await Deno.mkdir(folder);
    for (const f of ["install.sh", "vstash.service", "vstash.env"]) {
      await Deno.copyFile(join(ROOT, "scripts", f), join(folder, f));
    }
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    await fakeBinary(folder, `vstash-${arch}-unknown-linux-gnu`);
    const root = join(dir, "root");
    await Deno.mkdir(root);
    await run("dash", [join(folder, "install.sh"), "--root", root]);
    assert.ok((await Deno.stat(join(root, "usr/local/bin/vstash"))).isFile);

    const bad = await install(["--frobnicate"], true);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown argument/);
    const help = await install(["--help"]);
    assert.match(help.stdout, /--binary PATH/);
    assert.match(help.stdout, /--root DIR/);
  });
});
