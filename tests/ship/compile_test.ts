/**
 * The `deno compile` configuration (scripts/compile.ts), checked without compiling: this
 * machine cannot download the runtime base that `deno compile` needs, the release job can.
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { compileArgs, ENTRY_POINT, TARGETS } from "../../scripts/compile.ts";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";
import { CONSOLE_ASSETS } from "../../src/console/assets.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));

/** Values of a repeated flag (`--include a --include b`, or `--include=a`). */
function flagValues(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args[i + 1]);
    else if (a.startsWith(flag + "=")) out.push(a.slice(flag.length + 1));
  });
  return out;
}

const permissionFlags = (args: readonly string[]) =>
  args.filter((a) => /^--(allow|deny)-/.test(a) || a === "-A").sort();

Deno.test("compile builds the five release targets with the names the release uploads", () => {
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  for (const target of TARGETS) {
    const args = compileArgs(target);
    assert.equal(args[0], "compile");
    assert.deepEqual(flagValues(args, "--target"), [target]);
    const exe = target.includes("windows") ? ".exe" : "";
    assert.deepEqual(flagValues(args, "--output"), [`dist/vstash-${target}${exe}`]);
  }
  assert.deepEqual(flagValues(compileArgs(TARGETS[0], "out"), "--output"), [
    `out/vstash-${TARGETS[0]}`,
  ]);
});

Deno.test("compile's entry point is main.ts, last, with nothing baked in after it", async () => {
  assert.equal(ENTRY_POINT, "main.ts");
  assert.ok((await Deno.stat(join(ROOT, ENTRY_POINT))).isFile);
  for (const target of TARGETS) {
    const args = compileArgs(target);
    // Anything after the entry point would become a fixed argument of the binary.
    assert.equal(args.at(-1), ENTRY_POINT, args.join(" "));
    assert.equal(args.indexOf(ENTRY_POINT), args.length - 1);
  }
});

Deno.test("the binary gets exactly the runtime permissions that deno task start uses", () => {
  const expected = [...RUNTIME_PERMISSIONS].sort();
  for (const target of TARGETS) assert.deepEqual(permissionFlags(compileArgs(target)), expected);
  for (const task of ["start", "dev"]) {
    const words = (denoJson.tasks[task] as string).split(/\s+/);
    assert.deepEqual(permissionFlags(words), expected, `deno task ${task}`);
  }
  // Scoped: nothing that would let the binary run programs, load native code or read the
  // whole environment.
  for (const p of RUNTIME_PERMISSIONS) {
    assert.ok(!/^(-A|--allow-all|--allow-run|--allow-ffi|--allow-sys)/.test(p), p);
    if (p.startsWith("--allow-env")) assert.equal(p, "--allow-env=VSTASH_*");
  }
});

Deno.test("compile enables Deno KV", () => {
  for (const target of TARGETS) assert.ok(compileArgs(target).includes("--unstable-kv"));
  assert.ok(denoJson.unstable.includes("kv"), "deno.json enables kv for run and test too");
});

Deno.test("every --include exists and the console's files are all included", async () => {
  const includes = flagValues(compileArgs(TARGETS[0]), "--include");
  for (const target of TARGETS) {
    assert.deepEqual(flagValues(compileArgs(target), "--include"), includes, target);
  }
  for (const path of includes) {
    await Deno.stat(join(ROOT, path)).catch(() => assert.fail(`--include ${path} does not exist`));
  }
  // The console reads its files relative to src/console/assets.ts at run time, so each one
  // must be inside an included path, or the binary would answer 404 for the console.
  const assetDir = new URL("../../src/console/assets/", import.meta.url).pathname;
  for (const name of Object.keys(CONSOLE_ASSETS)) {
    const file = relative(ROOT, resolve(assetDir, name));
    const covered = includes.some((inc) => {
      const rel = relative(inc.replace(/\/$/, ""), file);
      return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
    });
    assert.ok(covered, `${file} is not in any --include (${includes.join(", ") || "none"})`);
  }
});

Deno.test("the code imports modules statically, so deno compile sees all of it", async () => {
  const files: string[] = [join(ROOT, "main.ts")];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk(join(ROOT, "src"));
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /\bimport\s*\(/, `${relative(ROOT, file)} has a dynamic import`);
  }
});

Deno.test("deno task compile runs scripts/compile.ts and the version is one", async () => {
  assert.match(denoJson.tasks.compile, /\bscripts\/compile\.ts\b/);
  const main = await Deno.readTextFile(join(ROOT, "main.ts"));
  const version = /const VERSION = "([^"]+)"/.exec(main)?.[1];
  assert.equal(version, denoJson.version, "main.ts VERSION and deno.json version agree");
});
