import { StorageError } from "../../storage/errors.ts";
import type { ObjectRecord, StoredChecksum } from "../../storage/records.ts";
import { checksumHeaderName, checksumMap, checksumMismatchError } from "../checksums.ts";
import { ownedBucket, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { S3Error } from "../errors.ts";
import { readSmallBody } from "../ingest.ts";
import { completeParts } from "../multipart_rules.ts";
import { renderCompleteMultipartUploadResult } from "../xml.ts";
import { MAX_COMPLETE_XML_BYTES, parseCompleteMultipartUpload } from "../xml_parse.ts";
import { currentUpload } from "./multipart.ts";

/**
 * CompleteMultipartUpload: validates the client's part list against the stored parts and
 * commits the object in one KV atomic. No data is copied: the object is its parts.
 */
export async function completeMultipartUpload(ctx: S3Context): Promise<S3Answer> {
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
      (current, parts) => {
        const completion = completeParts(
          current,
          parts,
          requested,
          ctx.app.config.minPartSizeBytes,
        );
        verifyRequestChecksum(ctx.headers, completion.record.checksum);
        return completion;
      },
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
    ctx,
    renderCompleteMultipartUploadResult({
      location: `${base}/${ctx.bucket}/${encodeURIComponent(ctx.key).replaceAll("%2F", "/")}`,
      bucket: ctx.bucket,
      key: ctx.key,
      etag: record.etag,
      checksums: checksumMap(record.checksum),
      checksumType: record.checksum?.type,
    }),
    { headers },
  );
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
