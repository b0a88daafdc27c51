import { MAX_KEY_BYTES } from "../storage/limits.ts";
import { S3Error } from "./errors.ts";

/** Where a request points: the raw (still encoded) path and query, the bucket and the key. */
export interface S3Address {
  rawPath: string;
  rawQuery: string;
  bucket: string | null;
  key: string | null;
}

/**
 * Splits a request URL into bucket and key, path-style (`/bucket/key`) or, when a base
 * domain is configured and the Host header is `<bucket>.<domain>`, virtual-hosted-style.
 * Works on the raw request target: `new URL()` would resolve `..` segments and re-encode,
 * but in S3 `a/../b` is just a key, and SigV4 needs the path as the client sent it.
 */
export function parseAddress(url: string, host: string | null, domain: string | null): S3Address {
  const afterScheme = url.indexOf("://");
  const pathStart = url.indexOf("/", afterScheme < 0 ? 0 : afterScheme + 3);
  const target = pathStart < 0 ? "/" : url.slice(pathStart);
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);

  const hostname = (host ?? "").replace(/:\d+$/, "").toLowerCase();
  if (domain && hostname.endsWith("." + domain)) {
    const bucket = hostname.slice(0, -domain.length - 1);
    const key = rawPath.length > 1 ? decodePath(rawPath.slice(1)) : null;
    return { rawPath, rawQuery, bucket, key: checkKey(key) };
  }

  const rest = rawPath.slice(1);
  const slash = rest.indexOf("/");
  const rawBucket = slash < 0 ? rest : rest.slice(0, slash);
  const rawKey = slash < 0 ? "" : rest.slice(slash + 1);
  return {
    rawPath,
    rawQuery,
    bucket: rawBucket ? decodePath(rawBucket) : null,
    key: checkKey(rawKey ? decodePath(rawKey) : null),
  };
}

function decodePath(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error("InvalidURI");
  }
}

function checkKey(key: string | null): string | null {
  if (key !== null && utf8Length(key) > MAX_KEY_BYTES) {
    throw new S3Error("KeyTooLongError", undefined, {
      Size: String(utf8Length(key)),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
  return key;
}

/** Byte length of a string once UTF-8 encoded, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * S3's bucket naming rules: 3-63 characters of a-z, 0-9, '.' and '-', each dot-separated
 * label starting and ending with a letter or digit, not an IP address, and none of the
 * prefixes and suffixes Amazon reserves.
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || name.includes(".-") || name.includes("-.")) return false;
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|--x-s3|\.mrap)$/.test(name)) return false;
  return true;
}
