/**
 * The `Range` header of GetObject/HeadObject, with Amazon S3's semantics:
 *
 * - one range only: `bytes=a-b`, `bytes=a-`, `bytes=-n` (unit case-insensitive, end
 *   inclusive, an end past the object clamped to its last byte);
 * - anything S3 cannot parse is IGNORED and the whole object is served (200): garbage,
 *   other units, `bytes=5-2` (AWS serves the full object for an inverted range: noobaa
 *   #9889, versitygw #1120), multiple ranges (S3 does not do multipart/byteranges);
 * - a well-formed range the object cannot satisfy is 416 InvalidRange, whose
 *   Content-Range is "bytes", an asterisk, a slash and the size: start ≥ size (so any `a-` or `a-b` on an empty
 *   object: minio-java #636 against AWS), and `bytes=-0` (a zero-length suffix selects
 *   nothing, RFC 9110 §14.1.2);
 * - a positive suffix on an EMPTY object is answered by S3 with 200 and the empty body,
 *   not 416 (observed against AWS in apache/arrow-rs-object-store #846; Trino relies on
 *   it), so it returns null here.
 */
import { S3Error } from "./errors.ts";

/** An inclusive byte range within the object. */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE_RANGE = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/**
 * Resolve a Range header against an object of `size` bytes. Returns null when the whole
 * object should be served (no header, or one S3 ignores); throws `InvalidRange` when the
 * range is well-formed but unsatisfiable.
 *
 * @example parseRange("bytes=0-9", 100) // { start: 0, end: 9 }
 * @example parseRange("bytes=-10", 100) // { start: 90, end: 99 }
 */
export function parseRange(header: string | null, size: number): ByteRange | null {
  if (header === null) return null;
  const m = SINGLE_RANGE.exec(header.trim());
  if (!m) return null;
  const [, first, last] = m;
  if (first === "" && last === "") return null; // "bytes=-"

  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) throw invalidRange(header, size);
    if (size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }

  const start = Number(first);
  const end = last === "" ? Infinity : Number(last);
  if (end < start) return null;
  if (start >= size) throw invalidRange(header, size);
  return { start, end: Math.min(end, size - 1) };
}

function invalidRange(header: string, size: number): S3Error {
  return new S3Error(
    "InvalidRange",
    undefined,
    { RangeRequested: header, ActualObjectSize: String(size) },
    { "Content-Range": `bytes */${size}` },
  );
}

/** The `Content-Range` value of a 206 answer. */
export function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end}/${size}`;
}
