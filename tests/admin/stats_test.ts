import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { adminFetch, createBucketFor, createCredential } from "../helpers/admin.ts";
import { withServer } from "../helpers/server.ts";

Deno.test("stats add up credentials, buckets, objects, bytes, uploads and URLs", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();

    await t.step("a fresh server has its first credential and nothing else", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/stats");
      assert.deepEqual(r.body, {
        credentials: 1,
        buckets: 0,
        objects: 0,
        total_storage: 0,
        total_storage_human: "0 B",
        active_multipart_uploads: 0,
        active_presigned_urls: 0,
      });
    });

    await t.step("writes over both surfaces show up in the totals", async () => {
      const bob = await createCredential(server, { user_name: "bob" });
      await createBucketFor(server, "bob-bucket", bob.id);
      await s3.send(new CreateBucketCommand({ Bucket: "admin-bucket" }));
      await s3.send(
        new PutObjectCommand({
          Bucket: "admin-bucket",
          Key: "a",
          Body: new Uint8Array(1024 * 1024),
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: "admin-bucket", Key: "b", Body: "hello" }));
      await s3.send(new CreateMultipartUploadCommand({ Bucket: "admin-bucket", Key: "m" }));
      await adminFetch(server, "POST", "/api/v1/presigned-urls", {
        bucket_name: "admin-bucket",
        object_key: "a",
        access_key: server.accessKey,
      });
      const r = await adminFetch(server, "GET", "/api/v1/stats");
      assert.deepEqual(r.body, {
        credentials: 2,
        buckets: 2,
        objects: 2,
        total_storage: 1024 * 1024 + 5,
        total_storage_human: "1.0 MB",
        active_multipart_uploads: 1,
        active_presigned_urls: 1,
      });
    });

    await t.step("deletes bring the totals back down", async () => {
      await s3.send(new DeleteObjectCommand({ Bucket: "admin-bucket", Key: "a" }));
      await adminFetch(server, "DELETE", "/api/v1/buckets/bob-bucket");
      const r = await adminFetch(server, "GET", "/api/v1/stats");
      assert.deepEqual(
        [r.body.buckets, r.body.objects, r.body.total_storage, r.body.total_storage_human],
        [1, 1, 5, "5 B"],
      );
    });
  });
});
