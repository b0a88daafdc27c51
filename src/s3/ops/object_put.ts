import { inlineLimitFor, singleBlobObject } from "../../storage/records.ts";
import { checksumHeaderName } from "../checksums.ts";
import { ownedBucket, respond, type S3Answer, type S3Context } from "../context.ts";
import { ingestBody } from "../ingest.ts";
import { storedHeaders } from "../object_headers.ts";

/**
 * PutObject: the body streams to a new blob (or, when small, into the record), then one KV
 * commit makes it the object.
 * Nothing of a failed upload (bad digest, short body, lost connection) is kept, and the
 * previous version stays readable until the commit.
 */
export async function putObject(ctx: S3Context): Promise<S3Answer> {
  const bucket = await ownedBucket(ctx);
  const meta = storedHeaders(ctx.headers);
  const body = await ingestBody(ctx, { inlineUpTo: inlineLimitFor(meta) });
  const record = singleBlobObject(body, meta);
  await ctx.app.store.objects.put(bucket, ctx.key, record);
  const headers: Record<string, string> = { etag: record.etag };
  if (body.checksum) {
    headers[checksumHeaderName(body.checksum.algorithm)] = body.checksum.value;
    headers["x-amz-checksum-type"] = body.checksum.type;
  }
  return respond(ctx, null, 200, headers);
}
