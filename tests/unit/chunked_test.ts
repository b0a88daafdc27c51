/**
 * AwsChunkedDecoder against AWS's published aws-chunked examples (sigv4-streaming and
 * sigv4-streaming-trailers: 66560 bytes of 'a' in 64 KiB + 1 KiB + 0 chunks) and a body
 * captured from @aws-sdk/client-s3 3.1175 (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
 */
import assert from "node:assert/strict";
import { S3Error } from "../../src/s3/errors.ts";
import { AwsChunkedDecoder, type AwsChunkedOptions } from "../../src/auth/chunked.ts";
import { signingKeyFor } from "../../src/auth/sigv4.ts";

const enc = new TextEncoder();
const SIGNING = {
  signingKey: signingKeyFor(
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "20130524",
    "us-east-1",
    "s3",
  ),
  amzDate: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
};
const PLAIN = {
  seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  chunks: [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
  ],
};
const TRAILER = {
  seed: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
  chunks: [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
  ],
  trailer: "x-amz-checksum-crc32c:sOO8/Q==\r\n" +
    "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
};

function awsBody(sigs: string[], end: string): string {
  return `10000;chunk-signature=${sigs[0]}\r\n${"a".repeat(65536)}\r\n` +
    `400;chunk-signature=${sigs[1]}\r\n${"a".repeat(1024)}\r\n0;chunk-signature=${
      sigs[2]
    }\r\n${end}`;
}
const PLAIN_BODY = awsBody(PLAIN.chunks, "\r\n");
const TRAILER_BODY = awsBody(TRAILER.chunks, TRAILER.trailer + "\r\n");

function decoder(opts: Partial<AwsChunkedOptions> & { seed?: string } = {}) {
  return new AwsChunkedDecoder({
    signing: { ...SIGNING, seedSignature: opts.seed ?? PLAIN.seed },
    trailer: false,
    decodedLength: null,
    maxBytes: 1 << 30,
    trailerNames: null,
    ...opts,
  });
}

/** Feeds `body` in pieces of `step` bytes; returns the decoded text. */
function decode(d: AwsChunkedDecoder, body: string | Uint8Array, step = Infinity): string {
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  let out = "";
  for (let i = 0; i < bytes.length; i += step) {
    for (const view of d.push(bytes.slice(i, i + step))) out += new TextDecoder().decode(view);
  }
  d.finish();
  return out;
}

function fails(fn: () => unknown, code: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

Deno.test("AWS's chunked example decodes to 66560 bytes with every chunk signature verified", () => {
  const d = decoder();
  assert.equal(decode(d, PLAIN_BODY), "a".repeat(66560));
  assert.equal(d.decodedBytes, 66560);
  assert.deepEqual(d.trailers, {});
});

Deno.test("decoding is the same when the body arrives in 1-byte or 7-byte pieces", () => {
  for (const step of [1, 7, 4093]) {
    assert.equal(decode(decoder(), PLAIN_BODY, step), "a".repeat(66560), `step ${step}`);
    const d = decoder({ seed: TRAILER.seed, trailer: true });
    assert.equal(decode(d, TRAILER_BODY, step), "a".repeat(66560), `trailer step ${step}`);
    assert.deepEqual(d.trailers, { "x-amz-checksum-crc32c": "sOO8/Q==" });
  }
});

Deno.test("decoded data are views of the input, not copies", () => {
  const input = enc.encode(PLAIN_BODY);
  const views = decoder().push(input);
  assert.ok(views.length > 0 && views.every((v) => v.buffer === input.buffer));
});

Deno.test("a tampered chunk is SignatureDoesNotMatch naming the chunk", () => {
  const tampered = PLAIN_BODY.replace("\r\naaaa", "\r\nbaaa");
  fails(() => decode(decoder(), tampered), "SignatureDoesNotMatch", /chunk 0/);
  const lastSig = PLAIN_BODY.replace(PLAIN.chunks[2], "0".repeat(64));
  fails(() => decode(decoder(), lastSig), "SignatureDoesNotMatch", /chunk 2/);
  fails(() => decode(decoder({ seed: "1".repeat(64) }), PLAIN_BODY), "SignatureDoesNotMatch");
});

Deno.test("AWS's signed trailer example verifies the trailer signature over 'name:value\\n'", () => {
  const d = decoder({ seed: TRAILER.seed, trailer: true, trailerNames: ["x-amz-checksum-crc32c"] });
  assert.equal(decode(d, TRAILER_BODY).length, 66560);
  assert.deepEqual(d.trailers, { "x-amz-checksum-crc32c": "sOO8/Q==" });
  const changed = TRAILER_BODY.replace("sOO8/Q==", "sOO8/A==");
  fails(
    () => decode(decoder({ seed: TRAILER.seed, trailer: true }), changed),
    "SignatureDoesNotMatch",
    /trailer/,
  );
  const unsigned = TRAILER_BODY.replace(/x-amz-trailer-signature:.*\r\n/, "");
  fails(
    () => decode(decoder({ seed: TRAILER.seed, trailer: true }), unsigned),
    "InvalidRequest",
    /x-amz-trailer-signature/,
  );
});

Deno.test("trailer forms seen from real clients are accepted", () => {
  const forms = [
    // A CRLF between the final chunk and the trailers (the final chunk's empty data).
    awsBody(TRAILER.chunks, "\r\n" + TRAILER.trailer + "\r\n"),
    // No closing blank line at the end of the body.
    awsBody(TRAILER.chunks, TRAILER.trailer),
    // LF-terminated checksum line with a CRLF before the signature.
    awsBody(TRAILER.chunks, TRAILER.trailer.replace("==\r\n", "==\n\r\n") + "\r\n"),
  ];
  for (const body of forms) {
    const d = decoder({ seed: TRAILER.seed, trailer: true });
    assert.equal(decode(d, body, 5).length, 66560);
    assert.deepEqual(d.trailers, { "x-amz-checksum-crc32c": "sOO8/Q==" });
  }
});

Deno.test("the AWS SDK's unsigned aws-chunked body with a CRC32 trailer decodes", () => {
  const body = "6\r\nhello \r\n6\r\nstream\r\n0\r\nx-amz-checksum-crc32:gtnkmQ==\r\n\r\n";
  for (const step of [1, 7, 100]) {
    const d = decoder({
      signing: null,
      trailer: true,
      decodedLength: 12,
      trailerNames: ["x-amz-checksum-crc32"],
    });
    assert.equal(decode(d, body, step), "hello stream");
    assert.deepEqual(d.trailers, { "x-amz-checksum-crc32": "gtnkmQ==" });
  }
});

Deno.test("an unsigned payload may carry neither chunk signatures nor a trailer signature", () => {
  fails(() => decode(decoder({ signing: null }), PLAIN_BODY), "InvalidRequest", /extension/);
  const body = "0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + "0".repeat(64) +
    "\r\n\r\n";
  fails(
    () => decode(decoder({ signing: null, trailer: true }), body),
    "InvalidRequest",
    /signature/,
  );
});

Deno.test("a signed payload chunk without chunk-signature is refused", () => {
  fails(() => decode(decoder(), "5\r\nhello\r\n0\r\n\r\n"), "InvalidRequest", /chunk-signature/);
});

Deno.test("trailers must match x-amz-trailer and appear once", () => {
  const body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  const d = (names: string[] | null) =>
    decoder({ signing: null, trailer: true, trailerNames: names });
  fails(() => decode(d(["x-amz-checksum-sha256"]), body), "InvalidRequest", /x-amz-trailer/);
  fails(
    () => decode(d(["x-amz-checksum-crc32"]), "5\r\nhello\r\n0\r\n\r\n"),
    "InvalidRequest",
    /none/,
  );
  const twice = body.replace("\r\n\r\n", "\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n");
  fails(() => decode(d(null), twice), "InvalidRequest", /twice/);
  fails(() => decode(d(null), "0\r\nno colon here\r\n\r\n"), "InvalidRequest", /name:value/);
  fails(() => decode(d(null), "0\r\n__proto__:x\r\n\r\n"), "InvalidRequest", /invalid/);
});

Deno.test("malformed framing is InvalidRequest with a message saying what is wrong", () => {
  const unsigned = () => decoder({ signing: null });
  const cases: [string, RegExp][] = [
    ["zz\r\n", /not hexadecimal/],
    ["\r\n", /not hexadecimal/],
    ["5\nhello\r\n0\r\n\r\n", /CRLF/],
    ["5\r\nhelloXX0\r\n\r\n", /not followed by CRLF/],
    ["1000001\r\n", /larger than/],
    ["0\r\n\r\nextra", /follows the final/],
    ["5;name=value\r\n", /extension/],
  ];
  for (const [body, message] of cases) {
    fails(() => decode(unsigned(), body), "InvalidRequest", message);
  }
});

Deno.test("an overlong header line is refused before its end arrives", () => {
  const d = decoder({ signing: null });
  fails(() => d.push(enc.encode("1".repeat(5000))), "InvalidRequest", /longer than 4096/);
});

Deno.test("a body that stops before the final chunk is IncompleteBody", () => {
  for (const cut of [0, 10, 100, 65600, PLAIN_BODY.length - 90]) {
    fails(() => decode(decoder(), PLAIN_BODY.slice(0, cut)), "IncompleteBody");
  }
});

Deno.test("declared chunk sizes beyond maxBytes are EntityTooLarge before the data arrives", () => {
  const d = decoder({ maxBytes: 66000 });
  d.push(enc.encode(PLAIN_BODY.slice(0, 65536 + 100)));
  fails(() => d.push(enc.encode(PLAIN_BODY.slice(65536 + 100, 65536 + 190))), "EntityTooLarge");
});

Deno.test("chunks holding more than x-amz-decoded-content-length are refused", () => {
  fails(
    () => decode(decoder({ decodedLength: 66000 }), PLAIN_BODY),
    "InvalidRequest",
    /decoded-content-length/,
  );
});
