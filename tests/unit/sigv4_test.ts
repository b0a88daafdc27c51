/**
 * SigV4 canonical form and signing, pinned by published vectors:
 * - Amazon S3 API reference, "Signature Calculations for the Authorization Header" examples
 *   (examplebucket, 20130524) and "Authenticating Requests: Using Query Parameters".
 * - AWS General Reference signing-key walkthrough and the aws-sig-v4 test suite (service
 *   "service", 20150830; only vectors where S3's no-double-encoding rule changes nothing).
 */
import assert from "node:assert/strict";
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  EMPTY_SHA256,
  presignUrl,
  sha256Hex,
  signHex,
  signingKeyFor,
  stringToSign,
} from "../../src/auth/sigv4.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_SCOPE = "20130524/us-east-1/s3/aws4_request";
const HOST = "examplebucket.s3.amazonaws.com";

function sign(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: Record<string, string>,
  payloadHash: string,
) {
  const signedHeaders = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const canonical = canonicalRequest({
    method,
    rawPath,
    rawQuery,
    headers: new Headers(headers),
    signedHeaders,
    payloadHash,
  });
  const toSign = stringToSign("20130524T000000Z", S3_SCOPE, canonical);
  const signature = signHex(signingKeyFor(SECRET, "20130524", "us-east-1", "s3"), toSign);
  return { canonical, toSign, signature };
}

Deno.test("the S3 GET Object example yields AWS's canonical request, string to sign and signature", () => {
  const r = sign("GET", "/test.txt", "", {
    host: HOST,
    range: "bytes=0-9",
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
  }, EMPTY_SHA256);
  assert.equal(
    r.canonical,
    `GET\n/test.txt\n\nhost:${HOST}\nrange:bytes=0-9\nx-amz-content-sha256:${EMPTY_SHA256}\n` +
      `x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n${EMPTY_SHA256}`,
  );
  assert.equal(
    r.toSign,
    `AWS4-HMAC-SHA256\n20130524T000000Z\n${S3_SCOPE}\n` +
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
  );
  assert.equal(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
});

Deno.test("the S3 PUT Object example encodes '$' in the key and matches AWS's signature", () => {
  const hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  assert.equal(sha256Hex("Welcome to Amazon S3."), hash);
  const r = sign("PUT", "/test$file.text", "", {
    date: "Fri, 24 May 2013 00:00:00 GMT",
    host: HOST,
    "x-amz-content-sha256": hash,
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
  }, hash);
  assert.match(r.canonical, /^PUT\n\/test%24file\.text\n\n/);
  assert.ok(r.toSign.endsWith("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"));
  assert.equal(r.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
});

Deno.test("a query word without '=' (GET ?lifecycle) signs as 'lifecycle=' like AWS's example", () => {
  const headers = {
    host: HOST,
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
  };
  const r = sign("GET", "/", "lifecycle", headers, EMPTY_SHA256);
  assert.equal(r.canonical.split("\n")[2], "lifecycle=");
  assert.ok(r.toSign.endsWith("9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
  assert.equal(r.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
});

Deno.test("the list objects example sorts query parameters and matches AWS's signature", () => {
  const headers = {
    host: HOST,
    "x-amz-content-sha256": EMPTY_SHA256,
    "x-amz-date": "20130524T000000Z",
  };
  const r = sign("GET", "/", "prefix=J&max-keys=2", headers, EMPTY_SHA256);
  assert.equal(r.canonical.split("\n")[2], "max-keys=2&prefix=J");
  assert.ok(r.toSign.endsWith("df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"));
  assert.equal(r.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
});

Deno.test("the signing key matches the AWS General Reference derivation example", () => {
  const key = signingKeyFor(
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "20150830",
    "us-east-1",
    "iam",
  );
  assert.equal(
    Array.from(key, (b) => b.toString(16).padStart(2, "0")).join(""),
    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
  );
  const toSign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
  assert.equal(
    signHex(key, toSign),
    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
  );
});

Deno.test("the signing key cache gives a different key when the secret changes", () => {
  const a = signingKeyFor("secret-one", "20240101", "us-east-1", "s3");
  assert.equal(signingKeyFor("secret-one", "20240101", "us-east-1", "s3"), a);
  assert.notDeepEqual(signingKeyFor("secret-two", "20240101", "us-east-1", "s3"), a);
});

// aws-sig-v4 test suite: GET requests with an empty body, signed headers host;x-amz-date.
const SUITE: [
  name: string,
  path: string,
  query: string,
  extra: Record<string, string>,
  sig: string,
][] = [
  [
    "get-unreserved",
    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "",
    {},
    "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
  ],
  ["get-utf8", "/ሴ", "", {}, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"],
  [
    "get-vanilla-query-unreserved",
    "/",
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    {},
    "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
  ],
  [
    "get-vanilla-utf8-query",
    "/",
    "ሴ=bar",
    {},
    "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
  ],
  [
    "get-vanilla-query-order-key-case",
    "/",
    "Param2=value2&Param1=value1",
    {},
    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  ],
  [
    "get-vanilla-query-order-encoded",
    "/",
    "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
    {},
    "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
  ],
  [
    "get-header-value-trim",
    "/",
    "",
    { "My-Header1": " value1", "My-Header2": ' "a   b   c"' },
    "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
  ],
];
for (const [name, path, query, extra, expected] of SUITE) {
  Deno.test(`the aws-sig-v4 test suite vector ${name} signs as published`, () => {
    const headers = new Headers({
      host: "example.amazonaws.com",
      "x-amz-date": "20150830T123600Z",
      ...extra,
    });
    const canonical = canonicalRequest({
      method: "GET",
      rawPath: path,
      rawQuery: query,
      headers,
      signedHeaders: [...headers.keys()].sort(),
      payloadHash: EMPTY_SHA256,
    });
    const key = signingKeyFor(
      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      "20150830",
      "us-east-1",
      "service",
    );
    const toSign = stringToSign(
      "20150830T123600Z",
      "20150830/us-east-1/service/aws4_request",
      canonical,
    );
    assert.equal(signHex(key, toSign), expected);
  });
}

Deno.test("canonicalUri decodes escapes once and re-encodes every byte with AWS's rules", () => {
  assert.equal(canonicalUri(""), "/");
  assert.equal(canonicalUri("/bucket/a%20b/%c3%bc/%7E/~"), "/bucket/a%20b/%C3%BC/~/~");
  assert.equal(canonicalUri("/b/a+b"), "/b/a%2Bb", "'+' in a path is a plus, not a space");
  assert.equal(canonicalUri("/b/100%25"), "/b/100%25", "no double encoding");
  assert.equal(canonicalUri("/b/%2520"), "/b/%2520");
  assert.equal(canonicalUri("/b/50%/%zz"), "/b/50%25/%25zz", "a stray '%' is a literal percent");
  assert.equal(canonicalUri("/b/ü!*'()"), "/b/%C3%BC%21%2A%27%28%29");
  assert.equal(canonicalUri("/b//dir/"), "/b//dir/", "S3 keeps empty segments and slashes");
});

Deno.test("canonicalQuery decodes '+' as space, encodes '/', and sorts by name then value", () => {
  assert.equal(canonicalQuery(""), "");
  assert.equal(
    canonicalQuery("prefix=a+b/c&delimiter=%2f&uploads&&b=2&b=1&a="),
    "a=&b=1&b=2&delimiter=%2F&prefix=a%20b%2Fc&uploads=",
  );
  assert.equal(canonicalQuery("k=%2B%7e~*"), "k=%2B~~%2A");
  assert.equal(
    canonicalQuery("X-Amz-Signature=abc&X-Amz-Date=1", true),
    "X-Amz-Date=1",
    "presigned requests leave the signature out",
  );
});

Deno.test("presignUrl reproduces AWS's presigned URL example exactly", () => {
  const url = presignUrl({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
    accessKey: "AKIAIOSFODNN7EXAMPLE",
    secretKey: SECRET,
    region: "us-east-1",
    expiresIn: 86400,
    now: new Date("2013-05-24T00:00:00Z"),
  });
  assert.equal(
    url,
    "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  );
});

Deno.test("presignUrl signs awkward keys and extra parameters as the AWS SDK presigner does", () => {
  // Expected signatures from @aws-sdk/s3-request-presigner 3.1169 (getSignedUrl, same inputs).
  const common = {
    accessKey: "AKIAIOSFODNN7EXAMPLE",
    secretKey: SECRET,
    region: "us-east-1",
    expiresIn: 600,
    now: new Date("2024-03-01T12:00:00Z"),
  };
  const get = presignUrl({
    ...common,
    method: "GET",
    url: new URL("http://localhost:9000/bucket/a%20b/%C3%BC/~/%2B/%25"),
    extraQuery: {
      "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
      "x-amz-checksum-mode": "ENABLED",
      "x-id": "GetObject",
    },
  });
  assert.ok(get.startsWith("http://localhost:9000/bucket/a%20b/%C3%BC/~/%2B/%25?"));
  assert.ok(get.endsWith("a298ef12a4d2e0a9bb3b3b0feb0fea8cfc703f271623a6d934d106645f8890be"));
  const put = presignUrl({
    ...common,
    method: "PUT",
    url: new URL("http://localhost:9000/bucket/up load/ü.bin?x-id=PutObject"),
    extraQuery: {
      "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
      "x-amz-checksum-crc32": "AAAAAA==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
    },
  });
  assert.ok(put.includes("/bucket/up%20load/%C3%BC.bin?"));
  assert.ok(put.endsWith("9d5830ec826751ed6ff73d06a42142e5b6056e1a3f7bd71b96458e8b526ecdae"));
});

Deno.test("presignUrl refuses lifetimes S3 would refuse", () => {
  const opts = {
    method: "GET",
    url: new URL("http://localhost/b/k"),
    accessKey: "AK",
    secretKey: "SK",
    region: "us-east-1",
    now: new Date(),
  };
  assert.throws(() => presignUrl({ ...opts, expiresIn: 0 }), RangeError);
  assert.throws(() => presignUrl({ ...opts, expiresIn: 604801 }), RangeError);
  assert.ok(presignUrl({ ...opts, expiresIn: 604800 }).includes("X-Amz-Expires=604800"));
});
