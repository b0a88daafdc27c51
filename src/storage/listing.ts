import { folderIndexServes, listFolder } from "./folders.ts";
import { compareUtf8, successor } from "./key_order.ts";
import { K } from "./kv_keys.ts";
import { evenBatch } from "./kv_reads.ts";
import { decodeListEntry, type ListEntry, type StoredListEntry } from "./records.ts";

export interface ListQuery {
  prefix: string;
  delimiter: string | null;
  /** Only keys (and common prefixes) strictly after this one. */
  startAfter: string | null;
  maxKeys: number;
}

export interface ListPage {
  objects: { key: string; entry: ListEntry }[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  last: string | null;
}

/**
 * With a delimiter, a read after a skip past a common prefix starts this small: when folders
 * follow each other, the next entry is all that is needed before the next skip, and reading
 * a full batch per folder was what made delimiter pages take seconds. Reads that find plain
 * keys double in size again.
 */
const FIRST_READ_AFTER_SKIP = 2;

/**
 * One page of a bucket listing in UTF-8 byte order, with S3's delimiter rollup. Delimiter
 * "/" listings come from the folder index (folders.ts) when it covers the prefix. Otherwise
 * the listing reads bounded batches of the flat index and, once a key rolls up into a
 * common prefix, continues right after that prefix: a folder of 100,000 keys costs one read,
 * not 100,000.
 *
 * @example await listObjects(kv, "photos", { prefix: "2024/", delimiter: "/", startAfter: null, maxKeys: 1000 })
 */
export async function listObjects(kv: Deno.Kv, bucket: string, q: ListQuery): Promise<ListPage> {
  if (folderIndexServes(q)) return await listFolder(kv, bucket, q);
  const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, last: null };
  if (q.maxKeys <= 0) return page;
  // `from` is inclusive; startAfter + NUL is the first key after startAfter, so the reads
  // fetch the page and the one entry that tells whether more follow, nothing else.
  let from = q.startAfter !== null && compareUtf8(q.startAfter, q.prefix) >= 0
    ? q.startAfter + "\u0000"
    : q.prefix;
  const end = q.prefix ? successor(q.prefix) : null;
  let count = 0;
  let batch = evenBatch(q.maxKeys + 1);

  while (true) {
    // A start-after past the prefix's range (or a skip to its very end) leaves nothing; KV
    // refuses a range whose start lies after its end.
    if (end !== null && compareUtf8(from, end) >= 0) return page;
    const selector: Deno.KvListSelector = end === null
      ? { prefix: K.listings(bucket), start: K.listing(bucket, from) }
      : { start: K.listing(bucket, from), end: K.listing(bucket, end) };
    let read = 0;
    let next: string | null = null;
    let skipped = false;
    for await (
      const entry of kv.list<StoredListEntry>(selector, { limit: batch, batchSize: batch })
    ) {
      read++;
      const key = entry.key[2] as string;
      // Resume right after this key if the read ends here (NUL sorts first).
      next = key + "\u0000";
      const cut = q.delimiter ? key.indexOf(q.delimiter, q.prefix.length) : -1;
      if (cut < 0) {
        if (count === q.maxKeys) return truncated(page);
        page.objects.push({ key, entry: decodeListEntry(entry.value) });
        page.last = key;
        count++;
        continue;
      }
      const common = key.slice(0, cut + q.delimiter!.length);
      if (q.startAfter === null || compareUtf8(common, q.startAfter) > 0) {
        if (count === q.maxKeys) return truncated(page);
        page.commonPrefixes.push(common);
        page.last = common;
        count++;
      }
      // Everything under this prefix rolls up into it: skip past the prefix.
      next = successor(common);
      skipped = true;
      break;
    }
    // Done when the read came back short without a skip, or nothing comes after the prefix.
    if (next === null || next === from || (!skipped && read < batch)) return page;
    from = next;
    batch = skipped ? FIRST_READ_AFTER_SKIP : Math.min(batch * 2, evenBatch(q.maxKeys + 1 - count));
  }
}

function truncated(page: ListPage): ListPage {
  page.isTruncated = true;
  return page;
}
