import { K } from "./kv_keys.ts";
import type { BucketRecord } from "./records.ts";

/** Totals over every bucket, from the per-bucket counters that object commits maintain. */
export interface StorageTotals {
  buckets: number;
  objects: number;
  bytes: number;
}

/**
 * Reads the per-bucket counters (two KV entries per bucket) and adds them up. No object is
 * read: the counters move in the same atomic as every object write and delete.
 */
export async function storageTotals(kv: Deno.Kv): Promise<StorageTotals> {
  const totals: StorageTotals = { buckets: 0, objects: 0, bytes: 0 };
  for await (const _ of kv.list({ prefix: K.buckets() })) totals.buckets++;
  for await (const e of kv.list<Deno.KvU64>({ prefix: K.bucketStatsAll() })) {
    const n = Number(e.value.value);
    if (e.key[2] === "objects") totals.objects += n;
    else if (e.key[2] === "bytes") totals.bytes += n;
  }
  return totals;
}

/** Buckets in name order strictly after `after` (null: from the start), at most `limit`. */
export async function listBucketPage(
  kv: Deno.Kv,
  after: string | null,
  limit: number,
): Promise<{ buckets: BucketRecord[]; more: boolean }> {
  const buckets: BucketRecord[] = [];
  const selector: Deno.KvListSelector = after === null
    ? { prefix: K.buckets() }
    : { prefix: K.buckets(), start: K.bucket(after) };
  for await (const e of kv.list<BucketRecord>(selector, { batchSize: Math.min(limit + 2, 500) })) {
    if (after !== null && e.value.name <= after) continue;
    if (buckets.length === limit) return { buckets, more: true };
    buckets.push(e.value);
  }
  return { buckets, more: false };
}
