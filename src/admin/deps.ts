import type { RecentActivity } from "../activity.ts";
import type { FailureLimiter } from "../auth/failure_limiter.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { ServerMetrics } from "../metrics.ts";
import type { Store } from "../storage/store.ts";

/** What the management listener needs from the server. */
export interface AdminDeps {
  store: Store;
  config: Config;
  log: Logger;
  /**
   * The S3 listener's bound URL (`http://0.0.0.0:9000` when it listens everywhere), the
   * fallback base of presigned URLs when `config.publicUrl` is not set.
   */
  s3Url: string;
  /** Counters and storage gauges served at /metrics; a fresh set when absent. */
  metrics?: ServerMetrics;
  /** The S3 listener's recent requests, for GET /activity; an empty list when absent. */
  activity?: RecentActivity;
  /**
   * SHA-256 (hex) of this run's `cli.token`, which the management API accepts like the admin
   * key so that the local `vstash` CLI can work while the server runs (runtime_files.ts).
   */
  cliTokenHash?: string;
  /** Counts wrong keys per source address; createAdminApp makes one when absent. */
  authLimiter?: FailureLimiter;
}

/** Hono environment of the admin app: `Deno.serve` passes its connection info as `env`. */
export interface AdminEnv {
  Bindings: { remoteAddr?: Deno.Addr } | undefined;
}
