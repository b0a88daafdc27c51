/**
 * openPayload(): bodies come out decoded and verified, and every failure is thrown by the
 * iterator before it completes. Chunked bodies are AWS's published sigv4-streaming examples and
 * a body captured from @aws-sdk/client-s3 3.1175.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { S3Error } from "../../src/s3/errors.ts";
import { openPayload, type Payload } from "../../src/auth/payload.ts";
import { EMPTY_SHA256, type PayloadMode, signingKeyFor } from "../../src/auth/sigv4.ts";

const enc = new TextEncoder();
const A = "a".repeat(66560);
const AWS_CHUNKED =
  "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
  `${"a".repeat(65536)}\r\n` +
  "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
  `${"a".repeat(1024)}\r\n` +
  "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
const AWS_MODE: PayloadMode = {
  kind: "chunked",
  signed: true,
  trailer: false,
  decodedLength: 66560,
  seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  signingKey: signingKeyFor(
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "20130524",
    "us-east-1",
    "s3",
  ),
  amzDate: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
  trailerNames: null,
};

/** A body delivered in `step`-byte reads, counting reads and noting cancellation. */
function body(content: string | Uint8Array, step = 65536, fail?: Error) {
  const bytes = typeof content === "string" ? enc.encode(content) : content;
  const state = { pulls: 0, cancelled: false };
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      state.pulls++;
      if (at < bytes.length) {
        c.enqueue(bytes.slice(at, at + step));
        at += step;
      } else if (fail) c.error(fail);
      else c.close();
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state, length: bytes.length };
}

async function readAll(p: Payload): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of p.chunks()) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

async function rejects(p: Payload, code: string, message?: RegExp) {
  await assert.rejects(readAll(p), (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const opts = (contentLength: number | null, maxBytes = 1 << 30) => ({ contentLength, maxBytes });

Deno.test("AWS's chunked upload example streams out 66560 verified bytes in any read size", async () => {
  for (const step of [1, 7, 65536]) {
    const b = body(AWS_CHUNKED, step);
    const p = openPayload(b.stream, AWS_MODE, opts(b.length));
    assert.equal(await readAll(p), A, `step ${step}`);
    assert.equal(p.bytesRead, 66560);
    assert.deepEqual(p.trailers, {});
  }
});

Deno.test("a tampered chunk fails the iterator with SignatureDoesNotMatch", async () => {
  const b = body(AWS_CHUNKED.replace("\r\naaaa", "\r\naaab"));
  await rejects(openPayload(b.stream, AWS_MODE, opts(b.length)), "SignatureDoesNotMatch");
});

Deno.test("the AWS SDK's streaming upload decodes and exposes its checksum trailer", async () => {
  const b = body("6\r\nhello \r\n6\r\nstream\r\n0\r\nx-amz-checksum-crc32:gtnkmQ==\r\n\r\n", 7);
  const mode: PayloadMode = {
    ...AWS_MODE,
    signed: false,
    trailer: true,
    decodedLength: 12,
    trailerNames: ["x-amz-checksum-crc32"],
  };
  const p = openPayload(b.stream, mode, opts(null));
  assert.deepEqual(p.trailers, {});
  assert.equal(await readAll(p), "hello stream");
  assert.deepEqual(p.trailers, { "x-amz-checksum-crc32": "gtnkmQ==" });
  const other = body("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n");
  const expected = { ...opts(null), expectedTrailer: "x-amz-checksum-sha256" };
  await rejects(
    openPayload(other.stream, { ...mode, decodedLength: 5 }, expected),
    "InvalidRequest",
  );
});

Deno.test("a sha256 payload passes when the body matches x-amz-content-sha256", async () => {
  const text = "Welcome to Amazon S3.";
  const mode: PayloadMode = {
    kind: "sha256",
    expectedHex: createHash("sha256").update(text).digest("hex"),
  };
  const b = body(text, 4);
  const p = openPayload(b.stream, mode, opts(b.length));
  assert.equal(await readAll(p), text);
  assert.equal(p.bytesRead, text.length);
});

Deno.test("a sha256 mismatch is thrown after the last bytes but before the iterator completes", async () => {
  const mode: PayloadMode = { kind: "sha256", expectedHex: EMPTY_SHA256 };
  const b = body("not empty");
  const iterator = openPayload(b.stream, mode, opts(b.length)).chunks();
  assert.equal(new TextDecoder().decode((await iterator.next()).value!), "not empty");
  await assert.rejects(iterator.next(), (e: unknown) => {
    assert.ok(e instanceof S3Error && e.code === "XAmzContentSHA256Mismatch");
    assert.equal(e.extra.ClientComputedContentSHA256, EMPTY_SHA256);
    return true;
  });
});

Deno.test("a missing body is an empty payload", async () => {
  const p = openPayload(null, { kind: "sha256", expectedHex: EMPTY_SHA256 }, opts(null));
  assert.equal(await readAll(p), "");
  await rejects(openPayload(null, { kind: "unsigned" }, opts(10)), "IncompleteBody");
});

Deno.test("unsigned bodies pass the incoming buffers through without copying", async () => {
  const chunk = enc.encode("zero copy");
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(chunk);
      c.close();
    },
  });
  for await (const out of openPayload(stream, { kind: "unsigned" }, opts(9)).chunks()) {
    assert.equal(out, chunk);
  }
});

Deno.test("a body shorter than Content-Length is IncompleteBody", async () => {
  const b = body("short");
  await rejects(openPayload(b.stream, { kind: "unsigned" }, opts(10)), "IncompleteBody", /5 of 10/);
  const cut = body(AWS_CHUNKED.slice(0, 66000));
  await rejects(openPayload(cut.stream, AWS_MODE, opts(null)), "IncompleteBody");
});

Deno.test("a body longer than Content-Length is refused", async () => {
  const b = body("longer than said");
  await rejects(openPayload(b.stream, { kind: "unsigned" }, opts(4)), "InvalidRequest", /longer/);
});

Deno.test("a body that fails mid-stream is IncompleteBody", async () => {
  const b = body("partial", 65536, new Error("connection reset"));
  await rejects(
    openPayload(b.stream, { kind: "unsigned" }, opts(null)),
    "IncompleteBody",
    /connection closed/,
  );
});

Deno.test("chunks whose total differs from x-amz-decoded-content-length are IncompleteBody", async () => {
  const b = body(AWS_CHUNKED);
  const mode = { ...AWS_MODE, decodedLength: 70000 };
  await rejects(openPayload(b.stream, mode, opts(b.length)), "IncompleteBody", /66560 bytes/);
});

Deno.test("a declared size over maxBytes is EntityTooLarge without reading the body", async () => {
  const plain = body("x".repeat(100));
  await rejects(openPayload(plain.stream, { kind: "unsigned" }, opts(100, 99)), "EntityTooLarge");
  assert.equal(plain.state.pulls, 0);
  const chunked = body(AWS_CHUNKED);
  await rejects(openPayload(chunked.stream, AWS_MODE, opts(null, 66559)), "EntityTooLarge");
  assert.equal(chunked.state.pulls, 0);
});

Deno.test("an undeclared body growing past maxBytes is EntityTooLarge and reading stops", async () => {
  const b = body("x".repeat(1 << 20), 1024);
  await rejects(openPayload(b.stream, { kind: "unsigned" }, opts(null, 10_000)), "EntityTooLarge");
  assert.ok(b.state.pulls <= 11, `read ${b.state.pulls} pieces`);
  assert.ok(b.state.cancelled);
  const chunked = body(AWS_CHUNKED, 1024);
  const mode = { ...AWS_MODE, decodedLength: null };
  await rejects(openPayload(chunked.stream, mode, opts(null, 65536 + 10)), "EntityTooLarge");
  assert.ok(chunked.state.pulls < 70 && chunked.state.cancelled);
});

Deno.test("stopping early cancels the request body", async () => {
  const b = body("x".repeat(10_000), 100);
  for await (const _ of openPayload(b.stream, { kind: "unsigned" }, opts(10_000)).chunks()) break;
  assert.ok(b.state.cancelled);
});

Deno.test("a payload can be iterated only once", () => {
  const p = openPayload(null, { kind: "unsigned" }, opts(0));
  p.chunks();
  assert.throws(() => p.chunks(), /only once/);
});
