import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { adminFetch, assertApiError, type Json } from "../helpers/admin.ts";
import { sdkError } from "../helpers/s3.ts";
import { rawRequest } from "../helpers/sign.ts";
import { withServer } from "../helpers/server.ts";

/** The fields a test compares; time, ms and request ids differ from run to run. */
const summary = (e: Json) => [e.operation, e.method, e.bucket, e.key, e.status];

Deno.test("GET /activity lists the S3 listener's recent requests, newest first", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();

    await t.step("a fresh server lists nothing, and health probes are not listed", async () => {
      const probe = await fetch(`${server.s3Url}/health/live`);
      assert.equal(probe.status, 200);
      await probe.body?.cancel();
      const r = await adminFetch(server, "GET", "/api/v1/activity");
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { activity: [] });
    });

    let getRequestId: string | undefined;
    await t.step("each request shows its operation, bucket, key, status and bytes", async () => {
      await s3.send(new CreateBucketCommand({ Bucket: "feed" }));
      await s3.send(
        new PutObjectCommand({ Bucket: "feed", Key: "dir/a.txt", Body: "hello world" }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: "feed", Key: "dir/a.txt" }));
      assert.equal(await got.Body!.transformToString(), "hello world");
      getRequestId = got.$metadata.requestId;
      const missing = await sdkError(
        s3.send(new GetObjectCommand({ Bucket: "feed", Key: "nope" })),
      );
      assert.equal(missing.status, 404);

      const r = await adminFetch(server, "GET", "/api/v1/activity");
      assert.equal(r.status, 200);
      const list: Json[] = r.body.activity;
      assert.deepEqual(list.map(summary), [
        ["GetObject", "GET", "feed", "nope", 404],
        ["GetObject", "GET", "feed", "dir/a.txt", 200],
        ["PutObject", "PUT", "feed", "dir/a.txt", 200],
        ["CreateBucket", "PUT", "feed", null, 200],
      ]);
      const [, get, put] = list;
      assert.deepEqual([put.bytes_in, put.bytes_out], [11, 0]);
      assert.deepEqual([get.bytes_in, get.bytes_out], [0, 11]);
      assert.equal(get.request_id, getRequestId, "the id is the answer's x-amz-request-id");
      assert.ok(list.every((e) => e.access_key === server.accessKey));
      assert.ok(list.every((e) => typeof e.ms === "number" && e.ms >= 0));
      const times = list.map((e) => Date.parse(e.time));
      assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
      assert.ok(Math.abs(Date.now() - times[0]) < 60_000, "times are now, not epoch offsets");
    });

    await t.step("an error answer's document counts as the bytes it sent", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/feed/still-missing" });
      assert.equal(r.status, 404);
      const [latest] = (await adminFetch(server, "GET", "/api/v1/activity?limit=1")).body.activity;
      assert.deepEqual([latest.key, latest.status], ["still-missing", 404]);
      assert.equal(latest.bytes_out, new TextEncoder().encode(r.text).length);
    });

    await t.step("limit picks the newest requests and is validated", async () => {
      const all = (await adminFetch(server, "GET", "/api/v1/activity")).body.activity;
      const two = await adminFetch(server, "GET", "/api/v1/activity?limit=2");
      assert.equal(two.status, 200);
      assert.deepEqual(two.body.activity, all.slice(0, 2));
      const max = await adminFetch(server, "GET", "/api/v1/activity?limit=100");
      assert.equal(max.body.activity.length, all.length);
      for (const bad of ["0", "101", "-1", "ten", "1.5", ""]) {
        const r = await adminFetch(server, "GET", `/api/v1/activity?limit=${bad}`);
        assertApiError(r, 400, "limit", /limit must be a whole number from 1 to 100/);
      }
    });

    await t.step("it needs the API key", async () => {
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/activity", undefined, { key: null }),
        401,
      );
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/activity", undefined, { key: "wrong" }),
        401,
      );
    });

    await t.step("no secret, query string or signature is kept", async () => {
      const url = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: "feed", Key: "dir/a.txt" }),
        { expiresIn: 300 },
      );
      const signature = new URL(url).searchParams.get("X-Amz-Signature");
      assert.ok(signature);
      const presigned = await fetch(url);
      assert.equal(await presigned.text(), "hello world");
      const wrongSecret = `wrong-${crypto.randomUUID()}`;
      const impostor = server.client({
        credentials: { accessKeyId: server.accessKey, secretAccessKey: wrongSecret },
      });
      const refused = await sdkError(impostor.send(new ListBucketsCommand({})));
      assert.equal(refused.status, 403);

      const r = await fetch(`${server.adminUrl}/api/v1/activity?limit=2`, {
        headers: { "x-api-key": server.adminKey },
      });
      const text = await r.text();
      const list = JSON.parse(text).activity;
      assert.deepEqual(list.map(summary), [
        ["ListBuckets", "GET", null, null, 403],
        ["GetObject", "GET", "feed", "dir/a.txt", 200],
      ]);
      assert.equal(list[0].access_key, null, "a refused request has no verified access key");
      assert.equal(list[1].access_key, server.accessKey, "a presigned request has its key");
      for (const secret of [server.secretKey, wrongSecret, signature, server.adminKey]) {
        assert.ok(!text.includes(secret), `${secret} is not in the answer`);
      }
      assert.doesNotMatch(text, /X-Amz-|Signature|Credential=|\?/i);
    });
  });
});
