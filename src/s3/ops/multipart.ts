import { StorageError } from "../../storage/errors.ts";
import { MAX_PARTS } from "../../storage/limits.ts";
import type { PartRecord, UploadRecord } from "../../storage/records.ts";
import { newUploadId } from "../../storage/uploads.ts";
import {
  type ChecksumAlgorithm,
  checksumHeaderName,
  checksumMap,
  parseChecksumAlgorithm,
} from "../checksums.ts";
import { ownedBucket, respond, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { copySourceData, parseCopySource } from "../copy_source.ts";
import { S3Error } from "../errors.ts";
import { ingestBody } from "../ingest.ts";
import { storedHeaders } from "../object_headers.ts";
import { renderCopyPartResult, renderInitiateMultipartUploadResult } from "../xml.ts";

/**
 * CreateMultipartUpload: content headers and `x-amz-meta-*` are kept for the object; an
 * `x-amz-checksum-algorithm` makes every part carry (or get) that checksum, and
 * `x-amz-checksum-type` chooses how the object's checksum is formed.
 */
export async function createMultipartUpload(ctx: S3Context): Promise<S3Answer> {
  const bucket = await ownedBucket(ctx);
  const meta = storedHeaders(ctx.headers);
  const { algorithm, type } = uploadChecksum(ctx.headers);
  const upload: UploadRecord = {
    uploadId: newUploadId(),
    key: ctx.key,
    initiated: Date.now(),
    ownerId: ctx.credential.id,
    headers: meta.headers,
    userMeta: meta.userMeta,
    checksumAlgorithm: algorithm,
    checksumType: type,
  };
  await ctx.app.store.uploads.create(bucket, upload);
  const headers: Record<string, string> = {};
  if (algorithm && type) {
    headers["x-amz-checksum-algorithm"] = algorithm;
    headers["x-amz-checksum-type"] = type;
  }
  return xmlResponse(
    ctx,
    renderInitiateMultipartUploadResult({
      bucket: ctx.bucket,
      key: ctx.key,
      uploadId: upload.uploadId,
    }),
    { headers },
  );
}

/**
 * S3's rules for multipart checksums: CRC64NVME exists only as a FULL_OBJECT checksum,
 * SHA-1 and SHA-256 only as COMPOSITE; CRC32 and CRC32C can be either (COMPOSITE unless
 * asked otherwise).
 */
function uploadChecksum(h: Headers): {
  algorithm: ChecksumAlgorithm | null;
  type: "FULL_OBJECT" | "COMPOSITE" | null;
} {
  const algHeader = h.get("x-amz-checksum-algorithm");
  const typeHeader = h.get("x-amz-checksum-type")?.toUpperCase() ?? null;
  const algorithm = algHeader === null ? null : parseChecksumAlgorithm(algHeader);
  if (algHeader !== null && !algorithm) {
    throw new S3Error("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.");
  }
  if (typeHeader !== null && typeHeader !== "FULL_OBJECT" && typeHeader !== "COMPOSITE") {
    throw new S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  }
  if (!algorithm) {
    if (typeHeader) {
      throw new S3Error(
        "InvalidRequest",
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
      );
    }
    return { algorithm: null, type: null };
  }
  const fullOnly = algorithm === "CRC64NVME";
  const compositeOnly = algorithm === "SHA1" || algorithm === "SHA256";
  const type = typeHeader ?? (fullOnly ? "FULL_OBJECT" : "COMPOSITE");
  if ((fullOnly && type === "COMPOSITE") || (compositeOnly && type === "FULL_OBJECT")) {
    throw new S3Error(
      "InvalidRequest",
      `The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`,
    );
  }
  return { algorithm, type };
}

/** The upload a part request names, or NoSuchUpload. */
export async function currentUpload(ctx: S3Context): Promise<UploadRecord> {
  const uploadId = ctx.query.get("uploadId") ?? "";
  const upload = uploadId.length <= 128
    ? await ctx.app.store.uploads.get(ctx.bucket, ctx.key, uploadId)
    : null;
  if (!upload) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
  return upload;
}

function partNumberOf(ctx: S3Context): number {
  const v = ctx.query.get("partNumber") ?? "";
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n < 1 || n > MAX_PARTS) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
      { ArgumentName: "partNumber", ArgumentValue: v },
    );
  }
  return n;
}

/**
 * UploadPart: the part streams to its own blob. With an upload checksum algorithm, a part
 * must use that algorithm; a part sent without one gets it computed.
 */
export async function uploadPart(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const partNumber = partNumberOf(ctx);
  const upload = await currentUpload(ctx);
  const body = await ingestBody(ctx, {
    defaultAlgorithm: upload.checksumAlgorithm,
    requireDefault: true,
  });
  const part: PartRecord = {
    partNumber,
    blobId: body.blobId,
    size: body.size,
    etag: `"${body.md5Hex}"`,
    lastModified: Date.now(),
    checksum: body.checksum?.value ?? null,
    checksumAlgorithm: body.checksum?.algorithm ?? null,
  };
  await storePart(ctx, upload, part);
  const headers: Record<string, string> = { etag: part.etag };
  if (body.checksum) headers[checksumHeaderName(body.checksum.algorithm)] = body.checksum.value;
  return respond(ctx, null, 200, headers);
}

/** UploadPartCopy: a part made from (a range of) an existing object. */
export async function uploadPartCopy(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const partNumber = partNumberOf(ctx);
  const upload = await currentUpload(ctx);
  const source = parseCopySource(ctx.headers.get("x-amz-copy-source")!);
  const { copied } = await copySourceData(ctx, source, {
    rangeHeader: ctx.headers.get("x-amz-copy-source-range"),
    algorithm: upload.checksumAlgorithm,
  });
  const part: PartRecord = {
    partNumber,
    blobId: copied.blobId,
    size: copied.size,
    etag: `"${copied.md5Hex}"`,
    lastModified: Date.now(),
    checksum: copied.checksum?.value ?? null,
    checksumAlgorithm: copied.checksum?.algorithm ?? null,
  };
  await storePart(ctx, upload, part);
  return xmlResponse(
    ctx,
    renderCopyPartResult({
      etag: part.etag,
      lastModified: new Date(part.lastModified),
      checksums: checksumMap(copied.checksum),
    }),
  );
}

async function storePart(ctx: S3Context, upload: UploadRecord, part: PartRecord): Promise<void> {
  try {
    await ctx.app.store.uploads.putPart(ctx.bucket, ctx.key, upload.uploadId, part);
  } catch (err) {
    if (err instanceof StorageError && err.kind === "UploadNotFound") {
      throw new S3Error("NoSuchUpload", undefined, { UploadId: upload.uploadId });
    }
    throw err;
  }
}

/** AbortMultipartUpload: 204; the upload's parts are deleted. */
export async function abortMultipartUpload(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const upload = await currentUpload(ctx);
  await ctx.app.store.uploads.abort(ctx.bucket, ctx.key, upload.uploadId);
  return respond(ctx, null, 204);
}
