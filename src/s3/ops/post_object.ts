import {
  checkPostPolicy,
  type ContentLengthRange,
  decodePostPolicy,
  missingFieldError,
  readPostAuth,
  verifyPolicySignature,
} from "../../auth/post_policy.ts";
import { openPayload } from "../../auth/payload.ts";
import type { BlobWriter } from "../../storage/blobs.ts";
import { type ObjectRecord, singleBlobObject, type StoredChecksum } from "../../storage/records.ts";
import { MAX_BLOB_BYTES, MAX_KEY_BYTES } from "../../storage/limits.ts";
import { isValidBucketName, utf8Length } from "../address.ts";
import {
  checksumHeaderName,
  checksumMismatchError,
  contentMd5Check,
  createChecksum,
  createMd5,
  fromBase64Strict,
} from "../checksums.ts";
import {
  ownedBucket,
  respond,
  type S3Answer,
  type S3App,
  type S3Context,
  xmlResponse,
} from "../context.ts";
import { S3Error } from "../errors.ts";
import { boundaryOf, FormDataReader } from "../form_data.ts";
import { storedHeaders } from "../object_headers.ts";
import {
  postChecksumRequest,
  type PostFormFields,
  postObjectHeaders,
  readPostForm,
} from "../post_form.ts";
import type { S3Operation } from "../router.ts";
import type { Query } from "../query.ts";
import { el, xmlDoc } from "../xml.ts";

/** How far past content-length-range an upload is still read, to report its ProposedSize. */
const MAX_OVERSIZE_DRAIN = 8 * 1024 * 1024;

/** What the handler knows of a PostObject before the form authenticates it. */
export interface PostObjectRequest {
  app: S3App;
  req: Request;
  /** `op.key` is set to the form's key once it is known (for the log line and errors). */
  op: S3Operation;
  query: Query;
  requestId: string;
}

/**
 * PostObject: a browser upload, `multipart/form-data` with a SigV4-signed POST policy in its
 * fields. The request itself is unsigned, so this operation authenticates: it reads the
 * fields up to `file` (capped), verifies the policy's signature, then ownership, then the
 * policy's conditions, and streams the file into a blob, enforcing content-length-range as
 * it goes. Fields after `file` are ignored, but the body must end with its closing boundary
 * before anything is committed, exactly as PutObject commits.
 *
 * `onAuthenticated` receives the request context once the caller is known, so the access log
 * can name the access key and count the bytes.
 */
export async function postObject(
  pre: PostObjectRequest,
  onAuthenticated: (ctx: S3Context) => void,
): Promise<S3Answer> {
  const { app, req } = pre;
  const boundary = boundaryOf(req.headers.get("content-type"));
  const length = req.headers.get("content-length");
  const payload = openPayload(req.body, { kind: "unsigned" }, {
    contentLength: length !== null && /^\d{1,16}$/.test(length) ? Number(length) : null,
    maxBytes: MAX_BLOB_BYTES + 1024 * 1024,
    idleTimeoutMs: app.config.bodyTimeoutSeconds * 1000,
  });
  const form = new FormDataReader(payload.chunks(), boundary);
  let ctx: S3Context | null = null;
  try {
    const fields = await readPostForm(form);
    const key = fields.get("key")?.value;
    if (key === undefined) throw missingFieldError("key");
    const auth = readPostAuth(fields);
    // No issued key is this long, and a form may carry one past Deno KV's 2 KiB key limit.
    const credential = auth.accessKey.length <= 128
      ? await app.store.credentials.get(auth.accessKey)
      : null;
    if (!credential?.isActive) {
      throw new S3Error("InvalidAccessKeyId", undefined, { AWSAccessKeyId: auth.accessKey });
    }
    verifyPolicySignature(auth, credential.secretKey);
    pre.op.key = key;
    ctx = {
      app,
      req,
      op: pre.op,
      bucket: pre.op.bucket ?? "",
      key,
      query: pre.query,
      headers: req.headers,
      requestId: pre.requestId,
      credential,
      auth: {
        accessKey: auth.accessKey,
        presigned: false,
        payload: { kind: "unsigned" },
        region: auth.region,
      },
      bytesIn: 0,
      bytesOut: 0,
    };
    onAuthenticated(ctx);
    if (!isValidBucketName(ctx.bucket)) {
      throw new S3Error("InvalidBucketName", undefined, { BucketName: ctx.bucket });
    }
    const bucket = await ownedBucket(ctx);
    const range = checkPostPolicy(decodePostPolicy(auth.policy), fields, {
      bucket: ctx.bucket,
      now: Date.now(),
    });
    if (key === "") {
      throw new S3Error("InvalidArgument", "User key must have a length greater than 0.");
    }
    if (utf8Length(key) > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError");
    const meta = storedHeaders(postObjectHeaders(fields));
    const file = await receiveFile(ctx, form, fields, range);
    const record = singleBlobObject(file, meta);
    await app.store.objects.put(bucket, key, record);
    return postResponse(ctx, fields, record);
  } finally {
    if (ctx) ctx.bytesIn = payload.bytesRead;
    await form.close();
  }
}

/** The file as received and verified: a durable blob (none when empty), ETag and checksum. */
interface ReceivedFile {
  blobId: string | null;
  size: number;
  md5Hex: string;
  checksum: StoredChecksum | null;
}

/**
 * Streams the file part into a blob with MD5 and the requested checksum, enforcing the size
 * range while streaming. Commits the blob only once the form's closing boundary arrived and
 * every check passed; on any failure the temp file is removed.
 */
async function receiveFile(
  ctx: S3Context,
  form: FormDataReader,
  fields: PostFormFields,
  range: ContentLengthRange | null,
): Promise<ReceivedFile> {
  const wanted = postChecksumRequest(fields);
  const contentMd5 = fields.get("content-md5")?.value ?? null;
  if (contentMd5 !== null && fromBase64Strict(contentMd5.trim())?.length !== 16) {
    throw new S3Error("InvalidDigest");
  }
  const max = Math.min(range?.max ?? MAX_BLOB_BYTES, MAX_BLOB_BYTES);
  const md5 = createMd5();
  const checksum = wanted ? createChecksum(wanted.algorithm) : null;
  let blob: BlobWriter | null = null;
  let size = 0;
  try {
    for await (const chunk of form.body()) {
      size += chunk.length;
      if (size > max) throw await entityTooLarge(form, size, max);
      md5.update(chunk);
      checksum?.update(chunk);
      blob ??= await ctx.app.store.blobs.create();
      await blob.write(chunk);
    }
    // Parts after the file are ignored, but the form must be complete.
    while (await form.nextPart() !== null) { /* skipped */ }
    if (range && size < range.min) {
      throw new S3Error(
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        { ProposedSize: String(size), MinSizeAllowed: String(range.min) },
      );
    }
    contentMd5Check(contentMd5, md5.digestRaw());
    if (checksum && wanted?.expected && checksum.digestBase64() !== wanted.expected) {
      throw checksumMismatchError(checksum.algorithm);
    }
    const blobId = blob ? await blob.commit() : null;
    return {
      blobId,
      size,
      md5Hex: md5.digestHex(),
      checksum: checksum &&
        { algorithm: checksum.algorithm, value: checksum.digestBase64(), type: "FULL_OBJECT" },
    };
  } catch (err) {
    await blob?.abort();
    throw err;
  }
}

/** EntityTooLarge with the upload's full size when it ends within a bounded drain. */
async function entityTooLarge(form: FormDataReader, seen: number, max: number): Promise<S3Error> {
  let size = seen;
  for await (const chunk of form.body()) {
    size += chunk.length;
    if (size - seen > MAX_OVERSIZE_DRAIN) break;
  }
  const extra: Record<string, string> = { MaxSizeAllowed: String(max) };
  if (size - seen <= MAX_OVERSIZE_DRAIN) extra.ProposedSize = String(size);
  return new S3Error(
    "EntityTooLarge",
    "Your proposed upload exceeds the maximum allowed size",
    extra,
  );
}

/**
 * The answer S3 gives: a 303 to `success_action_redirect` (or the deprecated `redirect`) with
 * bucket, key and etag appended to its query, when it is an absolute http(s) URL (S3 ignores
 * one it cannot interpret); else `success_action_status` 201 (a PostResponse document), 200,
 * or 204 for anything else. ETag and Location (the object's URL) come with every answer.
 */
function postResponse(ctx: S3Context, fields: PostFormFields, record: ObjectRecord): S3Answer {
  const { bucket, key } = ctx;
  const url = new URL(ctx.req.url);
  const prefix = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  const location = `${url.origin}${prefix}/${encodeURIComponent(key)}`;
  const headers: Record<string, string> = { etag: record.etag, location };
  if (record.checksum) {
    headers[checksumHeaderName(record.checksum.algorithm)] = record.checksum.value;
    headers["x-amz-checksum-type"] = record.checksum.type;
  }
  const target = redirectTarget(
    fields.get("success_action_redirect")?.value ?? fields.get("redirect")?.value,
    new URLSearchParams({ bucket, key, etag: record.etag }).toString(),
  );
  if (target !== null) {
    return respond(ctx, null, 303, { ...headers, location: target });
  }
  switch (fields.get("success_action_status")?.value) {
    case "201": {
      const body = xmlDoc("PostResponse", [
        el("Location", location),
        el("Bucket", bucket),
        el("Key", key),
        el("ETag", record.etag),
      ], { xmlns: false });
      return xmlResponse(ctx, body, { status: 201, headers });
    }
    case "200":
      return respond(ctx, null, 200, headers);
    default:
      return respond(ctx, null, 204, headers);
  }
}

/** `url` with `query` appended (after any query it has, before any fragment), or null. */
function redirectTarget(raw: string | undefined, query: string): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const hash = url.hash;
  url.hash = "";
  const base = url.href;
  const sep = base.endsWith("?") || base.endsWith("&") ? "" : url.search ? "&" : "?";
  return base + sep + query + hash;
}
