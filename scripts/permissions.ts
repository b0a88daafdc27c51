/**
 * The one permission set vStash runs with, everywhere: `deno task start`, the compiled
 * binaries and the test servers. Reads and writes are not scoped to a path because the data
 * directory is a runtime setting; the environment is limited to VSTASH_* variables.
 */
export const RUNTIME_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=VSTASH_*",
] as const;
