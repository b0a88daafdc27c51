import { keyBytes } from "./commit_queue.ts";
import { compareUtf8, successor } from "./key_order.ts";
import { evenBatch } from "./kv_reads.ts";
import { K, u64Delta } from "./kv_keys.ts";
import type { ListPage, ListQuery } from "./listing.ts";
import { decodeListEntry, type StoredListEntry } from "./records.ts";

/**
 * The folder index: for listings with delimiter "/", what `ls` of one folder shows, in one KV
 * range read. Without it, a listing of 1,000 folders needs a KV read per folder to skip over
 * its contents (about 90 µs each, however few rows it returns: ~100 ms a page).
 *
 * Entries live under `["dir", bucket, folder, name]`, where `folder` is everything up to and
 * including a key's last "/" ("" at the top) and `name` the rest:
 * - a file entry (name without "/", "" for a key ending in "/") holds the object's listing
 *   entry, like `["lst", bucket, key]`;
 * - a folder entry (name ending in "/") holds the number of objects under that folder, as a
 *   KV sum, so concurrent writes into one folder never conflict over it. A folder whose last
 *   object went is 0: listings skip it and remove it (see dropEmptyFolders).
 *
 * Entries of one folder sort by name, which is the order of folder + name: one range read is
 * the delimiter listing in S3's order. Only the first FOLDER_DEPTH levels are indexed, which
 * bounds what one PUT adds to its commit; listings below that depth, or with another
 * delimiter, scan the flat index as before. Entries change in the same commit as the object.
 */
export const FOLDER_DEPTH = 16;

/** The folder part of a key: up to and including its last "/", or "" at the top. */
function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf("/") + 1);
}

/** How many "/" a folder path holds: its depth ("" is 0, "a/" is 1). */
function depthOf(folder: string): number {
  let n = 0;
  for (let i = folder.indexOf("/"); i >= 0; i = folder.indexOf("/", i + 1)) n++;
  return n;
}

/** The folder entries a key counts in: each "/"-ended prefix, up to FOLDER_DEPTH of them. */
function folderEntryKeys(bucket: string, key: string): Deno.KvKey[] {
  const out: Deno.KvKey[] = [];
  let parentEnd = 0;
  for (let i = key.indexOf("/"); i >= 0 && out.length < FOLDER_DEPTH; i = key.indexOf("/", i + 1)) {
    out.push(K.dirEntry(bucket, key.slice(0, parentEnd), key.slice(parentEnd, i + 1)));
    parentEnd = i + 1;
  }
  return out;
}

/** The file entry of a key, or null when its folder is deeper than the index goes. */
function fileEntryKey(bucket: string, key: string): Deno.KvKey | null {
  const folder = folderOf(key);
  return depthOf(folder) < FOLDER_DEPTH
    ? K.dirEntry(bucket, folder, key.slice(folder.length))
    : null;
}

/** Adds (or, for an existing key, updates) an object in the index, within its commit. */
export function indexObject(
  op: Deno.AtomicOperation,
  bucket: string,
  key: string,
  listEntry: StoredListEntry,
  isNew: boolean,
): void {
  const file = fileEntryKey(bucket, key);
  if (file) op.set(file, listEntry);
  if (isNew) { for (const k of folderEntryKeys(bucket, key)) op.sum(k, 1n); }
}

/** Removes a deleted object from the index, within its commit. */
export function unindexObject(op: Deno.AtomicOperation, bucket: string, key: string): void {
  const file = fileEntryKey(bucket, key);
  if (file) op.delete(file);
  for (const k of folderEntryKeys(bucket, key)) op.sum(k, u64Delta(-1));
}

/** KV key parts an object's index entries add to a commit, for its size accounting. */
export function indexKeyCount(key: string): number {
  return 1 + Math.min(depthOf(key), FOLDER_DEPTH);
}

/** Whether a listing can be answered from the index. */
export function folderIndexServes(q: ListQuery): boolean {
  return q.delimiter === "/" && depthOf(folderOf(q.prefix)) < FOLDER_DEPTH;
}

/**
 * One page of a delimiter "/" listing from the index (folderIndexServes must hold): the
 * entries of the prefix's folder whose names start with the rest of the prefix, files as
 * objects and non-empty folders as common prefixes.
 */
export async function listFolder(kv: Deno.Kv, bucket: string, q: ListQuery): Promise<ListPage> {
  const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, last: null };
  if (q.maxKeys <= 0) return page;
  const folder = folderOf(q.prefix);
  const namePrefix = q.prefix.slice(folder.length);
  let from = namePrefix;
  if (q.startAfter !== null && compareUtf8(q.startAfter, q.prefix) >= 0) {
    // After the prefix's range: nothing. Within it, startAfter begins with the prefix, and
    // the entries wanted start right after it (NUL sorts first).
    const end = successor(q.prefix);
    if (end !== null && compareUtf8(q.startAfter, end) >= 0) return page;
    from = q.startAfter.slice(folder.length) + "\u0000";
  }
  const endName = namePrefix ? successor(namePrefix) : null;
  const selector: Deno.KvListSelector = endName === null
    ? { prefix: K.dirEntries(bucket, folder), start: K.dirEntry(bucket, folder, from) }
    : { start: K.dirEntry(bucket, folder, from), end: K.dirEntry(bucket, folder, endName) };
  const empty: Deno.KvEntry<unknown>[] = [];
  let count = 0;
  for await (
    const entry of kv.list<StoredListEntry | Deno.KvU64>(selector, {
      // A page needs maxKeys + 1 entries (the one past the end says it is truncated); empty
      // folders skipped on the way make KV fetch the next batch.
      batchSize: evenBatch(q.maxKeys + 1),
    })
  ) {
    const name = entry.key[3] as string;
    const path = folder + name;
    const isFolder = name.endsWith("/");
    if (isFolder && (entry.value as Deno.KvU64).value === 0n) {
      empty.push(entry);
      continue;
    }
    if (count === q.maxKeys) {
      page.isTruncated = true;
      break;
    }
    if (isFolder) page.commonPrefixes.push(path);
    else page.objects.push({ key: path, entry: decodeListEntry(entry.value as StoredListEntry) });
    page.last = path;
    count++;
  }
  if (empty.length) dropEmptyFolders(kv, empty).catch(() => {/* the next listing retries */});
  return page;
}

/**
 * Removes folder entries that were 0 when read, unless something was added since (the
 * versionstamp check). Left behind, they would only cost listings a skipped row each.
 */
async function dropEmptyFolders(kv: Deno.Kv, entries: Deno.KvEntry<unknown>[]) {
  for (let i = 0; i < entries.length; i += 90) {
    const op = kv.atomic();
    for (const e of entries.slice(i, i + 90)) op.check(e).delete(e.key);
    await op.commit();
  }
}

/** Removes a deleted bucket's folder entries (all 0 once its last object went). */
export async function dropFolderIndex(kv: Deno.Kv, bucket: string): Promise<void> {
  const zero: Deno.KvEntry<unknown>[] = [];
  for await (const e of kv.list({ prefix: K.dirAll(bucket) })) {
    if (e.value instanceof Deno.KvU64 && e.value.value === 0n) zero.push(e);
  }
  await dropEmptyFolders(kv, zero);
}

/**
 * Builds the index from the flat listing entries, for data directories written before it
 * existed. Entries a previous, interrupted build left are removed first, so the counts
 * start from nothing. Runs before the server accepts requests.
 */
export async function buildFolderIndex(kv: Deno.Kv): Promise<number> {
  const stale = new AtomicBatch(kv);
  for await (const e of kv.list({ prefix: K.dirEverything() })) {
    await stale.room(1, keyBytes(e.key));
    stale.op.delete(e.key);
  }
  await stale.flush();

  const batch = new AtomicBatch(kv);
  let objects = 0;
  for await (const e of kv.list<StoredListEntry>({ prefix: ["lst"] })) {
    const bucket = e.key[1] as string;
    const key = e.key[2] as string;
    await batch.room(indexKeyCount(key), keyBytes(e.key) * indexKeyCount(key));
    indexObject(batch.op, bucket, key, e.value, true);
    objects++;
  }
  await batch.flush();
  return objects;
}

/** Mutations collected into atomics that stay well within KV's per-commit limits. */
class AtomicBatch {
  op: Deno.AtomicOperation;
  #mutations = 0;
  #bytes = 0;

  constructor(readonly kv: Deno.Kv) {
    this.op = kv.atomic();
  }

  /** Commits what is collected first when `mutations` more of `bytes` would not fit. */
  async room(mutations: number, bytes: number): Promise<void> {
    if (this.#mutations + mutations > 500 || this.#bytes + bytes > 40 * 1024) await this.flush();
    this.#mutations += mutations;
    this.#bytes += bytes;
  }

  async flush(): Promise<void> {
    if (this.#mutations === 0) return;
    const res = await this.op.commit();
    if (!res.ok) throw new Error("folder index build: a commit failed");
    this.op = this.kv.atomic();
    this.#mutations = 0;
    this.#bytes = 0;
  }
}
