import type { ObjectRecord } from "./records.ts";

/** Bytes of inline objects (records.ts "inline" layout) the cache may hold at once. */
const INLINE_BYTES_LIMIT = 32 * 1024 * 1024;

interface Entry {
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
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;
  readonly #bytesLimit: number;
  #bytes = 0;

  constructor(limit = 10_000, inlineBytesLimit = INLINE_BYTES_LIMIT) {
    this.#limit = limit;
    this.#bytesLimit = inlineBytesLimit;
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
    // Re-inserted, so the entries dropped when the cache is full are the least recently written.
    if (current) this.#remove(k, current);
    this.#entries.set(k, { versionstamp, record });
    this.#bytes += inlineSize(record);
    while (this.#entries.size > this.#limit || this.#bytes > this.#bytesLimit) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#remove(oldest, entry);
    }
  }

  #remove(k: string, entry: Entry): void {
    this.#entries.delete(k);
    this.#bytes -= inlineSize(entry.record);
  }
}

function inlineSize(record: ObjectRecord | null): number {
  return record?.layout.kind === "inline" ? record.layout.bytes.length : 0;
}

function cacheKey(bucket: string, key: string): string {
  // Bucket names never contain "/", so this cannot collide.
  return `${bucket}/${key}`;
}
