/**
 * Reference checksums computed independently of the server (which uses node:zlib and
 * hash-wasm): table-driven CRC32C and CRC64NVME in plain TypeScript, CRC32 from node:zlib,
 * SHA-1/SHA-256/MD5 from node:crypto. Values are S3's base64 of the big-endian digest.
 */
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";

function table32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32C_TABLE = table32(0x82f63b78);
const CRC64NVME_POLY = 0x9a6c9329ac4bc9b5n;
const CRC64_TABLE = (() => {
  const t = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64NVME_POLY : c >> 1n;
    t[i] = c;
  }
  return t;
})();

export function crc32c(data: Uint8Array): Uint8Array {
  let c = 0xffffffff;
  for (const b of data) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return be32((c ^ 0xffffffff) >>> 0);
}

export function crc32(data: Uint8Array): Uint8Array {
  return be32(zlibCrc32(data) >>> 0);
}

export function crc64nvme(data: Uint8Array): Uint8Array {
  let c = 0xffffffffffffffffn;
  for (const b of data) c = CRC64_TABLE[Number((c ^ BigInt(b)) & 0xffn)] ^ (c >> 8n);
  c ^= 0xffffffffffffffffn;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, c);
  return out;
}

function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

export type Algorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";

/** S3's base64 checksum of `data` with `alg`. */
export function checksumOf(alg: Algorithm, data: Uint8Array): string {
  switch (alg) {
    case "CRC32":
      return b64(crc32(data));
    case "CRC32C":
      return b64(crc32c(data));
    case "CRC64NVME":
      return b64(crc64nvme(data));
    case "SHA1":
      return createHash("sha1").update(data).digest("base64");
    case "SHA256":
      return createHash("sha256").update(data).digest("base64");
  }
}

export function md5Base64(data: Uint8Array | string): string {
  return createHash("md5").update(data).digest("base64");
}

export function md5Hex(data: Uint8Array | string): string {
  return createHash("md5").update(data).digest("hex");
}
