/**
 * A Map of at most `limit` entries: adding a new key to a full map drops the oldest entry
 * first (insertion order; updating an existing key keeps its place). For the caches on the
 * request path, which must stay bounded whatever clients send.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly limit: number;

  constructor(limit: number) {
    super();
    if (!(limit >= 1)) throw new RangeError("limit must be at least 1");
    this.limit = limit;
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

/**
 * `compute` memoized in a map of at most `limit` entries, the oldest dropped first. For pure
 * functions of few distinct inputs that run on every request (dates, metric label sets).
 *
 * @example const httpDate = memoized(1024, (ms: number) => new Date(ms).toUTCString());
 */
export function memoized<K, V>(limit: number, compute: (input: K) => V): (input: K) => V {
  const cache = new BoundedMap<K, V>(limit);
  return (input) => {
    const hit = cache.get(input);
    if (hit !== undefined || cache.has(input)) return hit as V;
    const value = compute(input);
    cache.set(input, value);
    return value;
  };
}
