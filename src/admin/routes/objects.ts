import { type Context, Hono } from "hono";
import { listEntryOfRecord, type ObjectRecord, type PartRecord } from "../../storage/records.ts";
import { KV_FILE, type Store } from "../../storage/store.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { isString, nextCursor, pageRequest } from "../pagination.ts";
import {
  checkString,
  OBJECT_KEY_RULES,
  pathBucket,
  queryString,
  readJsonObject,
} from "../validate.ts";
import { checksumView, done, objectView, partView } from "../views.ts";

/** At most this many keys per delete request, as S3's DeleteObjects. */
const MAX_DELETE_KEYS = 1000;

/** A bucket that must exist, or a 404 naming it. */
export async function existingBucket(store: Store, name: string) {
  const entry = await store.buckets.get(name);
  if (!entry) throw new ApiError(404, `bucket ${name} not found`, "bucket");
  return entry;
}

/**
 * One page of a bucket's objects from `?prefix=&delimiter=&limit=&cursor=` (the cursor is the
 * last key or folder). With a delimiter, keys that go on past it after the prefix roll up
 * into `prefixes` (the folders of the console), as S3's CommonPrefixes.
 */
export async function objectPage(store: Store, bucket: string, c: Context) {
  const prefix = queryString(c, "prefix", { maxBytes: 1024 }) ?? "";
  const delimiter = queryString(c, "delimiter", { min: 1, max: 64 }) ?? null;
  const page = pageRequest(c, isString);
  const listed = await store.listObjects(bucket, {
    prefix,
    delimiter,
    startAfter: page.after,
    maxKeys: page.limit,
  });
  return {
    objects: listed.objects.map((o) => objectView(o.key, o.entry)),
    ...(delimiter === null ? {} : { prefixes: listed.commonPrefixes }),
    next_cursor: nextCursor(listed.last, listed.isTruncated),
  };
}

/**
 * Everything the API shows about one object: the summary, user metadata, the stored
 * checksum, the parts of a multipart object and where its (first) blob lives.
 */
export async function objectDetails(store: Store, key: string, record: ObjectRecord) {
  let blobId: string | null = null;
  let parts: PartRecord[] = [];
  if (record.layout.kind === "single") blobId = record.layout.blobId;
  else if (record.layout.kind === "parts") {
    parts = await store.objects.manifest(record.layout);
    blobId = parts.find((p) => p.blobId !== null)?.blobId ?? null;
  }
  return {
    ...objectView(key, listEntryOfRecord(record)),
    metadata: record.userMeta,
    checksum: checksumView(record.checksum),
    parts: parts.map(partView),
    // Small objects live in their metadata record, inside the KV file.
    storage_path: record.layout.kind === "inline"
      ? KV_FILE
      : blobId === null
      ? null
      : store.blobs.relativePath(blobId),
  };
}

/**
 * The object key path parameter: everything after `/<segment>/` (`objects`, `download`),
 * slashes included, decoded from the raw request target (Hono keeps undecodable text as is;
 * here it is a 400).
 */
export function pathKey(c: Context, bucket: string, segment = "objects"): string {
  const url = c.req.url;
  const target = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split("?")[0];
  const marker = `/buckets/${bucket}/${segment}/`;
  const raw = target.slice(target.indexOf(marker) + marker.length);
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, "key is not valid percent-encoded UTF-8", "key");
  }
  return checkString("key", key, OBJECT_KEY_RULES);
}

/** Objects of a bucket: list, details, delete one or many. */
export function objectRoutes({ store, log }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  r.get("/buckets/:bucket/objects", async (c) => {
    const bucket = pathBucket(c);
    await existingBucket(store, bucket);
    return c.json(await objectPage(store, bucket, c));
  });

  r.post("/buckets/:bucket/objects/delete", async (c) => {
    const bucket = pathBucket(c);
    const body = await readJsonObject(c, ["keys"]);
    const keys = body.keys;
    if (!Array.isArray(keys)) {
      throw new ApiError(400, "keys must be an array of object keys", "keys");
    }
    if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) {
      throw new ApiError(400, `keys must hold 1 to ${MAX_DELETE_KEYS} object keys`, "keys");
    }
    keys.forEach((k, i) => {
      if (typeof k !== "string") throw new ApiError(400, `keys[${i}] must be a string`, "keys");
    });
    await existingBucket(store, bucket);
    const errors: { key: string; error: string }[] = [];
    const valid: string[] = [];
    for (const key of keys as string[]) {
      try {
        valid.push(checkString("key", key, OBJECT_KEY_RULES));
      } catch (err) {
        errors.push({ key, error: (err as Error).message });
      }
    }
    const result = valid.length > 0 ? await store.objects.deleteMany(bucket, valid) : new Map();
    const deleted: string[] = [];
    for (const key of new Set(valid)) {
      if (result.get(key)) deleted.push(key);
      else errors.push({ key, error: "no such object" });
    }
    if (deleted.length > 0) log.info("objects deleted", { bucket, count: deleted.length });
    return c.json({ deleted, errors });
  });

  r.get("/buckets/:bucket/objects/:key{.+}", async (c) => {
    const bucket = pathBucket(c);
    const key = pathKey(c, bucket);
    await existingBucket(store, bucket);
    const record = await store.objects.get(bucket, key);
    if (!record) throw new ApiError(404, `object ${key} not found in bucket ${bucket}`, "key");
    return c.json(await objectDetails(store, key, record));
  });

  r.delete("/buckets/:bucket/objects/:key{.+}", async (c) => {
    const bucket = pathBucket(c);
    const key = pathKey(c, bucket);
    await existingBucket(store, bucket);
    const deleted = await store.objects.delete(bucket, key);
    if (!deleted) throw new ApiError(404, `object ${key} not found in bucket ${bucket}`, "key");
    log.info("object deleted", { bucket, key });
    return c.json(done());
  });

  return r;
}
