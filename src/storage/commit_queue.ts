/**
 * Group commit for Deno KV. Every KV commit waits for an fsync of the SQLite WAL, so
 * concurrent small PUTs were limited by one fsync each. While a commit is in flight, the
 * intents that arrive meanwhile are queued; when it returns they go to KV as ONE atomic
 * operation, and each caller learns its own outcome. A request alone is committed at once,
 * so a single client sees no added latency.
 *
 * Atomicity per intent is kept: a batch holds all its intents' checks, so it either applies
 * every intent or none. When a batch fails (one check failed: a concurrent change), each
 * intent is retried alone, so only the stale one reports failure. Two intents that touch the
 * same object key never share a batch: the second must see the first's result.
 */

/** One caller's share of a commit. */
export interface CommitIntent {
  /** Keys this intent writes that another intent in the same batch must not write. */
  exclusive: string;
  checks: Deno.AtomicCheck[];
  mutate(op: Deno.AtomicOperation): void;
  /** Bytes of KV keys the intent adds to the atomic (KV allows 80 KiB per atomic). */
  keyBytes: number;
  /** Bytes of values it adds, roughly (KV allows 800 KiB of keys and values per atomic). */
  valueBytes: number;
}

export type CommitResult = { ok: true; versionstamp: string } | { ok: false };

interface Queued {
  intent: CommitIntent;
  resolve(r: CommitResult): void;
  reject(err: unknown): void;
}

/**
 * KV's limits per atomic, with headroom: 100 checks, 1000 mutations, 80 KiB of keys, 800 KiB
 * in all (values include small objects' bytes).
 */
const MAX_CHECKS = 90;
const MAX_INTENTS = 40;
const MAX_KEY_BYTES = 60 * 1024;
const MAX_VALUE_BYTES = 512 * 1024;

export class CommitQueue {
  readonly #kv: Deno.Kv;
  #queue: Queued[] = [];
  #busy = false;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  submit(intent: CommitIntent): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ intent, resolve, reject });
      if (!this.#busy) this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        await this.#commit(batch);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** The longest prefix-compatible batch: within KV's limits, no two intents on one key. */
  #takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const taken = new Set<string>();
    let checks = 0;
    let keyBytes = 0;
    let valueBytes = 0;
    for (const q of this.#queue) {
      const fits = batch.length < MAX_INTENTS &&
        checks + q.intent.checks.length <= MAX_CHECKS &&
        keyBytes + q.intent.keyBytes <= MAX_KEY_BYTES &&
        valueBytes + q.intent.valueBytes <= MAX_VALUE_BYTES &&
        !taken.has(q.intent.exclusive);
      if (fits || batch.length === 0) {
        batch.push(q);
        taken.add(q.intent.exclusive);
        checks += q.intent.checks.length;
        keyBytes += q.intent.keyBytes;
        valueBytes += q.intent.valueBytes;
      } else rest.push(q);
    }
    this.#queue = rest;
    return batch;
  }

  async #commit(batch: Queued[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const op = this.#kv.atomic();
        for (const { intent } of batch) {
          op.check(...intent.checks);
          intent.mutate(op);
        }
        const res = await op.commit();
        if (res.ok) {
          for (const q of batch) q.resolve({ ok: true, versionstamp: res.versionstamp });
          return;
        }
      } catch {
        // Too big together after all: commit them one by one below.
      }
    }
    for (const q of batch) {
      try {
        const op = this.#kv.atomic().check(...q.intent.checks);
        q.intent.mutate(op);
        const res = await op.commit();
        q.resolve(res.ok ? { ok: true, versionstamp: res.versionstamp } : { ok: false });
      } catch (err) {
        q.reject(err);
      }
    }
  }
}

/** Bytes a KV key takes in an atomic, roughly (its string parts in UTF-8, plus framing). */
export function keyBytes(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) n += (typeof part === "string" ? part.length * 3 : 9) + 2;
  return n;
}
