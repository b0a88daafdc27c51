import { Hono } from "hono";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../storage/store.ts";

export interface AdminDeps {
  store: Store;
  config: Config;
  log: Logger;
}

/** The management listener: JSON API under /api/v1 and the web console. */
export function createAdminApp(_deps: AdminDeps): Hono {
  const app = new Hono();
  app.get("/health/live", (c) => c.json({ status: "ok" }));
  app.all("*", (c) => c.json({ error: "not found" }, 404));
  return app;
}
