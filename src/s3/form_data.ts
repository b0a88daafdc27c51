/**
 * A streaming multipart/form-data reader (RFC 7578 over RFC 2046 §5.1) for browser uploads.
 * Part headers are read into memory with a cap; part bodies are handed out as views of the
 * chunks the request delivered, so a multi-gigabyte file is never buffered or copied except
 * for the few bytes where a delimiter may straddle two chunks.
 */
import { S3Error } from "./errors.ts";

/** One part's header block. */
export interface FormPart {
  /** The `name` of `Content-Disposition: form-data`; null when the part is not a form field. */
  name: string | null;
  /** The `filename` parameter, or null when the part has none. */
  filename: string | null;
  /** The part's header fields, by lowercase name. */
  headers: Map<string, string>;
}

/** A header block larger than this is not something a form sends. */
const MAX_PART_HEADER_BYTES = 16 * 1024;
const CR = 13;
const LF = 10;
const DASH = 45;
const utf8 = new TextDecoder();

function malformed(detail?: string): S3Error {
  return new S3Error(
    "MalformedPOSTRequest",
    detail === undefined
      ? undefined
      : `The body of your POST request is not well-formed multipart/form-data: ${detail}.`,
  );
}

/**
 * Splits a header value into its main value and `;`-separated parameters (names lowercased,
 * quoted strings unquoted). Browsers escape `"` in names as `%22` and never use backslash
 * escapes, while Windows paths arrive with raw backslashes, so `\` escapes only `"` and `\`.
 *
 * @example parseHeaderParams('form-data; name="file"; filename="a b.txt"')
 * // { value: "form-data", params: Map { "name" => "file", "filename" => "a b.txt" } }
 */
export function parseHeaderParams(header: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  let i = header.indexOf(";");
  const value = (i < 0 ? header : header.slice(0, i)).trim();
  while (i >= 0 && i < header.length) {
    i++; // past ';'
    const eq = header.indexOf("=", i);
    const semi = header.indexOf(";", i);
    if (eq < 0 || (semi >= 0 && semi < eq)) {
      i = semi; // a parameter without a value: skip it
      continue;
    }
    const name = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (header[j] === " " || header[j] === "\t") j++;
    let v = "";
    if (header[j] === '"') {
      for (j++; j < header.length && header[j] !== '"'; j++) {
        if (header[j] === "\\" && (header[j + 1] === '"' || header[j + 1] === "\\")) j++;
        v += header[j];
      }
      i = header.indexOf(";", j);
    } else {
      i = header.indexOf(";", j);
      v = header.slice(j, i < 0 ? undefined : i).trim();
    }
    if (name && !params.has(name)) params.set(name, v);
  }
  return { value, params };
}

/**
 * The boundary of a `multipart/form-data` Content-Type; MalformedPOSTRequest without one.
 *
 * @example boundaryOf("multipart/form-data; boundary=----x") // "----x"
 */
export function boundaryOf(contentType: string | null): string {
  const { value, params } = parseHeaderParams(contentType ?? "");
  const boundary = params.get("boundary") ?? "";
  if (value.toLowerCase() !== "multipart/form-data" || !/^[ -~]{1,70}$/.test(boundary)) {
    throw malformed("the Content-Type has no usable boundary");
  }
  return boundary;
}

/**
 * Reads a multipart/form-data body part by part: `nextPart()` returns the next header block,
 * `body()` streams that part's content. A part whose body is not read is skipped. Malformed
 * framing, including a body that ends before the closing delimiter, is MalformedPOSTRequest.
 *
 * @example
 * const form = new FormDataReader(chunks, boundaryOf(req.headers.get("content-type")));
 * for (let part; (part = await form.nextPart()) !== null;) {
 *   for await (const bytes of form.body()) sink(part, bytes);
 * }
 */
export class FormDataReader {
  readonly #source: AsyncIterator<Uint8Array>;
  /** CRLF "--" boundary: every delimiter, the first one included (see the constructor). */
  readonly #needle: Uint8Array;
  readonly #skip: Uint8Array;
  /** Unconsumed bytes are exactly #buf[#pos..]; views of request chunks, never copies of them. */
  #buf: Uint8Array;
  #pos = 0;
  #received = 0;
  #inBody = true; // the preamble reads like the body of a part before the first one
  #closed = false;

  constructor(source: AsyncIterable<Uint8Array> | AsyncIterator<Uint8Array>, boundary: string) {
    this.#source = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
    this.#needle = new TextEncoder().encode(`\r\n--${boundary}`);
    this.#skip = skipTable(this.#needle);
    // The first delimiter is not preceded by CRLF (the body starts with "--boundary"). Two
    // virtual bytes let it match like every other delimiter; #received counts only bytes that
    // were sent, so `position` is -2 until the first delimiter is read.
    this.#buf = Uint8Array.of(CR, LF);
  }

  /** Bytes of the request consumed so far: everything before the unread rest. */
  get position(): number {
    return this.#received - (this.#buf.length - this.#pos);
  }

  /** The next part's headers, or null after the closing delimiter. */
  async nextPart(): Promise<FormPart | null> {
    if (this.#closed) return null;
    if (this.#inBody) { for await (const _ of this.body()) { /* skip the unread rest */ } }
    await this.#need(2);
    if (this.#buf[this.#pos] === DASH && this.#buf[this.#pos + 1] === DASH) {
      this.#pos += 2;
      this.#closed = true;
      return null;
    }
    // After the boundary: optional transport padding, then CRLF.
    if ((await this.#readLine()).trim() !== "") throw malformed("junk after a boundary");
    const headers = new Map<string, string>();
    const start = this.position;
    let last = "";
    for (let line = await this.#readLine(); line !== ""; line = await this.#readLine()) {
      if (this.position - start > MAX_PART_HEADER_BYTES) throw malformed("part headers too long");
      if ((line[0] === " " || line[0] === "\t") && last) { // obsolete line folding
        headers.set(last, `${headers.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw malformed("a part header line without a name");
      last = line.slice(0, colon).trim().toLowerCase();
      headers.set(last, line.slice(colon + 1).trim());
    }
    this.#inBody = true;
    const disposition = parseHeaderParams(headers.get("content-disposition") ?? "");
    const isField = disposition.value.toLowerCase() === "form-data";
    return {
      name: isField ? disposition.params.get("name") ?? null : null,
      filename: isField ? disposition.params.get("filename") ?? null : null,
      headers,
    };
  }

  /**
   * The current part's content, as views of the request's chunks (they stay valid: chunks
   * are never reused). The delimiter is found with a Horspool scan that skips about a
   * boundary length per step, and only bytes that may begin a delimiter are held back.
   */
  async *body(): AsyncGenerator<Uint8Array> {
    if (!this.#inBody) return;
    const needle = this.#needle;
    const m = needle.length;
    for (;;) {
      const buf = this.#buf;
      const pos = this.#pos;
      const at = indexOfNeedle(buf, needle, this.#skip, pos);
      if (at >= 0) {
        this.#pos = at + m;
        this.#inBody = false;
        if (at > pos) yield buf.subarray(pos, at);
        return;
      }
      const safe = buf.length - partialMatchAtEnd(buf, pos, needle);
      if (safe > pos) {
        this.#pos = safe;
        yield buf.subarray(pos, safe);
      }
      const chunk = await this.#pull();
      if (chunk === null) throw malformed("the body ended before its closing boundary");
      const held = this.#buf.subarray(this.#pos);
      if (held.length === 0 || chunk.length < m) {
        this.#buf = held.length === 0 ? chunk : concat(held, chunk);
        this.#pos = 0;
        continue;
      }
      // A delimiter may start in the held bytes and end in the new chunk: look across the
      // edge in a small copy instead of copying the chunk.
      const edge = concat(held, chunk.subarray(0, m - 1));
      const e = indexOfNeedle(edge, needle, this.#skip, 0);
      this.#buf = chunk;
      if (e >= 0 && e < held.length) {
        this.#pos = e + m - held.length;
        this.#inBody = false;
        if (e > 0) yield held.subarray(0, e);
        return;
      }
      this.#pos = 0;
      yield held;
    }
  }

  /** Stops reading the request (cancels its stream). */
  async close(): Promise<void> {
    await this.#source.return?.();
  }

  /** Appends the next chunk to the unread bytes (for headers: small, rare copies). */
  async #need(n: number): Promise<void> {
    while (this.#buf.length - this.#pos < n) {
      const chunk = await this.#pull();
      if (chunk === null) throw malformed("the body ended before its closing boundary");
      this.#buf = concat(this.#buf.subarray(this.#pos), chunk);
      this.#pos = 0;
    }
  }

  /** One header line without its line end (CRLF; a bare LF is tolerated). */
  async #readLine(): Promise<string> {
    let scanned = 0; // unread bytes already searched for LF
    for (;;) {
      const lf = this.#buf.indexOf(LF, this.#pos + scanned);
      if (lf >= 0) {
        const end = lf > this.#pos && this.#buf[lf - 1] === CR ? lf - 1 : lf;
        const line = utf8.decode(this.#buf.subarray(this.#pos, end));
        this.#pos = lf + 1;
        return line;
      }
      scanned = this.#buf.length - this.#pos;
      if (scanned > MAX_PART_HEADER_BYTES) throw malformed("a part header line is too long");
      await this.#need(scanned + 1);
    }
  }

  async #pull(): Promise<Uint8Array | null> {
    for (;;) {
      const r = await this.#source.next();
      if (r.done) return null;
      if (r.value.length === 0) continue;
      this.#received += r.value.length;
      return r.value;
    }
  }
}

/** Horspool's bad-character shifts for the needle. */
function skipTable(needle: Uint8Array): Uint8Array {
  const m = needle.length; // at most 74: fits a byte
  const skip = new Uint8Array(256).fill(m);
  for (let j = 0; j < m - 1; j++) skip[needle[j]] = m - 1 - j;
  return skip;
}

/** Index of the first needle at or after `from`, or -1 (Horspool). */
function indexOfNeedle(hay: Uint8Array, needle: Uint8Array, skip: Uint8Array, from: number) {
  const last = needle.length - 1;
  const lastByte = needle[last];
  const end = hay.length - needle.length;
  for (let i = from; i <= end; i += skip[hay[i + last]]) {
    if (hay[i + last] !== lastByte) continue;
    let j = 0;
    while (j < last && hay[i + j] === needle[j]) j++;
    if (j === last) return i;
  }
  return -1;
}

/** Length of the longest end of hay[from..] that is a proper start of the needle. */
function partialMatchAtEnd(hay: Uint8Array, from: number, needle: Uint8Array): number {
  // Every delimiter starts with CR: only positions holding one can begin a partial match.
  for (let i = hay.indexOf(CR, Math.max(from, hay.length - needle.length + 1)); i >= 0;) {
    let j = 0;
    while (i + j < hay.length && hay[i + j] === needle[j]) j++;
    if (i + j === hay.length) return j;
    i = hay.indexOf(CR, i + 1);
  }
  return 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
