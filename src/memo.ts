/**
 * `compute` memoized in a map of at most `limit` entries, the oldest dropped first. For pure
 * functions of few distinct inputs that run on every request (dates, metric label sets).
 *
 * @example const httpDate = memoized(1024, (ms: number) => new Date(ms).toUTCString());
 */
export function memoized<K, V>(limit: number, compute: (input: K) => V): (input: K) => V {
  const cache = new Map<K, V>();
  return (input) => {
    const hit = cache.get(input);
    if (hit !== undefined || cache.has(input)) return hit as V;
    const value = compute(input);
    if (cache.size >= limit) cache.delete(cache.keys().next().value!);
    cache.set(input, value);
    return value;
  };
}
