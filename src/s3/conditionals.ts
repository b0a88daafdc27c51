/**
 * Conditional requests: If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since
 * on GetObject and HeadObject, and their `x-amz-copy-source-if-*` twins on CopyObject and
 * UploadPartCopy.
 *
 * Order (RFC 9110 §13.2.2, which S3's documented combinations follow):
 * 1. If-Match false → 412. 2. Else If-Unmodified-Since false → 412 (S3: "If-Match true and
 * If-Unmodified-Since false → 200"). 3. If-None-Match matches → 304 on reads, 412 on copies.
 * 4. Else If-Modified-Since not modified → 304 on reads, 412 on copies (S3: "If-None-Match
 * false and If-Modified-Since true → 304/412"; a present If-None-Match decides alone).
 *
 * Dates compare at whole seconds (HTTP dates have no fraction). An unparsable date is
 * ignored, and so is an If-Modified-Since later than now (RFC 9110 §13.1.3; AWS copies
 * despite a future x-amz-copy-source-if-modified-since, re:Post QUghC2FkxVRtWaHGxH5OvPUA).
 */
import { S3Error } from "./errors.ts";

/** The object a condition is tested against. `etag` carries its quotes. */
export interface ConditionalTarget {
  etag: string;
  lastModified: Date;
}

const HEADERS = {
  read: {
    ifMatch: "if-match",
    ifNoneMatch: "if-none-match",
    ifModifiedSince: "if-modified-since",
    ifUnmodifiedSince: "if-unmodified-since",
  },
  "copy-source": {
    ifMatch: "x-amz-copy-source-if-match",
    ifNoneMatch: "x-amz-copy-source-if-none-match",
    ifModifiedSince: "x-amz-copy-source-if-modified-since",
    ifUnmodifiedSince: "x-amz-copy-source-if-unmodified-since",
  },
} as const;

// The `Condition` element S3 adds to a 412 body names the header that failed.
const CONDITION_NAMES = {
  read: {
    ifMatch: "If-Match",
    ifNoneMatch: "If-None-Match",
    ifModifiedSince: "If-Modified-Since",
    ifUnmodifiedSince: "If-Unmodified-Since",
  },
  "copy-source": {
    ifMatch: "x-amz-copy-source-If-Match",
    ifNoneMatch: "x-amz-copy-source-If-None-Match",
    ifModifiedSince: "x-amz-copy-source-If-Modified-Since",
    ifUnmodifiedSince: "x-amz-copy-source-If-Unmodified-Since",
  },
} as const;

type Condition = keyof typeof HEADERS.read;

/**
 * Evaluate the conditional headers of `kind` against `obj`; return normally when the
 * request may proceed. Throws `PreconditionFailed` (412, with a `Condition` element) or,
 * for reads only, `NotModified` (304, carrying `ETag` and `Last-Modified` headers).
 *
 * @example checkConditionals(req.headers, { etag: '"abc"', lastModified }, "read")
 */
export function checkConditionals(
  h: Headers,
  obj: ConditionalTarget,
  kind: "read" | "copy-source",
  now: Date = new Date(),
): void {
  const names = HEADERS[kind];
  const fail = (c: Condition): never => {
    if (kind === "read" && (c === "ifNoneMatch" || c === "ifModifiedSince")) {
      throw new S3Error("NotModified", undefined, {}, {
        ETag: obj.etag,
        "Last-Modified": obj.lastModified.toUTCString(),
      });
    }
    throw new S3Error("PreconditionFailed", undefined, { Condition: CONDITION_NAMES[kind][c] });
  };
  const lastModifiedSec = Math.floor(obj.lastModified.getTime() / 1000);

  const ifMatch = h.get(names.ifMatch);
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, obj.etag, false)) fail("ifMatch");
  } else {
    const since = parseHttpDate(h.get(names.ifUnmodifiedSince));
    if (since !== null && lastModifiedSec > Math.floor(since / 1000)) fail("ifUnmodifiedSince");
  }

  const ifNoneMatch = h.get(names.ifNoneMatch);
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, obj.etag, true)) fail("ifNoneMatch");
  } else {
    const since = parseHttpDate(h.get(names.ifModifiedSince));
    if (
      since !== null && since <= now.getTime() &&
      lastModifiedSec <= Math.floor(since / 1000)
    ) {
      fail("ifModifiedSince");
    }
  }
}

/**
 * Whether an If-Match / If-None-Match value matches `etag`. `*` matches any existing
 * object. Tags may be quoted or bare (S3 accepts `If-Match: abc` for `"abc"`). A weak tag
 * (`W/"abc"`) matches only under weak comparison, which RFC 9110 prescribes for
 * If-None-Match; If-Match uses strong comparison and S3's ETags are always strong.
 */
export function etagListMatches(header: string, etag: string, weak: boolean): boolean {
  const target = stripQuotes(etag);
  for (const raw of header.split(",")) {
    let tag = raw.trim();
    if (tag === "") continue;
    if (tag === "*") return true;
    if (tag.startsWith("W/")) {
      if (!weak) continue;
      tag = tag.slice(2);
    }
    if (stripQuotes(tag) === target) return true;
  }
  return false;
}

function stripQuotes(tag: string): string {
  return tag.length >= 2 && tag.startsWith('"') && tag.endsWith('"') ? tag.slice(1, -1) : tag;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// Obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
const RFC850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// asctime: "Sun Nov  6 08:49:37 1994"
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
// ISO 8601, which some SDKs send in the copy-source date headers.
const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parse an HTTP date (IMF-fixdate, RFC 850, asctime) or ISO 8601 timestamp to epoch ms;
 * null when absent or unparsable. Stricter than `Date.parse`, which reads "1" as 2001.
 */
export function parseHttpDate(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(v))) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);
  if ((m = RFC850.exec(v))) {
    // Two-digit years: RFC 9110 says read one more than 50 years ahead as the past century.
    const yy = Number(m[3]);
    const year = yy + (yy + 2000 > new Date().getUTCFullYear() + 50 ? 1900 : 2000);
    return utc(String(year), m[2], m[1], m[4], m[5], m[6]);
  }
  if ((m = ASCTIME.exec(v))) return utc(m[6], m[1], m[2].trim(), m[3], m[4], m[5]);
  if (ISO8601.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function utc(year: string, mon: string, day: string, h: string, mi: string, s: string) {
  const month = MONTHS.indexOf(mon.toLowerCase());
  const [d, hh, mm, ss] = [Number(day), Number(h), Number(mi), Number(s)];
  if (month < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return null;
  return Date.UTC(Number(year), month, d, hh, mm, Math.min(ss, 59));
}
