/**
 * The most recent S3 requests, kept in memory for the console's dashboard. A fixed ring of
 * slots: recording is one array store on the request path (which is benchmarked), nothing is
 * written to KV, and a restart starts an empty list. Formatting happens only when read.
 */

/** How many requests are kept; older ones are overwritten. */
export const ACTIVITY_CAPACITY = 100;

/**
 * One finished S3 request, as the S3 handler saw it. It holds no secret, query string or
 * signature: only what the access log shows.
 */
export interface ActivityEntry {
  /** When the response was handed over, in epoch milliseconds. */
  at: number;
  /** The S3 operation name (`PutObject`), or null when the request could not be parsed. */
  operation: string | null;
  method: string;
  bucket: string | null;
  key: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** Milliseconds from receiving the request to handing its response over. */
  ms: number;
  /** The verified access key; null when the request was not authenticated. */
  accessKey: string | null;
  requestId: string;
}

/**
 * A bounded, newest-first log of S3 requests.
 *
 * @example
 * const activity = new RecentActivity();
 * activity.record(entry);
 * activity.recent(10); // newest first
 */
export class RecentActivity {
  readonly #slots: (ActivityEntry | undefined)[];
  /** Entries recorded since start; the next one goes to slot `#recorded % capacity`. */
  #recorded = 0;

  constructor(readonly capacity = ACTIVITY_CAPACITY) {
    // Preallocated and filled so that the array keeps one shape and never grows.
    this.#slots = new Array(capacity).fill(undefined);
  }

  /** Keeps `entry` (the object itself, not a copy: the caller must not change it later). */
  record(entry: ActivityEntry): void {
    this.#slots[this.#recorded % this.capacity] = entry;
    this.#recorded++;
  }

  /** Up to `limit` entries, newest first. */
  recent(limit = this.capacity): ActivityEntry[] {
    const count = Math.min(limit, this.#recorded, this.capacity);
    const out: ActivityEntry[] = [];
    for (let i = 1; i <= count; i++) out.push(this.#slots[(this.#recorded - i) % this.capacity]!);
    return out;
  }
}
