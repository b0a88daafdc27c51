/**
 * Amazon S3's size limits, which every way of writing objects enforces (the S3 listener and
 * the management API's uploads alike).
 */

/** The largest single PUT and the largest part of a multipart upload: 5 GiB. */
export const MAX_BLOB_BYTES = 5 * 1024 ** 3;
/** Every part of a multipart upload but the last must be at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Part numbers run from 1 to 10,000. */
export const MAX_PARTS = 10_000;
/** The largest object: 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** Object keys are 1 to 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Objects up to this size are kept inside their metadata record in Deno KV instead of a file
 * of their own, as Garage (under 3 KiB) and MinIO (under 128 KiB, in xl.meta) do. A small
 * PUT is then one KV commit, which concurrent PUTs share, instead of a file create, fsync,
 * rename and directory fsync each; a NAS keeps no inode per tiny object; and SQLite serves
 * blobs of this size faster than the filesystem opens files. Kept well below KV's 64 KiB
 * value limit so the record's headers and metadata fit beside the bytes.
 */
export const INLINE_MAX_BYTES = 16 * 1024;
