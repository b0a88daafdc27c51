/**
 * The parsed query string of an S3 request. `URLSearchParams` fits this interface, and the
 * request path uses `parseQuery` instead of it: parsing through the runtime and its Web IDL
 * checks on every `get` was about 7% of a small GET's CPU (op_url_parse_search_params,
 * webidl iterators), for the five to ten names S3 looks up per request.
 */
export interface Query {
  /** Number of name=value pairs, duplicates included. */
  readonly size: number;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Every name in order, duplicates included. */
  keys(): Iterable<string>;
}

/** Pairs in their order; S3 queries hold a handful, so a scan beats a map. */
class ParsedQuery implements Query {
  readonly #names: string[];
  readonly #values: string[];

  constructor(names: string[], values: string[]) {
    this.#names = names;
    this.#values = values;
  }

  get size(): number {
    return this.#names.length;
  }

  get(name: string): string | null {
    const i = this.#names.indexOf(name);
    return i < 0 ? null : this.#values[i];
  }

  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) {
      if (this.#names[i] === name) out.push(this.#values[i]);
    }
    return out;
  }

  has(name: string): boolean {
    return this.#names.includes(name);
  }

  keys(): Iterable<string> {
    return this.#names.values();
  }
}

/** A query component that decodeURIComponent could not decode the way WHATWG does. */
const MALFORMED = Symbol("malformed");

/**
 * Parses a raw query string (without "?") exactly as `new URLSearchParams(raw)` does: pairs
 * split on "&", name and value on the first "=", "+" is a space, percent escapes are UTF-8.
 * A query with a malformed escape (a stray "%", bytes that are not UTF-8) goes to
 * URLSearchParams itself, whose replacement rules then apply unchanged.
 */
export function parseQuery(raw: string): Query {
  // URLSearchParams drops one leading "?" ("/b/k??x" has the query "?x").
  const text = raw.charCodeAt(0) === 63 ? raw.slice(1) : raw;
  const names: string[] = [];
  const values: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const eq = text.indexOf("=", start);
      const hasValue = eq >= 0 && eq < end;
      const name = decodeComponent(text.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(text.slice(eq + 1, end)) : "";
      if (name === MALFORMED || value === MALFORMED) return new URLSearchParams(raw);
      names.push(name);
      values.push(value);
    }
    start = end + 1;
  }
  return new ParsedQuery(names, values);
}

function decodeComponent(s: string): string | typeof MALFORMED {
  const plus = s.includes("+");
  if (!plus && !s.includes("%")) return s;
  const spaced = plus ? s.replaceAll("+", " ") : s;
  try {
    // Succeeds only when every escape is well formed and the bytes are valid UTF-8, and then
    // gives what WHATWG's percent-decode plus UTF-8 decode gives.
    return decodeURIComponent(spaced);
  } catch {
    return MALFORMED;
  }
}
