import assert from "node:assert/strict";
import { Readable } from "node:stream";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { withServer } from "../helpers/server.ts";
import {
  buildChunkedUpload,
  rawRequest,
  type RawResponse,
  sendSigned,
  sha256Hex,
  signRequest,
  type StreamingMode,
} from "../helpers/sign.ts";
import { checksumOf, md5Hex } from "../helpers/checksums.ts";
import {
  assertNoObject,
  assertObject,
  assertS3Error,
  getObject,
  sdkError,
  utf8,
} from "../helpers/s3.ts";

/** Deterministic bytes that are not all alike, so a misplaced chunk shows. */
function pattern(n: number, seed = 7): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function headChecksum(r: Promise<RawResponse>, alg: string): Promise<string | null> {
  return (await r).headers.get(`x-amz-checksum-${alg}`);
}

Deno.test("Signature V4 header auth and payload modes", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await rawRequest(server, { method: "PUT", path: "/sig" });

    await t.step("a hex x-amz-content-sha256 that matches the body stores the object", async () => {
      const r = await rawRequest(server, { method: "PUT", path: "/sig/hex", body: "version one" });
      assert.equal(r.status, 200, r.text);
      await assertObject(server, "sig", "hex", "version one");
    });

    await t.step(
      "a wrong x-amz-content-sha256 answers 400 XAmzContentSHA256Mismatch and the old version stays",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/sig/hex",
          body: "version two",
          contentSha256: sha256Hex("something else"),
        });
        assertS3Error(r, 400, "XAmzContentSHA256Mismatch");
        await assertObject(server, "sig", "hex", "version one");
        const fresh = await rawRequest(server, {
          method: "PUT",
          path: "/sig/hex-new",
          body: "never stored",
          contentSha256: sha256Hex("never stored!"),
        });
        assertS3Error(fresh, 400, "XAmzContentSHA256Mismatch");
        await assertNoObject(server, "sig", "hex-new");
      },
    );

    await t.step("UNSIGNED-PAYLOAD stores the body as sent", async () => {
      const body = pattern(70_000);
      const r = await rawRequest(server, {
        method: "PUT",
        path: "/sig/unsigned",
        body,
        contentSha256: "UNSIGNED-PAYLOAD",
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("etag"), `"${md5Hex(body)}"`);
      await assertObject(server, "sig", "unsigned", body);
    });

    const data = pattern(200_000);
    const chunked = (mode: StreamingMode, key: string, extra: object = {}) =>
      buildChunkedUpload(server, {
        method: "PUT",
        path: `/sig/${key}`,
        mode,
        data,
        chunkSize: 64 * 1024,
        ...extra,
      });

    await t.step(
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD with valid chunk signatures stores the decoded bytes",
      async () => {
        const r = await sendSigned(await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "chunked"));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("etag"), `"${md5Hex(data)}"`);
        await assertObject(server, "sig", "chunked", data);
        // Small chunks with a short last one, and the stored object carries no aws-chunked coding.
        const small = await buildChunkedUpload(server, {
          method: "PUT",
          path: "/sig/chunked-small",
          mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
          data: data.subarray(0, 10_001),
          chunkSize: 8192,
          headers: { "content-type": "application/x-chunked-test" },
        });
        assert.equal((await sendSigned(small)).status, 200);
        const got = await getObject(server, "sig", "chunked-small");
        assert.deepEqual(got.bytes, data.subarray(0, 10_001));
        assert.equal(got.headers.get("content-encoding"), null);
        assert.equal(got.headers.get("content-type"), "application/x-chunked-test");
      },
    );

    await t.step(
      "a tampered chunk answers 403 SignatureDoesNotMatch and nothing is stored",
      async () => {
        for (const tamperChunk of [0, 1, 3]) {
          const r = await sendSigned(
            await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "tampered", { tamperChunk }),
          );
          assertS3Error(r, 403, "SignatureDoesNotMatch");
        }
        await assertNoObject(server, "sig", "tampered");
        const over = await sendSigned(
          await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "hex", { tamperChunk: 2 }),
        );
        assertS3Error(over, 403, "SignatureDoesNotMatch");
        await assertObject(server, "sig", "hex", "version one");
      },
    );

    await t.step(
      "STREAMING-UNSIGNED-PAYLOAD-TRAILER with the right crc32 trailer stores object and checksum",
      async () => {
        const crc = checksumOf("CRC32", data);
        const r = await sendSigned(
          await chunked("STREAMING-UNSIGNED-PAYLOAD-TRAILER", "trailer", {
            trailers: { "x-amz-checksum-crc32": crc },
          }),
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-amz-checksum-crc32"), crc);
        await assertObject(server, "sig", "trailer", data);
        const head = rawRequest(server, {
          method: "HEAD",
          path: "/sig/trailer",
          headers: { "x-amz-checksum-mode": "ENABLED" },
        });
        assert.equal(await headChecksum(head, "crc32"), crc);
      },
    );

    await t.step(
      "STREAMING-UNSIGNED-PAYLOAD-TRAILER with a wrong crc32 trailer answers 400 BadDigest and stores nothing",
      async () => {
        const r = await sendSigned(
          await chunked("STREAMING-UNSIGNED-PAYLOAD-TRAILER", "trailer-bad", {
            trailers: { "x-amz-checksum-crc32": checksumOf("CRC32", utf8("other data")) },
          }),
        );
        assertS3Error(r, 400, "BadDigest");
        await assertNoObject(server, "sig", "trailer-bad");
      },
    );

    await t.step(
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER with a signed trailer stores the object",
      async () => {
        const crc = checksumOf("CRC32", data);
        const r = await sendSigned(
          await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "signed-trailer", {
            trailers: { "x-amz-checksum-crc32": crc },
          }),
        );
        assert.equal(r.status, 200, r.text);
        await assertObject(server, "sig", "signed-trailer", data);
        const head = rawRequest(server, {
          method: "HEAD",
          path: "/sig/signed-trailer",
          headers: { "x-amz-checksum-mode": "ENABLED" },
        });
        assert.equal(await headChecksum(head, "crc32"), crc);
      },
    );

    await t.step(
      "a signed trailer changed after signing answers 403 SignatureDoesNotMatch",
      async () => {
        const crc = checksumOf("CRC32", data);
        const req = await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "trailer-forged", {
          trailers: { "x-amz-checksum-crc32": crc },
        });
        // Same length, different value: only the trailer signature can notice.
        const forged = checksumOf("CRC32", utf8("forged"));
        const text = new TextDecoder("latin1").decode(req.body);
        assert.ok(text.includes(crc));
        req.body = Uint8Array.from(text.replace(crc, forged), (c) => c.charCodeAt(0));
        assertS3Error(await sendSigned(req), 403, "SignatureDoesNotMatch");
        await assertNoObject(server, "sig", "trailer-forged");
      },
    );

    await t.step("a signed trailer with a wrong checksum answers 400 BadDigest", async () => {
      const r = await sendSigned(
        await chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "signed-bad", {
          trailers: { "x-amz-checksum-crc32": checksumOf("CRC32", utf8("other")) },
        }),
      );
      assertS3Error(r, 400, "BadDigest");
      await assertNoObject(server, "sig", "signed-bad");
    });

    await t.step("a default SDK PutObject with a byte body is stored with its CRC32", async () => {
      const body = pattern(5000, 11);
      const out = await s3.send(
        new PutObjectCommand({ Bucket: "sig", Key: "sdk-bytes", Body: body }),
      );
      assert.equal(out.ETag, `"${md5Hex(body)}"`);
      assert.equal(out.ChecksumCRC32, checksumOf("CRC32", body));
      await assertObject(server, "sig", "sdk-bytes", body);
    });

    await t.step(
      "a default SDK PutObject with a stream body (aws-chunked + trailer) is stored",
      async () => {
        const body = pattern(150_000, 13);
        const parts = [
          body.subarray(0, 50_000),
          body.subarray(50_000, 120_000),
          body.subarray(120_000),
        ];
        const out = await s3.send(
          new PutObjectCommand({
            Bucket: "sig",
            Key: "sdk-stream",
            Body: Readable.from(parts),
            ContentLength: body.length,
          }),
        );
        assert.equal(out.ETag, `"${md5Hex(body)}"`);
        assert.equal(out.ChecksumCRC32, checksumOf("CRC32", body));
        await assertObject(server, "sig", "sdk-stream", body);
        const web = await s3.send(
          new PutObjectCommand({
            Bucket: "sig",
            Key: "sdk-web-stream",
            // The SDK's types predate Deno's web streams; the runtime object is what it expects.
            Body: Readable.fromWeb(new Blob([body]).stream() as never),
            ContentLength: body.length,
          }),
        );
        assert.equal(web.ETag, `"${md5Hex(body)}"`);
        await assertObject(server, "sig", "sdk-web-stream", body);
      },
    );

    await t.step(
      "a request whose signed header changed after signing answers 403 SignatureDoesNotMatch",
      async () => {
        const signed = await signRequest(server, {
          method: "PUT",
          path: "/sig/altered",
          body: "x",
          headers: { "content-type": "text/plain" },
        });
        signed.headers["content-type"] = "text/html";
        assertS3Error(await sendSigned(signed), 403, "SignatureDoesNotMatch");
        await assertNoObject(server, "sig", "altered");
      },
    );

    await t.step("a wrong secret answers 403 SignatureDoesNotMatch", async () => {
      const r = await rawRequest(server, {
        method: "GET",
        path: "/sig/hex",
        credentials: { accessKeyId: server.accessKey, secretAccessKey: "not-the-secret" },
      });
      assertS3Error(r, 403, "SignatureDoesNotMatch");
    });

    await t.step("an unknown access key answers 403 InvalidAccessKeyId", async () => {
      const r = await rawRequest(server, {
        method: "GET",
        path: "/sig/hex",
        credentials: { accessKeyId: "AKIDONTEXIST00000000", secretAccessKey: "whatever" },
      });
      assertS3Error(r, 403, "InvalidAccessKeyId");
      const err = await sdkError(
        server.client({
          credentials: { accessKeyId: "AKIDONTEXIST00000000", secretAccessKey: "x" },
        }).send(new ListBucketsCommand({})),
      );
      assert.deepEqual(err, { code: "InvalidAccessKeyId", status: 403 });
    });

    await t.step("a clock more than 15 minutes off answers 403 RequestTimeTooSkewed", async () => {
      for (const minutes of [-16, 16, -120]) {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/sig/skewed",
          body: "late",
          date: new Date(Date.now() + minutes * 60_000),
        });
        assertS3Error(r, 403, "RequestTimeTooSkewed");
      }
      await assertNoObject(server, "sig", "skewed");
      const within = await rawRequest(server, {
        method: "GET",
        path: "/sig/hex",
        date: new Date(Date.now() - 14 * 60_000),
      });
      assert.equal(within.status, 200, "14 minutes of skew is still accepted");
    });

    await t.step("anonymous requests answer 403 AccessDenied", async () => {
      for (const [method, path] of [["GET", "/"], ["GET", "/sig/hex"], ["GET", "/sig"]]) {
        assertS3Error(
          await rawRequest(server, { method, path, anonymous: true }),
          403,
          "AccessDenied",
        );
      }
      const put = await rawRequest(server, {
        method: "PUT",
        path: "/sig/anonymous",
        body: "anon",
        anonymous: true,
      });
      assertS3Error(put, 403, "AccessDenied");
      await assertNoObject(server, "sig", "anonymous");
      const plain = await fetch(`${server.s3Url}/sig/hex`);
      assert.equal(plain.status, 403);
      assert.match(await plain.text(), /<Code>AccessDenied<\/Code>/);
    });
  });
});

Deno.test("Signature V4 presigned URLs", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await rawRequest(server, { method: "PUT", path: "/pre" });
    await rawRequest(server, {
      method: "PUT",
      path: "/pre/file%20name.txt",
      body: "presigned body",
    });
    const presign = (expiresIn = 60, signingDate?: Date, key = "file name.txt") =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: "pre", Key: key }), {
        expiresIn,
        ...(signingDate ? { signingDate } : {}),
      });
    const fetchText = async (url: string, init?: RequestInit) => {
      const res = await fetch(url, init);
      return { status: res.status, text: await res.text(), headers: res.headers };
    };

    await t.step("a presigned GET URL works with a plain fetch", async () => {
      const url = await presign();
      assert.match(url, /X-Amz-Signature=/);
      const r = await fetchText(url);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, "presigned body");
      assert.ok(r.headers.get("x-amz-request-id"));
    });

    await t.step("a presigned HEAD URL works with a plain fetch", async () => {
      const url = await getSignedUrl(
        s3,
        new HeadObjectCommand({ Bucket: "pre", Key: "file name.txt" }),
        { expiresIn: 60 },
      );
      const r = await fetchText(url, { method: "HEAD" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), "14");
    });

    await t.step("an expired presigned URL answers 403 AccessDenied", async () => {
      const url = await presign(60, new Date(Date.now() - 2 * 3600_000));
      const r = await fetchText(url);
      assertS3Error(
        { status: r.status, headers: r.headers, text: r.text, bytes: utf8(r.text) },
        403,
        "AccessDenied",
      );
      assert.match(r.text, /expired/i);
    });

    await t.step(
      "X-Amz-Expires over 604800 answers 400 AuthorizationQueryParametersError",
      async () => {
        // The presigner itself refuses more than a week, so the URL is edited; the server must
        // reject the value before (or regardless of) checking the signature.
        const url = new URL(await presign(604800));
        url.searchParams.set("X-Amz-Expires", "604801");
        const r = await fetchText(url.href);
        assert.equal(r.status, 400, r.text);
        assert.match(r.text, /<Code>AuthorizationQueryParametersError<\/Code>/);
        const week = await fetchText(await presign(604800));
        assert.equal(week.status, 200, "exactly a week is allowed");
      },
    );

    await t.step(
      "a presigned URL used for another key or with a changed signature answers 403 SignatureDoesNotMatch",
      async () => {
        const url = new URL(await presign());
        const otherKey = new URL(url);
        otherKey.pathname = "/pre/other.txt";
        const r1 = await fetchText(otherKey.href);
        assert.equal(r1.status, 403);
        assert.match(r1.text, /<Code>SignatureDoesNotMatch<\/Code>/);
        const sig = url.searchParams.get("X-Amz-Signature")!;
        url.searchParams.set("X-Amz-Signature", sig.replace(/^./, sig[0] === "0" ? "1" : "0"));
        const r2 = await fetchText(url.href);
        assert.equal(r2.status, 403);
        assert.match(r2.text, /<Code>SignatureDoesNotMatch<\/Code>/);
      },
    );

    await t.step(
      "a presigned URL of an unknown access key answers 403 InvalidAccessKeyId",
      async () => {
        const stranger = server.client({
          credentials: { accessKeyId: "AKIDONTEXIST00000000", secretAccessKey: "x" },
        });
        const url = await getSignedUrl(
          stranger,
          new GetObjectCommand({ Bucket: "pre", Key: "file name.txt" }),
          { expiresIn: 60 },
        );
        const r = await fetchText(url);
        assert.equal(r.status, 403);
        assert.match(r.text, /<Code>InvalidAccessKeyId<\/Code>/);
      },
    );
  });
});
