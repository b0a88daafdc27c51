/**
 * The files a running server leaves in its data directory so that the `vstash` CLI can find
 * it: `vstash.pid` (who runs and where its management API listens) and `cli.token` (a random
 * credential the management API accepts while this server runs). Both are written after the
 * listeners are bound and removed on a clean shutdown. While it runs, the server holds an
 * exclusive lock on `vstash.pid`: after a crash the file stays behind, but unlocked, so the
 * CLI can tell a stale file from a live server without looking at processes (which Deno's
 * permissions would not allow it to do anyway).
 */
import { join } from "node:path";
import { sha256Hex } from "./bootstrap.ts";

export const PID_FILE = "vstash.pid";
export const CLI_TOKEN_FILE = "cli.token";

/** What `vstash.pid` holds. */
export interface PidFile {
  pid: number;
  /** A URL the CLI can reach the management API at (loopback when it listens everywhere). */
  admin_url: string;
  s3_url: string;
  /** ISO time of the start. */
  started: string;
}

/** A fresh random token for one server run: 32 bytes, base64url. */
export function newCliToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The SHA-256 the management API compares a presented token against. */
export function cliTokenHash(token: string): string {
  return sha256Hex(token);
}

/**
 * A URL for reaching a listener from this machine: a wildcard bind (`0.0.0.0`, `[::]`) is
 * reached through loopback.
 */
export function localUrl(boundUrl: string): string {
  return boundUrl.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
}

/**
 * Windows locks are mandatory: a locked pid file could not even be read by the CLI. There the
 * liveness probe alone tells whether the server runs.
 */
const LOCKS = Deno.build.os !== "windows";

/**
 * Writes `cli.token` (0600, replaced each start) and then `vstash.pid`, locked for as long as
 * this process runs (the lock goes with the process, however it ends). Returns a function
 * that removes both, but only while the pid file is still this process's.
 */
export async function writeRuntimeFiles(
  dataDir: string,
  info: { token: string; adminUrl: string; s3Url: string },
): Promise<() => Promise<void>> {
  const tokenPath = join(dataDir, CLI_TOKEN_FILE);
  const pidPath = join(dataDir, PID_FILE);
  // Removing first makes `mode` apply: it is only honoured when the file is created.
  await Deno.remove(tokenPath).catch(() => {});
  await Deno.writeTextFile(tokenPath, info.token + "\n", { mode: 0o600, createNew: true });
  const record: PidFile = {
    pid: Deno.pid,
    admin_url: localUrl(info.adminUrl),
    s3_url: localUrl(info.s3Url),
    started: new Date().toISOString(),
  };
  // Written beside and renamed into place: readers never see half a file. The lock is taken
  // before the rename, so the file is never there unlocked while this server runs.
  const tmpPath = `${pidPath}.${Deno.pid}.tmp`;
  const file = await Deno.open(tmpPath, { write: true, create: true, truncate: true });
  if (LOCKS) await file.lock(true);
  const bytes = new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n");
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
  await Deno.rename(tmpPath, pidPath);
  return async () => {
    const current = await readPidFile(dataDir).catch(() => null);
    if (current?.pid === Deno.pid) {
      await Deno.remove(pidPath).catch(() => {});
      await Deno.remove(tokenPath).catch(() => {});
    }
    file.close();
  };
}

/**
 * Whether a live server holds `<dataDir>/vstash.pid`: true or false where file locks tell,
 * null where they cannot (Windows).
 */
export async function pidFileLocked(dataDir: string): Promise<boolean | null> {
  if (!LOCKS) return null;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(dataDir, PID_FILE), { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  try {
    const free = await file.tryLock(false);
    if (free) await file.unlock();
    return !free;
  } finally {
    file.close();
  }
}

/** The pid file of `dataDir`, or null when there is none (or it cannot be parsed). */
export async function readPidFile(dataDir: string): Promise<PidFile | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dataDir, PID_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    const v = JSON.parse(text);
    if (typeof v?.pid === "number" && typeof v?.admin_url === "string") return v as PidFile;
  } catch { /* a half-written or foreign file: treated as absent */ }
  return null;
}

/** The token of the server running on `dataDir`. */
export async function readCliToken(dataDir: string): Promise<string> {
  return (await Deno.readTextFile(join(dataDir, CLI_TOKEN_FILE))).trim();
}
