import { ownedBucket, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { S3Error } from "../errors.ts";
import { ownerOf } from "../owner.ts";
import { renderListMultipartUploadsResult, renderListPartsResult } from "../xml_list.ts";
import { encodingTypeParam } from "./list.ts";
import { currentUpload } from "./multipart.ts";

const MAX_LISTED = 1000;

/** ListParts: parts in number order, paged with part-number-marker and max-parts. */
export async function listParts(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const upload = await currentUpload(ctx);
  const marker = integerParam(ctx, "part-number-marker", 0);
  const maxParts = Math.min(integerParam(ctx, "max-parts", MAX_LISTED), MAX_LISTED);
  const { parts, isTruncated } = await ctx.app.store.uploads.listParts(
    upload.uploadId,
    marker,
    maxParts,
  );
  const owner = ownerOf(ctx.credential);
  return xmlResponse(
    ctx,
    renderListPartsResult({
      bucket: ctx.bucket,
      key: ctx.key,
      uploadId: upload.uploadId,
      initiator: owner,
      owner,
      partNumberMarker: marker,
      nextPartNumberMarker: parts.at(-1)?.partNumber ?? 0,
      maxParts,
      isTruncated,
      checksumAlgorithm: upload.checksumAlgorithm ?? undefined,
      checksumType: upload.checksumType ?? undefined,
      parts: parts.map((p) => ({
        partNumber: p.partNumber,
        lastModified: new Date(p.lastModified),
        etag: p.etag,
        size: p.size,
        checksums: p.checksum && p.checksumAlgorithm ? { [p.checksumAlgorithm]: p.checksum } : {},
      })),
    }),
  );
}

/** ListMultipartUploads: in-progress uploads by key, then by initiation. */
export async function listMultipartUploads(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const q = ctx.query;
  const encodingType = encodingTypeParam(q);
  const keyMarker = q.get("key-marker") || null;
  // S3 ignores upload-id-marker unless a key-marker is given.
  const uploadIdMarker = keyMarker !== null ? q.get("upload-id-marker") || null : null;
  const maxUploads = Math.min(integerParam(ctx, "max-uploads", MAX_LISTED), MAX_LISTED);
  const page = await ctx.app.store.uploads.list(ctx.bucket, {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") || null,
    keyMarker,
    uploadIdMarker,
    maxUploads,
  });
  const owner = ownerOf(ctx.credential);
  const last = page.uploads.at(-1);
  return xmlResponse(
    ctx,
    renderListMultipartUploadsResult({
      bucket: ctx.bucket,
      keyMarker: keyMarker ?? "",
      uploadIdMarker: uploadIdMarker ?? "",
      nextKeyMarker: page.isTruncated ? last?.key ?? page.commonPrefixes.at(-1) ?? "" : "",
      nextUploadIdMarker: page.isTruncated ? last?.uploadId ?? "" : "",
      delimiter: q.get("delimiter") || undefined,
      prefix: q.get("prefix") || undefined,
      maxUploads,
      encodingType,
      isTruncated: page.isTruncated,
      uploads: page.uploads.map((u) => ({
        key: u.key,
        uploadId: u.uploadId,
        initiator: owner,
        owner,
        initiated: new Date(u.initiated),
        checksumAlgorithm: u.checksumAlgorithm ?? undefined,
        checksumType: u.checksumType ?? undefined,
      })),
      commonPrefixes: page.commonPrefixes,
    }),
  );
}

function integerParam(ctx: S3Context, name: string, fallback: number): number {
  const v = ctx.query.get(name);
  if (v === null || v === "") return fallback;
  if (!/^\d{1,9}$/.test(v)) {
    throw new S3Error(
      "InvalidArgument",
      `Provided ${name} not an integer or within integer range`,
      {
        ArgumentName: name,
        ArgumentValue: v,
      },
    );
  }
  return Number(v);
}
