import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { humanSize } from "../format.ts";

/**
 * `GET /stats`. Object and byte totals come from the per-bucket counters that every object
 * write moves, so this reads two entries per bucket and never scans objects.
 */
export function statsRoutes({ store }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();
  r.get("/stats", async (c) => {
    const [credentials, totals, uploads, presigned] = await Promise.all([
      store.credentials.count(),
      store.totals(),
      store.uploads.count(),
      store.presigns.countActive(),
    ]);
    return c.json({
      credentials,
      buckets: totals.buckets,
      objects: totals.objects,
      total_storage: totals.bytes,
      total_storage_human: humanSize(totals.bytes),
      active_multipart_uploads: uploads,
      active_presigned_urls: presigned,
    });
  });
  return r;
}
