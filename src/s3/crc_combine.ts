/**
 * CRC combination: the CRC of `A‖B` from `crc(A)`, `crc(B)` and `len(B)` without the data.
 * S3 answers multipart uploads with FULL_OBJECT checksums (always for CRC64NVME, and for
 * CRC32/CRC32C when the client asks with `x-amz-checksum-type: FULL_OBJECT`); parts arrive
 * with their own CRCs, so the whole-object value is combined from them.
 *
 * This is zlib's `crc32_combine` (multiply by x^(8·len) modulo the polynomial, in the
 * reflected bit order), generalised to any reflected CRC whose init and xorout are all-ones:
 * the all-ones terms cancel, so the same formula holds for CRC-32, CRC-32C and CRC-64/NVME.
 * BigInt keeps one code path for 32 and 64 bits; it runs once per part, not per byte.
 */

/** A reflected CRC with init = xorout = all-ones. */
export interface CrcSpec {
  /** Width in bits: 32 or 64. */
  width: 32 | 64;
  /** The polynomial in reflected (LSB-first) form. */
  reflectedPoly: bigint;
}

export const CRC32_SPEC: CrcSpec = { width: 32, reflectedPoly: 0xEDB88320n };
export const CRC32C_SPEC: CrcSpec = { width: 32, reflectedPoly: 0x82F63B78n };
export const CRC64NVME_SPEC: CrcSpec = { width: 64, reflectedPoly: 0x9A6C9329AC4BC9B5n };

interface Tables {
  spec: CrcSpec;
  top: bigint;
  /** x2n[k] = x^(2^k) mod p. */
  x2n: bigint[];
}

const tablesCache = new Map<CrcSpec, Tables>();

function tablesFor(spec: CrcSpec): Tables {
  let t = tablesCache.get(spec);
  if (!t) {
    const top = 1n << BigInt(spec.width - 1); // x^0 in reflected order
    const x2n = [top >> 1n]; // x^1
    // 64 entries cover lengths up to 2^60 bytes (the loop starts at k = 3: 8 bits per byte).
    for (let k = 1; k < 64; k++) x2n.push(multModP(spec, top, x2n[k - 1], x2n[k - 1]));
    t = { spec, top, x2n };
    tablesCache.set(spec, t);
  }
  return t;
}

// a·b mod p, both reflected polynomials (zlib's multmodp).
function multModP(spec: CrcSpec, top: bigint, a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  let m = top;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ spec.reflectedPoly : b >> 1n;
  }
  return p;
}

// x^(n·2^k) mod p.
function x2nModP(t: Tables, n: bigint, k: number): bigint {
  let p = t.top;
  while (n) {
    if (n & 1n) p = multModP(t.spec, t.top, t.x2n[k], p);
    n >>= 1n;
    k++;
  }
  return p;
}

/** CRC of `A‖B` given `crcA`, `crcB` and the byte length of `B`. */
export function crcCombine(spec: CrcSpec, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  const t = tablesFor(spec);
  return multModP(spec, t.top, x2nModP(t, BigInt(lengthB), 3), crcA) ^ crcB;
}

/** Big-endian bytes → integer (S3 checksum values are big-endian). */
export function crcFromBytes(raw: Uint8Array): bigint {
  let v = 0n;
  for (const b of raw) v = (v << 8n) | BigInt(b);
  return v;
}

/** Integer → big-endian bytes of `width / 8`. */
export function crcToBytes(spec: CrcSpec, v: bigint): Uint8Array {
  const out = new Uint8Array(spec.width / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xFFn);
    v >>= 8n;
  }
  return out;
}

/**
 * The CRC over the concatenation of all parts, from each part's big-endian CRC and length.
 * The CRC of empty data is 0 for these CRCs, so an empty list gives 0.
 */
export function combineCrcParts(
  spec: CrcSpec,
  parts: readonly { raw: Uint8Array; length: number }[],
): Uint8Array {
  let acc = 0n;
  for (const p of parts) {
    if (p.raw.length !== spec.width / 8) {
      throw new RangeError(`part CRC must be ${spec.width / 8} bytes, got ${p.raw.length}`);
    }
    acc = crcCombine(spec, acc, crcFromBytes(p.raw), p.length);
  }
  return crcToBytes(spec, acc);
}
