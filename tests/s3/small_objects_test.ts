/**
 * Objects up to INLINE_MAX_BYTES are kept inside their metadata record in Deno KV rather
 * than in a file of their own. Nothing on the S3 wire may tell the difference: every way of
 * reading, copying, overwriting and deleting gives the same answers as for a file-backed
 * object. Where the bytes live is visible in the management API's `storage_path`.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { INLINE_MAX_BYTES } from "../../src/storage/limits.ts";
import { adminFetch } from "../helpers/admin.ts";
import { md5Hex } from "../helpers/checksums.ts";
import { restartServer } from "../helpers/credentials.ts";
import { generatedBytes } from "../helpers/data.ts";
import { blobCount } from "../helpers/multipart.ts";
import { assertBytes, assertNoObject, assertObject, getObject } from "../helpers/s3.ts";
import { startTestServer, type TestServer, withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";

const BUCKET = "small";
const KV_PATH = "meta.kv";

async function storagePath(server: TestServer, key: string): Promise<string | null> {
  const r = await adminFetch(
    server,
    "GET",
    `/api/v1/buckets/${BUCKET}/objects/${encodeURIComponent(key)}`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.storage_path;
}

async function readAll(s3: S3Client, key: string, extra: { Range?: string } = {}) {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...extra }));
  return { got, bytes: await got.Body!.transformToByteArray() };
}

Deno.test("objects up to 16 KiB live in their record and read back exactly as files do", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const sizes = [1, 4096, INLINE_MAX_BYTES - 1, INLINE_MAX_BYTES, INLINE_MAX_BYTES + 1];
    const bodies = new Map(sizes.map((n, i) => [`s/${n}`, generatedBytes(n, i + 1)]));

    await t.step(
      "PutObject stores up to 16 KiB in meta.kv and only larger bodies as files",
      async () => {
        for (const [key, body] of bodies) {
          const put = await s3.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: "x/y" }),
          );
          assert.equal(put.ETag, `"${md5Hex(body)}"`, key);
        }
        for (const [key, body] of bodies) {
          const expected = body.length <= INLINE_MAX_BYTES ? KV_PATH : /^blobs\//;
          const path = await storagePath(server, key);
          if (typeof expected === "string") assert.equal(path, expected, key);
          else assert.match(path ?? "", expected, key);
        }
        assert.equal(await blobCount(server), 1, "only the 16 KiB + 1 object has a file");
      },
    );

    await t.step("an aws-chunked stream of many chunks is kept inline whole", async () => {
      const body = generatedBytes(INLINE_MAX_BYTES, 99);
      // Readable.from with small pieces: the SDK sends aws-chunked with a CRC32 trailer.
      const pieces = Array.from({ length: 16 }, (_, i) => body.slice(i * 1024, (i + 1) * 1024));
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "s/streamed",
          Body: Readable.from(pieces),
          ContentLength: body.length,
          ContentType: "x/y",
        }),
      );
      assert.equal(await storagePath(server, "s/streamed"), KV_PATH);
      assertBytes((await readAll(s3, "s/streamed")).bytes, body);
      bodies.set("s/streamed", body);
    });

    await t.step("GET, Range, partNumber, HEAD and conditionals answer as for a file", async () => {
      for (const [key, body] of bodies) {
        const whole = await readAll(s3, key);
        assertBytes(whole.bytes, body, key);
        assert.equal(whole.got.ETag, `"${md5Hex(body)}"`);
        assert.equal(whole.got.ContentType, "x/y");
        if (body.length >= 100) {
          const mid = await readAll(s3, key, { Range: "bytes=10-99" });
          assertBytes(mid.bytes, body.subarray(10, 100), `${key} 10-99`);
          assert.equal(mid.got.ContentRange, `bytes 10-99/${body.length}`);
        }
        const tail = await readAll(s3, key, { Range: "bytes=-7" });
        assertBytes(tail.bytes, body.subarray(Math.max(0, body.length - 7)), `${key} last 7`);
        const part = await getObject(server, BUCKET, key, {
          path: `/${BUCKET}/${key}?partNumber=1`,
        });
        assert.equal(part.status, 206, part.text);
        assertBytes(part.bytes, body, `${key} partNumber=1`);
        const head = await s3.send(
          new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }),
        );
        assert.equal(head.ContentLength, body.length);
        assert.ok(head.ChecksumCRC32, `${key}: the stored CRC32 is returned`);
        const notModified = await getObject(server, BUCKET, key, {
          headers: { "if-none-match": `"${md5Hex(body)}"` },
        });
        assert.equal(notModified.status, 304);
      }
    });
  });
});

Deno.test("small and large versions of a key replace each other, copy and delete cleanly", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const large = generatedBytes(100_000, 1);
    const small = generatedBytes(10, 2);

    await t.step("a small overwrite removes the large object's file, and back", async () => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "k", Body: large }));
      assert.equal(await blobCount(server), 1);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "k", Body: small }));
      assert.equal(await blobCount(server), 0, "the replaced file is gone");
      await assertObject(server, BUCKET, "k", small);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "k", Body: large }));
      assert.equal(await blobCount(server), 1);
      await assertObject(server, BUCKET, "k", large);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "k", Body: small }));
    });

    await t.step("CopyObject of a small object is small; its metadata comes along", async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "src",
          Body: small,
          Metadata: { colour: "blue" },
        }),
      );
      await s3.send(
        new CopyObjectCommand({ Bucket: BUCKET, Key: "copy", CopySource: `${BUCKET}/src` }),
      );
      await assertObject(server, BUCKET, "copy", small);
      assert.equal(await storagePath(server, "copy"), KV_PATH);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "copy" }));
      assert.deepEqual(head.Metadata, { colour: "blue" });
    });

    await t.step(
      "the longest headers S3 lets through keep a small body in its record",
      async () => {
        // 8 KiB of request headers at most (limits_test.ts): well within the record's room.
        const disposition = `attachment; filename="${"n".repeat(4500)}.txt"`;
        const meta = { ContentDisposition: disposition, Metadata: { note: "m".repeat(1000) } };
        await s3.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: "long-put", Body: small, ...meta }),
        );
        await s3.send(
          new CopyObjectCommand({
            Bucket: BUCKET,
            Key: "long-copy",
            CopySource: `${BUCKET}/src`,
            MetadataDirective: "REPLACE",
            ...meta,
          }),
        );
        for (const key of ["long-put", "long-copy"]) {
          assert.equal(await storagePath(server, key), KV_PATH, key);
          const { got, bytes } = await readAll(s3, key);
          assertBytes(bytes, small, key);
          assert.equal(got.ContentDisposition, disposition);
          assert.equal(got.Metadata?.note, "m".repeat(1000));
        }
      },
    );

    await t.step(
      "UploadPartCopy from a small object makes a part file the object reads",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "assembled" }),
        );
        const part = await s3.send(
          new UploadPartCopyCommand({
            Bucket: BUCKET,
            Key: "assembled",
            UploadId,
            PartNumber: 1,
            CopySource: `${BUCKET}/src`,
            CopySourceRange: "bytes=2-8",
          }),
        );
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: "assembled",
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] },
          }),
        );
        await assertObject(server, BUCKET, "assembled", small.subarray(2, 9));
      },
    );

    await t.step("DeleteObject of a small object leaves nothing behind", async () => {
      const before = await blobCount(server);
      for (const key of ["k", "src", "copy"]) {
        const r = await rawRequest(server, { method: "DELETE", path: `/${BUCKET}/${key}` });
        assert.equal(r.status, 204);
        await assertNoObject(server, BUCKET, key);
      }
      assert.equal(await blobCount(server), before, "no file was added or lost");
    });
  });
});

Deno.test("small objects written concurrently all survive a restart byte for byte", async () => {
  let server = await startTestServer();
  try {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // 64 at once, with 2 KiB of metadata each: together far more than one KV atomic may hold
    // (800 KiB), so the commits they share are split; every acknowledged one must be there.
    const meta = { note: "m".repeat(2000) };
    const bodies = Array.from({ length: 64 }, (_, i) => generatedBytes(INLINE_MAX_BYTES - i, i));
    await Promise.all(
      bodies.map((body, i) =>
        s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `c/${i}`, Body: body, Metadata: meta }))
      ),
    );
    ({ server } = await restartServer(server));
    for (const [i, body] of bodies.entries()) await assertObject(server, BUCKET, `c/${i}`, body);
    const head = await rawRequest(server, { method: "HEAD", path: `/${BUCKET}/c/0` });
    assert.equal(head.headers.get("x-amz-meta-note"), meta.note);
    assert.equal(await blobCount(server), 0);
  } finally {
    await server.stop();
  }
});

Deno.test("the management API uploads and downloads small objects through the record", async () => {
  await withServer(async (server) => {
    await server.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
    const body = generatedBytes(3000, 5);
    const up = await adminFetch(
      server,
      "PUT",
      `/api/v1/buckets/${BUCKET}/objects/console.bin`,
      undefined,
      { rawBody: body, headers: { "content-type": "application/x-test" } },
    );
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.storage_path, KV_PATH);
    const down = await fetch(`${server.adminUrl}/api/v1/buckets/${BUCKET}/download/console.bin`, {
      headers: { "x-api-key": server.adminKey },
    });
    assert.equal(down.status, 200);
    assertBytes(new Uint8Array(await down.arrayBuffer()), body);
    await assertObject(server, BUCKET, "console.bin", body);
  });
});

Deno.test("repeated whole GETs of a small object answer its current version, each on its own", async () => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const put = (body: Uint8Array, type: string, meta: Record<string, string>) =>
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "hot",
          Body: body,
          ContentType: type,
          Metadata: meta,
        }),
      );
    const first = generatedBytes(3000, 7);
    await put(first, "text/a", { v: "1" });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await getObject(server, BUCKET, "hot");
      assert.equal(r.status, 200, r.text);
      assertBytes(r.bytes, first, `GET ${i}`);
      assert.equal(r.headers.get("content-type"), "text/a");
      assert.equal(r.headers.get("content-length"), "3000");
      assert.equal(r.headers.get("etag"), `"${md5Hex(first)}"`);
      assert.equal(r.headers.get("x-amz-meta-v"), "1");
      assert.equal(r.headers.get("accept-ranges"), "bytes");
      assert.equal(r.headers.get("server"), "vStash");
      ids.add(r.headers.get("x-amz-request-id") ?? "");
    }
    assert.equal(ids.size, 5, `every answer has its own request id: ${[...ids]}`);

    // Variants of the GET, asked after the plain ones, still answer for themselves.
    const typed = await getObject(server, BUCKET, "hot", {
      path: `/${BUCKET}/hot?response-content-type=x%2Fz`,
    });
    assert.equal(typed.headers.get("content-type"), "x/z");
    assertBytes(typed.bytes, first, "response-content-type");
    const withChecksum = await getObject(server, BUCKET, "hot", {
      headers: { "x-amz-checksum-mode": "ENABLED" },
    });
    assert.ok(
      [...withChecksum.headers.keys()].some((h) => /^x-amz-checksum-(crc|sha)/.test(h)),
      `the stored checksum is returned: ${[...withChecksum.headers.keys()]}`,
    );
    const ranged = await getObject(server, BUCKET, "hot", { headers: { range: "bytes=0-9" } });
    assert.equal(ranged.status, 206);
    assertBytes(ranged.bytes, first.subarray(0, 10), "range");
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "hot" }));
    assert.equal(head.ContentLength, 3000);

    // An overwrite answers with its own bytes and headers at once.
    const second = generatedBytes(2000, 8);
    await put(second, "text/b", { w: "2" });
    const r = await getObject(server, BUCKET, "hot");
    assertBytes(r.bytes, second, "after the overwrite");
    assert.equal(r.headers.get("content-type"), "text/b");
    assert.equal(r.headers.get("etag"), `"${md5Hex(second)}"`);
    assert.equal(r.headers.get("x-amz-meta-w"), "2");
    assert.equal(r.headers.get("x-amz-meta-v"), null);
  });
});
