import { Hono } from "hono";
import { ACTIVITY_CAPACITY, type ActivityEntry } from "../../activity.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { queryInteger } from "../validate.ts";

/** Entries answered without `?limit=`; at most ACTIVITY_CAPACITY, all that is kept. */
export const DEFAULT_ACTIVITY_LIMIT = 50;

/**
 * `GET /activity`: the S3 listener's most recent requests, newest first, from memory (see
 * activity.ts). A server started without an activity log answers an empty list.
 */
export function activityRoutes({ activity }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();
  r.get("/activity", (c) => {
    const limit = queryInteger(c, "limit", 1, ACTIVITY_CAPACITY, DEFAULT_ACTIVITY_LIMIT);
    return c.json({ activity: (activity?.recent(limit) ?? []).map(activityView) });
  });
  return r;
}

/**
 * An entry as the API shows it. The time keeps its milliseconds (unlike other records'):
 * several requests a second are common and their order should be visible.
 */
function activityView(e: ActivityEntry) {
  return {
    time: new Date(e.at).toISOString(),
    operation: e.operation,
    method: e.method,
    bucket: e.bucket,
    key: e.key,
    status: e.status,
    bytes_in: e.bytesIn,
    bytes_out: e.bytesOut,
    ms: Math.round(e.ms * 10) / 10,
    access_key: e.accessKey,
    request_id: e.requestId,
  };
}
