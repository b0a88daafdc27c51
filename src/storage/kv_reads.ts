/**
 * Most entries per KV list read. A page's reads are made equal in size under this: each read
 * costs about as much as a few hundred rows, so a 1001-row page reads fastest as three of
 * 334 (measured on 20,000 keys, alternated: 7.6-8.0 ms against 9.1-9.9 ms for 200 + 200 +
 * 200 + 200 + 200 + 1, and 9.1-11.5 ms for 500 + 500 + 1).
 */
const MAX_BATCH = 340;

/** A read size that covers `rows` in as few KV reads as possible, all of about one size. */
export function evenBatch(rows: number): number {
  return Math.ceil(rows / Math.ceil(rows / MAX_BATCH));
}
