import { join } from "node:path";
import { BlobStore } from "./blobs.ts";
import { BucketStore } from "./buckets.ts";
import { CredentialStore } from "./credentials.ts";
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

  constructor(kv: Deno.Kv, blobs: BlobStore, onError: (msg: string, err: unknown) => void) {
    this.kv = kv;
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
const SCHEMA_VERSION = 1;

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
  // The KV layout's version (kv_keys.ts), the anchor for future migrations.
  await kv.atomic().check({ key: SCHEMA_KEY, versionstamp: null }).set(SCHEMA_KEY, SCHEMA_VERSION)
    .commit();
  const blobs = new BlobStore(dataDir);
  await blobs.init();
  return new Store(kv, blobs, onError);
}
