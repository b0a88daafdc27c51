import type { ObjectRecord } from "./records.ts";

/**
 * Bytes of inline objects (records.ts "inline" layout) the cache may hold at once. A cached
 * record that GETs read whole also has an answer template with its own copy of the bytes
 * (s3/ops/object_get.ts), so up to twice this is held.
 */
const INLINE_BYTES_LIMIT = 16 * 1024 * 1024;

interface Entry {
  bucket: string;
  key: string;
  versionstamp: string;
  record: ObjectRecord | null;
}

/**
 * Recently read and written object records, so a GET or HEAD of a hot object needs no KV
 * read. Only one server runs on a data directory (server.ts refuses a second), so every
 * change to an object goes through this process's ObjectStore.
 *
 * Every entry carries the KV versionstamp it was read or committed at, and an entry only
 * ever replaces one with an older versionstamp: a read that raced a commit cannot put the
 * older record back after the commit stored the newer one. Deletions are kept as null
 * entries for the same reason. Bounded in entries and in the inline bytes records carry;
 * the least recently written entries go first.
 */
export class RecordCache {
  /**
   * Entries by bucket, then key: a lookup hashes the bucket name and the key as they are,
   * strings the S3 handler often hands over again with their hashes already computed,
   * where a joined key would be a new string to copy and hash on every read.
   */
  readonly #buckets = new Map<string, Map<string, Entry>>();
  /** Every entry, least recently written first: the order entries are dropped in. */
  readonly #order = new Set<Entry>();
  readonly #limit: number;
  readonly #bytesLimit: number;
  #bytes = 0;

  constructor(limit = 10_000, inlineBytesLimit = INLINE_BYTES_LIMIT) {
    this.#limit = limit;
    this.#bytesLimit = inlineBytesLimit;
  }

  /** The cached record (null: known deleted), or undefined when not cached. */
  get(bucket: string, key: string): ObjectRecord | null | undefined {
    return this.#buckets.get(bucket)?.get(key)?.record;
  }

  /** Remembers `record` as of `versionstamp`, unless a newer state is already known. */
  offer(bucket: string, key: string, versionstamp: string, record: ObjectRecord | null): void {
    const current = this.#buckets.get(bucket)?.get(key);
    if (current && current.versionstamp >= versionstamp) return;
    // Re-inserted, so the entries dropped when the cache is full are the least recently written.
    if (current) this.#remove(current);
    let keys = this.#buckets.get(bucket);
    if (keys === undefined) {
      keys = new Map();
      this.#buckets.set(bucket, keys);
    }
    const entry = { bucket, key, versionstamp, record };
    keys.set(key, entry);
    this.#order.add(entry);
    this.#bytes += inlineSize(record);
    while (this.#order.size > this.#limit || this.#bytes > this.#bytesLimit) {
      this.#remove(this.#order.values().next().value!);
    }
  }

  #remove(entry: Entry): void {
    this.#order.delete(entry);
    this.#bytes -= inlineSize(entry.record);
    const keys = this.#buckets.get(entry.bucket)!;
    keys.delete(entry.key);
    if (keys.size === 0) this.#buckets.delete(entry.bucket);
  }
}

function inlineSize(record: ObjectRecord | null): number {
  return record?.layout.kind === "inline" ? record.layout.bytes.length : 0;
}
