import { Hono } from "hono";
import { StorageError } from "../../storage/errors.ts";
import type { BucketRecord, CredentialRecord } from "../../storage/records.ts";
import type { Store } from "../../storage/store.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { isString, nextCursor, pageRequest } from "../pagination.ts";
import {
  checkBucketName,
  optString,
  pathBucket,
  queryFlag,
  readJsonObject,
  reqInteger,
  reqString,
} from "../validate.ts";
import { bucketView } from "../views.ts";
import { existingBucket, objectPage } from "./objects.ts";

/** A listing page of objects and the largest DeleteObjects batch. */
const BATCH = 1000;
/** Force deletes race concurrent uploads at most this many times before giving up (409). */
const FORCE_ROUNDS = 5;

/** Buckets: list with counters, create for an owner, details with objects, delete. */
export function bucketRoutes({ store, config, log }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  /** Owners by id, read once per request (many buckets share few owners). */
  const ownerLookup = () => {
    const seen = new Map<number, Promise<CredentialRecord | null>>();
    return (id: number) => {
      let p = seen.get(id);
      if (!p) seen.set(id, p = store.credentials.getById(id));
      return p;
    };
  };

  const summary = async (
    b: BucketRecord,
    owner: (id: number) => Promise<CredentialRecord | null>,
  ) => bucketView(b, await store.buckets.stats(b.name), await owner(b.ownerId));

  r.get("/buckets", async (c) => {
    const page = pageRequest(c, isString);
    const listed = await store.bucketPage(page.after, page.limit);
    const owner = ownerLookup();
    return c.json({
      buckets: await Promise.all(listed.buckets.map((b) => summary(b, owner))),
      next_cursor: nextCursor(listed.buckets.at(-1)?.name, listed.more),
    });
  });

  r.post("/buckets", async (c) => {
    const body = await readJsonObject(c, ["name", "owner_id", "region"]);
    const name = checkBucketName("name", reqString(body, "name"));
    const ownerId = reqInteger(body, "owner_id", 1, Number.MAX_SAFE_INTEGER);
    const region = optString(body, "region", { min: 1, max: 32 }) ?? config.region;
    if (region !== config.region) {
      throw new ApiError(
        400,
        `region "${
          region.slice(0, 32)
        }" is not served here: this server's region is ${config.region}`,
        "region",
      );
    }
    const owner = await store.credentials.getById(ownerId);
    if (!owner) throw new ApiError(404, `owner_id ${ownerId}: no such credential`, "owner_id");
    let record: BucketRecord;
    try {
      record = await store.buckets.create({ name, ownerId, region, createdAt: Date.now() });
    } catch (err) {
      if (err instanceof StorageError && err.kind === "BucketExists") {
        throw new ApiError(409, `bucket ${name} already exists`, "name");
      }
      if (err instanceof StorageError && err.kind === "CredentialNotFound") {
        throw new ApiError(404, `owner_id ${ownerId}: no such credential`, "owner_id");
      }
      throw err;
    }
    log.info("bucket created", { bucket: name, owner_id: ownerId });
    return c.json(
      { ...bucketView(record, { objects: 0, bytes: 0 }, owner), objects: [], next_cursor: null },
      201,
    );
  });

  r.get("/buckets/:bucket", async (c) => {
    const name = pathBucket(c);
    const entry = await existingBucket(store, name);
    const [view, objects] = await Promise.all([
      summary(entry.record, ownerLookup()),
      objectPage(store, name, c),
    ]);
    return c.json({ ...view, ...objects });
  });

  r.delete("/buckets/:bucket", async (c) => {
    const name = pathBucket(c);
    const force = queryFlag(c, "force");
    await existingBucket(store, name);
    let deletedObjects = 0;
    for (let round = 0;; round++) {
      if (force) deletedObjects += await deleteAllObjects(store, name);
      else {
        const stats = await store.buckets.stats(name);
        if (stats.objects > 0) throw notEmpty(name, stats.objects);
      }
      let abortedUploads: number;
      try {
        abortedUploads = await store.deleteBucket(name);
      } catch (err) {
        if (!(err instanceof StorageError) || err.kind !== "BucketNotEmpty") throw err;
        // An object arrived between emptying and deleting: a force delete goes round again.
        if (!force || round + 1 >= FORCE_ROUNDS) throw notEmpty(name, null);
        continue;
      }
      log.info("bucket deleted", {
        bucket: name,
        force,
        objects_deleted: deletedObjects,
        uploads_aborted: abortedUploads,
      });
      return c.json({
        message: "Operation completed successfully",
        deleted_objects: deletedObjects,
        aborted_uploads: abortedUploads,
      });
    }
  });

  return r;
}

function notEmpty(name: string, count: number | null): ApiError {
  const what = count === null ? "objects" : `${count} object(s)`;
  return new ApiError(
    409,
    `bucket ${name} is not empty (it holds ${what}); delete them first or pass force=true to ` +
      "delete the bucket with its contents",
    "bucket",
  );
}

/** Deletes every object of a bucket, a listing page (one DeleteObjects batch) at a time. */
async function deleteAllObjects(store: Store, bucket: string): Promise<number> {
  let deleted = 0;
  while (true) {
    const page = await store.listObjects(bucket, {
      prefix: "",
      delimiter: null,
      startAfter: null,
      maxKeys: BATCH,
    });
    if (page.objects.length === 0) return deleted;
    const result = await store.objects.deleteMany(bucket, page.objects.map((o) => o.key));
    for (const record of result.values()) if (record) deleted++;
  }
}
