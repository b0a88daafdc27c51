import type { BlobStore } from "./blobs.ts";
import type { BucketEntry, BucketStore } from "./buckets.ts";
import { RETRY, StorageError, withRetry } from "./errors.ts";
import { RecordCache } from "./record_cache.ts";
import { CommitQueue, keyBytes } from "./commit_queue.ts";
import { indexKeyCount, indexObject, unindexObject } from "./folders.ts";
import { K, u64Delta } from "./kv_keys.ts";
import type { GarbageRecord, PartStore } from "./parts.ts";
import {
  type BlobLayout,
  encodeListEntry,
  type ObjectRecord,
  type PartRecord,
  recordBytes,
} from "./records.ts";

/**
 * What one DeleteObjects atomic may hold, within KV's per-atomic limits (100 checks, 1000
 * mutations, 80 KiB of keys): each key needs a check, and its record, listing and index
 * entries go in the same commit.
 */
const DELETE_BATCH = { checks: 90, mutations: 900, keyBytes: 60 * 1024 };

/**
 * Object metadata: commits that point keys at durable blobs, deletes, and cleanup of the
 * bytes they replace. Bucket counters change in the same atomic as the object, so they are
 * never out of step with the objects, even after a crash.
 */
export class ObjectStore {
  readonly #kv: Deno.Kv;
  readonly #blobs: BlobStore;
  readonly #buckets: BucketStore;
  readonly #parts: PartStore;
  readonly #onError: (msg: string, err: unknown) => void;
  readonly #cache = new RecordCache();
  readonly #commits: CommitQueue;

  constructor(
    kv: Deno.Kv,
    blobs: BlobStore,
    buckets: BucketStore,
    parts: PartStore,
    onError: (msg: string, err: unknown) => void,
  ) {
    this.#kv = kv;
    this.#blobs = blobs;
    this.#buckets = buckets;
    this.#parts = parts;
    this.#onError = onError;
    this.#commits = new CommitQueue(kv);
  }

  /** The object's record, from the cache when it is there (record_cache.ts). */
  async get(bucket: string, key: string): Promise<ObjectRecord | null> {
    const cached = this.#cache.get(bucket, key);
    if (cached !== undefined) return cached;
    const entry = await this.#kv.get<ObjectRecord>(K.object(bucket, key));
    if (entry.versionstamp !== null) {
      this.#cache.offer(bucket, key, entry.versionstamp, entry.value);
    }
    return entry.value;
  }

  /**
   * Points `key` at a new, already durable layout. Readers see the old or the new object,
   * never a mix; the replaced bytes are removed after the commit.
   */
  async put(bucket: BucketEntry, key: string, record: ObjectRecord): Promise<ObjectRecord | null> {
    try {
      return await this.commit(bucket, key, () => Promise.resolve({ record }));
    } catch (err) {
      // Never committed: a single blob written for this put belongs to nobody.
      if (record.layout.kind === "single") await this.dispose(record.layout);
      throw err;
    }
  }

  /**
   * The commit behind every object write. `attempt` runs once per try and returns the record
   * plus any checks and mutations that must be part of the same atomic (CompleteMultipartUpload
   * re-reads its parts and removes the upload in it). Bucket counters move in the same commit.
   */
  async commit(
    bucket: BucketEntry,
    key: string,
    attempt: () => Promise<{ record: ObjectRecord; apply?: (op: Deno.AtomicOperation) => void }>,
  ): Promise<ObjectRecord | null> {
    const name = bucket.record.name;
    const previous = await withRetry<ObjectRecord | null>("put object", async () => {
      const { record, apply } = await attempt();
      const old = await this.#kv.get<ObjectRecord>(K.object(name, key));
      const rec = old.value ? { ...record, createdAt: old.value.createdAt } : record;
      const listed = encodeListEntry(rec);
      const mutate = (op: Deno.AtomicOperation) => {
        op.set(K.object(name, key), rec).set(K.listing(name, key), listed);
        indexObject(op, name, key, listed, !old.value);
        claimLayout(op, rec.layout, { bucket: name, key });
        if (old.value) releaseLayout(op, old.value.layout);
        else op.sum(K.bucketObjectCount(name), 1n);
        op.sum(K.bucketBytes(name), u64Delta(rec.size - (old.value?.size ?? 0)));
      };
      const checks = [old, { key: K.bucket(name), versionstamp: bucket.versionstamp }];
      let res: Deno.KvCommitResult | Deno.KvCommitError;
      if (apply) {
        // Completions add their own checks: they commit alone.
        const op = this.#kv.atomic().check(...checks);
        mutate(op);
        apply(op);
        res = await op.commit();
      } else {
        res = await this.#commits.submit({
          exclusive: `${name}/${key}`,
          checks,
          mutate,
          keyBytes: objectCommitCost(name, key).keyBytes,
          valueBytes: recordBytes(rec),
        });
      }
      if (res.ok) {
        this.#cache.offer(name, key, res.versionstamp, rec);
        if (rec.layout.kind === "single" && rec.layout.blobId) {
          this.#blobs.settle(rec.layout.blobId);
        }
        return old.value;
      }
      await this.#assertBucketCurrent(bucket);
      return RETRY;
    });
    if (previous) await this.dispose(previous.layout);
    return previous;
  }

  /**
   * Deletes one object; returns what was deleted, or null when the key did not exist. Goes
   * through the commit queue, so concurrent deletes (and PUTs) share one KV commit.
   */
  async delete(bucket: string, key: string): Promise<ObjectRecord | null> {
    const deleted = await withRetry<ObjectRecord | null>("delete object", async () => {
      const entry = await this.#kv.get<ObjectRecord>(K.object(bucket, key));
      const record = entry.value;
      if (record === null) return null;
      const res = await this.#commits.submit({
        exclusive: `${bucket}/${key}`,
        checks: [entry],
        mutate: (op) => {
          removeObject(op, bucket, key, record);
          op.sum(K.bucketObjectCount(bucket), u64Delta(-1));
          op.sum(K.bucketBytes(bucket), u64Delta(-record.size));
        },
        keyBytes: objectCommitCost(bucket, key).keyBytes,
        valueBytes: 0,
      });
      if (!res.ok) return RETRY;
      this.#cache.offer(bucket, key, res.versionstamp, null);
      return record;
    });
    if (deleted) await this.dispose(deleted.layout);
    return deleted;
  }

  /** Deletes up to 1000 keys in batched commits; missing keys map to null. */
  async deleteMany(bucket: string, keys: string[]): Promise<Map<string, ObjectRecord | null>> {
    const out = new Map<string, ObjectRecord | null>();
    for (const batch of deleteBatches(bucket, [...new Set(keys)])) {
      const deleted = await withRetry("delete objects", async () => {
        const entries = await this.#getMany(batch.map((k) => K.object(bucket, k)));
        const op = this.#kv.atomic();
        let count = 0;
        let bytes = 0;
        for (const e of entries) {
          op.check(e);
          if (!e.value) continue;
          removeObject(op, bucket, e.key[2] as string, e.value);
          count++;
          bytes += e.value.size;
        }
        if (count > 0) {
          op.sum(K.bucketObjectCount(bucket), u64Delta(-count));
          op.sum(K.bucketBytes(bucket), u64Delta(-bytes));
        }
        const res = await op.commit();
        if (!res.ok) return RETRY;
        for (const e of entries) {
          if (e.value) this.#cache.offer(bucket, e.key[2] as string, res.versionstamp, null);
        }
        return entries;
      });
      for (const e of deleted) {
        out.set(e.key[2] as string, e.value);
        if (e.value) await this.dispose(e.value.layout);
      }
    }
    return out;
  }

  /** The parts of a completed multipart object, in order. */
  manifest(layout: Extract<BlobLayout, { kind: "parts" }>): Promise<PartRecord[]> {
    return this.#parts.manifest(layout.uploadId, layout.runs);
  }

  /** Removes what a commit released: the replaced blob, or a replaced object's parts. */
  async dispose(layout: BlobLayout): Promise<void> {
    try {
      if (layout.kind === "single" && layout.blobId) await this.#blobs.remove(layout.blobId);
      if (layout.kind === "parts") await this.#parts.collect(layout.uploadId);
    } catch (err) {
      // The metadata is already consistent; the sweeper finishes this later.
      this.#onError("cleanup of replaced object failed", err);
    }
  }

  async #getMany(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<ObjectRecord>[]> {
    const out: Deno.KvEntryMaybe<ObjectRecord>[] = [];
    for (let i = 0; i < keys.length; i += 10) {
      out.push(...await this.#kv.getMany<ObjectRecord[]>(keys.slice(i, i + 10)));
    }
    return out;
  }

  async #assertBucketCurrent(bucket: BucketEntry): Promise<void> {
    const name = bucket.record.name;
    const now = await this.#kv.get(K.bucket(name));
    if (now.versionstamp !== bucket.versionstamp) {
      this.#buckets.forget(name);
      throw new StorageError("BucketNotFound", name);
    }
  }
}

/** The mutations that remove an object (but not its bucket's counters) in one commit. */
function removeObject(
  op: Deno.AtomicOperation,
  bucket: string,
  key: string,
  record: ObjectRecord,
): void {
  op.delete(K.object(bucket, key)).delete(K.listing(bucket, key));
  unindexObject(op, bucket, key);
  releaseLayout(op, record.layout);
}

/**
 * What writing or removing one object adds to a KV atomic, at most: its record, listing entry,
 * blob reference and folder index entries, each key no longer than the object's own.
 */
function objectCommitCost(bucket: string, key: string): { mutations: number; keyBytes: number } {
  const mutations = 4 + indexKeyCount(key);
  return { mutations, keyBytes: mutations * keyBytes(K.object(bucket, key)) };
}

/** Keys grouped so that each group's delete fits one atomic (see DELETE_BATCH). */
function deleteBatches(bucket: string, keys: string[]): string[][] {
  const out: string[][] = [];
  let batch: string[] = [];
  let mutations = 0;
  let bytes = 0;
  for (const key of keys) {
    const { mutations: m, keyBytes: b } = objectCommitCost(bucket, key);
    const full = batch.length === DELETE_BATCH.checks ||
      mutations + m > DELETE_BATCH.mutations || bytes + b > DELETE_BATCH.keyBytes;
    if (full && batch.length > 0) {
      out.push(batch);
      batch = [];
      mutations = 0;
      bytes = 0;
    }
    batch.push(key);
    mutations += m;
    bytes += b;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** Marks the blobs of a new layout live, in the commit that makes them reachable. */
export function claimLayout(
  op: Deno.AtomicOperation,
  layout: BlobLayout,
  owner: Record<string, string | number>,
): void {
  if (layout.kind === "single" && layout.blobId) op.set(K.blobRef(layout.blobId), owner);
}

/** Unreferences the blobs of a layout in the commit that makes them unreachable. */
export function releaseLayout(op: Deno.AtomicOperation, layout: BlobLayout): void {
  if (layout.kind === "single" && layout.blobId) op.delete(K.blobRef(layout.blobId));
  if (layout.kind === "parts") {
    const garbage: GarbageRecord = { uploadId: layout.uploadId, keep: null };
    op.set(K.garbage(layout.uploadId), garbage);
  }
}
