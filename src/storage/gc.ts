import { K } from "./kv_keys.ts";
import type { GarbageRecord } from "./parts.ts";
import type { Store } from "./store.ts";

export interface SweepReport {
  orphanBlobsRemoved: number;
  garbageCollected: number;
  uploadsExpired: number;
}

/**
 * Brings the data directory back in line with the metadata after crashes and interrupted
 * cleanups:
 * - blob files that no KV reference points at (a crash between writing a blob and
 *   committing its metadata, or between a commit and removing the replaced file) are
 *   deleted once older than `graceMs`, so uploads still in flight are left alone;
 * - parts released by an abort, an overwrite or a completion whose cleanup did not finish
 *   are deleted;
 * - multipart uploads started more than `uploadExpiryMs` ago are aborted.
 */
export async function sweep(
  store: Store,
  opts: { graceMs: number; uploadExpiryMs: number },
): Promise<SweepReport> {
  const report: SweepReport = { orphanBlobsRemoved: 0, garbageCollected: 0, uploadsExpired: 0 };
  const expired = [];
  for await (const u of store.uploads.startedBefore(Date.now() - opts.uploadExpiryMs)) {
    expired.push(u);
  }
  for (const { bucket, upload } of expired) {
    await store.uploads.abort(bucket, upload.key, upload.uploadId).catch(() => {});
    report.uploadsExpired++;
  }
  for await (const e of store.kv.list<GarbageRecord>({ prefix: K.garbageAll() })) {
    await store.parts.collect(e.value.uploadId);
    report.garbageCollected++;
  }
  const graceMs = opts.graceMs;
  const cutoff = Date.now() - graceMs;
  let batch: string[] = [];
  const flush = async () => {
    const refs = await store.kv.getMany(batch.map((id) => K.blobRef(id)));
    for (let i = 0; i < batch.length; i++) {
      if (refs[i].versionstamp === null) {
        await store.blobs.remove(batch[i]);
        report.orphanBlobsRemoved++;
      }
    }
    batch = [];
  };
  for await (const blob of store.blobs.list()) {
    if (blob.mtime && blob.mtime.getTime() > cutoff) continue;
    batch.push(blob.id);
    if (batch.length === 10) await flush();
  }
  if (batch.length) await flush();
  return report;
}
