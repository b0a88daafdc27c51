import { BoundedMap } from "../memo.ts";
import type { BlobStore } from "./blobs.ts";
import { K } from "./kv_keys.ts";
import type { PartRecord, PartRuns } from "./records.ts";

/**
 * Cleanup owed for an upload's parts: all of them (`keep` null: aborted, or its object was
 * overwritten or deleted), or those a completion did not keep.
 */
export interface GarbageRecord {
  uploadId: string;
  keep: PartRuns | null;
}

export function inRuns(runs: PartRuns, n: number): boolean {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = runs[mid];
    if (n < first) hi = mid - 1;
    else if (n > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Sorted, distinct part numbers as inclusive runs: [1,2,3,7] → [[1,3],[7,7]]. */
export function toRuns(sorted: number[]): PartRuns {
  const runs: PartRuns = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[1] === n - 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

/** Completed objects' part lists never change, so a few are kept for range and part GETs. */
const MANIFEST_CACHE_SIZE = 64;

/**
 * Part records of uploads, shared by uploads (while in progress) and objects (once completed:
 * the part records are the object's manifest, so completing copies nothing).
 */
export class PartStore {
  readonly #kv: Deno.Kv;
  readonly #blobs: BlobStore;
  readonly #manifests = new BoundedMap<string, PartRecord[]>(MANIFEST_CACHE_SIZE);

  constructor(kv: Deno.Kv, blobs: BlobStore) {
    this.#kv = kv;
    this.#blobs = blobs;
  }

  /** Every part record of an upload, in part-number order. */
  async all(uploadId: string): Promise<PartRecord[]> {
    const out: PartRecord[] = [];
    for await (const e of this.#kv.list<PartRecord>({ prefix: K.parts(uploadId) })) {
      out.push(e.value);
    }
    return out;
  }

  /** The parts of a completed object, in order. */
  async manifest(uploadId: string, runs: PartRuns): Promise<PartRecord[]> {
    const cached = this.#manifests.get(uploadId);
    if (cached) return cached;
    const parts = (await this.all(uploadId)).filter((p) => inRuns(runs, p.partNumber));
    this.#manifests.set(uploadId, parts);
    return parts;
  }

  /**
   * Deletes the parts the upload's garbage record names (their blob references, files and
   * records), then the record. Idempotent, so the sweeper can finish it after a crash. The
   * record is removed only if unchanged: a drop written meanwhile (the object was deleted
   * while a completion's trim ran) makes it run again.
   */
  async collect(uploadId: string): Promise<void> {
    for (let round = 0; round < 5; round++) {
      const entry = await this.#kv.get<GarbageRecord>(K.garbage(uploadId));
      if (!entry.value) return;
      const keep = entry.value.keep;
      if (keep === null) this.#manifests.delete(uploadId);
      const doomed = (await this.all(uploadId)).filter((p) => !keep || !inRuns(keep, p.partNumber));
      for (let i = 0; i < doomed.length; i += 300) {
        const slice = doomed.slice(i, i + 300);
        const op = this.#kv.atomic();
        for (const p of slice) {
          op.delete(K.part(uploadId, p.partNumber));
          if (p.blobId) op.delete(K.blobRef(p.blobId));
        }
        await op.commit();
        for (const p of slice) if (p.blobId) await this.#blobs.remove(p.blobId);
      }
      const done = this.#kv.atomic().check(entry).delete(K.garbage(uploadId));
      if (keep === null) done.delete(K.uploadRevision(uploadId));
      if ((await done.commit()).ok) return;
    }
  }
}
