import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { nextCursor, pageRequest } from "../pagination.ts";
import { pathBucket, queryString } from "../validate.ts";
import { uploadView } from "../views.ts";
import { existingBucket } from "./objects.ts";

/** A page position in the uploads listing: the last (key, upload id) shown. */
const isUploadPosition = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";

/** In-progress multipart uploads of a bucket, with the parts received so far. */
export function uploadRoutes({ store }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  r.get("/buckets/:bucket/uploads", async (c) => {
    const bucket = pathBucket(c);
    const prefix = queryString(c, "prefix", { maxBytes: 1024 }) ?? "";
    const page = pageRequest(c, isUploadPosition);
    await existingBucket(store, bucket);
    const listed = await store.uploads.list(bucket, {
      prefix,
      delimiter: null,
      keyMarker: page.after?.[0] ?? null,
      uploadIdMarker: page.after?.[1] ?? null,
      maxUploads: page.limit,
    });
    const uploads = await Promise.all(listed.uploads.map(async (u) => {
      const parts = await store.uploads.allParts(u.uploadId);
      const bytes = parts.reduce((n, p) => n + p.size, 0);
      return uploadView(u, { count: parts.length, bytes });
    }));
    const last = listed.uploads.at(-1);
    return c.json({
      uploads,
      next_cursor: nextCursor(last && [last.key, last.uploadId], listed.isTruncated),
    });
  });

  return r;
}
