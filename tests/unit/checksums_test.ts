import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumAlgorithmFromHeader,
  checksumHeaderName,
  checksumReady,
  combineCrc,
  compositeChecksum,
  contentMd5Check,
  createChecksum,
  createMd5,
  fromBase64Strict,
  isValidChecksumValue,
  md5Hex,
  multipartEtag,
  parseChecksumAlgorithm,
} from "../../src/s3/checksums.ts";
import { S3Error } from "../../src/s3/errors.ts";

await checksumReady();

const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const b64 = (h: string) => Buffer.from(h, "hex").toString("base64");

function digest(alg: ChecksumAlgorithm, ...chunks: Uint8Array[]) {
  const c = createChecksum(alg);
  for (const chunk of chunks) c.update(chunk);
  return c;
}

// Small deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VECTORS: [ChecksumAlgorithm, string, string][] = [
  ["CRC32", "123456789", "cbf43926"],
  ["CRC32C", "123456789", "e3069283"],
  ["CRC64NVME", "123456789", "ae8b14860a799888"],
  ["SHA1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["SHA256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ["CRC32", "", "00000000"],
  ["CRC32C", "", "00000000"],
  ["CRC64NVME", "", "0000000000000000"],
];

for (const [alg, input, want] of VECTORS) {
  Deno.test(`createChecksum("${alg}") of "${input}" is ${want}`, () => {
    const c = digest(alg, enc.encode(input));
    assert.equal(hex(c.digestRaw()), want);
    assert.equal(c.digestBase64(), b64(want));
  });
}

Deno.test("createChecksum() gives S3's base64 forms for the check strings", () => {
  const check = enc.encode("123456789");
  assert.equal(digest("CRC32", check).digestBase64(), "y/Q5Jg==");
  assert.equal(digest("CRC32C", check).digestBase64(), "4waSgw==");
  assert.equal(digest("CRC64NVME", check).digestBase64(), "rosUhgp5mIg=");
  assert.equal(digest("SHA1", enc.encode("abc")).digestBase64(), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  assert.equal(
    digest("SHA256", enc.encode("abc")).digestBase64(),
    "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
  );
});

Deno.test("createChecksum() is the same whether fed at once or in chunks", () => {
  const data = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 0xFF);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const whole = digest(alg, data).digestBase64();
    const chunked = digest(
      alg,
      data.subarray(0, 1),
      data.subarray(1, 65_537),
      data.subarray(65_537),
    );
    assert.equal(chunked.digestBase64(), whole, alg);
  }
});

Deno.test("createChecksum() keeps interleaved streams of one WASM algorithm apart", () => {
  for (const alg of ["CRC32C", "CRC64NVME"] as const) {
    const a = createChecksum(alg);
    const b = createChecksum(alg);
    a.update(enc.encode("1234"));
    b.update(enc.encode("abc"));
    a.update(enc.encode("56789"));
    assert.equal(b.digestBase64(), digest(alg, enc.encode("abc")).digestBase64());
    assert.equal(a.digestBase64(), digest(alg, enc.encode("123456789")).digestBase64());
  }
});

Deno.test("createChecksum() digests may be read twice; updating afterwards is an error", () => {
  const c = digest("SHA256", enc.encode("abc"));
  assert.equal(c.digestBase64(), c.digestBase64());
  assert.throws(() => c.update(enc.encode("x")));
});

Deno.test("checksum header names map to algorithms and back", () => {
  for (const alg of CHECKSUM_ALGORITHMS) {
    assert.equal(checksumAlgorithmFromHeader(checksumHeaderName(alg)), alg);
  }
  assert.equal(checksumHeaderName("CRC64NVME"), "x-amz-checksum-crc64nvme");
  assert.equal(checksumAlgorithmFromHeader("X-Amz-Checksum-CRC32C"), "CRC32C");
  for (
    const other of [
      "x-amz-checksum-type",
      "x-amz-checksum-algorithm",
      "x-amz-checksum-mode",
      "content-md5",
    ]
  ) {
    assert.equal(checksumAlgorithmFromHeader(other), null, other);
  }
  assert.equal(parseChecksumAlgorithm("crc64nvme"), "CRC64NVME");
  assert.equal(parseChecksumAlgorithm("MD5"), null);
});

Deno.test("isValidChecksumValue() accepts only base64 of the algorithm's digest length", () => {
  assert.equal(isValidChecksumValue("CRC32", "AAAAAA=="), true);
  assert.equal(isValidChecksumValue("CRC32C", "4waSgw=="), true);
  assert.equal(isValidChecksumValue("CRC64NVME", "rosUhgp5mIg="), true);
  assert.equal(isValidChecksumValue("SHA1", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="), true);
  assert.equal(
    isValidChecksumValue("SHA256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="),
    true,
  );
  assert.equal(isValidChecksumValue("CRC32", "rosUhgp5mIg="), false); // 8 bytes
  assert.equal(isValidChecksumValue("CRC64NVME", "AAAAAA=="), false); // 4 bytes
  assert.equal(isValidChecksumValue("CRC32", "AAAAAA"), false); // unpadded
  assert.equal(isValidChecksumValue("CRC32", "AAA*AA=="), false);
  assert.equal(isValidChecksumValue("CRC32", ""), false);
  assert.equal(isValidChecksumValue("SHA256", "y/Q5Jg=="), false);
});

Deno.test("fromBase64Strict() refuses what Buffer would silently accept", () => {
  assert.deepEqual(fromBase64Strict("AQID"), new Uint8Array([1, 2, 3]));
  assert.equal(fromBase64Strict("AQ ID"), null);
  assert.equal(fromBase64Strict("AQI"), null);
  assert.equal(fromBase64Strict("A===="), null);
});

for (const alg of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
  Deno.test(`combineCrc("${alg}") equals the CRC over the concatenated data for random splits`, () => {
    const rand = rng(alg.length * 7919);
    for (let round = 0; round < 25; round++) {
      const total = Math.floor(rand() * 300_000);
      const data = new Uint8Array(total).map(() => Math.floor(rand() * 256));
      const cuts = Array.from(
        { length: Math.floor(rand() * 6) },
        () => Math.floor(rand() * (total + 1)),
      )
        .sort((a, b) => a - b);
      const bounds = [0, ...cuts, total];
      const parts = bounds.slice(1).map((end, i) => {
        const bytes = data.subarray(bounds[i], end); // may be empty
        return { raw: digest(alg, bytes).digestRaw(), length: bytes.length };
      });
      assert.equal(
        hex(combineCrc(alg, parts)),
        hex(digest(alg, data).digestRaw()),
        `round ${round}`,
      );
    }
  });
}

Deno.test("combineCrc() handles parts of realistic multipart size", () => {
  const part = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  for (const alg of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
    const one = digest(alg, part).digestRaw();
    const parts = [{ raw: one, length: part.length }, { raw: one, length: part.length }];
    assert.equal(hex(combineCrc(alg, parts)), hex(digest(alg, part, part).digestRaw()), alg);
  }
});

Deno.test("combineCrc() of no parts is the CRC of nothing, and refuses non-CRC algorithms", () => {
  assert.equal(hex(combineCrc("CRC64NVME", [])), "0000000000000000");
  assert.throws(() => combineCrc("SHA256", []), RangeError);
  assert.throws(() => combineCrc("CRC32", [{ raw: new Uint8Array(8), length: 1 }]), RangeError);
});

Deno.test("compositeChecksum() is the checksum of the concatenated part checksums plus -N", () => {
  const parts = [digest("CRC32", enc.encode("hello")), digest("CRC32", enc.encode("world"))];
  assert.equal(compositeChecksum("CRC32", parts.map((p) => p.digestRaw())), "wpn7tg==-2");
  const shaParts = [enc.encode("a"), enc.encode("b"), enc.encode("c")].map((b) =>
    digest("SHA256", b).digestRaw()
  );
  const byHand = createHash("sha256");
  for (const p of shaParts) byHand.update(p);
  assert.equal(compositeChecksum("SHA256", shaParts), `${byHand.digest("base64")}-3`);
});

Deno.test("multipartEtag() is the MD5 of the binary part MD5s with -N, quoted", () => {
  const p1 = md5Hex(enc.encode("aaaaa"));
  const p2 = md5Hex(enc.encode("b"));
  assert.equal(p1, "594f803b380a41396ed63dca39503542");
  assert.equal(p2, "92eb5ffee6ae2fec3ad71c777531578f");
  const byHand = createHash("md5").update(
    Buffer.concat([Buffer.from(p1, "hex"), Buffer.from(p2, "hex")]),
  )
    .digest("hex");
  assert.equal(byHand, "d6cf633d4421b23c497ad462505168a1");
  assert.equal(multipartEtag([p1, p2]), `"${byHand}-2"`);
  assert.equal(multipartEtag([`"${p1}"`, `"${p2}"`]), `"${byHand}-2"`);
});

Deno.test("createMd5() digests incrementally and agrees with md5Hex()", () => {
  const m = createMd5();
  m.update(enc.encode("hel"));
  m.update(enc.encode("lo"));
  assert.equal(m.digestHex(), md5Hex(enc.encode("hello")));
  assert.equal(Buffer.from(m.digestRaw()).toString("base64"), "XUFAKrxLKna5cZ2REBfFkg==");
});

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    assert.ok(e instanceof S3Error);
    return e.code;
  }
}

Deno.test("contentMd5Check() passes a matching or absent Content-MD5", () => {
  const md5 = createMd5();
  md5.update(enc.encode("hello"));
  assert.equal(codeOf(() => contentMd5Check("XUFAKrxLKna5cZ2REBfFkg==", md5.digestRaw())), null);
  assert.equal(codeOf(() => contentMd5Check(null, md5.digestRaw())), null);
});

Deno.test("contentMd5Check() answers InvalidDigest for a value that is not base64 of 16 bytes", () => {
  const raw = createMd5().digestRaw();
  for (
    const v of [
      "",
      "not-base64!",
      "XUFAKrxLKna5cZ2REBfF",
      "AAAA",
      "5d41402abc4b2a76b9719d911017c592",
    ]
  ) {
    assert.equal(codeOf(() => contentMd5Check(v, raw)), "InvalidDigest", v);
  }
});

Deno.test("contentMd5Check() answers BadDigest with both digests for a mismatch", () => {
  const raw = createMd5().digestRaw(); // MD5 of nothing
  assert.throws(() => contentMd5Check("XUFAKrxLKna5cZ2REBfFkg==", raw), (e: unknown) => {
    assert.ok(e instanceof S3Error);
    assert.equal(e.code, "BadDigest");
    assert.deepEqual(e.extra, {
      CalculatedDigest: "1B2M2Y8AsgTpgAmY7PhCfg==",
      ExpectedDigest: "5d41402abc4b2a76b9719d911017c592",
    });
    return true;
  });
});
