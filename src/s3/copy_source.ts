import { BodyReadError, ingestBlob } from "../storage/blob_ingest.ts";
import type { ObjectRecord } from "../storage/records.ts";
import { type ChecksumAlgorithm, createChecksum } from "./checksums.ts";
import { checkConditionals } from "./conditionals.ts";
import { ownedBucket, type S3Context } from "./context.ts";
import { S3Error } from "./errors.ts";
import type { IngestedBody } from "./ingest.ts";
import { objectBody } from "./object_body.ts";
import type { ByteRange } from "./range.ts";
import { utf8Length } from "./address.ts";
import { MAX_BLOB_BYTES, MAX_KEY_BYTES } from "../storage/limits.ts";

export interface CopySource {
  bucket: string;
  key: string;
}

/**
 * Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally with
 * `?versionId=` (only `null` exists here, since vStash does not version).
 */
export function parseCopySource(header: string): CopySource {
  let value = header;
  const q = value.indexOf("?");
  if (q >= 0) {
    const versionId = new URLSearchParams(value.slice(q + 1)).get("versionId");
    if (versionId !== null && versionId !== "null") {
      throw new S3Error("InvalidArgument", "Invalid version id specified", {
        ArgumentName: "x-amz-copy-source",
        ArgumentValue: header,
      });
    }
    value = value.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw invalidSource(header);
  }
  if (decoded.startsWith("/")) decoded = decoded.slice(1);
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) throw invalidSource(header);
  const key = decoded.slice(slash + 1);
  if (utf8Length(key) > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError");
  return { bucket: decoded.slice(0, slash), key };
}

function invalidSource(header: string): S3Error {
  return new S3Error("InvalidArgument", "Invalid copy source object key", {
    ArgumentName: "x-amz-copy-source",
    ArgumentValue: header,
  });
}

/**
 * Parses `x-amz-copy-source-range: bytes=first-last` against the source size. Unlike
 * Range on GET, anything else is an error, as in S3.
 */
export function parseCopySourceRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new S3Error(
      "InvalidArgument",
      "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      { ArgumentName: "x-amz-copy-source-range", ArgumentValue: header },
    );
  }
  const range = { start: Number(m[1]), end: Number(m[2]) };
  if (range.end >= size) {
    throw new S3Error(
      "InvalidRange",
      `Range specified is not valid for source object of size: ${size}`,
    );
  }
  return range;
}

/**
 * Copies the source object's bytes (all, or the copy-source range) into a new durable
 * blob, checking the copy-source conditionals and hashing as it goes. Bytes are copied,
 * not shared: each blob has exactly one owner, which keeps deletion simple and safe.
 */
export async function copySourceData(
  ctx: S3Context,
  source: CopySource,
  opts: {
    rangeHeader: string | null;
    algorithm: ChecksumAlgorithm | null;
    /** How many bytes of this source the copy may keep inline (CopyObject; parts: none). */
    inlineUpTo?: (source: ObjectRecord) => number;
  },
): Promise<{ source: ObjectRecord; copied: IngestedBody }> {
  await ownedBucket(ctx, source.bucket);
  for (let attempt = 1;; attempt++) {
    const record = await ctx.app.store.objects.get(source.bucket, source.key);
    if (!record) throw new S3Error("NoSuchKey", undefined, { Key: source.key });
    checkConditionals(ctx.headers, {
      etag: record.etag,
      lastModified: new Date(record.lastModified),
    }, "copy-source");
    const range = opts.rangeHeader !== null
      ? parseCopySourceRange(opts.rangeHeader, record.size)
      : { start: 0, end: record.size - 1 };
    const length = range.end - range.start + 1;
    // S3 copies at most 5 GiB in one CopyObject or UploadPartCopy.
    if (length > MAX_BLOB_BYTES) {
      throw new S3Error(
        "InvalidRequest",
        `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_BLOB_BYTES}`,
      );
    }
    const algorithm = opts.algorithm ?? record.checksum?.algorithm ?? null;
    try {
      const copied = await copyRange(ctx, record, range, {
        algorithm,
        inlineUpTo: opts.inlineUpTo?.(record) ?? 0,
      });
      return { source: record, copied };
    } catch (err) {
      // The source was overwritten or deleted while we opened it: look again.
      if (!(err instanceof Deno.errors.NotFound) || attempt >= 5) throw err;
    }
  }
}

async function copyRange(
  ctx: S3Context,
  record: ObjectRecord,
  range: ByteRange,
  opts: { algorithm: ChecksumAlgorithm | null; inlineUpTo: number },
): Promise<IngestedBody> {
  const checksum = opts.algorithm ? createChecksum(opts.algorithm) : null;
  const source = range.end >= range.start ? await objectBody(ctx.app.store, record, range) : null;
  try {
    const blob = await ingestBlob(ctx.app.store.blobs, source, {
      maxBytes: MAX_BLOB_BYTES,
      inlineUpTo: opts.inlineUpTo,
      tap: (chunk) => checksum?.update(chunk),
    });
    return {
      ...blob,
      checksum: checksum
        ? { algorithm: checksum.algorithm, value: checksum.digestBase64(), type: "FULL_OBJECT" }
        : null,
    };
  } catch (err) {
    // A source blob removed mid-copy by an overwrite: the caller reads the source again.
    if (err instanceof BodyReadError && err.cause instanceof Deno.errors.NotFound) throw err.cause;
    throw err;
  }
}
