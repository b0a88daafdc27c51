/**
 * The Deno KV key layout, in one place. Strings in keys sort in UTF-8 byte order, which is
 * S3's listing order, so object keys are stored as plain strings.
 */
export const K = {
  credential: (accessKey: string) => ["cred", accessKey],
  credentials: () => ["cred"],
  credentialById: (id: number) => ["cred_id", id],
  credentialSeq: () => ["seq", "cred"],
  adminKey: () => ["admin_key"],

  bucket: (name: string) => ["bucket", name],
  buckets: () => ["bucket"],
  bucketObjectCount: (name: string) => ["bstat", name, "objects"],
  bucketBytes: (name: string) => ["bstat", name, "bytes"],
  bucketStatsAll: () => ["bstat"],

  object: (bucket: string, key: string) => ["obj", bucket, key],
  objects: (bucket: string) => ["obj", bucket],
  /** The listing projection of each object (records.ts StoredListEntry), written with it. */
  listing: (bucket: string, key: string) => ["lst", bucket, key],
  listings: (bucket: string) => ["lst", bucket],

  /** The folder index (folders.ts): entries of `folder` (a key up to a "/", or ""). */
  dirEntry: (bucket: string, folder: string, name: string) => ["dir", bucket, folder, name],
  dirEntries: (bucket: string, folder: string) => ["dir", bucket, folder],
  dirAll: (bucket: string) => ["dir", bucket],
  dirEverything: () => ["dir"],

  /** A blob id is live while this reference exists; the sweeper deletes files without one. */
  blobRef: (blobId: string) => ["blob", blobId],

  /** In-progress multipart uploads, listed by key then upload id as S3 lists them. */
  upload: (bucket: string, key: string, uploadId: string) => ["upload", bucket, key, uploadId],
  uploads: (bucket: string) => ["upload", bucket],
  uploadsAll: () => ["upload"],
  /** Bumped by every part commit, so Complete can tell that the parts it read are current. */
  uploadRevision: (uploadId: string) => ["upload_rev", uploadId],
  /** Part records; once the upload completes they are the object's manifest. */
  part: (uploadId: string, partNumber: number) => ["part", uploadId, partNumber],
  parts: (uploadId: string) => ["part", uploadId],

  /** Parts left to delete after an abort, an overwrite, or a completion that dropped parts. */
  garbage: (uploadId: string) => ["gc", uploadId],
  garbageAll: () => ["gc"],

  /** Presigned URLs made by the management API, by time-ordered id (see presigns.ts). */
  presign: (id: string) => ["presign", id],
  presigns: () => ["presign"],
} as const satisfies Record<string, (...args: never[]) => Deno.KvKey>;

/** Deno KV sums are unsigned 64-bit and wrap, so a decrement is an addition of 2^64 - n. */
export function u64Delta(n: number): bigint {
  const big = BigInt(n);
  return big >= 0n ? big : (1n << 64n) + big;
}
