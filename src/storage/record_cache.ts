import { BoundedMap } from "../memo.ts";
import type { ObjectRecord } from "./records.ts";

/**
 * Recently read and written object records, so a GET or HEAD of a hot object needs no KV
 * read. Only one server runs on a data directory (server.ts refuses a second), so every
 * change to an object goes through this process's ObjectStore.
 *
 * Every entry carries the KV versionstamp it was read or committed at, and an entry only
 * ever replaces one with an older versionstamp: a read that raced a commit cannot put the
 * older record back after the commit stored the newer one. Deletions are kept as null
 * entries for the same reason. Bounded; the oldest entries go first.
 */
export class RecordCache {
  readonly #entries: BoundedMap<string, { versionstamp: string; record: ObjectRecord | null }>;

  constructor(limit = 10_000) {
    this.#entries = new BoundedMap(limit);
  }

  /** The cached record (null: known deleted), or undefined when not cached. */
  get(bucket: string, key: string): ObjectRecord | null | undefined {
    return this.#entries.get(cacheKey(bucket, key))?.record;
  }

  /** Remembers `record` as of `versionstamp`, unless a newer state is already known. */
  offer(bucket: string, key: string, versionstamp: string, record: ObjectRecord | null): void {
    const k = cacheKey(bucket, key);
    const current = this.#entries.get(k);
    if (current && current.versionstamp >= versionstamp) return;
    // Re-inserted, so the entries dropped when the map is full are the least recently written.
    if (current) this.#entries.delete(k);
    this.#entries.set(k, { versionstamp, record });
  }
}

function cacheKey(bucket: string, key: string): string {
  // Bucket names never contain "/", so this cannot collide.
  return `${bucket}/${key}`;
}
