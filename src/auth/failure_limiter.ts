import { BoundedMap } from "../memo.ts";

/**
 * Counts failed authentication attempts per source address and refuses a source that fails
 * too often, for the rest of the window. Guessing a 40-character secret is hopeless anyway;
 * this keeps brute force of the admin key and credential probing from costing CPU and from
 * filling the log.
 *
 * @example
 * const limiter = new FailureLimiter({ maxFailures: 20, windowMs: 60_000 });
 * if (limiter.isBlocked(ip)) return tooMany();
 * if (!ok) limiter.recordFailure(ip);
 */
export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Full of live windows, it forgets the oldest source rather than grow without bound. */
  readonly #windows: BoundedMap<string, { start: number; failures: number }>;
  #lastPrune = -Infinity;

  constructor(opts: {
    maxFailures: number;
    windowMs: number;
    /** Bounds memory when failures come from very many addresses. */
    maxSources?: number;
    now?: () => number;
  }) {
    this.#max = opts.maxFailures;
    this.#windowMs = opts.windowMs;
    this.#windows = new BoundedMap(opts.maxSources ?? 10_000);
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Whether any source has failures in its current window. When none has, callers skip
   * working out a request's source, which every request would otherwise pay for.
   */
  get watching(): boolean {
    if (this.#windows.size === 0) return false;
    const now = this.#now();
    // Ended windows are dropped at most once per window length, so a source that failed
    // once does not keep every later request on the slow path.
    if (now - this.#lastPrune >= this.#windowMs) {
      this.#prune(now);
      this.#lastPrune = now;
    }
    return this.#windows.size > 0;
  }

  /** Whether this source used up its failures in the current window. */
  isBlocked(source: string): boolean {
    const w = this.#current(source);
    return w !== null && w.failures >= this.#max;
  }

  /** Seconds until a blocked source may try again (for Retry-After). */
  retryAfterSeconds(source: string): number {
    const w = this.#current(source);
    return w ? Math.max(1, Math.ceil((w.start + this.#windowMs - this.#now()) / 1000)) : 0;
  }

  recordFailure(source: string): void {
    const now = this.#now();
    const w = this.#current(source);
    if (w) {
      w.failures++;
      return;
    }
    if (this.#windows.size >= this.#windows.limit) this.#prune(now);
    this.#windows.set(source, { start: now, failures: 1 });
  }

  #current(source: string): { start: number; failures: number } | null {
    const w = this.#windows.get(source);
    if (!w) return null;
    if (this.#now() - w.start >= this.#windowMs) {
      this.#windows.delete(source);
      return null;
    }
    return w;
  }

  #prune(now: number): void {
    for (const [source, w] of this.#windows) {
      if (now - w.start >= this.#windowMs) this.#windows.delete(source);
    }
  }
}

/** The address a request came from, for per-source limits. */
export function sourceOf(info: { remoteAddr?: Deno.Addr } | undefined): string {
  const addr = info?.remoteAddr as Deno.NetAddr | undefined;
  return addr?.hostname ?? "unknown";
}
