import { type Context, Hono } from "hono";
import { createChecksum } from "../../s3/checksums.ts";
import { ingestBlob } from "../../storage/blob_ingest.ts";
import { StorageError } from "../../storage/errors.ts";
import { MAX_BLOB_BYTES, MAX_PARTS } from "../../storage/limits.ts";
import type { ObjectRecord, PartRecord, UploadRecord } from "../../storage/records.ts";
import type { Store } from "../../storage/store.ts";
import { newUploadId } from "../../storage/uploads.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { buildCompletion, requestedParts } from "../multipart_completion.ts";
import { nextCursor, pageRequest } from "../pagination.ts";
import {
  OBJECT_KEY_RULES,
  optString,
  pathBucket,
  queryString,
  readJsonObject,
  reqString,
} from "../validate.ts";
import { done, uploadView } from "../views.ts";
import { existingBucket, objectDetails } from "./objects.ts";
import { checkContentType, declaredLength } from "./upload_body.ts";

/** A page position in the uploads listing: the last (key, upload id) shown. */
const isUploadPosition = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";

/**
 * Multipart uploads of a bucket: list them with the parts received so far, and (for the
 * console, whose large files go up in parallel parts) create one, upload its parts,
 * complete or abort it.
 *
 * Uploads are stored under (bucket, key, upload id), as S3 addresses them, so the routes
 * that name an upload id take the object key as the `key` query parameter too.
 */
export function uploadRoutes({ store, config, log }: AdminDeps): Hono<AdminEnv> {
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

  /**
   * Starts an upload. Its parts get CRC32 checksums and the object a FULL_OBJECT CRC32, as
   * the AWS SDKs ask for by default, so objects from the console carry a checksum too.
   */
  r.post("/buckets/:bucket/uploads", async (c) => {
    const bucket = pathBucket(c);
    const body = await readJsonObject(c, ["key", "content_type"]);
    const key = reqString(body, "key", OBJECT_KEY_RULES);
    const contentType = checkContentType(optString(body, "content_type") ?? null, "content_type");
    const entry = await existingBucket(store, bucket);
    const upload: UploadRecord = {
      uploadId: newUploadId(),
      key,
      initiated: Date.now(),
      ownerId: entry.record.ownerId,
      headers: contentType ? { "content-type": contentType } : {},
      userMeta: {},
      checksumAlgorithm: "CRC32",
      checksumType: "FULL_OBJECT",
    };
    await store.uploads.create(entry, upload);
    log.info("multipart upload created", { bucket, key, upload_id: upload.uploadId });
    return c.json(
      { bucket, key, upload_id: upload.uploadId, min_part_size: config.minPartSizeBytes },
      201,
    );
  });

  /** One part: the raw body, streamed to its own blob. Uploading a number again replaces it. */
  r.put("/buckets/:bucket/uploads/:upload_id/parts/:part_number", async (c) => {
    const { bucket, upload } = await namedUpload(store, c);
    const v = c.req.param("part_number");
    if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PARTS) {
      throw new ApiError(
        400,
        `part_number must be a whole number from 1 to ${MAX_PARTS}`,
        "part_number",
      );
    }
    const declared = declaredLength(c);
    if (declared !== null && declared > MAX_BLOB_BYTES) {
      throw new ApiError(413, `a part is at most ${MAX_BLOB_BYTES} bytes (5 GiB)`);
    }
    const crc = createChecksum("CRC32");
    const body = await ingestBlob(store.blobs, c.req.raw.body, {
      maxBytes: MAX_BLOB_BYTES,
      tap: (chunk) => crc.update(chunk),
      idleTimeoutMs: config.bodyTimeoutSeconds * 1000,
    });
    const part: PartRecord = {
      partNumber: Number(v),
      blobId: body.blobId,
      size: body.size,
      etag: `"${body.md5Hex}"`,
      lastModified: Date.now(),
      checksum: crc.digestBase64(),
      checksumAlgorithm: "CRC32",
    };
    try {
      await store.uploads.putPart(bucket, upload.key, upload.uploadId, part);
    } catch (err) {
      throw uploadGone(err, upload.uploadId);
    }
    return c.json({ part_number: part.partNumber, etag: body.md5Hex, size: part.size });
  });

  r.post("/buckets/:bucket/uploads/:upload_id/complete", async (c) => {
    const { bucket, upload } = await namedUpload(store, c);
    const requested = requestedParts(await readJsonObject(c, ["parts"]));
    const entry = await existingBucket(store, bucket);
    let record: ObjectRecord;
    try {
      record = await store.uploads.complete(
        entry,
        upload.key,
        upload.uploadId,
        (current, parts) => buildCompletion(current, parts, requested, config.minPartSizeBytes),
      );
    } catch (err) {
      throw uploadGone(err, upload.uploadId);
    }
    log.info("multipart upload completed", {
      bucket,
      key: upload.key,
      upload_id: upload.uploadId,
      size: record.size,
    });
    return c.json(await objectDetails(store, upload.key, record));
  });

  r.delete("/buckets/:bucket/uploads/:upload_id", async (c) => {
    const { bucket, upload } = await namedUpload(store, c);
    try {
      await store.uploads.abort(bucket, upload.key, upload.uploadId);
    } catch (err) {
      throw uploadGone(err, upload.uploadId);
    }
    log.info("multipart upload aborted", { bucket, key: upload.key, upload_id: upload.uploadId });
    return c.json(done());
  });

  return r;
}

/** The upload named by the bucket, `:upload_id` and `?key=`, or a 404. */
async function namedUpload(
  store: Store,
  c: Context<AdminEnv>,
): Promise<{ bucket: string; upload: UploadRecord }> {
  const bucket = pathBucket(c);
  const uploadId = c.req.param("upload_id") ?? "";
  const key = queryString(c, "key", OBJECT_KEY_RULES);
  if (key === undefined) {
    throw new ApiError(
      400,
      "key is required: the object key of the upload, as a query parameter",
      "key",
    );
  }
  await existingBucket(store, bucket);
  const upload = uploadId.length <= 128 ? await store.uploads.get(bucket, key, uploadId) : null;
  if (!upload) {
    throw new ApiError(
      404,
      `no multipart upload ${uploadId.slice(0, 128)} for key ${key} in bucket ${bucket}`,
      "upload_id",
    );
  }
  return { bucket, upload };
}

/** A storage UploadNotFound (completed or aborted meanwhile) as the API's 404. */
function uploadGone(err: unknown, uploadId: string): unknown {
  if (err instanceof StorageError && err.kind === "UploadNotFound") {
    return new ApiError(
      404,
      `multipart upload ${uploadId} was completed or aborted meanwhile`,
      "upload_id",
    );
  }
  return err;
}
