import { MAX_KEY_BYTES } from "../../storage/limits.ts";
import { utf8Length } from "../address.ts";
import { ownedBucket, respond, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { readSmallBody } from "../ingest.ts";
import { renderDeleteResult } from "../xml.ts";
import type { DeleteResultData } from "../xml_types.ts";
import { MAX_DELETE_XML_BYTES, parseDeleteObjects } from "../xml_parse.ts";

/** DeleteObject: 204 whether or not the key existed, as S3 answers without versioning. */
export async function deleteObject(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  await ctx.app.store.objects.delete(ctx.bucket, ctx.key);
  return respond(ctx, null, 204);
}

/**
 * DeleteObjects (`POST ?delete`): up to 1000 keys, a result per key (missing keys count as
 * deleted, as in S3); quiet mode reports only the errors.
 */
export async function deleteObjects(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const request = parseDeleteObjects(await readSmallBody(ctx, MAX_DELETE_XML_BYTES));
  const result: DeleteResultData = { deleted: [], errors: [] };
  const valid: string[] = [];
  for (const { key } of request.objects) {
    if (key === "") {
      result.errors.push({ key, code: "InvalidArgument", message: "Invalid key: empty." });
    } else if (utf8Length(key) > MAX_KEY_BYTES) {
      result.errors.push({ key, code: "KeyTooLongError", message: "Your key is too long." });
    } else {
      valid.push(key);
    }
  }
  await ctx.app.store.objects.deleteMany(ctx.bucket, valid);
  if (!request.quiet) result.deleted = valid.map((key) => ({ key }));
  return xmlResponse(ctx, renderDeleteResult(result));
}
