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
