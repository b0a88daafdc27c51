/**
 * The GitHub workflows, read as text (no YAML dependency): the lines and keys that make them
 * do their job, and agreement with .ci/run and scripts/compile.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TARGETS } from "../../scripts/compile.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFile(join(ROOT, path));
const ci = await read(".github/workflows/ci.yml");
const release = await read(".github/workflows/release.yml");
const ciRun = await read(".ci/run");

/** The Deno version .ci/run installs (`npm install -g deno@X`). */
const pinned = /npm install -g deno@(\d+\.\d+\.\d+)/.exec(ciRun)?.[1];

/** A workflow without its comment lines (which could mention anything). */
function withoutComments(yaml: string): string {
  return yaml.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
}

Deno.test("both workflows pin the Deno version that .ci/run installs", () => {
  assert.ok(pinned, ".ci/run names a Deno version");
  for (const [name, text] of [["ci.yml", ci], ["release.yml", release]]) {
    assert.match(text, /uses: denoland\/setup-deno@v2\b/, name);
    const versions = [...text.matchAll(/deno-version:\s*"?([^\s"]+)"?/g)].map((m) => m[1]);
    assert.deepEqual(versions, [pinned], `${name} pins deno ${pinned}`);
  }
});

Deno.test("ci.yml checks format, lint and types and runs the tests on pushes and PRs", () => {
  assert.match(ci, /^on:\s*$/m);
  assert.match(ci, /^\s+push:/m);
  assert.match(ci, /^\s+pull_request:/m);
  assert.match(ci, /runs-on: ubuntu-latest/);
  const commands = withoutComments(ci);
  for (
    const step of [
      /run: deno fmt --check\s*$/m,
      /run: deno lint\s*$/m,
      /run: deno task check\s*$/m,
      /run: bash \.ci\/run\s*$/m,
    ]
  ) {
    assert.match(commands, step);
  }
});

Deno.test("ci.yml installs every Debian package .ci/run installs", () => {
  const list = /^packages=\(([^)]*)\)/m.exec(ciRun)?.[1].trim().split(/\s+/) ?? [];
  assert.ok(list.length > 0);
  // The apt-get install command with its backslash-continued lines.
  const lines = withoutComments(ci).split("\n");
  const start = lines.findIndex((l) => /apt-get install/.test(l));
  assert.ok(start >= 0, "ci.yml runs apt-get install");
  let end = start;
  while (lines[end].trimEnd().endsWith("\\")) end++;
  const words = new Set(lines.slice(start, end + 1).join(" ").split(/[\s\\]+/));
  for (const p of list) assert.ok(words.has(p), `ci.yml installs ${p}`);
});

Deno.test("release.yml compiles every target on a version tag and publishes sums", () => {
  assert.match(release, /^on:\s*\n\s+push:\s*\n\s+tags:\s*\[\s*"v\*"\s*\]/m);
  assert.match(release, /^permissions:\s*\n\s+contents: write/m);
  const commands = withoutComments(release);
  for (const target of TARGETS) {
    assert.match(commands, new RegExp(`deno task compile ${target}\\s*$`, "m"), target);
  }
  assert.match(commands, /sha256sum vstash-\* .*> SHA256SUMS/);
  assert.match(release, /uses: softprops\/action-gh-release@v2/);
  for (
    const file of ["dist/vstash-*", "dist/SHA256SUMS", "dist/vstash.service", "dist/install.sh"]
  ) {
    assert.ok(release.includes(file), `the release attaches ${file}`);
  }
});

Deno.test("the files the release attaches exist", async () => {
  for (const file of ["scripts/vstash.service", "scripts/vstash.env", "scripts/install.sh"]) {
    assert.ok((await Deno.stat(join(ROOT, file))).isFile, file);
    assert.ok(release.includes(file), `release.yml copies ${file}`);
  }
});
