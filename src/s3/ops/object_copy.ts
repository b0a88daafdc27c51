import { inlineLimitFor, singleBlobObject } from "../../storage/records.ts";
import { checksumHeaderName, checksumMap, parseChecksumAlgorithm } from "../checksums.ts";
import { ownedBucket, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { copySourceData, parseCopySource } from "../copy_source.ts";
import { S3Error } from "../errors.ts";
import { storedHeaders } from "../object_headers.ts";
import { renderCopyObjectResult } from "../xml.ts";

/**
 * CopyObject: metadata is copied (COPY, the default) or taken from this request (REPLACE).
 * Copying an object onto itself is only allowed with REPLACE, as in S3.
 */
export async function copyObject(ctx: S3Context): Promise<S3Answer> {
  const bucket = await ownedBucket(ctx);
  const source = parseCopySource(ctx.headers.get("x-amz-copy-source")!);
  const directive = (ctx.headers.get("x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", "Unknown metadata directive.", {
      ArgumentName: "x-amz-metadata-directive",
      ArgumentValue: directive,
    });
  }
  if (source.bucket === ctx.bucket && source.key === ctx.key && directive === "COPY") {
    throw new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const replaced = directive === "REPLACE" ? storedHeaders(ctx.headers) : null;
  const algHeader = ctx.headers.get("x-amz-checksum-algorithm");
  const algorithm = algHeader === null ? null : parseChecksumAlgorithm(algHeader);
  if (algHeader !== null && !algorithm) {
    throw new S3Error("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.");
  }

  const { source: src, copied } = await copySourceData(ctx, source, {
    rangeHeader: null,
    algorithm,
    inlineUpTo: (src) => inlineLimitFor(replaced ?? src),
  });
  const record = singleBlobObject(copied, replaced ?? src);
  await ctx.app.store.objects.put(bucket, ctx.key, record);
  const headers: Record<string, string> = {};
  if (record.checksum) {
    headers[checksumHeaderName(record.checksum.algorithm)] = record.checksum.value;
  }
  return xmlResponse(
    ctx,
    renderCopyObjectResult({
      etag: record.etag,
      lastModified: new Date(record.lastModified),
      checksums: checksumMap(record.checksum),
      checksumType: record.checksum?.type,
    }),
    { headers },
  );
}
