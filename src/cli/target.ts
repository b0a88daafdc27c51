/**
 * Where a CLI command runs: through the running server's management API, or directly on a
 * stopped server's data directory. Both go through the same management API code (in-process
 * for "direct"), so validation, refusals and answers are identical either way.
 *
 * A server is running when `<dataDir>/vstash.pid` exists and is locked (the server holds the
 * lock while it runs; see runtime_files.ts), and its management API answers `/health/live`. Then the CLI authenticates with `<dataDir>/cli.token`,
 * which that server accepts while it runs. A pid file left by a crash (dead process) does not
 * block direct mode. Direct mode while the server runs is refused: the server caches
 * credentials and buckets, so writes made beside it would not be seen by it.
 */
import { join } from "node:path";
import { createAdminApp } from "../admin/app.ts";
import type { Config } from "../config.ts";
import { Logger } from "../log.ts";
import {
  CLI_TOKEN_FILE,
  cliTokenHash,
  localUrl,
  newCliToken,
  PID_FILE,
  pidFileLocked,
  readCliToken,
  readPidFile,
} from "../runtime_files.ts";
import { KV_FILE, openStore, type Store } from "../storage/store.ts";
import { CommandError } from "./output.ts";

/** A parsed management API answer. */
export interface ApiAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any -- JSON read field by field by the commands
  body: any;
}

export interface Target {
  /** "api": through the running server; "direct": on the data directory. */
  readonly mode: "api" | "direct";
  /** Where: the management API URL, or the data directory. */
  readonly where: string;
  /** A management API request; `path` is under `/api/v1` (e.g. `/credentials`). */
  request(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** How long the CLI waits for a running server's liveness probe. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * Picks the target for `config.dataDir`. `adminAddrGiven` means `--admin-addr` was passed:
 * the running server is then reached there instead of at the URL in its pid file.
 */
export async function openTarget(config: Config, adminAddrGiven: boolean): Promise<Target> {
  const pid = await readPidFile(config.dataDir).catch((err) => {
    throw unreadable(join(config.dataDir, PID_FILE), err);
  });
  if (pid !== null) {
    const alive = await pidFileLocked(config.dataDir).catch(() => null);
    if (alive !== false) {
      const url = adminAddrGiven ? addrUrl(config.adminAddr) : pid.admin_url;
      if (await answers(url)) return apiTarget(config.dataDir, url);
      if (alive) {
        throw new CommandError(
          `a vstash server (pid ${pid.pid}) runs on ${config.dataDir}, but its management API ` +
            `does not answer at ${url}. Wait until it is up, pass --admin-addr if it listens ` +
            `elsewhere, or stop it to work on the data directory directly.`,
        );
      }
    }
    // The pid file outlived its server (crash, kill -9, power loss): nobody holds its lock.
  }
  return await directTarget(config);
}

async function apiTarget(dataDir: string, url: string): Promise<Target> {
  const tokenPath = join(dataDir, CLI_TOKEN_FILE);
  const token = await readCliToken(dataDir).catch((err) => {
    throw unreadable(tokenPath, err);
  });
  return {
    mode: "api",
    where: url,
    async request(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${url}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new CommandError(`the server at ${url} did not answer: ${(err as Error).message}`);
      }
      if (res.status === 401) {
        await res.body?.cancel();
        throw new CommandError(
          `the server at ${url} refused ${tokenPath}: it is not the server that wrote it ` +
            "(is another server using this data directory?)",
        );
      }
      return await parsed(res);
    },
    close: () => Promise.resolve(),
  };
}

async function directTarget(config: Config): Promise<Target> {
  const kvPath = join(config.dataDir, KV_FILE);
  try {
    await Deno.stat(kvPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CommandError(
        `no vStash data in ${config.dataDir} (no meta.kv): start the server once with ` +
          "`vstash serve`, or pass --data-dir (or VSTASH_DATA_DIR) for the right directory",
      );
    }
    throw unreadable(kvPath, err);
  }
  const owner = await Deno.stat(config.dataDir);
  let store: Store;
  try {
    store = await openStore(config.dataDir, (msg, err) => console.error(`vstash: ${msg}: ${err}`));
  } catch (err) {
    throw unreadable(config.dataDir, err);
  }
  const token = newCliToken();
  const app = createAdminApp({
    store,
    config,
    log: new Logger("silent"),
    s3Url: localUrl(addrUrl(config.s3Addr)),
    cliTokenHash: cliTokenHash(token),
  });
  return {
    mode: "direct",
    where: config.dataDir,
    async request(method, path, body) {
      const res = await app.request(`/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return await parsed(res);
    },
    async close() {
      store.close();
      await keepOwner(config.dataDir, owner);
    },
  };
}

async function parsed(res: Response): Promise<ApiAnswer> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    body = { error: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/live`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function addrUrl(addr: { hostname: string; port: number }): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return localUrl(`http://${host}:${addr.port}`);
}

function unreadable(path: string, err: unknown): CommandError {
  if (err instanceof Deno.errors.PermissionDenied) {
    return new CommandError(
      `cannot read ${path}: run vstash as the user the server runs as ` +
        "(with the systemd unit: sudo -u vstash vstash ... --data-dir /var/lib/vstash)",
    );
  }
  return new CommandError(`cannot use ${path}: ${(err as Error).message}`);
}

/**
 * Run as root on a directory that belongs to the service user, opening the store may create
 * KV side files (`meta.kv-wal`, `meta.kv-shm`) owned by root, which the service could then
 * not open. Hands them back to the directory's owner.
 */
async function keepOwner(dataDir: string, owner: Deno.FileInfo): Promise<void> {
  if (Deno.build.os === "windows" || owner.uid === null || owner.gid === null) return;
  for (const name of [KV_FILE, `${KV_FILE}-wal`, `${KV_FILE}-shm`, "blobs", "tmp"]) {
    const path = join(dataDir, name);
    const info = await Deno.lstat(path).catch(() => null);
    if (info && info.uid !== owner.uid) {
      await Deno.chown(path, owner.uid, owner.gid).catch(() => {});
    }
  }
}
