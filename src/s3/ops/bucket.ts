import { StorageError } from "../../storage/errors.ts";
import { ownedBucket, respond, type S3Answer, type S3Context, xmlResponse } from "../context.ts";
import { readSmallBody } from "../ingest.ts";
import { S3Error } from "../errors.ts";
import { ownerOf } from "../owner.ts";
import {
  renderAccessControlPolicy,
  renderLocationConstraint,
  renderVersioningConfiguration,
} from "../xml.ts";
import { parseCreateBucketConfiguration } from "../xml_parse.ts";

/** A CreateBucketConfiguration is a few hundred bytes; anything much larger is not one. */
const MAX_CREATE_BUCKET_XML = 64 * 1024;

/**
 * CreateBucket. Re-creating your own bucket answers 200 in us-east-1 (Amazon's legacy
 * behaviour there) and BucketAlreadyOwnedByYou elsewhere; another owner's name is
 * BucketAlreadyExists.
 */
export async function createBucket(ctx: S3Context): Promise<S3Answer> {
  const body = await readSmallBody(ctx, MAX_CREATE_BUCKET_XML);
  const location = body.trim() ? parseCreateBucketConfiguration(body).locationConstraint : null;
  const serverRegion = ctx.app.config.region;
  if (location !== null && location !== serverRegion && !(location === "" || location === "US")) {
    throw new S3Error(
      "InvalidLocationConstraint",
      `The specified location-constraint is not valid: this server's region is ${serverRegion}.`,
      { LocationConstraint: location },
    );
  }
  try {
    await ctx.app.store.buckets.create({
      name: ctx.bucket,
      ownerId: ctx.credential.id,
      region: serverRegion,
      createdAt: Date.now(),
    });
  } catch (err) {
    // The credential was deleted while this request was on its way.
    if (err instanceof StorageError && err.kind === "CredentialNotFound") {
      throw new S3Error("InvalidAccessKeyId", undefined, {
        AWSAccessKeyId: ctx.credential.accessKey,
      });
    }
    if (!(err instanceof StorageError) || err.kind !== "BucketExists") throw err;
    if (err.message !== String(ctx.credential.id)) {
      throw new S3Error("BucketAlreadyExists", undefined, { BucketName: ctx.bucket });
    }
    if (serverRegion !== "us-east-1") {
      throw new S3Error("BucketAlreadyOwnedByYou", undefined, { BucketName: ctx.bucket });
    }
  }
  return respond(ctx, null, 200, { location: `/${ctx.bucket}` });
}

/** HeadBucket: 200 with the bucket's region, or the error without a body. */
export async function headBucket(ctx: S3Context): Promise<S3Answer> {
  const bucket = await ownedBucket(ctx);
  return respond(ctx, null, 200, { "x-amz-bucket-region": bucket.record.region });
}

/** DeleteBucket: only when empty; incomplete multipart uploads are aborted with it. */
export async function deleteBucket(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  try {
    await ctx.app.store.deleteBucket(ctx.bucket);
  } catch (err) {
    if (err instanceof StorageError && err.kind === "BucketNotEmpty") {
      throw new S3Error("BucketNotEmpty", undefined, { BucketName: ctx.bucket });
    }
    throw err;
  }
  return respond(ctx, null, 204);
}

/** GetBucketLocation: empty for us-east-1, as Amazon answers. */
export async function getBucketLocation(ctx: S3Context): Promise<S3Answer> {
  const bucket = await ownedBucket(ctx);
  return xmlResponse(ctx, renderLocationConstraint(bucket.record.region));
}

/** GetBucketVersioning: vStash never versions, which S3 shows as an empty configuration. */
export async function getBucketVersioning(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  return xmlResponse(ctx, renderVersioningConfiguration());
}

/** GetBucketAcl / GetObjectAcl: the owner has FULL_CONTROL; there are no other grants. */
export async function getAcl(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  if (ctx.op.name === "GetObjectAcl" && !await ctx.app.store.objects.get(ctx.bucket, ctx.key)) {
    throw new S3Error("NoSuchKey", undefined, { Key: ctx.key });
  }
  return xmlResponse(ctx, renderAccessControlPolicy({ owner: ownerOf(ctx.credential) }));
}
