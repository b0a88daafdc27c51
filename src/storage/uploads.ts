import { timeOrderedId } from "../hex.ts";
import type { BlobStore } from "./blobs.ts";
import type { BucketEntry } from "./buckets.ts";
import { RETRY, StorageError, withRetry } from "./errors.ts";
import { K } from "./kv_keys.ts";
import { compareUtf8 } from "./key_order.ts";
import type { ObjectStore } from "./objects.ts";
import { type GarbageRecord, inRuns, type PartStore } from "./parts.ts";
import type { ObjectRecord, PartRecord, PartRuns, UploadRecord } from "./records.ts";

/** Sorts by initiation time within a key, as S3 lists uploads of the same key. */
export function newUploadId(): string {
  return timeOrderedId(12);
}

export interface UploadListQuery {
  prefix: string;
  delimiter: string | null;
  keyMarker: string | null;
  uploadIdMarker: string | null;
  maxUploads: number;
}

export interface UploadListPage {
  uploads: UploadRecord[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

/** What a completion builds from the upload's current parts. */
export interface Completion {
  record: ObjectRecord;
  /** The part numbers the object keeps; other parts are deleted after the commit. */
  keep: PartRuns;
}

/**
 * In-progress multipart uploads: creation, parts, completion and abort. Parts are blobs of
 * their own; completing writes no data, it points the object at the kept parts.
 */
export class UploadStore {
  readonly #kv: Deno.Kv;
  readonly #blobs: BlobStore;
  readonly #parts: PartStore;
  readonly #objects: ObjectStore;

  constructor(kv: Deno.Kv, blobs: BlobStore, parts: PartStore, objects: ObjectStore) {
    this.#kv = kv;
    this.#blobs = blobs;
    this.#parts = parts;
    this.#objects = objects;
  }

  async create(bucket: BucketEntry, record: UploadRecord): Promise<void> {
    const name = bucket.record.name;
    const res = await this.#kv.atomic()
      .check({ key: K.bucket(name), versionstamp: bucket.versionstamp })
      .set(K.upload(name, record.key, record.uploadId), record)
      .commit();
    if (!res.ok) throw new StorageError("BucketNotFound", name);
  }

  async get(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    return (await this.#kv.get<UploadRecord>(K.upload(bucket, key, uploadId))).value;
  }

  /**
   * Records a part whose blob is durable. A part number uploaded again replaces the earlier
   * part, whose blob is removed after the commit. Fails with UploadNotFound (and removes the
   * new blob) when the upload was completed or aborted meanwhile.
   */
  async putPart(bucket: string, key: string, uploadId: string, part: PartRecord): Promise<void> {
    const replaced = await withRetry<PartRecord | null>("upload part", async () => {
      const [upload, old] = await this.#kv.getMany<[UploadRecord, PartRecord]>([
        K.upload(bucket, key, uploadId),
        K.part(uploadId, part.partNumber),
      ]);
      if (!upload.value) throw new StorageError("UploadNotFound", uploadId);
      const op = this.#kv.atomic().check(upload, old)
        .set(old.key, part)
        .sum(K.uploadRevision(uploadId), 1n);
      if (part.blobId) op.set(K.blobRef(part.blobId), { upload: uploadId, part: part.partNumber });
      if (old.value?.blobId) op.delete(K.blobRef(old.value.blobId));
      if (!(await op.commit()).ok) return RETRY;
      if (part.blobId) this.#blobs.settle(part.blobId);
      return old.value;
    }).catch(async (err) => {
      if (part.blobId) await this.#blobs.remove(part.blobId);
      throw err;
    });
    if (replaced?.blobId) await this.#blobs.remove(replaced.blobId);
  }

  /** Parts after `after` in number order, at most `limit`, and whether more follow. */
  async listParts(
    uploadId: string,
    after: number,
    limit: number,
  ): Promise<{ parts: PartRecord[]; isTruncated: boolean }> {
    const parts: PartRecord[] = [];
    const iter = this.#kv.list<PartRecord>({
      prefix: K.parts(uploadId),
      start: K.part(uploadId, after + 1),
    }, { limit: limit + 1 });
    for await (const e of iter) parts.push(e.value);
    return { parts: parts.slice(0, limit), isTruncated: parts.length > limit };
  }

  allParts(uploadId: string): Promise<PartRecord[]> {
    return this.#parts.all(uploadId);
  }

  /**
   * Completes an upload in one commit: the object record, the removal of the upload, and
   * the cleanup of parts the object does not keep. `build` validates the parts it is given
   * and may throw; it runs again if a part changed between reading and committing.
   */
  async complete(
    bucket: BucketEntry,
    key: string,
    uploadId: string,
    build: (upload: UploadRecord, parts: PartRecord[]) => Completion,
  ): Promise<ObjectRecord> {
    const name = bucket.record.name;
    let completion: Completion | null = null;
    await this.#objects.commit(bucket, key, async () => {
      const [upload, revision] = await this.#kv.getMany<[UploadRecord, Deno.KvU64]>([
        K.upload(name, key, uploadId),
        K.uploadRevision(uploadId),
      ]);
      if (!upload.value) throw new StorageError("UploadNotFound", uploadId);
      const parts = await this.#parts.all(uploadId);
      const built = build(upload.value, parts);
      completion = built;
      return {
        record: built.record,
        apply: (op) => {
          op.check(upload, revision).delete(upload.key);
          if (parts.some((p) => !inRuns(built.keep, p.partNumber))) {
            const garbage: GarbageRecord = { uploadId, keep: built.keep };
            op.set(K.garbage(uploadId), garbage);
          }
        },
      };
    });
    await this.#parts.collect(uploadId);
    return completion!.record;
  }

  /** Aborts an upload: it disappears at once; its parts are deleted right after. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    await withRetry("abort upload", async () => {
      const upload = await this.#kv.get<UploadRecord>(K.upload(bucket, key, uploadId));
      if (!upload.value) throw new StorageError("UploadNotFound", uploadId);
      const garbage: GarbageRecord = { uploadId, keep: null };
      const res = await this.#kv.atomic().check(upload).delete(upload.key)
        .set(K.garbage(uploadId), garbage).commit();
      return res.ok ? undefined : RETRY;
    });
    await this.#parts.collect(uploadId);
  }

  /**
   * One page of a bucket's uploads in key order (then upload id, which sorts by initiation),
   * with S3's delimiter rollup and key/upload-id markers.
   */
  async list(bucket: string, q: UploadListQuery): Promise<UploadListPage> {
    const page: UploadListPage = { uploads: [], commonPrefixes: [], isTruncated: false };
    const from = q.keyMarker !== null && compareUtf8(q.keyMarker, q.prefix) > 0
      ? q.keyMarker
      : q.prefix;
    let count = 0;
    for await (
      const e of this.#kv.list<UploadRecord>({
        prefix: K.uploads(bucket),
        start: K.uploads(bucket).concat(from),
      })
    ) {
      const u = e.value;
      if (!u.key.startsWith(q.prefix)) {
        if (compareUtf8(u.key, q.prefix) > 0) break;
        continue;
      }
      if (q.keyMarker !== null) {
        if (compareUtf8(u.key, q.keyMarker) < 0) continue;
        if (
          u.key === q.keyMarker && (q.uploadIdMarker === null || u.uploadId <= q.uploadIdMarker)
        ) {
          continue;
        }
      }
      const cut = q.delimiter ? u.key.indexOf(q.delimiter, q.prefix.length) : -1;
      if (cut >= 0) {
        const common = u.key.slice(0, cut + q.delimiter!.length);
        if (page.commonPrefixes.at(-1) === common) continue;
        if (q.keyMarker !== null && compareUtf8(common, q.keyMarker) <= 0) continue;
        if (count === q.maxUploads) {
          page.isTruncated = true;
          break;
        }
        page.commonPrefixes.push(common);
        count++;
        continue;
      }
      if (count === q.maxUploads) {
        page.isTruncated = true;
        break;
      }
      page.uploads.push(u);
      count++;
    }
    return page;
  }

  /**
   * Aborts a bucket's uploads initiated before `before` (uploads of a bucket re-created
   * under the same name afterwards are left alone); returns how many it aborted.
   */
  async abortAll(bucket: string, before: number): Promise<number> {
    const doomed: UploadRecord[] = [];
    for await (const e of this.#kv.list<UploadRecord>({ prefix: K.uploads(bucket) })) {
      if (e.value.initiated <= before) doomed.push(e.value);
    }
    let aborted = 0;
    for (const u of doomed) {
      try {
        await this.abort(bucket, u.key, u.uploadId);
        aborted++;
      } catch (err) {
        // Completed or aborted meanwhile: nothing left to do for it.
        if (!(err instanceof StorageError) || err.kind !== "UploadNotFound") throw err;
      }
    }
    return aborted;
  }

  /** Every in-progress upload of every bucket, with its bucket (for the sweeper). */
  async *all(): AsyncGenerator<{ bucket: string; upload: UploadRecord }> {
    for await (const e of this.#kv.list<UploadRecord>({ prefix: K.uploadsAll() })) {
      yield { bucket: e.key[1] as string, upload: e.value };
    }
  }

  /** Counts in-progress uploads (for stats); a bucket's, or all. */
  async count(bucket?: string): Promise<number> {
    let n = 0;
    const prefix = bucket === undefined ? K.uploadsAll() : K.uploads(bucket);
    for await (const _ of this.#kv.list({ prefix })) n++;
    return n;
  }
}
