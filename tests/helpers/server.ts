import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";
import { spawnWatched, waitForOutput } from "../../scripts/watched_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface TestServer {
  s3Url: string;
  adminUrl: string;
  accessKey: string;
  secretKey: string;
  adminKey: string;
  dataDir: string;
  /** An SDK client with default settings (path-style, since the test host has no DNS). */
  client(overrides?: Partial<S3ClientConfig>): S3Client;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM and wait; the data directory is removed unless `keepData`. */
  stop(opts?: { keepData?: boolean; signal?: Deno.Signal }): Promise<number>;
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  /** Print request logs (debugging); off by default so test output stays readable. */
  logLevel?: string;
  /**
   * Environment variables the server must not see at all (e.g. the VSTASH_*_KEY variables,
   * to test a first start that generates keys). The TestServer's keys are then meaningless.
   */
  unsetEnv?: string[];
}

let counter = 0;

/**
 * Starts `deno run main.ts serve` (with the release permissions) as a child process on free loopback ports with a fresh
 * data directory and known keys, and waits for its "listening" lines.
 */
export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "vstash-test-" });
  const id = `${Deno.pid}x${++counter}`;
  const accessKey = `AKTEST${id}`.toUpperCase().replace(/[^A-Z0-9]/g, "").padEnd(20, "0")
    .slice(0, 20);
  const secretKey = `secret-${id}-${crypto.randomUUID()}`;
  const adminKey = `admin-${id}-${crypto.randomUUID()}`;
  const proc = spawnWatched(Deno.execPath(), {
    args: [
      "run",
      // The production permission set, so tests catch anything that would need more.
      ...RUNTIME_PERMISSIONS,
      MAIN,
      "serve",
      "--data-dir",
      dataDir,
      "--s3-addr",
      "127.0.0.1:0",
      "--admin-addr",
      "127.0.0.1:0",
      ...(opts.args ?? []),
    ],
    env: withoutKeys({
      ...(opts.unsetEnv ? Deno.env.toObject() : {}),
      VSTASH_ACCESS_KEY: accessKey,
      VSTASH_SECRET_KEY: secretKey,
      VSTASH_ADMIN_KEY: adminKey,
      VSTASH_LOG_LEVEL: opts.logLevel ?? "warn",
      ...opts.env,
    }, opts.unsetEnv ?? []),
    // Only a cleared environment can lose variables; it is rebuilt from ours above.
    clearEnv: opts.unsetEnv !== undefined,
  }, Boolean(opts.logLevel));
  const { child } = proc;
  let s3Url: string;
  let adminUrl: string;
  try {
    [s3Url, adminUrl] = await waitForOutput(
      proc,
      [/S3 API listening on (\S+)/, /console listening on (\S+)/],
      30_000,
      "server",
    );
  } catch (err) {
    // A directory made here would otherwise be left behind in the temp folder.
    if (!opts.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw err;
  }

  const clients: S3Client[] = [];
  return {
    s3Url,
    adminUrl,
    accessKey: opts.env?.VSTASH_ACCESS_KEY ?? accessKey,
    secretKey: opts.env?.VSTASH_SECRET_KEY ?? secretKey,
    adminKey: opts.env?.VSTASH_ADMIN_KEY ?? adminKey,
    dataDir,
    client(overrides = {}) {
      const c = new S3Client({
        endpoint: s3Url,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: {
          accessKeyId: opts.env?.VSTASH_ACCESS_KEY ?? accessKey,
          secretAccessKey: opts.env?.VSTASH_SECRET_KEY ?? secretKey,
        },
        ...overrides,
      });
      clients.push(c);
      return c;
    },
    output: proc.output,
    async stop(stopOpts = {}) {
      for (const c of clients.splice(0)) c.destroy();
      try {
        child.kill(stopOpts.signal ?? "SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await proc.drained;
      if (!stopOpts.keepData) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      return status.code;
    },
  };
}

/**
 * Runs `fn` against a fresh server and always stops it, so each test file owns one server
 * and leaks nothing between tests.
 */
export async function withServer(
  fn: (server: TestServer) => Promise<void>,
  opts: StartOptions = {},
): Promise<void> {
  const server = await startTestServer(opts);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

function withoutKeys(env: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !names.includes(k)));
}
