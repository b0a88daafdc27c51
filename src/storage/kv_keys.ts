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

  object: (bucket: string, key: string) => ["obj", bucket, key],
  objects: (bucket: string) => ["obj", bucket],

  /** A blob id is live while this reference exists; the sweeper deletes files without one. */
  blobRef: (blobId: string) => ["blob", blobId],

  upload: (bucket: string, key: string, uploadId: string) => ["upload", bucket, key, uploadId],
  uploads: (bucket: string) => ["upload", bucket],
  part: (uploadId: string, partNumber: number) => ["part", uploadId, partNumber],
  parts: (uploadId: string) => ["part", uploadId],
  manifestChunk: (manifestId: string, index: number) => ["manifest", manifestId, index],
  manifest: (manifestId: string) => ["manifest", manifestId],

  /** Work left for the sweeper after a commit (blobs of a deleted multipart object). */
  garbage: (id: string) => ["gc", id],
  garbageAll: () => ["gc"],
} as const satisfies Record<string, (...args: never[]) => Deno.KvKey>;

/** Deno KV sums are unsigned 64-bit and wrap, so a decrement is an addition of 2^64 - n. */
export function u64Delta(n: number): bigint {
  const big = BigInt(n);
  return big >= 0n ? big : (1n << 64n) + big;
}
