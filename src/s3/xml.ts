/**
 * S3 response XML: one escaping helper, a tiny element builder, the `<Error>` document
 * and the small fixed-shape bodies. Listing bodies live in `xml_list.ts`; the data shapes
 * both take are in `xml_types.ts`. Golden-string tests pin every byte.
 */
import type {
  AccessControlPolicyData,
  ChecksumFields,
  CompleteMultipartUploadData,
  CopyResultData,
  DeleteResultData,
  ErrorData,
  InitiateMultipartUploadData,
  OwnerData,
} from "./xml_types.ts";

/** The namespace Amazon S3 puts on every success document (never on `<Error>`). */
export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

// Characters XML 1.0 cannot carry at all, not even as `&#x1;` references: C0 controls
// other than TAB/LF/CR, U+FFFE/U+FFFF, and unpaired surrogates. S3 keys may hold them;
// a strict parser (expat in botocore) rejects the whole document if one slips through.
const INVALID_XML_CHARS =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// A cheap first test for the above: any surrogate at all (paired ones are valid and stay),
// so the lookaround expression only runs on the rare text that may need it.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const MAYBE_INVALID = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;
const SPECIALS = /[&<>"'\r]/;
// Both of the above in one test: most text (keys, names, dates) needs neither.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const NEEDS_ESCAPING = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF&<>"'\r]/;

function entityOf(code: number): string | undefined {
  switch (code) {
    case 0x26:
      return "&amp;";
    case 0x3c:
      return "&lt;";
    case 0x3e:
      return "&gt;";
    case 0x22:
      return "&quot;";
    case 0x27:
      return "&apos;";
    // XML end-of-line handling turns a literal CR into LF on the reader's side; S3's own
    // documentation asks for `&#13;` so a key holding "\r" survives the round trip.
    case 0x0d:
      return "&#13;";
    default:
      return undefined;
  }
}

/**
 * Escape text for element content or attribute values.
 *
 * `& < > " '` become entities and CR becomes `&#13;`. Characters XML 1.0 cannot represent
 * (C0 controls except TAB/LF/CR, U+FFFE, U+FFFF, lone surrogates) are replaced by U+FFFD so
 * the document stays parseable; clients that need such keys exactly use `encoding-type=url`,
 * which is what that parameter exists for (boto3 always sends it).
 *
 * @example escapeXml(`"a"&b`) // "&quot;a&quot;&amp;b"
 */
export function escapeXml(s: string): string {
  if (!NEEDS_ESCAPING.test(s)) return s;
  if (MAYBE_INVALID.test(s)) s = s.replace(INVALID_XML_CHARS, "\uFFFD");
  if (!SPECIALS.test(s)) return s;
  // One pass by character code: a listing escapes thousands of ETags (each has two `"`),
  // and a replace() callback per match showed in its profile.
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const entity = entityOf(s.charCodeAt(i));
    if (entity === undefined) continue;
    out += s.slice(from, i) + entity;
    from = i + 1;
  }
  return out + s.slice(from);
}

/** A child list for `el`/`xmlDoc`: `null`, `undefined` and `false` entries are skipped. */
export type XmlChildren = readonly (string | null | undefined | false)[];

/**
 * One element. A string, number or boolean is text and gets escaped; an array holds
 * already-built child elements and is joined as is. Empty content renders `<Name></Name>`,
 * which is how S3 writes empty `Prefix`/`Marker`.
 *
 * @example el("Size", 5) // "<Size>5</Size>"
 * @example el("Owner", [el("ID", "x")]) // "<Owner><ID>x</ID></Owner>"
 */
export function el(name: string, content: string | number | boolean | XmlChildren): string {
  const inner = Array.isArray(content)
    ? joinChildren(content as XmlChildren)
    : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}

/** `el(name, value)` when `value` is set, else nothing (an optional S3 element). */
export function optEl(name: string, value: string | number | boolean | null | undefined): string {
  return value === undefined || value === null ? "" : el(name, value);
}

/**
 * A whole response document: declaration, newline, root. The root carries the S3 namespace
 * unless `xmlns: false`; a root with no children is written self-closing, as S3 writes an
 * unset `<LocationConstraint/>` or `<VersioningConfiguration/>`.
 */
export function xmlDoc(
  rootName: string,
  children: XmlChildren,
  options: { xmlns?: boolean } = {},
): string {
  const attrs = options.xmlns === false ? "" : ` xmlns="${S3_XMLNS}"`;
  const inner = joinChildren(children);
  const root = inner === ""
    ? `<${rootName}${attrs}/>`
    : `<${rootName}${attrs}>${inner}</${rootName}>`;
  return XML_DECLARATION + root;
}

function joinChildren(children: XmlChildren): string {
  let out = "";
  for (const c of children) if (c) out += c;
  return out;
}

/** S3 timestamps in XML: ISO 8601 UTC with milliseconds, `2023-01-15T10:30:00.000Z`. */
export function xmlTimestamp(d: Date): string {
  return isoUtc(d.getTime());
}

const DAY_MS = 86_400_000;

/**
 * `new Date(ms).toISOString()` for years 0000-9999, by arithmetic: a listing page writes
 * 1000 timestamps and Date's formatter was a twelfth of its profile. Days to civil date
 * is Howard Hinnant's `civil_from_days` (proleptic Gregorian, eras of 400 years).
 */
export function isoUtc(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (!Number.isFinite(ms) || year < 0 || year > 9999) return new Date(ms).toISOString();
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${
    pad(second, 2)
  }.${pad(milli, 3)}Z`;
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : "0".repeat(width - s.length) + s;
}

// Bytes `encoding-type=url` leaves alone. Measured on Amazon S3 (brekkylab/backlot,
// routers/s3.py `_URL_ENCODING_SAFE`) and identical to MinIO's `s3URLEncode`
// (cmd/api-utils.go): letters, digits, `-_.*/` stay, space becomes `+`, everything else
// (including `~` and `+`) is `%XX` in upper case over the UTF-8 bytes.
const URL_SAFE = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*/") {
  URL_SAFE[c.charCodeAt(0)] = 1;
}
const HEX = "0123456789ABCDEF";
const utf8 = new TextEncoder();

/**
 * What `encoding-type=url` applies to Key, Prefix, Delimiter, Marker, NextMarker,
 * StartAfter and CommonPrefixes/Prefix: form-style encoding where space is `+`, `/` and `*`
 * stay literal and `~` is encoded (Java `URLEncoder` plus `/`), as Amazon S3 answers.
 * botocore decodes it with `unquote_plus`, so a literal `+` must (and does) become `%2B`.
 *
 * @example urlEncodeForListing("a b+c/ü") // "a+b%2Bc/%C3%BC"
 */
export function urlEncodeForListing(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    if (b < 128 && URL_SAFE[b]) out += String.fromCharCode(b);
    else if (b === 0x20) out += "+";
    else out += "%" + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/**
 * The S3 `<Error>` document: Code, Message, the code's extra elements (`Key`, `BucketName`,
 * `Condition`…), Resource (when known), RequestId, HostId. No namespace, as S3 sends it.
 */
export function renderError(e: ErrorData): string {
  const extra = Object.entries(e.extra ?? {}).map(([k, v]) => el(k, v));
  return xmlDoc("Error", [
    el("Code", e.code),
    el("Message", e.message),
    ...extra,
    optEl("Resource", e.resource),
    el("RequestId", e.requestId),
    el("HostId", e.hostId ?? ""),
  ], { xmlns: false });
}

/** `<Owner>`/`<Initiator>` body: ID, then DisplayName when known. */
export function ownerChildren(o: OwnerData): string[] {
  return [el("ID", o.id), optEl("DisplayName", o.displayName)];
}

// S3 lists checksum elements in this order (API reference, CompleteMultipartUpload/CopyObject).
const CHECKSUM_ORDER = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;

/** The `Checksum<ALG>` elements that are set, in S3's order. */
export function checksumElements(c: ChecksumFields["checksums"]): string[] {
  if (!c) return [];
  return CHECKSUM_ORDER.map((alg) => optEl(`Checksum${alg}`, c[alg]));
}

/**
 * GetBucketLocation. S3 answers us-east-1 (and an unset constraint) with an empty
 * self-closing element; other regions carry their name.
 */
export function renderLocationConstraint(region: string | null): string {
  const value = region === null || region === "us-east-1" ? "" : region;
  return xmlDoc("LocationConstraint", [escapeXml(value)]);
}

/** GetBucketVersioning for a bucket that was never versioned: the empty configuration. */
export function renderVersioningConfiguration(): string {
  return xmlDoc("VersioningConfiguration", []);
}

/** GetBucketAcl / GetObjectAcl: the owner holds FULL_CONTROL and nothing else is granted. */
export function renderAccessControlPolicy(p: AccessControlPolicyData): string {
  const grantee = '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    `xsi:type="CanonicalUser">${ownerChildren(p.owner).join("")}</Grantee>`;
  return xmlDoc("AccessControlPolicy", [
    el("Owner", ownerChildren(p.owner)),
    el("AccessControlList", [el("Grant", [grantee, el("Permission", "FULL_CONTROL")])]),
  ]);
}

/**
 * CopyObject. S3 sends LastModified before ETag on the wire (its own example and MinIO
 * agree, the reference's syntax block lists them the other way), then ChecksumType and
 * the checksum values as the reference orders them.
 */
export function renderCopyObjectResult(r: CopyResultData): string {
  return xmlDoc("CopyObjectResult", copyChildren(r));
}

/** UploadPartCopy: same body as CopyObject under `CopyPartResult`. */
export function renderCopyPartResult(r: CopyResultData): string {
  return xmlDoc("CopyPartResult", copyChildren(r));
}

function copyChildren(r: CopyResultData): XmlChildren {
  return [
    el("LastModified", xmlTimestamp(r.lastModified)),
    el("ETag", r.etag),
    optEl("ChecksumType", r.checksumType),
    ...checksumElements(r.checksums),
  ];
}

/** CreateMultipartUpload: Bucket, Key, UploadId. */
export function renderInitiateMultipartUploadResult(r: InitiateMultipartUploadData): string {
  return xmlDoc("InitiateMultipartUploadResult", [
    el("Bucket", r.bucket),
    el("Key", r.key),
    el("UploadId", r.uploadId),
  ]);
}

/** CompleteMultipartUpload: Location, Bucket, Key, ETag, checksum values, ChecksumType. */
export function renderCompleteMultipartUploadResult(r: CompleteMultipartUploadData): string {
  return xmlDoc("CompleteMultipartUploadResult", [
    el("Location", r.location),
    el("Bucket", r.bucket),
    el("Key", r.key),
    el("ETag", r.etag),
    ...checksumElements(r.checksums),
    optEl("ChecksumType", r.checksumType),
  ]);
}

/**
 * DeleteObjects: every `Deleted` (omitted by the caller in quiet mode), then every `Error`
 * with Key, VersionId, Code, Message as in S3's documented example.
 */
export function renderDeleteResult(r: DeleteResultData): string {
  return xmlDoc("DeleteResult", [
    ...r.deleted.map((d) => el("Deleted", [el("Key", d.key), optEl("VersionId", d.versionId)])),
    ...r.errors.map((e) =>
      el("Error", [
        el("Key", e.key),
        optEl("VersionId", e.versionId),
        el("Code", e.code),
        el("Message", e.message),
      ])
    ),
  ]);
}
