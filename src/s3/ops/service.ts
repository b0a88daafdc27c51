import { type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { ownerOf } from "../owner.ts";
import { renderListAllMyBucketsResult } from "../xml_list.ts";

/** ListBuckets: the caller's buckets only, in name order. */
export async function listBuckets(ctx: S3Context): Promise<S3Answer> {
  const prefix = ctx.query.get("prefix") ?? "";
  const buckets = (await ctx.app.store.buckets.list(ctx.credential.id))
    .filter((b) => b.name.startsWith(prefix));
  return xmlResponse(
    ctx,
    renderListAllMyBucketsResult({
      owner: ownerOf(ctx.credential),
      buckets: buckets.map((b) => ({
        name: b.name,
        creationDate: new Date(b.createdAt),
        bucketRegion: b.region,
      })),
      prefix: ctx.query.has("prefix") ? prefix : undefined,
    }),
  );
}
