/**
 * A small seeded pseudo-random generator for tests that must be replayable: the crash
 * harness, the fuzzer and the load test print their seed, and the same seed gives the same
 * sequence of choices (the timing of a real server is, of course, not replayed).
 */

export interface Prng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `[[3, "a"], [1, "b"]]` gives "a" three times as often as "b". */
  weighted<T>(choices: readonly (readonly [number, T])[]): T;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A new generator whose sequence is derived from this one (for parallel workers). */
  fork(): Prng;
}

/**
 * mulberry32: 32 bits of state, fast, and good enough to drive test choices.
 *
 * @example const rng = prng(seedFromEnv("VSTASH_CRASH_SEED")); rng.int(0, 10);
 */
export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const self: Prng = {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    weighted: (choices) => {
      const total = choices.reduce((n, [w]) => n + w, 0);
      let r = next() * total;
      for (const [w, v] of choices) {
        if ((r -= w) < 0) return v;
      }
      return choices[choices.length - 1][1];
    },
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    fork: () => prng(Math.floor(next() * 4294967296)),
  };
  return self;
}

/** The seed from an environment variable when set (to replay a failure), else a random one. */
export function seedFromEnv(name: string): number {
  const v = Deno.env.get(name);
  if (v !== undefined && v !== "") {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${v} is not a seed`);
    return n;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
