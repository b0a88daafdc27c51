/**
 * The pure half of AWS Signature Version 4 for S3: URI encoding, canonical request, string to
 * sign, signing-key derivation (cached) and dates. No I/O, no errors: verification lives in
 * sigv4.ts.
 */
import { createHash, createHmac, type Hash } from "node:crypto";
import { BoundedMap, memoized } from "../memo.ts";
import { constantTimeEqual } from "./constant_time.ts";

export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

// ---------------------------------------------------------------- URI encoding

const UTF8 = new TextEncoder();
const ENCODED_BYTE: string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\-_.~]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
});
const ALREADY_CANONICAL_PATH = /^[A-Za-z0-9\-_.~/]*$/;
const ALREADY_CANONICAL_PART = /^[A-Za-z0-9\-_.~]*$/;

/** A query name or value as SigV4 encodes it: decoded ('+' is a space), then re-encoded. */
function canonicalQueryPart(s: string): string {
  // Most parameters (dates, algorithm names, numbers, a credential's %2F) need no work.
  return isCanonical(s) ? s : uriEncode(percentDecode(s, true), false);
}

/** Whether decoding and re-encoding would give `s` back: unreserved bytes and %XX of others. */
function isCanonical(s: string): boolean {
  if (ALREADY_CANONICAL_PART.test(s)) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x25) {
      if (c >= 0x80 || ENCODED_BYTE[c].length !== 1) return false;
      continue;
    }
    const hi = s.charCodeAt(i + 1);
    const lo = s.charCodeAt(i + 2);
    // Upper-case hex only: "%2f" re-encodes as "%2F".
    const h = hi >= 0x30 && hi <= 0x39 ? hi - 0x30 : hi >= 0x41 && hi <= 0x46 ? hi - 0x37 : -1;
    const l = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x41 && lo <= 0x46 ? lo - 0x37 : -1;
    if (h < 0 || l < 0 || ENCODED_BYTE[h * 16 + l].length === 1) return false;
    i += 2;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes to bytes. A '%' not followed by two hex digits stays a literal '%'. */
function percentDecode(s: string, plusIsSpace: boolean): Uint8Array {
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && hexValue(s.charCodeAt(i + 1)) >= 0) {
      const lo = hexValue(s.charCodeAt(i + 2));
      if (lo >= 0) {
        out[n++] = hexValue(s.charCodeAt(i + 1)) * 16 + lo;
        i += 2;
        continue;
      }
    }
    if (c === 0x2b && plusIsSpace) out[n++] = 0x20;
    else if (c < 0x80) out[n++] = c;
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of UTF8.encode(String.fromCodePoint(cp))) out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/** AWS's UriEncode: unreserved bytes kept, everything else %XX (uppercase). */
function uriEncode(bytes: Uint8Array, keepSlash: boolean): string {
  let out = "";
  for (const b of bytes) out += b === 0x2f && keepSlash ? "/" : ENCODED_BYTE[b];
  return out;
}

/** Percent-encodes a string the way SigV4 wants query names and values. */
export function awsEncode(value: string): string {
  return uriEncode(UTF8.encode(value), false);
}

/**
 * The canonical URI: escapes decoded once and re-encoded, so "%7e", "~" and "%7E" all sign
 * as "~". S3 is the service that does not double-encode. Empty path signs as "/".
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === "") return "/";
  if (ALREADY_CANONICAL_PATH.test(rawPath)) return rawPath;
  return uriEncode(percentDecode(rawPath, false), true);
}

/** The canonical query: decoded ('+' is a space), re-encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string, dropSignature = false): string {
  if (rawQuery === "") return "";
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = canonicalQueryPart(eq < 0 ? part : part.slice(0, eq));
    if (dropSignature && name === "X-Amz-Signature") continue;
    const value = eq < 0 ? "" : canonicalQueryPart(part.slice(eq + 1));
    pairs.push([name, value]);
  }
  // Encoded strings are ASCII, so UTF-16 comparison is byte order here.
  pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/**
 * The value a signed header contributes, before whitespace is folded. A signed header that
 * is absent signs as empty, so a mismatch shows up as a plain SignatureDoesNotMatch. Expect
 * may be consumed by the HTTP layer (MinIO does the same).
 */
export function signedHeaderValue(headers: Headers, name: string): string {
  return headers.get(name) ?? (name === "expect" ? "100-continue" : "");
}

function canonicalHeaders(headers: Headers, signedHeaders: readonly string[]): string {
  let out = "";
  for (const name of signedHeaders) {
    out += `${name}:${signedHeaderValue(headers, name).trim().replace(/\s+/g, " ")}\n`;
  }
  return out;
}

export interface CanonicalParts {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Headers;
  /** Lowercase, sorted. */
  signedHeaders: readonly string[];
  /** The literal x-amz-content-sha256 value (hex, UNSIGNED-PAYLOAD or STREAMING-...). */
  payloadHash: string;
  /** Presigned requests leave X-Amz-Signature out of the canonical query. */
  presigned?: boolean;
}

/** The SigV4 canonical request for S3. */
export function canonicalRequest(p: CanonicalParts): string {
  return [
    p.method,
    canonicalUri(p.rawPath),
    canonicalQuery(p.rawQuery, p.presigned ?? false),
    canonicalHeaders(p.headers, p.signedHeaders),
    p.signedHeaders.join(";"),
    p.payloadHash,
  ].join("\n");
}

/** `AWS4-HMAC-SHA256\n<amzDate>\n<scope>\n<hex sha256 of the canonical request>`. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function sha256Hex(data: string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * HMAC-SHA256 with the key's inner and outer pad hashed once: each signature then costs two
 * hash copies instead of a full HMAC setup (half the CPU, measured). Keyed by the key's
 * identity, so the cached signing keys get cached pads.
 */
const hmacPads = new WeakMap<Uint8Array, { inner: Hash; outer: Hash }>();

/** Hex HMAC-SHA256 of `data` under a derived signing key. */
export function signHex(signingKey: Uint8Array, data: string): string {
  let pads = hmacPads.get(signingKey);
  if (!pads) {
    // A 32-byte signing key fits the 64-byte SHA-256 block, so it is padded, not hashed.
    const block = new Uint8Array(64);
    block.set(
      signingKey.length <= 64 ? signingKey : createHash("sha256").update(signingKey).digest(),
    );
    pads = {
      inner: createHash("sha256").update(block.map((b) => b ^ 0x36)),
      outer: createHash("sha256").update(block.map((b) => b ^ 0x5c)),
    };
    hmacPads.set(signingKey, pads);
  }
  const inner = pads.inner.copy().update(data).digest();
  return pads.outer.copy().update(inner).digest("hex");
}

/** Constant-time comparison of two hex signatures; different lengths never match. */
export function signaturesEqual(expected: string, provided: string): boolean {
  return constantTimeEqual(expected, provided);
}

// ---------------------------------------------------------------- signing keys

const signingKeyCache = new BoundedMap<string, { secretKey: string; key: Uint8Array }>(1000);

/**
 * The derived key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
 * Cached per (secret, date, region, service): deriving costs four HMACs per request. The
 * entry remembers its secret, so a rotated secret never reuses a stale key; the secret itself
 * is not part of the map key, which would keep secrets as keys of a long-lived map.
 */
export function signingKeyFor(
  secretKey: string,
  date: string,
  region: string,
  service: string,
): Uint8Array {
  const id = `${secretKey.length}:${secretKey.slice(0, 4)}/${date}/${region}/${service}`;
  const cached = signingKeyCache.get(id);
  let key = cached?.secretKey === secretKey ? cached.key : undefined;
  if (key === undefined) {
    const mac = (k: string | Uint8Array, d: string) => createHmac("sha256", k).update(d).digest();
    key = mac(mac(mac(mac("AWS4" + secretKey, date), region), service), "aws4_request");
    signingKeyCache.set(id, { secretKey, key });
  }
  return key;
}

// ---------------------------------------------------------------- dates

/** Parses "yyyyMMddTHHmmssZ" to epoch ms, or null (memoized: requests share their second). */
export const parseAmzDate: (s: string) => number | null = memoized(256, parseAmzDateUncached);

function parseAmzDateUncached(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  const valid = back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 &&
    se < 60;
  return valid ? t : null;
}

/** Formats a date as "yyyyMMddTHHmmssZ". */
export function toAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
