import { RETRY, StorageError, withRetry } from "./errors.ts";
import { K } from "./kv_keys.ts";
import type { BucketRecord } from "./records.ts";

/** A bucket record with the KV versionstamp that object commits check against. */
export interface BucketEntry {
  record: BucketRecord;
  versionstamp: string;
}

export interface BucketStats {
  objects: number;
  bytes: number;
}

/**
 * Buckets and their counters. Records are cached: every S3 request resolves its bucket, and
 * they change only through this class (create, delete), which keeps the cache true.
 */
export class BucketStore {
  readonly #kv: Deno.Kv;
  readonly #cache = new Map<string, BucketEntry>();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async get(name: string): Promise<BucketEntry | null> {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    const entry = await this.#kv.get<BucketRecord>(K.bucket(name));
    if (!entry.value) return null;
    const found = { record: entry.value, versionstamp: entry.versionstamp };
    this.#cache.set(name, found);
    return found;
  }

  /** Forgets a cached record, after a commit found it stale (deleted or re-created). */
  forget(name: string): void {
    this.#cache.delete(name);
  }

  /** All buckets in name order, or only those of one owner. */
  async list(ownerId?: number): Promise<BucketRecord[]> {
    const out: BucketRecord[] = [];
    for await (const e of this.#kv.list<BucketRecord>({ prefix: K.buckets() })) {
      if (ownerId === undefined || e.value.ownerId === ownerId) out.push(e.value);
    }
    return out;
  }

  /**
   * Creates a bucket; throws BucketExists (with the current owner in the message) if taken,
   * CredentialNotFound if the owner is gone. The commit checks and rewrites the owner's id
   * entry, which a credential delete checks too: of a create and a delete of its owner racing,
   * one fails, so a bucket is never left without an owner.
   */
  create(record: BucketRecord): Promise<BucketRecord> {
    return withRetry("create bucket", async () => {
      const owner = await this.#kv.get<string>(K.credentialById(record.ownerId));
      if (owner.value === null) {
        throw new StorageError("CredentialNotFound", `no credential ${record.ownerId}`);
      }
      const res = await this.#kv.atomic()
        .check({ key: K.bucket(record.name), versionstamp: null }, owner)
        .set(owner.key, owner.value)
        .set(K.bucket(record.name), record)
        .set(K.bucketObjectCount(record.name), new Deno.KvU64(0n))
        .set(K.bucketBytes(record.name), new Deno.KvU64(0n))
        .commit();
      if (!res.ok) {
        const existing = await this.#kv.get<BucketRecord>(K.bucket(record.name));
        if (existing.value === null) return RETRY;
        throw new StorageError("BucketExists", String(existing.value.ownerId));
      }
      this.#cache.delete(record.name);
      return record;
    });
  }

  async stats(name: string): Promise<BucketStats> {
    const [objects, bytes] = await this.#kv.getMany<[Deno.KvU64, Deno.KvU64]>([
      K.bucketObjectCount(name),
      K.bucketBytes(name),
    ]);
    return { objects: Number(objects.value?.value ?? 0n), bytes: Number(bytes.value?.value ?? 0n) };
  }

  /**
   * Deletes an empty bucket. The commit checks the object counter's versionstamp: every
   * object commit touches that counter, so a PUT racing this delete makes one of them fail
   * instead of leaving an object in a deleted bucket. Incomplete multipart uploads do not
   * keep a bucket alive; the caller aborts them first.
   */
  delete(name: string): Promise<void> {
    return withRetry("delete bucket", async () => {
      const [bucket, count] = await this.#kv.getMany<[BucketRecord, Deno.KvU64]>([
        K.bucket(name),
        K.bucketObjectCount(name),
      ]);
      if (!bucket.value) throw new StorageError("BucketNotFound", name);
      for await (const _ of this.#kv.list({ prefix: K.objects(name) }, { limit: 1 })) {
        throw new StorageError("BucketNotEmpty", name);
      }
      const res = await this.#kv.atomic().check(bucket, count)
        .delete(K.bucket(name))
        .delete(K.bucketObjectCount(name))
        .delete(K.bucketBytes(name))
        .commit();
      this.#cache.delete(name);
      return res.ok ? undefined : RETRY;
    });
  }
}
