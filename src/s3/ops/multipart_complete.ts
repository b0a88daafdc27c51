import { StorageError } from "../../storage/errors.ts";
import { MAX_OBJECT_BYTES, MAX_PARTS } from "../../storage/limits.ts";
import { toRuns } from "../../storage/parts.ts";
import type {
  ObjectRecord,
  PartRecord,
  StoredChecksum,
  UploadRecord,
} from "../../storage/records.ts";
import type { Completion } from "../../storage/uploads.ts";
import {
  checksumHeaderName,
  checksumMismatchError,
  combineCrc,
  compositeChecksum,
  fromBase64Strict,
  multipartEtag,
  toBase64,
} from "../checksums.ts";
import { ownedBucket, type S3Context, xmlResponse } from "../context.ts";
import { S3Error } from "../errors.ts";
import { readSmallBody } from "../ingest.ts";
import { renderCompleteMultipartUploadResult } from "../xml.ts";
import {
  type CompletedPart,
  MAX_COMPLETE_XML_BYTES,
  parseCompleteMultipartUpload,
} from "../xml_parse.ts";
import { currentUpload } from "./multipart.ts";

/**
 * CompleteMultipartUpload: validates the client's part list against the stored parts and
 * commits the object in one KV atomic. No data is copied: the object is its parts.
 */
export async function completeMultipartUpload(ctx: S3Context): Promise<Response> {
  const bucket = await ownedBucket(ctx);
  const upload = await currentUpload(ctx);
  // Its x-amz-checksum-* headers describe the object (see verifyRequestChecksum).
  const requested = parseCompleteMultipartUpload(
    await readSmallBody(ctx, MAX_COMPLETE_XML_BYTES, { checksumHeadersDescribeObject: true }),
  ).parts;
  let record: ObjectRecord;
  try {
    record = await ctx.app.store.uploads.complete(
      bucket,
      ctx.key,
      upload.uploadId,
      (current, parts) => buildCompletion(ctx, current, parts, requested),
    );
  } catch (err) {
    if (err instanceof StorageError && err.kind === "UploadNotFound") {
      throw new S3Error("NoSuchUpload", undefined, { UploadId: upload.uploadId });
    }
    throw err;
  }
  const base = ctx.app.config.publicUrl ?? new URL(ctx.req.url).origin;
  const headers: Record<string, string> = {};
  if (record.checksum) {
    headers[checksumHeaderName(record.checksum.algorithm)] = record.checksum.value;
    headers["x-amz-checksum-type"] = record.checksum.type;
  }
  return xmlResponse(
    renderCompleteMultipartUploadResult({
      location: `${base}/${ctx.bucket}/${encodeURIComponent(ctx.key).replaceAll("%2F", "/")}`,
      bucket: ctx.bucket,
      key: ctx.key,
      etag: record.etag,
      checksums: record.checksum ? { [record.checksum.algorithm]: record.checksum.value } : {},
      checksumType: record.checksum?.type,
    }),
    { headers },
  );
}

/** Checks the requested part list as S3 does and builds the object from the stored parts. */
function buildCompletion(
  ctx: S3Context,
  upload: UploadRecord,
  stored: PartRecord[],
  requested: CompletedPart[],
): Completion {
  if (requested.length > MAX_PARTS) {
    throw new S3Error("InvalidArgument", `Part count must not exceed ${MAX_PARTS}.`);
  }
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts: PartRecord[] = [];
  let previous = 0;
  for (const req of requested) {
    if (req.partNumber <= previous) throw new S3Error("InvalidPartOrder");
    previous = req.partNumber;
    const part = byNumber.get(req.partNumber);
    if (!part || part.etag.replaceAll('"', "") !== req.etag) {
      throw new S3Error("InvalidPart", undefined, {
        UploadId: upload.uploadId,
        PartNumber: String(req.partNumber),
        ETag: req.etag,
      });
    }
    for (const [alg, value] of Object.entries(req.checksums)) {
      if (part.checksumAlgorithm !== alg || part.checksum !== value) {
        throw new S3Error(
          "InvalidPart",
          `The ${alg} checksum of part ${req.partNumber} does not match the uploaded part.`,
          { UploadId: upload.uploadId, PartNumber: String(req.partNumber), ETag: req.etag },
        );
      }
    }
    parts.push(part);
  }
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < ctx.app.config.minPartSizeBytes) {
      throw new S3Error("EntityTooSmall", undefined, {
        ProposedSize: String(p.size),
        MinSizeAllowed: String(ctx.app.config.minPartSizeBytes),
        PartNumber: String(p.partNumber),
        ETag: p.etag.replaceAll('"', ""),
      });
    }
  });
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (size > MAX_OBJECT_BYTES) {
    throw new S3Error("EntityTooLarge", undefined, {
      ProposedSize: String(size),
      MaxSizeAllowed: String(MAX_OBJECT_BYTES),
    });
  }
  const checksum = objectChecksum(upload, parts);
  verifyRequestChecksum(ctx.headers, checksum);
  const now = Date.now();
  return {
    record: {
      size,
      etag: multipartEtag(parts.map((p) => p.etag)),
      lastModified: now,
      createdAt: now,
      headers: upload.headers,
      userMeta: upload.userMeta,
      checksum,
      layout: {
        kind: "parts",
        uploadId: upload.uploadId,
        partCount: parts.length,
        runs: toRuns(parts.map((p) => p.partNumber)),
      },
    },
    keep: toRuns(parts.map((p) => p.partNumber)),
  };
}

/**
 * The object's checksum from its parts': COMPOSITE is the checksum of the part checksums
 * with a `-N` suffix; FULL_OBJECT (CRCs only) is the CRC of the whole object, combined
 * arithmetically from the part CRCs and lengths without reading any data.
 */
function objectChecksum(upload: UploadRecord, parts: PartRecord[]): StoredChecksum | null {
  const alg = upload.checksumAlgorithm;
  if (!alg || !upload.checksumType) return null;
  const raws = parts.map((p) => {
    const raw = p.checksumAlgorithm === alg && p.checksum ? fromBase64Strict(p.checksum) : null;
    if (!raw) {
      throw new S3Error("InvalidPart", `Part ${p.partNumber} has no ${alg} checksum.`);
    }
    return raw;
  });
  if (upload.checksumType === "COMPOSITE") {
    return { algorithm: alg, value: compositeChecksum(alg, raws), type: "COMPOSITE" };
  }
  const whole = combineCrc(alg, parts.map((p, i) => ({ raw: raws[i], length: p.size })));
  return { algorithm: alg, value: toBase64(whole), type: "FULL_OBJECT" };
}

/** A whole-object checksum sent with the completion request must match the computed one. */
function verifyRequestChecksum(h: Headers, checksum: StoredChecksum | null): void {
  for (const [name, value] of h) {
    if (!name.startsWith("x-amz-checksum-") || name === "x-amz-checksum-type") continue;
    if (name === "x-amz-checksum-algorithm" || name === "x-amz-checksum-mode") continue;
    if (!checksum || checksumHeaderName(checksum.algorithm) !== name) {
      throw new S3Error(
        "InvalidRequest",
        `The upload was created without the checksum that ${name} names.`,
      );
    }
    if (value.trim() !== checksum.value) throw checksumMismatchError(checksum.algorithm);
  }
}
