/**
 * Completing a multipart upload from the management API: S3's rules for the part list,
 * checked against the stored parts, and the object record they make. The S3 listener's
 * CompleteMultipartUpload applies the same rules to its XML part list (src/s3/ops/
 * multipart_complete.ts), with S3 error codes; these answer 400 with `field: "parts"`.
 */
import {
  combineCrc,
  compositeChecksum,
  fromBase64Strict,
  multipartEtag,
  toBase64,
} from "../s3/checksums.ts";
import { MAX_OBJECT_BYTES, MAX_PARTS } from "../storage/limits.ts";
import { toRuns } from "../storage/parts.ts";
import type { PartRecord, StoredChecksum, UploadRecord } from "../storage/records.ts";
import type { Completion } from "../storage/uploads.ts";
import { ApiError } from "./errors.ts";
import type { JsonObject } from "./validate.ts";

/** A part the client asks to keep: its number and the ETag its upload answered. */
export interface RequestedPart {
  partNumber: number;
  etag: string;
}

const partsError = (message: string) => new ApiError(400, message, "parts");

/** Reads `parts: [{part_number, etag}, ...]` from a completion request body. */
export function requestedParts(body: JsonObject): RequestedPart[] {
  const parts = body.parts;
  if (!Array.isArray(parts) || parts.length === 0) {
    throw partsError("parts must be a non-empty array of {part_number, etag}");
  }
  if (parts.length > MAX_PARTS) throw partsError(`parts must hold at most ${MAX_PARTS} parts`);
  return parts.map((p, i) => {
    if (typeof p !== "object" || p === null || Array.isArray(p)) {
      throw partsError(`parts[${i}] must be an object {part_number, etag}`);
    }
    const { part_number: n, etag, ...rest } = p as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw partsError(`parts[${i}].${extra} is not a field of a part`);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1 || n > MAX_PARTS) {
      throw partsError(`parts[${i}].part_number must be a whole number from 1 to ${MAX_PARTS}`);
    }
    if (typeof etag !== "string" || etag === "") {
      throw partsError(`parts[${i}].etag must be the ETag the part's upload answered`);
    }
    return { partNumber: n, etag: etag.replaceAll('"', "") };
  });
}

/**
 * Checks the requested list as S3 does (ascending part numbers, each uploaded with this
 * ETag, every part but the last at least `minPartBytes` (the server's --min-part-size, 5 MiB
 * as in S3 by default), at most 5 TiB in all) and builds the object from the stored parts.
 * The object's checksum is formed as the upload declared it.
 */
export function buildCompletion(
  upload: UploadRecord,
  stored: PartRecord[],
  requested: RequestedPart[],
  minPartBytes: number,
): Completion {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts: PartRecord[] = [];
  let previous = 0;
  for (const req of requested) {
    if (req.partNumber <= previous) {
      throw partsError("parts must be listed in ascending part_number order, each once");
    }
    previous = req.partNumber;
    const part = byNumber.get(req.partNumber);
    if (!part) throw partsError(`part ${req.partNumber} was not uploaded`);
    if (part.etag.replaceAll('"', "") !== req.etag) {
      throw partsError(`part ${req.partNumber}: the ETag is not the one its upload answered`);
    }
    parts.push(part);
  }
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < minPartBytes) {
      throw partsError(
        `part ${p.partNumber} has ${p.size} bytes; every part but the last needs at least ` +
          `${minPartBytes}`,
      );
    }
  });
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (size > MAX_OBJECT_BYTES) {
    throw partsError(`the object would have ${size} bytes; the limit is ${MAX_OBJECT_BYTES}`);
  }
  const now = Date.now();
  const keep = toRuns(parts.map((p) => p.partNumber));
  return {
    record: {
      size,
      etag: multipartEtag(parts.map((p) => p.etag)),
      lastModified: now,
      createdAt: now,
      headers: upload.headers,
      userMeta: upload.userMeta,
      checksum: objectChecksum(upload, parts),
      layout: { kind: "parts", uploadId: upload.uploadId, partCount: parts.length, runs: keep },
    },
    keep,
  };
}

/** COMPOSITE: the checksum of the part checksums; FULL_OBJECT: the CRCs combined. */
function objectChecksum(upload: UploadRecord, parts: PartRecord[]): StoredChecksum | null {
  const alg = upload.checksumAlgorithm;
  if (!alg || !upload.checksumType) return null;
  const raws = parts.map((p) => {
    const raw = p.checksumAlgorithm === alg && p.checksum ? fromBase64Strict(p.checksum) : null;
    if (!raw) throw partsError(`part ${p.partNumber} has no ${alg} checksum`);
    return raw;
  });
  if (upload.checksumType === "COMPOSITE") {
    return { algorithm: alg, value: compositeChecksum(alg, raws), type: "COMPOSITE" };
  }
  const whole = combineCrc(alg, parts.map((p, i) => ({ raw: raws[i], length: p.size })));
  return { algorithm: alg, value: toBase64(whole), type: "FULL_OBJECT" };
}
