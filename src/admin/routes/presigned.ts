import { Hono } from "hono";
import { awsEncode, MAX_PRESIGN_EXPIRES, presignUrl } from "../../auth/sigv4.ts";
import { isActive, newPresignId, PRESIGN_ID_PARAM } from "../../storage/presigns.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { isString, nextCursor, pageRequest } from "../pagination.ts";
import {
  checkBucketName,
  OBJECT_KEY_RULES,
  optInteger,
  optString,
  readJsonObject,
  reqString,
} from "../validate.ts";
import { done, presignView } from "../views.ts";

/**
 * Methods a presigned URL can be made for. POST is refused: on an object key S3 only answers
 * POST with `?uploads` or `?uploadId=` (multipart steps, which need more than one URL), and
 * browser form uploads use a POST policy, not a presigned URL.
 */
const METHODS = ["GET", "PUT", "DELETE", "HEAD"];
const DEFAULT_EXPIRES = 3600;

/**
 * Presigned URLs: made here with the owner's secret, recorded in KV, revocable. The record id
 * rides in the signed query, so the S3 listener can refuse a revoked URL on its next use.
 */
export function presignedRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const { store, config, log } = deps;
  const r = new Hono<AdminEnv>();

  r.get("/presigned-urls", async (c) => {
    const page = pageRequest(c, isString);
    const listed = await store.presigns.listActive(page.after, page.limit);
    return c.json({
      urls: listed.records.map(presignView),
      next_cursor: nextCursor(listed.records.at(-1)?.id, listed.more),
    });
  });

  r.post("/presigned-urls", async (c) => {
    const body = await readJsonObject(c, [
      "bucket_name",
      "object_key",
      "method",
      "expires_in",
      "access_key",
    ]);
    const bucketName = checkBucketName("bucket_name", reqString(body, "bucket_name"));
    const key = reqString(body, "object_key", OBJECT_KEY_RULES);
    if (key.split("/").some((s) => s === "." || s === "..")) {
      throw new ApiError(
        400,
        "object_key has a '.' or '..' path segment, which URL parsers (and curl) collapse: " +
          "such a key cannot travel in a URL unchanged",
        "object_key",
      );
    }
    const method = (optString(body, "method") ?? "GET").toUpperCase();
    if (method === "POST") {
      throw new ApiError(
        400,
        "method POST is not supported: no single S3 request on an object key is a POST " +
          "(multipart uploads need several requests; use PUT for a one-request upload)",
        "method",
      );
    }
    if (!METHODS.includes(method)) {
      throw new ApiError(400, `method must be one of ${METHODS.join(", ")}`, "method");
    }
    const expiresIn = optInteger(body, "expires_in", 1, MAX_PRESIGN_EXPIRES) ?? DEFAULT_EXPIRES;
    const accessKey = reqString(body, "access_key", { min: 1, max: 128 });

    const bucket = await store.buckets.get(bucketName);
    if (!bucket) throw new ApiError(404, `bucket ${bucketName} not found`, "bucket_name");
    const cred = await store.credentials.get(accessKey);
    if (!cred) throw new ApiError(404, `access_key ${accessKey}: no such credential`, "access_key");
    if (!cred.isActive) {
      throw new ApiError(400, `access_key ${accessKey} is deactivated`, "access_key");
    }
    if (cred.id !== bucket.record.ownerId) {
      throw new ApiError(
        400,
        `access_key ${accessKey} does not own bucket ${bucketName}: a presigned URL acts as ` +
          "the bucket's owner",
        "access_key",
      );
    }

    // X-Amz-Date has whole seconds; the record's times follow it so both expire together.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const id = newPresignId();
    const base = new URL(s3BaseUrl(deps, c.req.header("host")));
    const path = "/" + bucketName + "/" + key.split("/").map(awsEncode).join("/");
    const signed = presignUrl({
      method,
      url: new URL(base.origin + path),
      accessKey: cred.accessKey,
      secretKey: cred.secretKey,
      region: config.region,
      expiresIn,
      now,
      extraQuery: { [PRESIGN_ID_PARAM]: id },
    });
    // A public URL with a path (a proxy mounting S3 under /s3) keeps it; the signature covers
    // the path the S3 listener sees after the proxy strips it.
    const url = base.origin + base.pathname.replace(/\/+$/, "") + signed.slice(base.origin.length);
    const record = {
      id,
      bucket: bucketName,
      key,
      method,
      accessKey: cred.accessKey,
      url,
      createdAt: now.getTime(),
      expiresAt: now.getTime() + expiresIn * 1000,
      revokedAt: null,
    };
    await store.presigns.create(record);
    log.info("presigned URL created", { id, bucket: bucketName, method, access_key: accessKey });
    return c.json(presignView(record), 201);
  });

  r.delete("/presigned-urls/:id", async (c) => {
    const id = c.req.param("id");
    const before = await store.presigns.revoke(id);
    if (before === null) throw new ApiError(404, `presigned URL ${id} not found`, "id");
    if (before.revokedAt !== null) {
      throw new ApiError(404, `presigned URL ${id} was already revoked`, "id");
    }
    if (!isActive(before, Date.now())) {
      throw new ApiError(404, `presigned URL ${id} has already expired`, "id");
    }
    log.info("presigned URL revoked", { id });
    return c.json(done());
  });

  return r;
}

/**
 * Where clients reach the S3 listener: `--public-url` when set (behind a reverse proxy);
 * else the listener's bound address; and when that is a wildcard (0.0.0.0, ::), the host
 * this admin request was addressed to, with the S3 port.
 */
export function s3BaseUrl(deps: AdminDeps, requestHost: string | undefined): string {
  if (deps.config.publicUrl) return deps.config.publicUrl;
  const bound = new URL(deps.s3Url);
  if (bound.hostname !== "0.0.0.0" && bound.hostname !== "[::]") return bound.origin;
  const host = requestHost && URL.canParse(`http://${requestHost}`)
    ? new URL(`http://${requestHost}`).hostname
    : "localhost";
  return `${bound.protocol}//${host}${bound.port ? ":" + bound.port : ""}`;
}
