/**
 * Builds the single `vstash` binary for every release platform:
 *   deno task compile                 all targets into dist/
 *   deno task compile x86_64-unknown-linux-gnu
 * Needs network access on first use (deno compile downloads its runtime per target).
 */
import { RUNTIME_PERMISSIONS } from "./permissions.ts";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

export const ENTRY_POINT = "main.ts";

/** The `deno compile` arguments for one target; the test of the compile setup checks these. */
export function compileArgs(target: string, outDir = "dist"): string[] {
  const exe = target.includes("windows") ? ".exe" : "";
  return [
    "compile",
    "--unstable-kv",
    ...RUNTIME_PERMISSIONS,
    // The console's files, read at run time relative to src/console/assets.ts.
    "--include",
    "src/console/assets",
    // The web console's files, read at runtime relative to src/console/assets.ts.
    "--include",
    "src/console/assets",
    "--target",
    target,
    "--output",
    `${outDir}/vstash-${target}${exe}`,
    ENTRY_POINT,
  ];
}

if (import.meta.main) {
  const wanted = Deno.args.length ? Deno.args : [...TARGETS];
  for (const target of wanted) {
    if (!(TARGETS as readonly string[]).includes(target)) {
      console.error(`unknown target ${target}; known: ${TARGETS.join(", ")}`);
      Deno.exit(2);
    }
    console.log(`compiling ${target}`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) Deno.exit(code);
  }
}
