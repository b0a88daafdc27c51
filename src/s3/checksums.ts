/**
 * S3 checksums (x-amz-checksum-*), Content-MD5 and ETags.
 *
 * Speed (PLATFORM.md): CRC32 from `node:zlib`, CRC32C and CRC64NVME from hash-wasm,
 * MD5/SHA-1/SHA-256 from `node:crypto`. hash-wasm creates hashers asynchronously, so
 * `checksumReady()` must be awaited once at startup; after that `createChecksum` is
 * synchronous. One hash-wasm instance per algorithm is shared by every stream: each
 * checksum keeps its own 8–12 byte state and swaps it in with `load()`/`save()` around an
 * update (measured: no loss against a private instance at 64 KiB chunks).
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { crc32 as zlibCrc32 } from "node:zlib";
import { createCRC32, createCRC64, type IHasher } from "hash-wasm";
import type { StoredChecksum } from "../storage/records.ts";
import { S3Error } from "./errors.ts";
import {
  combineCrcParts,
  CRC32_SPEC,
  CRC32C_SPEC,
  CRC64NVME_SPEC,
  type CrcSpec,
} from "./crc_combine.ts";

/** The checksum algorithms S3 accepts, in S3's spelling. */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = typeof CHECKSUM_ALGORITHMS[number];

/** Decoded digest length in bytes. */
export const CHECKSUM_LENGTH: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** A stored checksum as the `checksums` map the XML results take: `{ CRC32: "…" }`, or `{}`. */
export function checksumMap(
  c: StoredChecksum | null,
): Partial<Record<ChecksumAlgorithm, string>> {
  return c ? { [c.algorithm]: c.value } : {};
}

/** `"CRC32"` → `"x-amz-checksum-crc32"`. */
export function checksumHeaderName(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

/**
 * `"x-amz-checksum-crc32"` (any case) → `"CRC32"`; null for other headers, including
 * `x-amz-checksum-type`, `x-amz-checksum-algorithm` and `x-amz-checksum-mode`.
 */
export function checksumAlgorithmFromHeader(name: string): ChecksumAlgorithm | null {
  const lower = name.toLowerCase();
  if (!lower.startsWith("x-amz-checksum-")) return null;
  return parseChecksumAlgorithm(lower.slice("x-amz-checksum-".length));
}

/** An algorithm name as sent in `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm`. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | null {
  const upper = value.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)
    ? upper as ChecksumAlgorithm
    : null;
}

/** An incremental checksum. Digest methods may be called repeatedly (the value is cached). */
export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  update(bytes: Uint8Array): void;
  digestRaw(): Uint8Array;
  digestBase64(): string;
}

let crc32cShared: IHasher | null = null;
let crc64Shared: IHasher | null = null;
let crc32cFresh: Uint8Array | null = null;
let crc64Fresh: Uint8Array | null = null;
let readyPromise: Promise<void> | null = null;

/** Load the WASM CRC hashers. Await once before the first `createChecksum`. */
export function checksumReady(): Promise<void> {
  readyPromise ??= (async () => {
    const [c, d] = await Promise.all([
      createCRC32(0x82F63B78),
      createCRC64("9a6c9329ac4bc9b5"), // CRC-64/NVME: hash-wasm's default is CRC-64/XZ
    ]);
    crc32cFresh = c.init().save();
    crc64Fresh = d.init().save();
    crc32cShared = c;
    crc64Shared = d;
  })();
  return readyPromise;
}

/** Create an incremental checksum (synchronous; `checksumReady()` must have resolved). */
export function createChecksum(alg: ChecksumAlgorithm): Checksum {
  switch (alg) {
    case "CRC32":
      return crc32Checksum();
    case "CRC32C":
      return sharedWasmChecksum(alg, crc32cShared, crc32cFresh);
    case "CRC64NVME":
      return sharedWasmChecksum(alg, crc64Shared, crc64Fresh);
    case "SHA1":
    case "SHA256":
      return nodeHashChecksum(alg);
  }
}

function cached(alg: ChecksumAlgorithm, update: (b: Uint8Array) => void, final: () => Uint8Array) {
  let raw: Uint8Array | null = null;
  const c: Checksum = {
    algorithm: alg,
    update(bytes) {
      if (raw) throw new Error("checksum already digested");
      update(bytes);
    },
    digestRaw: () => (raw ??= final()),
    digestBase64: () => toBase64(c.digestRaw()),
  };
  return c;
}

function crc32Checksum(): Checksum {
  let crc = 0;
  return cached("CRC32", (b) => (crc = zlibCrc32(b, crc)), () => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, crc >>> 0);
    return out;
  });
}

function sharedWasmChecksum(
  alg: ChecksumAlgorithm,
  hasher: IHasher | null,
  fresh: Uint8Array | null,
): Checksum {
  if (!hasher || !fresh) throw new Error(`${alg}: await checksumReady() first`);
  let state = fresh;
  return cached(alg, (b) => {
    hasher.load(state);
    hasher.update(b);
    state = hasher.save();
  }, () => {
    hasher.load(state);
    return hasher.digest("binary");
  });
}

function nodeHashChecksum(alg: "SHA1" | "SHA256"): Checksum {
  const h = createHash(alg === "SHA1" ? "sha1" : "sha256");
  return cached(alg, (b) => h.update(b), () => new Uint8Array(h.digest()));
}

/** Standard padded base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode canonical padded base64; null for anything else (Buffer would skip junk silently). */
export function fromBase64Strict(s: string): Uint8Array | null {
  if (!STRICT_BASE64.test(s)) return null;
  return new Uint8Array(Buffer.from(s, "base64"));
}

/**
 * Whether a checksum header value decodes to the algorithm's digest length. When not,
 * S3 answers `invalidChecksumValueError`.
 */
export function isValidChecksumValue(alg: ChecksumAlgorithm, base64: string): boolean {
  return fromBase64Strict(base64)?.length === CHECKSUM_LENGTH[alg];
}

/** S3's answer to a malformed checksum header: 400 InvalidRequest naming the header. */
export function invalidChecksumValueError(alg: ChecksumAlgorithm): S3Error {
  return new S3Error("InvalidRequest", `Value for ${checksumHeaderName(alg)} header is invalid.`);
}

/** S3's answer when a checksum does not match the received bytes: 400 BadDigest. */
export function checksumMismatchError(alg: ChecksumAlgorithm): S3Error {
  return new S3Error(
    "BadDigest",
    `The ${alg} you specified did not match the calculated checksum.`,
  );
}

/**
 * S3's COMPOSITE multipart checksum: the algorithm over the concatenated raw part
 * digests, base64, then `-<part count>`.
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partRawDigests: Uint8Array[]): string {
  const c = createChecksum(alg);
  for (const d of partRawDigests) c.update(d);
  return `${c.digestBase64()}-${partRawDigests.length}`;
}

const CRC_SPECS: Partial<Record<ChecksumAlgorithm, CrcSpec>> = {
  CRC32: CRC32_SPEC,
  CRC32C: CRC32C_SPEC,
  CRC64NVME: CRC64NVME_SPEC,
};

/**
 * S3's FULL_OBJECT multipart checksum for a CRC algorithm: the CRC of the whole object,
 * combined from each part's raw CRC and byte length (see crc_combine.ts).
 */
export function combineCrc(
  alg: ChecksumAlgorithm,
  parts: readonly { raw: Uint8Array; length: number }[],
): Uint8Array {
  const spec = CRC_SPECS[alg];
  if (!spec) throw new RangeError(`${alg} has no FULL_OBJECT combination`);
  return combineCrcParts(spec, parts);
}

/** Incremental MD5 (ETag of single-part objects, Content-MD5 checks). */
export interface Md5 {
  update(bytes: Uint8Array): void;
  digestRaw(): Uint8Array;
  digestHex(): string;
}

/** Create an incremental MD5; digests may be read repeatedly. */
export function createMd5(): Md5 {
  const h = createHash("md5");
  let raw: Uint8Array | null = null;
  const digestRaw = () => (raw ??= new Uint8Array(h.digest()));
  return {
    update: (b) => void h.update(b),
    digestRaw,
    digestHex: () => Buffer.from(digestRaw()).toString("hex"),
  };
}

/** Hex MD5 of a whole buffer. */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/**
 * The multipart ETag, quoted: MD5 of the concatenated binary part MD5s, then `-<count>`.
 * Part ETags may be given with or without quotes.
 *
 * @example multipartEtag([md5Hex(a), md5Hex(b)]) // "\"…-2\""
 */
export function multipartEtag(partMd5Hex: string[]): string {
  const h = createHash("md5");
  for (const hex of partMd5Hex) h.update(Buffer.from(hex.replaceAll('"', ""), "hex"));
  return `"${h.digest("hex")}-${partMd5Hex.length}"`;
}

/**
 * Check a Content-MD5 header against the computed MD5. A missing header passes; a value
 * that is not base64 of 16 bytes is `InvalidDigest`; a mismatch is `BadDigest`.
 */
export function contentMd5Check(headerValue: string | null, md5Raw: Uint8Array): void {
  if (headerValue === null) return;
  const expected = fromBase64Strict(headerValue.trim());
  if (!expected || expected.length !== 16) throw new S3Error("InvalidDigest");
  if (!bytesEqual(expected, md5Raw)) {
    // S3 reports the calculated value in base64 but echoes the expected one in hex
    // (OpenStack Swift's s3api tests note the same against AWS).
    throw new S3Error(
      "BadDigest",
      "The Content-MD5 you specified did not match what we received.",
      {
        CalculatedDigest: toBase64(md5Raw),
        ExpectedDigest: Buffer.from(expected).toString("hex"),
      },
    );
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
