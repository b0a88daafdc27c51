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
 * - multipart uploads started more than `uploadExpiryMs` ago, or left behind by a deleted
 *   bucket, are aborted;
 * - parts released by an abort, an overwrite or a completion whose cleanup did not finish
 *   are deleted;
 * - blob files that no KV reference points at (a crash between writing a blob and
 *   committing its metadata, or between a commit and removing the replaced file) are
 *   deleted. Blobs this process is still writing or committing are never touched, so the
 *   sweep is safe while requests run.
 */
export async function sweep(
  store: Store,
  opts: { uploadExpiryMs: number },
): Promise<SweepReport> {
  const report: SweepReport = { orphanBlobsRemoved: 0, garbageCollected: 0, uploadsExpired: 0 };
  const doomed = [];
  const expiredBefore = Date.now() - opts.uploadExpiryMs;
  for await (const u of store.uploads.all()) {
    if (u.upload.initiated < expiredBefore || !await store.buckets.get(u.bucket)) doomed.push(u);
  }
  for (const { bucket, upload } of doomed) {
    await store.uploads.abort(bucket, upload.key, upload.uploadId).catch(() => {});
    report.uploadsExpired++;
  }
  for await (const e of store.kv.list<GarbageRecord>({ prefix: K.garbageAll() })) {
    await store.parts.collect(e.value.uploadId);
    report.garbageCollected++;
  }
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
    // Pending is checked before the reference is read: a blob that stops being pending
    // has either been committed (its reference exists) or removed.
    if (store.blobs.isPending(blob.id)) continue;
    batch.push(blob.id);
    if (batch.length === 10) await flush();
  }
  if (batch.length) await flush();
  return report;
}
