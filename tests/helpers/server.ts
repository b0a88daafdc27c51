import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { RUNTIME_PERMISSIONS } from "../../scripts/permissions.ts";

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
  const child = new Deno.Command(Deno.execPath(), {
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
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let out = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, echo: boolean) => {
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      out += text;
      if (echo && opts.logLevel) await Deno.stderr.write(chunk);
    }
  };
  const pumps = Promise.all([pump(child.stdout, true), pump(child.stderr, true)]);

  const deadline = Date.now() + 30_000;
  let s3Url = "";
  let adminUrl = "";
  while (!s3Url || !adminUrl) {
    s3Url = /S3 API listening on (\S+)/.exec(out)?.[1] ?? "";
    adminUrl = /console listening on (\S+)/.exec(out)?.[1] ?? "";
    if (s3Url && adminUrl) break;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 25)),
    ]);
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await pumps;
      // A directory made here would otherwise be left behind in the temp folder.
      if (!opts.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      throw new Error(`server did not start:\n${out}`);
    }
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
    output: () => out,
    async stop(stopOpts = {}) {
      for (const c of clients.splice(0)) c.destroy();
      try {
        child.kill(stopOpts.signal ?? "SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await pumps;
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
