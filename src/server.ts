import { RecentActivity } from "./activity.ts";
import { createAdminApp } from "./admin/app.ts";
import { bootstrap, type FirstStart } from "./bootstrap.ts";
import { type Config, ConfigError } from "./config.ts";
import { Logger } from "./log.ts";
import { ServerMetrics } from "./metrics.ts";
import {
  cliTokenHash,
  newCliToken,
  pidFileLocked,
  readPidFile,
  writeRuntimeFiles,
} from "./runtime_files.ts";
import { createS3Handler } from "./s3/handler.ts";
import { checksumReady } from "./s3/checksums.ts";
import { sweep } from "./storage/gc.ts";
import { openStore, type Store } from "./storage/store.ts";

/** How long shutdown waits for in-flight requests before closing anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How often the sweeper runs. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningServer {
  s3Url: string;
  adminUrl: string;
  store: Store;
  /** Stops accepting, waits (bounded) for in-flight requests, closes storage. */
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/**
 * Opens the data directory, creates the first credential and admin key on a first start,
 * and starts both listeners. Port 0 binds a free port; the bound URLs are returned and
 * printed.
 */
export async function startServer(
  config: Config,
  env: (name: string) => string | undefined,
): Promise<RunningServer> {
  const log = new Logger(config.logLevel);
  const startedAt = Date.now();
  // Two servers on one data directory would each trust their own caches (credentials,
  // buckets) and undo each other's work: refuse to start beside a live one.
  if (await pidFileLocked(config.dataDir).catch(() => null)) {
    const other = await readPidFile(config.dataDir).catch(() => null);
    throw new ConfigError(
      `another vstash server${other ? ` (pid ${other.pid})` : ""} is running on ${config.dataDir}`,
    );
  }
  await checksumReady();
  const store = await openStore(
    config.dataDir,
    (msg, err) => log.error(msg, { error: String(err) }),
  );
  if (store.upgrade && store.upgrade.objectsIndexed > 0) {
    log.info("data directory upgraded: folder index built", { ...store.upgrade });
  }
  const firstStart = await bootstrap(store, env);

  const metrics = new ServerMetrics(store, startedAt);
  const activity = new RecentActivity();
  const s3Handler = createS3Handler({ store, config, log, metrics, activity });
  const onError = (err: unknown) => {
    log.error("unhandled server error", { error: String(err) });
    return new Response("internal error", { status: 500 });
  };
  const s3 = Deno.serve({
    hostname: config.s3Addr.hostname,
    port: config.s3Addr.port,
    // Objects go out byte for byte: compressing would change Content-Length and turn the
    // ETag weak (W/), which S3 clients compare. Off by default in Deno 2.9; kept off on purpose.
    automaticCompression: false,
    onListen: () => {},
    onError,
  }, s3Handler);
  const s3Url = urlOf(s3.addr);
  // The local CLI's credential for this run (see runtime_files.ts).
  const cliToken = newCliToken();
  // The admin app signs presigned URLs for the S3 listener, so it needs the bound address.
  const admin = createAdminApp({
    store,
    config,
    log,
    s3Url,
    metrics,
    activity,
    cliTokenHash: cliTokenHash(cliToken),
  });
  const adminServer = Deno.serve({
    hostname: config.adminAddr.hostname,
    port: config.adminAddr.port,
    onListen: () => {},
    onError,
  }, admin.fetch);

  const adminUrl = urlOf(adminServer.addr);
  // Not fatal (a full disk, say): the server runs, only the CLI cannot find it.
  const removeRuntimeFiles = await writeRuntimeFiles(config.dataDir, {
    token: cliToken,
    adminUrl,
    s3Url,
  }).catch((err) => {
    log.warn("could not write vstash.pid and cli.token: the vstash CLI will not see this server", {
      error: String(err),
    });
    return () => Promise.resolve();
  });
  printStartup(s3Url, adminUrl, firstStart, config);

  // At start, then hourly: leftovers of crashes, expired uploads (see storage/gc.ts).
  const runSweep = () =>
    sweep(store, { uploadExpiryMs: config.uploadExpirySeconds * 1000 }).then(
      (r) => {
        if (r.orphanBlobsRemoved || r.garbageCollected || r.uploadsExpired) {
          log.info("sweep", { ...r });
        }
      },
      (err) => log.error("sweep failed", { error: String(err) }),
    );
  let sweeping = runSweep();
  const timer = setInterval(() => {
    sweeping = sweeping.then(runSweep);
  }, SWEEP_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= (async () => {
      clearInterval(timer);
      const drained = Promise.all([s3.shutdown(), adminServer.shutdown()]);
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<void>((res) => {
        timeout = setTimeout(() => {
          log.warn("shutdown: in-flight requests did not finish in time");
          res();
        }, SHUTDOWN_GRACE_MS);
      });
      await Promise.race([drained, expired]);
      clearTimeout(timeout);
      await sweeping;
      await removeRuntimeFiles();
      store.close();
    })();
    return stopping;
  };
  // Settles after the whole shutdown (storage closed, runtime files removed), not just the
  // listeners: main exits the process as soon as it settles.
  const finished = Promise.all([s3.finished, adminServer.finished]).then(() => stopping)
    .then(() => {});
  return { s3Url, adminUrl, store, shutdown, finished };
}

function urlOf(addr: Deno.Addr): string {
  const a = addr as Deno.NetAddr;
  const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
  return `http://${host}:${a.port}`;
}

/**
 * The two "listening" lines are plain text on purpose (scripts and tests read them). The
 * secrets of a first start are shown here once and never again.
 */
function printStartup(s3Url: string, adminUrl: string, first: FirstStart, config: Config) {
  // One write, atomic on a pipe at this size: a reader that sees the "listening" lines has
  // the first-start keys too.
  const lines = [
    `vstash: S3 API listening on ${s3Url}`,
    `vstash: management API and console listening on ${adminUrl}`,
    `vstash: data directory ${config.dataDir}, region ${config.region}`,
  ];
  if (!first.credential && !first.adminKey) {
    console.log(lines.join("\n"));
    return;
  }
  lines.push("", "  First start: save these now, they will not be shown again.", "");
  // A secret given in the environment is known already and is not echoed to the journal.
  if (first.credential && first.credentialFromEnv) {
    lines.push(`  Access key:  ${first.credential.accessKey} (secret from VSTASH_SECRET_KEY)`);
  } else if (first.credential) {
    lines.push(
      `  Access key:  ${first.credential.accessKey}`,
      `  Secret key:  ${first.credential.secretKey}`,
    );
  }
  if (first.adminKey) lines.push(`  Admin API key (console sign-in):  ${first.adminKey}`);
  lines.push("");
  console.log(lines.join("\n"));
}
