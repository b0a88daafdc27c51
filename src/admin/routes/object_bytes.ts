import { Hono } from "hono";
import { createChecksum } from "../../s3/checksums.ts";
import { objectBody } from "../../s3/object_body.ts";
import { ingestBlob } from "../../storage/blob_ingest.ts";
import { MAX_BLOB_BYTES } from "../../storage/limits.ts";
import { inlineLimitFor, singleBlobObject } from "../../storage/records.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { pathBucket } from "../validate.ts";
import { existingBucket, objectDetails, pathKey } from "./objects.ts";
import { contentTypeOf, declaredLength } from "./upload_body.ts";

/**
 * Object bytes through the management listener, for the console (same origin: no CORS, no
 * S3 secret in the browser): a streamed PUT and a download. Bodies go chunk by chunk
 * between the socket and the blob file; nothing holds a whole object in memory.
 */
export function objectBytesRoutes({ store, config, log }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  /**
   * Uploads an object in one request: the raw body becomes the object, its Content-Type is
   * kept, and a CRC32 checksum is stored as the current AWS SDKs would have it.
   */
  r.put("/buckets/:bucket/objects/:key{.+}", async (c) => {
    const bucket = pathBucket(c);
    const key = pathKey(c, bucket);
    const entry = await existingBucket(store, bucket);
    const declared = declaredLength(c);
    if (declared !== null && declared > MAX_BLOB_BYTES) {
      throw new ApiError(
        413,
        `a single upload is at most ${MAX_BLOB_BYTES} bytes (5 GiB); ` +
          "use a multipart upload for larger objects",
      );
    }
    const contentType = contentTypeOf(c);
    const meta = { headers: contentType ? { "content-type": contentType } : {}, userMeta: {} };
    const crc = createChecksum("CRC32");
    const body = await ingestBlob(store.blobs, c.req.raw.body, {
      maxBytes: MAX_BLOB_BYTES,
      inlineUpTo: inlineLimitFor(meta),
      tap: (chunk) => crc.update(chunk),
      idleTimeoutMs: config.bodyTimeoutSeconds * 1000,
    });
    const record = singleBlobObject(
      { ...body, checksum: { algorithm: "CRC32", value: crc.digestBase64(), type: "FULL_OBJECT" } },
      meta,
    );
    await store.objects.put(entry, key, record);
    log.info("object uploaded", { bucket, key, size: body.size });
    const stored = await store.objects.get(bucket, key);
    return c.json(await objectDetails(store, key, stored ?? record));
  });

  /**
   * Streams an object as an attachment. The response never renders in the console's origin
   * (attachment, nosniff, a sandboxing CSP), so a stored HTML file cannot run script there.
   */
  r.get("/buckets/:bucket/download/:key{.+}", async (c) => {
    const bucket = pathBucket(c);
    const key = pathKey(c, bucket, "download");
    await existingBucket(store, bucket);
    for (let attempt = 0;; attempt++) {
      const record = await store.objects.get(bucket, key);
      if (!record) throw new ApiError(404, `object ${key} not found in bucket ${bucket}`, "key");
      const headers = new Headers({
        "content-type": record.headers["content-type"] ?? "application/octet-stream",
        "content-length": String(record.size),
        "content-disposition": attachment(key),
        "etag": record.etag,
        "last-modified": new Date(record.lastModified).toUTCString(),
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox; default-src 'none'",
      });
      if (c.req.method === "HEAD" || record.size === 0) {
        return new Response(null, { status: 200, headers });
      }
      try {
        const body = await objectBody(store, record, { start: 0, end: record.size - 1 });
        return new Response(body, { status: 200, headers });
      } catch (err) {
        // Overwritten or deleted between reading the record and opening its bytes: read again.
        if (!(err instanceof Deno.errors.NotFound) || attempt >= 3) throw err;
      }
    }
  });

  return r;
}

/** `Content-Disposition: attachment` naming the key's last segment, ASCII and RFC 5987. */
export function attachment(key: string): string {
  const name = key.split("/").filter((s) => s !== "").at(-1) ?? "download";
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => "%" + ch.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
