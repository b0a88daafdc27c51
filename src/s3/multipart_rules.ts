/**
 * S3's rules for completing a multipart upload, shared by the S3 listener's
 * CompleteMultipartUpload and the management API's completion: the part list must ascend,
 * name uploaded parts with their ETags (and checksums, when given), keep every part but the
 * last at least the minimum size, and stay within 5 TiB. Pure: no I/O, errors are S3Errors.
 */
import { MAX_OBJECT_BYTES, MAX_PARTS } from "../storage/limits.ts";
import { toRuns } from "../storage/parts.ts";
import type { PartRecord, StoredChecksum, UploadRecord } from "../storage/records.ts";
import type { Completion } from "../storage/uploads.ts";
import {
  type ChecksumAlgorithm,
  combineCrc,
  compositeChecksum,
  fromBase64Strict,
  multipartEtag,
  toBase64,
} from "./checksums.ts";
import { S3Error } from "./errors.ts";

/** A part the client asks to keep. */
export interface RequestedPart {
  partNumber: number;
  /** Without quotes. */
  etag: string;
  /** Checksums the client states for the part, by algorithm (base64). */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

/**
 * Checks `requested` against the stored parts and builds the object record from the parts
 * it keeps. Throws InvalidPartOrder, InvalidPart, EntityTooSmall, EntityTooLarge or
 * InvalidArgument as S3 does.
 *
 * @example completeParts(upload, await uploads.allParts(id), [{ partNumber: 1, etag }], 5 * MiB)
 */
export function completeParts(
  upload: UploadRecord,
  stored: PartRecord[],
  requested: RequestedPart[],
  minPartBytes: number,
  now = Date.now(),
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
    const where = {
      UploadId: upload.uploadId,
      PartNumber: String(req.partNumber),
      ETag: req.etag,
    };
    if (!part || part.etag.replaceAll('"', "") !== req.etag) {
      throw new S3Error("InvalidPart", undefined, where);
    }
    for (const [alg, value] of Object.entries(req.checksums ?? {})) {
      if (part.checksumAlgorithm !== alg || part.checksum !== value) {
        throw new S3Error(
          "InvalidPart",
          `The ${alg} checksum of part ${req.partNumber} does not match the uploaded part.`,
          where,
        );
      }
    }
    parts.push(part);
  }
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < minPartBytes) {
      throw new S3Error("EntityTooSmall", undefined, {
        ProposedSize: String(p.size),
        MinSizeAllowed: String(minPartBytes),
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
