import { verifySigV4 } from "../auth/sigv4.ts";
import { memoized } from "../memo.ts";
import type { CredentialRecord } from "../storage/records.ts";
import { PRESIGN_ID_PARAM } from "../storage/presigns.ts";
import { isValidBucketName, type S3Address } from "./address.ts";
import type { S3App, S3Context } from "./context.ts";
import { S3Error } from "./errors.ts";
import type { Query } from "./query.ts";
import type { S3Operation } from "./router.ts";

/** A server sees few bucket names, and the rules take several regular expressions. */
const validBucketName = memoized(1024, isValidBucketName);

/**
 * Authenticates a header-signed or presigned request and builds its context: Signature V4,
 * the management API's revocable presign records, the bucket name, and the credential's
 * active flag (read from the cache every request, so deactivation takes effect at once).
 */
export async function authenticate(
  app: S3App,
  req: Request,
  addr: S3Address,
  op: S3Operation,
  query: Query,
  requestId: string,
): Promise<S3Context> {
  // The record the signature was checked against is the one the request runs as: one lookup.
  const looked: { record: CredentialRecord | null } = { record: null };
  const auth = await verifySigV4({
    method: req.method,
    rawPath: addr.rawPath,
    rawQuery: addr.rawQuery,
    query,
    headers: req.headers,
    now: new Date(),
  }, async (accessKey) => {
    const c = looked.record = await app.store.credentials.get(accessKey);
    return c && { accessKey: c.accessKey, secretKey: c.secretKey, active: c.isActive };
  });
  // A presigned URL made by the management API names its record: revoked, expired or
  // reused for another object or method, it is refused here. SDK-made URLs carry no id.
  const presignId = auth.presigned ? query.get(PRESIGN_ID_PARAM) : null;
  if (presignId !== null) {
    const refusal = await app.store.presigns.refusal(presignId, {
      bucket: op.bucket,
      key: op.key,
      method: req.method,
      accessKey: auth.accessKey,
    });
    if (refusal !== null) throw new S3Error("AccessDenied", refusal);
  }
  if (op.bucket !== null && !validBucketName(op.bucket)) {
    throw new S3Error("InvalidBucketName", undefined, { BucketName: op.bucket });
  }
  // verifySigV4 refused a missing or inactive credential, so this one is active.
  const credential = looked.record;
  if (credential === null) throw new S3Error("InvalidAccessKeyId");
  return {
    app,
    req,
    op,
    bucket: op.bucket ?? "",
    key: op.key ?? "",
    query,
    headers: req.headers,
    requestId,
    credential,
    auth,
    bytesIn: 0,
    bytesOut: 0,
  };
}
