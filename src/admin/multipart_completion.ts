/**
 * Completing a multipart upload from the management API: the JSON part list, checked with
 * the same rules as the S3 listener's CompleteMultipartUpload; a broken rule answers 400
 * with `field: "parts"`.
 */
import { S3Error } from "../s3/errors.ts";
import { completeParts, type RequestedPart } from "../s3/multipart_rules.ts";
import { MAX_PARTS } from "../storage/limits.ts";
import type { PartRecord, UploadRecord } from "../storage/records.ts";
import type { Completion } from "../storage/uploads.ts";
import { ApiError } from "./errors.ts";
import type { JsonObject } from "./validate.ts";

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
 * Builds the object from the stored parts with S3's completion rules (src/s3/multipart_rules.ts),
 * reporting a broken rule as a 400 on `parts` instead of an S3 error code.
 */
export function buildCompletion(
  upload: UploadRecord,
  stored: PartRecord[],
  requested: RequestedPart[],
  minPartBytes: number,
): Completion {
  try {
    return completeParts(upload, stored, requested, minPartBytes);
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    throw partsError(ruleMessage(err));
  }
}

/** The broken rule in the management API's words. */
function ruleMessage(err: S3Error): string {
  const { PartNumber: part, ProposedSize: size, MinSizeAllowed: min, MaxSizeAllowed: max } =
    err.extra;
  switch (err.code) {
    case "InvalidPartOrder":
      return "parts must be listed in ascending part_number order, each once";
    case "InvalidPart":
      return err.message.startsWith("The ") && part
        ? err.message
        : `part ${part} was not uploaded, or its ETag is not the one its upload answered`;
    case "EntityTooSmall":
      return `part ${part} has ${size} bytes; every part but the last needs at least ${min}`;
    case "EntityTooLarge":
      return `the object would have ${size} bytes; the limit is ${max}`;
    default:
      return err.message;
  }
}
