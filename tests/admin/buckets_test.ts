import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import {
  adminFetch,
  assertApiError,
  clientFor,
  createBucketFor,
  createCredential,
} from "../helpers/admin.ts";
import { sdkError } from "../helpers/s3.ts";
import { withServer } from "../helpers/server.ts";

Deno.test("buckets are created, listed, shown and deleted through the API", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    const bob = await createCredential(server, { user_name: "bob" });

    await t.step("a bucket is created for an owner with the default region", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/buckets", {
        name: "bob-data",
        owner_id: bob.id,
      });
      assert.equal(r.status, 201);
      assert.deepEqual(
        {
          name: r.body.name,
          region: r.body.region,
          owner: r.body.owner,
          owner_id: r.body.owner_id,
          object_count: r.body.object_count,
          total_size: r.body.total_size,
          total_size_human: r.body.total_size_human,
          objects: r.body.objects,
        },
        {
          name: "bob-data",
          region: "us-east-1",
          owner: "bob",
          owner_id: bob.id,
          object_count: 0,
          total_size: 0,
          total_size_human: "0 B",
          objects: [],
        },
      );
    });

    await t.step("the bucket is usable over S3 by its owner only", async () => {
      const bobS3 = clientFor(server, bob);
      await bobS3.send(new PutObjectCommand({ Bucket: "bob-data", Key: "k", Body: "bob's" }));
      const got = await bobS3.send(new GetObjectCommand({ Bucket: "bob-data", Key: "k" }));
      assert.equal(await got.Body!.transformToString(), "bob's");
      const denied = await sdkError(
        s3.send(new GetObjectCommand({ Bucket: "bob-data", Key: "k" })),
      );
      assert.deepEqual(denied, { code: "AccessDenied", status: 403 });
      const put = await sdkError(
        s3.send(new PutObjectCommand({ Bucket: "bob-data", Key: "x", Body: "no" })),
      );
      assert.deepEqual(put, { code: "AccessDenied", status: 403 });
    });

    await t.step("a name taken (through the API or S3) is 409", async () => {
      await s3.send(new CreateBucketCommand({ Bucket: "admin-made-by-s3" }));
      for (const name of ["bob-data", "admin-made-by-s3"]) {
        const r = await adminFetch(server, "POST", "/api/v1/buckets", { name, owner_id: 1 });
        assertApiError(r, 409, "name", /already exists/);
      }
    });

    await t.step("counters follow writes, overwrites and deletes over S3", async () => {
      const bobS3 = clientFor(server, bob);
      await bobS3.send(
        new PutObjectCommand({ Bucket: "bob-data", Key: "big", Body: new Uint8Array(1536) }),
      );
      let r = await adminFetch(server, "GET", "/api/v1/buckets/bob-data");
      assert.deepEqual([r.body.object_count, r.body.total_size, r.body.total_size_human], [
        2,
        5 + 1536,
        "1.5 KB",
      ]);
      await bobS3.send(new PutObjectCommand({ Bucket: "bob-data", Key: "big", Body: "tiny" }));
      r = await adminFetch(server, "GET", "/api/v1/buckets/bob-data");
      assert.deepEqual([r.body.object_count, r.body.total_size], [2, 9]);
      await adminFetch(server, "DELETE", "/api/v1/buckets/bob-data/objects/big");
      r = await adminFetch(server, "GET", "/api/v1/buckets/bob-data");
      assert.deepEqual([r.body.object_count, r.body.total_size], [1, 5]);
    });

    await t.step("the list shows every bucket with owner and counters, in name order", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/buckets");
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.buckets.map((b: { name: string }) => b.name), [
        "admin-made-by-s3",
        "bob-data",
      ]);
      const [admin, bobs] = r.body.buckets;
      assert.deepEqual([admin.owner, admin.owner_id, admin.object_count], ["admin", 1, 0]);
      assert.deepEqual([bobs.owner, bobs.object_count, bobs.total_size], ["bob", 1, 5]);
      assert.ok(!("objects" in bobs), "the list has no object pages");
      assert.equal(r.body.next_cursor, null);
    });

    await t.step("the list pages with limit and next_cursor", async () => {
      const first = await adminFetch(server, "GET", "/api/v1/buckets?limit=1");
      assert.deepEqual(first.body.buckets.map((b: { name: string }) => b.name), [
        "admin-made-by-s3",
      ]);
      const second = await adminFetch(
        server,
        "GET",
        `/api/v1/buckets?limit=1&cursor=${first.body.next_cursor}`,
      );
      assert.deepEqual(second.body.buckets.map((b: { name: string }) => b.name), ["bob-data"]);
      assert.equal(second.body.next_cursor, null);
    });

    await t.step("details page the bucket's objects and filter them by prefix", async () => {
      for (const key of ["a/1", "a/2", "a/3", "b/1"]) {
        await s3.send(new PutObjectCommand({ Bucket: "admin-made-by-s3", Key: key, Body: key }));
      }
      const page1 = await adminFetch(server, "GET", "/api/v1/buckets/admin-made-by-s3?limit=2");
      assert.equal(page1.body.object_count, 4);
      assert.deepEqual(page1.body.objects.map((o: { key: string }) => o.key), ["a/1", "a/2"]);
      const page2 = await adminFetch(
        server,
        "GET",
        `/api/v1/buckets/admin-made-by-s3?limit=2&cursor=${page1.body.next_cursor}`,
      );
      assert.deepEqual(page2.body.objects.map((o: { key: string }) => o.key), ["a/3", "b/1"]);
      assert.equal(page2.body.next_cursor, null);
      const b = await adminFetch(server, "GET", "/api/v1/buckets/admin-made-by-s3?prefix=b/");
      assert.deepEqual(b.body.objects.map((o: { key: string }) => o.key), ["b/1"]);
    });

    await t.step("deleting a bucket that holds objects is 409 without force", async () => {
      const r = await adminFetch(server, "DELETE", "/api/v1/buckets/admin-made-by-s3");
      assertApiError(r, 409, "bucket", /not empty.*4 object.*force=true/);
      await s3.send(new HeadBucketCommand({ Bucket: "admin-made-by-s3" }));
    });

    await t.step("force deletes the objects, aborts the uploads, then the bucket", async () => {
      await s3.send(new CreateMultipartUploadCommand({ Bucket: "admin-made-by-s3", Key: "mp" }));
      const r = await adminFetch(server, "DELETE", "/api/v1/buckets/admin-made-by-s3?force=true");
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        message: "Operation completed successfully",
        deleted_objects: 4,
        aborted_uploads: 1,
      });
      const gone = await sdkError(s3.send(new HeadBucketCommand({ Bucket: "admin-made-by-s3" })));
      assert.equal(gone.status, 404);
      assertApiError(await adminFetch(server, "GET", "/api/v1/buckets/admin-made-by-s3"), 404);
      const stats = await adminFetch(server, "GET", "/api/v1/stats");
      assert.equal(stats.body.active_multipart_uploads, 0);
    });

    await t.step("an empty bucket is deleted without force, its uploads with it", async () => {
      await createBucketFor(server, "empty-one", 1);
      await s3.send(new CreateMultipartUploadCommand({ Bucket: "empty-one", Key: "u" }));
      const r = await adminFetch(server, "DELETE", "/api/v1/buckets/empty-one");
      assert.deepEqual([r.status, r.body.deleted_objects, r.body.aborted_uploads], [200, 0, 1]);
      assertApiError(await adminFetch(server, "DELETE", "/api/v1/buckets/empty-one"), 404);
    });
  });
});

Deno.test("bucket input is validated field by field", async (t) => {
  await withServer(async (server) => {
    await t.step("create refuses each bad field with 400 naming it", async () => {
      const cases: [unknown, string][] = [
        [{ owner_id: 1 }, "name"],
        [{ name: 7, owner_id: 1 }, "name"],
        [{ name: "ab", owner_id: 1 }, "name"],
        [{ name: "Upper-Case", owner_id: 1 }, "name"],
        [{ name: "192.168.1.1", owner_id: 1 }, "name"],
        [{ name: "a..b", owner_id: 1 }, "name"],
        [{ name: "-dash-start", owner_id: 1 }, "name"],
        [{ name: "x".repeat(64), owner_id: 1 }, "name"],
        [{ name: "fine-name" }, "owner_id"],
        [{ name: "fine-name", owner_id: "1" }, "owner_id"],
        [{ name: "fine-name", owner_id: 0 }, "owner_id"],
        [{ name: "fine-name", owner_id: 1.5 }, "owner_id"],
        [{ name: "fine-name", owner_id: 1, region: "eu-west-1" }, "region"],
        [{ name: "fine-name", owner_id: 1, region: 5 }, "region"],
        [{ name: "fine-name", owner_id: 1, owner: "admin" }, "owner"],
      ];
      for (const [body, field] of cases) {
        assertApiError(await adminFetch(server, "POST", "/api/v1/buckets", body), 400, field);
      }
    });

    await t.step("an owner_id that is no credential is 404", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/buckets", {
        name: "fine-name",
        owner_id: 42,
      });
      assertApiError(r, 404, "owner_id");
    });

    await t.step("the server's own region is accepted explicitly", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/buckets", {
        name: "fine-name",
        owner_id: 1,
        region: "us-east-1",
      });
      assert.equal(r.status, 201);
    });

    await t.step("bucket path parameters are checked before lookup", async () => {
      assertApiError(await adminFetch(server, "GET", "/api/v1/buckets/No_Such"), 400, "bucket");
      assertApiError(await adminFetch(server, "DELETE", "/api/v1/buckets/ab"), 400, "bucket");
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/buckets/no-such-bucket"),
        404,
        "bucket",
      );
      const force = await adminFetch(server, "DELETE", "/api/v1/buckets/fine-name?force=maybe");
      assertApiError(force, 400, "force");
      for (const q of ["limit=0", "limit=x", "cursor=WzFd", "prefix=" + "p".repeat(1025)]) {
        const r = await adminFetch(server, "GET", `/api/v1/buckets/fine-name?${q}`);
        assertApiError(r, 400, q.split("=")[0]);
      }
      assertApiError(await adminFetch(server, "GET", "/api/v1/buckets?cursor=WzFd"), 400, "cursor");
    });
  });
});
