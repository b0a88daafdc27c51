import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { adminFetch, assertApiError } from "../helpers/admin.ts";
import { sdkError } from "../helpers/s3.ts";
import { withServer } from "../helpers/server.ts";
import { INLINE_MAX_BYTES } from "../../src/storage/limits.ts";

const MiB = 1024 * 1024;
const objectPath = (bucket: string, key: string) =>
  `/api/v1/buckets/${bucket}/objects/${encodeURIComponent(key)}`;

Deno.test("objects written over S3 show in the API as S3 reports them", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "media" }));

    await t.step("a PUT object has the same size, ETag, type and metadata", async () => {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: "media",
          Key: "photos/vacation.jpg",
          Body: new Uint8Array(2048).fill(7),
          ContentType: "image/jpeg",
          Metadata: { camera: "x100", trip: "alps" },
        }),
      );
      const r = await adminFetch(server, "GET", objectPath("media", "photos/vacation.jpg"));
      assert.equal(r.status, 200);
      assert.equal(r.body.key, "photos/vacation.jpg");
      assert.equal(r.body.size, 2048);
      assert.equal(r.body.size_human, "2.0 KB");
      assert.equal(`"${r.body.etag}"`, put.ETag, "the ETag is S3's, without its quotes");
      assert.equal(r.body.content_type, "image/jpeg");
      assert.deepEqual(r.body.metadata, { camera: "x100", trip: "alps" });
      assert.equal(r.body.is_multipart, false);
      assert.equal(r.body.part_count, 0);
      assert.equal(r.body.created_at, r.body.updated_at);
    });

    /** PUTs `size` zero bytes as media/`key`; returns what the API shows of the object. */
    const putSized = async (key: string, size: number) => {
      await s3.send(
        new PutObjectCommand({ Bucket: "media", Key: key, Body: new Uint8Array(size) }),
      );
      return (await adminFetch(server, "GET", objectPath("media", key))).body;
    };

    await t.step("storage_path of an object over 16 KiB is its blob file", async () => {
      const big = await putSized("photos/big.jpg", INLINE_MAX_BYTES + 1);
      assert.match(big.storage_path, /^blobs\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
      const info = await Deno.stat(join(server.dataDir, big.storage_path));
      assert.equal(info.size, INLINE_MAX_BYTES + 1);
      await s3.send(new DeleteObjectCommand({ Bucket: "media", Key: "photos/big.jpg" }));
    });

    await t.step("storage_path of an object up to 16 KiB is the KV file it lives in", async () => {
      const r = await adminFetch(server, "GET", objectPath("media", "photos/vacation.jpg"));
      assert.equal(r.body.storage_path, "meta.kv");
      const edge = await putSized("photos/edge.jpg", INLINE_MAX_BYTES);
      assert.deepEqual([edge.size, edge.storage_path], [INLINE_MAX_BYTES, "meta.kv"]);
      await s3.send(new DeleteObjectCommand({ Bucket: "media", Key: "photos/edge.jpg" }));
    });

    await t.step("a multipart object shows its parts and its first part's file", async () => {
      const key = "video/clip.mp4";
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: "media", Key: key }),
      );
      const parts = [];
      for (const [n, size] of [[1, 5 * MiB], [2, 1000]]) {
        const p = await s3.send(
          new UploadPartCommand({
            Bucket: "media",
            Key: key,
            UploadId,
            PartNumber: n,
            Body: new Uint8Array(size).fill(n),
          }),
        );
        parts.push({ PartNumber: n, ETag: p.ETag });
      }
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "media",
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      const r = await adminFetch(server, "GET", objectPath("media", key));
      assert.equal(r.body.size, 5 * MiB + 1000);
      assert.equal(r.body.size_human, "5.0 MB");
      assert.equal(`"${r.body.etag}"`, done.ETag);
      assert.match(r.body.etag, /-2$/);
      assert.equal(r.body.is_multipart, true);
      assert.equal(r.body.part_count, 2);
      const first = await Deno.stat(join(server.dataDir, r.body.storage_path));
      assert.equal(first.size, 5 * MiB, "storage_path is the first part's file");
    });

    await t.step("an empty object has no file, so no storage_path", async () => {
      await s3.send(new PutObjectCommand({ Bucket: "media", Key: "empty", Body: "" }));
      const r = await adminFetch(server, "GET", objectPath("media", "empty"));
      assert.deepEqual([r.body.size, r.body.storage_path], [0, null]);
    });

    await t.step("keys with spaces, unicode, '%', '+' and a trailing slash are found", async () => {
      for (const key of ["a b/ü ✓.txt", "100%+1", "folder/", "x//y"]) {
        await s3.send(new PutObjectCommand({ Bucket: "media", Key: key, Body: key }));
        const r = await adminFetch(server, "GET", objectPath("media", key));
        assert.equal(r.status, 200, key);
        assert.equal(r.body.key, key);
      }
      const plain = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/media/objects/a%20b/%C3%BC%20%E2%9C%93.txt",
      );
      assert.equal(plain.body.key, "a b/ü ✓.txt", "unencoded slashes work too");
    });

    await t.step("the list filters by prefix and pages in key order", async () => {
      const all = await adminFetch(server, "GET", "/api/v1/buckets/media/objects");
      assert.deepEqual(all.body.objects.map((o: { key: string }) => o.key), [
        "100%+1",
        "a b/ü ✓.txt",
        "empty",
        "folder/",
        "photos/vacation.jpg",
        "video/clip.mp4",
        "x//y",
      ]);
      assert.equal(all.body.next_cursor, null);
      const photos = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/media/objects?prefix=photos/",
      );
      assert.deepEqual(photos.body.objects.map((o: { key: string }) => o.key), [
        "photos/vacation.jpg",
      ]);
      assert.equal(photos.body.objects[0].etag.length, 32);
      const keys: string[] = [];
      let cursor = "";
      for (let pages = 0; pages < 10; pages++) {
        const page = await adminFetch(
          server,
          "GET",
          `/api/v1/buckets/media/objects?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        );
        keys.push(...page.body.objects.map((o: { key: string }) => o.key));
        if (page.body.next_cursor === null) break;
        cursor = page.body.next_cursor;
      }
      assert.deepEqual(keys, all.body.objects.map((o: { key: string }) => o.key));
    });

    await t.step("deleting one object removes it from S3 and a second delete is 404", async () => {
      const r = await adminFetch(server, "DELETE", objectPath("media", "100%+1"));
      assert.deepEqual([r.status, r.body.message], [200, "Operation completed successfully"]);
      const gone = await sdkError(
        s3.send(new GetObjectCommand({ Bucket: "media", Key: "100%+1" })),
      );
      assert.deepEqual(gone, { code: "NoSuchKey", status: 404 });
      assertApiError(await adminFetch(server, "DELETE", objectPath("media", "100%+1")), 404, "key");
      assertApiError(await adminFetch(server, "GET", objectPath("media", "100%+1")), 404, "key");
    });

    await t.step("deleting many reports what was deleted and per-key errors", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/buckets/media/objects/delete", {
        keys: ["empty", "folder/", "never-existed", "", "empty", "k".repeat(1025)],
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.deleted, ["empty", "folder/"]);
      assert.deepEqual(
        r.body.errors.map((e: { key: string }) => e.key),
        ["", "k".repeat(1025), "never-existed"],
      );
      assert.match(r.body.errors[2].error, /no such object/);
      const stats = await adminFetch(server, "GET", "/api/v1/buckets/media");
      assert.equal(stats.body.object_count, 4);
    });

    await t.step("the delete body is validated", async () => {
      const del = (body: unknown) =>
        adminFetch(server, "POST", "/api/v1/buckets/media/objects/delete", body);
      assertApiError(await del({}), 400, "keys");
      assertApiError(await del({ keys: "a" }), 400, "keys");
      assertApiError(await del({ keys: [] }), 400, "keys");
      assertApiError(await del({ keys: [1] }), 400, "keys", /keys\[0\]/);
      assertApiError(
        await del({ keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }),
        400,
        "keys",
      );
      assertApiError(await del({ keys: ["a"], quiet: true }), 400, "quiet");
    });

    await t.step("unknown buckets are 404 and over-long keys 400", async () => {
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/buckets/nope-bucket/objects"),
        404,
        "bucket",
      );
      assertApiError(
        await adminFetch(server, "GET", objectPath("nope-bucket", "k")),
        404,
        "bucket",
      );
      assertApiError(
        await adminFetch(server, "DELETE", objectPath("nope-bucket", "k")),
        404,
        "bucket",
      );
      const many = await adminFetch(server, "POST", "/api/v1/buckets/nope-bucket/objects/delete", {
        keys: ["k"],
      });
      assertApiError(many, 404, "bucket");
      assertApiError(
        await adminFetch(server, "GET", objectPath("media", "k".repeat(1025))),
        400,
        "key",
      );
      assertApiError(await adminFetch(server, "GET", "/api/v1/buckets/BAD/objects"), 400, "bucket");
      const undecodable = await adminFetch(server, "GET", "/api/v1/buckets/media/objects/%E2%28");
      assertApiError(undecodable, 400, "key", /percent-encoded/);
    });
  });
});

Deno.test("in-progress multipart uploads are listed with their parts so far", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "ups" }));
    const a = await s3.send(new CreateMultipartUploadCommand({ Bucket: "ups", Key: "a/one" }));
    const b = await s3.send(new CreateMultipartUploadCommand({ Bucket: "ups", Key: "b/two" }));
    await s3.send(
      new UploadPartCommand({
        Bucket: "ups",
        Key: "a/one",
        UploadId: a.UploadId,
        PartNumber: 1,
        Body: new Uint8Array(3000),
      }),
    );

    await t.step("each upload shows key, id, initiation and the parts received", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/buckets/ups/uploads");
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.uploads.map((
          u: Record<string, unknown>,
        ) => [u.key, u.upload_id, u.part_count, u.size]),
        [["a/one", a.UploadId, 1, 3000], ["b/two", b.UploadId, 0, 0]],
      );
      assert.match(r.body.uploads[0].initiated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(r.body.next_cursor, null);
    });

    await t.step("uploads page with limit and cursor, and filter by prefix", async () => {
      const first = await adminFetch(server, "GET", "/api/v1/buckets/ups/uploads?limit=1");
      assert.deepEqual(first.body.uploads.map((u: { key: string }) => u.key), ["a/one"]);
      const second = await adminFetch(
        server,
        "GET",
        `/api/v1/buckets/ups/uploads?limit=1&cursor=${first.body.next_cursor}`,
      );
      assert.deepEqual(second.body.uploads.map((u: { key: string }) => u.key), ["b/two"]);
      assert.equal(second.body.next_cursor, null);
      const b2 = await adminFetch(server, "GET", "/api/v1/buckets/ups/uploads?prefix=b/");
      assert.deepEqual(b2.body.uploads.map((u: { key: string }) => u.key), ["b/two"]);
    });

    await t.step("stats count the uploads in progress", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/stats");
      assert.equal(r.body.active_multipart_uploads, 2);
    });

    await t.step("an unknown bucket is 404 and a bad cursor 400", async () => {
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/buckets/nope-bucket/uploads"),
        404,
        "bucket",
      );
      const r = await adminFetch(server, "GET", "/api/v1/buckets/ups/uploads?cursor=ImEi");
      assertApiError(r, 400, "cursor");
    });
  });
});
