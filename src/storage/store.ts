import { join } from "node:path";
import { BlobStore } from "./blobs.ts";
import { BucketStore } from "./buckets.ts";
import { CredentialStore } from "./credentials.ts";
import { buildFolderIndex, dropFolderIndex } from "./folders.ts";
import { K } from "./kv_keys.ts";
import { ObjectStore } from "./objects.ts";
import { listObjects, type ListPage, type ListQuery } from "./listing.ts";
import { listBucketPage, type StorageTotals, storageTotals } from "./overview.ts";
import { PartStore } from "./parts.ts";
import { PresignStore } from "./presigns.ts";
import type { BucketRecord } from "./records.ts";
import { UploadStore } from "./uploads.ts";

/**
 * The storage engine: Deno KV for metadata, sharded files for bytes. Everything above this
 * layer reaches storage through a Store; nothing else opens KV or touches the data directory.
 */
export class Store {
  readonly kv: Deno.Kv;
  readonly blobs: BlobStore;
  readonly credentials: CredentialStore;
  readonly buckets: BucketStore;
  readonly objects: ObjectStore;
  readonly parts: PartStore;
  readonly uploads: UploadStore;
  readonly presigns: PresignStore;
  /** What opening did to a data directory of an older layout (for the start-up log). */
  readonly upgrade: Upgrade | null;

  constructor(
    kv: Deno.Kv,
    blobs: BlobStore,
    onError: (msg: string, err: unknown) => void,
    upgrade: Upgrade | null = null,
  ) {
    this.kv = kv;
    this.upgrade = upgrade;
    this.blobs = blobs;
    this.credentials = new CredentialStore(kv);
    this.buckets = new BucketStore(kv);
    this.parts = new PartStore(kv, blobs);
    this.objects = new ObjectStore(kv, blobs, this.buckets, this.parts, onError);
    this.uploads = new UploadStore(kv, blobs, this.parts, this.objects);
    this.presigns = new PresignStore(kv);
  }

  listObjects(bucket: string, q: ListQuery): Promise<ListPage> {
    return listObjects(this.kv, bucket, q);
  }

  /** One page of buckets in name order, strictly after `after`. */
  bucketPage(
    after: string | null,
    limit: number,
  ): Promise<{ buckets: BucketRecord[]; more: boolean }> {
    return listBucketPage(this.kv, after, limit);
  }

  /** Bucket, object and byte totals from the per-bucket counters. */
  totals(): Promise<StorageTotals> {
    return storageTotals(this.kv);
  }

  /**
   * Deletes an empty bucket and aborts its incomplete multipart uploads, which (as in S3)
   * do not keep a bucket alive. Returns how many uploads were aborted.
   */
  async deleteBucket(name: string): Promise<number> {
    const startedBefore = Date.now();
    // An empty bucket's folder entries are all 0. Removed first, so that a crash cannot
    // leave entries of a bucket that is gone; a failed delete only loses empty ones.
    await dropFolderIndex(this.kv, name);
    await this.buckets.delete(name);
    return await this.uploads.abortAll(name, startedBefore);
  }

  /** SHA-256 (hex) of the management API key; the key itself is never stored. */
  async adminKeyHash(): Promise<string | null> {
    return (await this.kv.get<string>(K.adminKey())).value;
  }

  async setAdminKeyHash(hash: string): Promise<void> {
    await this.kv.set(K.adminKey(), hash);
  }

  close(): void {
    this.blobs.close();
    this.kv.close();
  }
}

/** The Deno KV file in the data directory: metadata, and the bytes of small objects. */
export const KV_FILE = "meta.kv";

const SCHEMA_KEY = ["schema"];
/** The KV layout's version (kv_keys.ts). 2: the folder index (folders.ts). */
const SCHEMA_VERSION = 2;

/** What opening a data directory of an older layout did to it. */
export interface Upgrade {
  from: number | null;
  objectsIndexed: number;
  ms: number;
}

/** Brings a data directory's KV layout up to SCHEMA_VERSION before anything uses it. */
async function migrate(kv: Deno.Kv): Promise<Upgrade | null> {
  const schema = (await kv.get<number>(SCHEMA_KEY)).value;
  if (schema === SCHEMA_VERSION) return null;
  if (schema !== null && schema > SCHEMA_VERSION) {
    throw new Error(
      `the data directory was written by a newer vStash (layout ${schema}, this one knows ${SCHEMA_VERSION})`,
    );
  }
  // Layout 1, or none: a new directory, or one from before layouts were numbered.
  const started = performance.now();
  const objectsIndexed = await buildFolderIndex(kv);
  await kv.set(SCHEMA_KEY, SCHEMA_VERSION);
  return { from: schema, objectsIndexed, ms: Math.round(performance.now() - started) };
}

/**
 * Opens (creating when needed) the data directory: `meta.kv` for Deno KV, `blobs/` and
 * `tmp/`. The directory is private to the service user (0700) and the KV files, which hold
 * secret keys and small objects' bytes, are 0600.
 */
export async function openStore(
  dataDir: string,
  onError: (msg: string, err: unknown) => void,
): Promise<Store> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const kvPath = join(dataDir, KV_FILE);
  const kv = await Deno.openKv(kvPath);
  if (Deno.build.os !== "windows") {
    await Deno.chmod(dataDir, 0o700);
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.chmod(kvPath + suffix, 0o600).catch(() => {});
    }
  }
  let upgrade: Upgrade | null;
  try {
    upgrade = await migrate(kv);
  } catch (err) {
    kv.close();
    throw err;
  }
  const blobs = new BlobStore(dataDir);
  await blobs.init();
  return new Store(kv, blobs, onError, upgrade);
}
