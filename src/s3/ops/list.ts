import type { ListPage } from "../../storage/listing.ts";
import { ownedBucket, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { S3Error } from "../errors.ts";
import { ownerOf } from "../owner.ts";
import { renderListObjectsV1Result, renderListObjectsV2Result } from "../xml_list.ts";
import type { Query } from "../query.ts";
import type { ListedObject } from "../xml_types.ts";

const MAX_KEYS = 1000;

/** ListObjects (V1): marker paging; NextMarker only with a delimiter, as S3 sends it. */
export async function listObjectsV1(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const common = commonParams(ctx);
  const marker = ctx.query.get("marker") ?? "";
  const { page, fields } = await listPage(ctx, common, marker || null);
  return xmlResponse(
    ctx,
    renderListObjectsV1Result({
      ...fields,
      marker,
      nextMarker: common.delimiter && page.isTruncated ? page.last ?? undefined : undefined,
      owner: ownerOf(ctx.credential),
    }),
  );
}

/** ListObjectsV2: opaque continuation tokens, start-after, fetch-owner, KeyCount. */
export async function listObjectsV2(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const common = commonParams(ctx);
  const token = ctx.query.get("continuation-token");
  const startAfter = ctx.query.get("start-after");
  const resumeAfter = token !== null ? decodeToken(token) : startAfter || null;
  const { page, fields } = await listPage(ctx, common, resumeAfter);
  return xmlResponse(
    ctx,
    renderListObjectsV2Result({
      ...fields,
      startAfter: startAfter ?? undefined,
      continuationToken: token ?? undefined,
      nextContinuationToken: page.isTruncated && page.last !== null
        ? encodeToken(page.last)
        : undefined,
      keyCount: page.objects.length + page.commonPrefixes.length,
      owner: ctx.query.get("fetch-owner") === "true" ? ownerOf(ctx.credential) : undefined,
    }),
  );
}

/** One page of the bucket, and the result fields both ListObjects versions fill alike. */
async function listPage(
  ctx: S3Context,
  common: ReturnType<typeof commonParams>,
  startAfter: string | null,
) {
  const page = await ctx.app.store.listObjects(ctx.bucket, {
    prefix: common.prefix,
    delimiter: common.delimiter,
    startAfter,
    maxKeys: common.maxKeys,
  });
  const fields = {
    name: ctx.bucket,
    prefix: common.prefix,
    maxKeys: common.maxKeys,
    delimiter: common.delimiter ?? undefined,
    encodingType: common.encodingType,
    isTruncated: page.isTruncated,
    contents: listed(page),
    commonPrefixes: page.commonPrefixes,
  };
  return { page, fields };
}

/** `encoding-type`: absent, or `url` (any other value is refused, as S3 does). */
export function encodingTypeParam(q: Query): "url" | undefined {
  const encoding = q.get("encoding-type");
  if (encoding !== null && encoding !== "url") {
    throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", {
      ArgumentName: "encoding-type",
      ArgumentValue: encoding,
    });
  }
  return encoding === "url" ? "url" : undefined;
}

function commonParams(ctx: S3Context) {
  const q = ctx.query;
  const encodingType = encodingTypeParam(q);
  const rawMax = q.get("max-keys");
  if (rawMax !== null && !/^\d+$/.test(rawMax)) {
    throw new S3Error(
      "InvalidArgument",
      "Provided max-keys not an integer or within integer range",
      {
        ArgumentName: "max-keys",
        ArgumentValue: rawMax,
      },
    );
  }
  return {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") || null,
    maxKeys: rawMax === null ? MAX_KEYS : Math.min(Number(rawMax), MAX_KEYS),
    encodingType,
  };
}

function listed(page: ListPage): ListedObject[] {
  return page.objects.map(({ key, entry }) => ({
    key,
    lastModified: new Date(entry.lastModified),
    etag: entry.etag,
    size: entry.size,
    checksumAlgorithm: entry.checksumAlgorithm ? [entry.checksumAlgorithm] : undefined,
    checksumType: entry.checksumType ?? undefined,
  }));
}

/** Continuation tokens are opaque to clients: the key to resume after, base64url-encoded. */
function encodeToken(after: string): string {
  const bytes = new TextEncoder().encode(after);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

function decodeToken(token: string): string {
  try {
    const bin = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
      ArgumentValue: token,
    });
  }
}
