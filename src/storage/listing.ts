import { K } from "./kv_keys.ts";
import type { ObjectRecord } from "./records.ts";

export interface ListQuery {
  prefix: string;
  delimiter: string | null;
  /** Only keys (and common prefixes) strictly after this one. */
  startAfter: string | null;
  maxKeys: number;
}

export interface ListPage {
  objects: { key: string; record: ObjectRecord }[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  last: string | null;
}

/**
 * After this many keys in a row fall under one common prefix, the listing seeks past the
 * prefix instead of reading on: a folder of 100,000 keys costs one seek, not 100,000 reads.
 */
const SKIPS_BEFORE_SEEK = 8;

/**
 * One page of a bucket listing in UTF-8 byte order, with S3's delimiter rollup.
 *
 * @example await listObjects(kv, "photos", { prefix: "2024/", delimiter: "/", startAfter: null, maxKeys: 1000 })
 */
export async function listObjects(kv: Deno.Kv, bucket: string, q: ListQuery): Promise<ListPage> {
  const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, last: null };
  if (q.maxKeys <= 0) return page;
  let from = q.startAfter !== null && compareUtf8(q.startAfter, q.prefix) > 0
    ? q.startAfter
    : q.prefix;
  const end = q.prefix ? successor(q.prefix) : null;
  let count = 0;

  scan: while (true) {
    const selector: Deno.KvListSelector = end === null
      ? { prefix: K.objects(bucket), start: K.object(bucket, from) }
      : { start: K.object(bucket, from), end: K.object(bucket, end) };
    const iter = kv.list<ObjectRecord>(selector, {
      batchSize: Math.min(q.maxKeys + 1, 1000),
    });
    let rolledUp: string | null = null;
    let skipped = 0;
    for await (const entry of iter) {
      const key = entry.key[2] as string;
      if (q.startAfter !== null && compareUtf8(key, q.startAfter) <= 0) continue;
      if (!key.startsWith(q.prefix)) break scan;
      const cut = q.delimiter ? key.indexOf(q.delimiter, q.prefix.length) : -1;
      if (cut < 0) {
        if (count === q.maxKeys) {
          page.isTruncated = true;
          break scan;
        }
        page.objects.push({ key, record: entry.value });
        page.last = key;
        count++;
        continue;
      }
      const common = key.slice(0, cut + q.delimiter!.length);
      if (
        common === rolledUp || (q.startAfter !== null && compareUtf8(common, q.startAfter) <= 0)
      ) {
        if (++skipped < SKIPS_BEFORE_SEEK) continue;
        const next = successor(common);
        if (next === null) break scan;
        from = next;
        continue scan;
      }
      if (count === q.maxKeys) {
        page.isTruncated = true;
        break scan;
      }
      page.commonPrefixes.push(common);
      page.last = common;
      rolledUp = common;
      skipped = 0;
      count++;
    }
    break;
  }
  return page;
}

/**
 * Compares two strings in UTF-8 byte order (= code point order), the order of KV and of S3
 * listings. JavaScript's `<` compares UTF-16 code units and puts characters outside the BMP
 * (surrogates, 0xD800-0xDFFF) before U+E000-U+FFFF, which would skip such keys after a marker.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates above U+E000-U+FFFF: code unit order becomes code point order.
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `s`, in UTF-8 byte order
 * (the same as code point order), or null when there is none.
 */
export function successor(s: string): string | null {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...cps, next);
    }
  }
  return null;
}
