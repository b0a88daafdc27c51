import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
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
}

/** Hono environment of the admin app: `Deno.serve` passes its connection info as `env`. */
export interface AdminEnv {
  Bindings: { remoteAddr?: Deno.Addr } | undefined;
}
