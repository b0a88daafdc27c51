import { CONTENT_HEADERS, type ContentHeader, type ObjectRecord } from "../storage/records.ts";
import { memoized } from "../memo.ts";
import type { Query } from "./query.ts";
import { S3Error } from "./errors.ts";

/** S3's limit on user-defined metadata: names and values of `x-amz-meta-*`, in bytes. */
export const MAX_USER_METADATA_BYTES = 2048;

const META_PREFIX = "x-amz-meta-";

/** The content headers and `x-amz-meta-*` values of a request, as S3 stores them. */
export function storedHeaders(h: Headers): {
  headers: Partial<Record<ContentHeader, string>>;
  userMeta: Record<string, string>;
} {
  const headers: Partial<Record<ContentHeader, string>> = {};
  for (const name of CONTENT_HEADERS) {
    const v = h.get(name);
    if (v !== null) headers[name] = v;
  }
  // aws-chunked is transfer framing, not a content coding of the stored object.
  if (headers["content-encoding"]) {
    const codings = headers["content-encoding"].split(",").map((s) => s.trim())
      .filter((s) => s && s.toLowerCase() !== "aws-chunked");
    if (codings.length) headers["content-encoding"] = codings.join(", ");
    else delete headers["content-encoding"];
  }
  const userMeta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of h) {
    if (!name.startsWith(META_PREFIX)) continue;
    const suffix = name.slice(META_PREFIX.length);
    userMeta[suffix] = value;
    size += suffix.length + value.length;
  }
  if (size > MAX_USER_METADATA_BYTES) {
    throw new S3Error("MetadataTooLarge", undefined, {
      Size: String(size),
      MaxSizeAllowed: String(MAX_USER_METADATA_BYTES),
    });
  }
  return { headers, userMeta };
}

/** `response-*` query parameters that override headers of a GET response, as in S3. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

/**
 * Headers of a GET or HEAD answer for an object: content headers, ETag, Last-Modified,
 * user metadata, and the checksum when the client asked with `x-amz-checksum-mode`. A plain
 * record, not a Headers object: building one header by header showed in small-GET profiles.
 */
export function objectHeaders(
  record: ObjectRecord,
  opts: { query?: Query; withChecksum?: boolean } = {},
): Record<string, string> {
  const h: Record<string, string> = {
    "content-type": "binary/octet-stream",
    ...record.headers,
    etag: record.etag,
    "last-modified": httpDate(record.lastModified),
    "accept-ranges": "bytes",
  };
  for (const k in record.userMeta) h[META_PREFIX + k] = record.userMeta[k];
  if (opts.withChecksum && record.checksum) {
    h[`x-amz-checksum-${record.checksum.algorithm.toLowerCase()}`] = record.checksum.value;
    h["x-amz-checksum-type"] = record.checksum.type;
  }
  if (opts.query && opts.query.size > 0) {
    for (const param in RESPONSE_OVERRIDES) {
      const v = opts.query.get(param);
      if (v !== null) h[RESPONSE_OVERRIDES[param]] = v;
    }
  }
  return h;
}

/** Whether the query overrides any header of the answer (`response-content-type`, ...). */
export function hasResponseOverrides(query: Query): boolean {
  if (query.size === 0) return false;
  for (const param in RESPONSE_OVERRIDES) if (query.has(param)) return true;
  return false;
}

/** An HTTP date, memoized for the few recent modification times hot objects share. */
const httpDate = memoized(1024, (ms: number) => new Date(ms).toUTCString());
