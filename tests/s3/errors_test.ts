import assert from "node:assert/strict";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { type RawRequest, rawRequest } from "../helpers/sign.ts";
import { assertS3Error, xmlValue } from "../helpers/s3.ts";

Deno.test("errors are S3 XML and every answer carries x-amz-request-id and Server", async (t) => {
  await withServer(async (server) => {
    const ids: string[] = [];
    const send = async (req: RawRequest) => {
      const r = await rawRequest(server, req);
      const id = r.headers.get("x-amz-request-id");
      assert.ok(id, `${req.method} ${req.path} answered ${r.status} without x-amz-request-id`);
      assert.equal(r.headers.get("server"), "vStash", `${req.method} ${req.path}: Server`);
      ids.push(id);
      return r;
    };

    await t.step("successful answers of every kind carry x-amz-request-id", async () => {
      assert.equal((await send({ method: "PUT", path: "/ids" })).status, 200);
      assert.equal((await send({ method: "HEAD", path: "/ids" })).status, 200);
      assert.equal((await send({ method: "GET", path: "/" })).status, 200);
      assert.equal((await send({ method: "PUT", path: "/ids/k", body: "0123456789" })).status, 200);
      assert.equal((await send({ method: "GET", path: "/ids/k" })).status, 200);
      assert.equal((await send({ method: "HEAD", path: "/ids/k" })).status, 200);
      const partial = await send({
        method: "GET",
        path: "/ids/k",
        headers: { range: "bytes=1-2" },
      });
      assert.equal(partial.status, 206);
      const etag = partial.headers.get("etag")!;
      const notModified = await send({
        method: "GET",
        path: "/ids/k",
        headers: { "if-none-match": etag },
      });
      assert.equal(notModified.status, 304);
      assert.equal((await send({ method: "GET", path: "/ids?list-type=2" })).status, 200);
      assert.equal((await send({ method: "DELETE", path: "/ids/k" })).status, 204);
    });

    await t.step(
      "an error is an <Error> document with Code, Message, Resource and RequestId",
      async () => {
        const r = await send({ method: "GET", path: "/ids/missing/key.txt" });
        assertS3Error(r, 404, "NoSuchKey");
        assert.equal(r.headers.get("content-type"), "application/xml");
        assert.equal(xmlValue(r.text, "Resource"), "/ids/missing/key.txt");
        assert.equal(xmlValue(r.text, "Message"), "The specified key does not exist.");
        assert.doesNotMatch(r.text, /<Error xmlns/, "S3 sends <Error> without a namespace");
        const bucket = await send({ method: "GET", path: "/no-such-bucket?list-type=2" });
        assertS3Error(bucket, 404, "NoSuchBucket");
        assert.equal(xmlValue(bucket.text, "Resource"), "/no-such-bucket");
        assert.equal(xmlValue(bucket.text, "BucketName"), "no-such-bucket");
      },
    );

    await t.step("authentication failures are S3 errors with a request id too", async () => {
      assertS3Error(
        await send({ method: "GET", path: "/ids", anonymous: true }),
        403,
        "AccessDenied",
      );
      const badSecret = await send({
        method: "GET",
        path: "/ids",
        credentials: { accessKeyId: server.accessKey, secretAccessKey: "wrong" },
      });
      assertS3Error(badSecret, 403, "SignatureDoesNotMatch");
    });

    await t.step("HEAD errors carry status and x-amz-request-id but no body", async () => {
      assertS3Error(await send({ method: "HEAD", path: "/ids/missing" }), 404, "NoSuchKey", {
        head: true,
      });
      assertS3Error(await send({ method: "HEAD", path: "/nope-bucket" }), 404, "NoSuchBucket", {
        head: true,
      });
      assertS3Error(
        await send({ method: "HEAD", path: "/ids", anonymous: true }),
        403,
        "AccessDenied",
        { head: true },
      );
    });

    await t.step("a method S3 does not allow answers 405 MethodNotAllowed", async () => {
      assertS3Error(await send({ method: "POST", path: "/ids/k" }), 405, "MethodNotAllowed");
    });

    await t.step(
      "a sub-resource vStash does not implement answers 501 NotImplemented",
      async () => {
        for (const q of ["tagging", "lifecycle", "policy"]) {
          assertS3Error(await send({ method: "GET", path: `/ids?${q}` }), 501, "NotImplemented");
        }
      },
    );

    await t.step("request ids are unique", () => {
      assert.ok(ids.length > 20);
      assert.equal(new Set(ids).size, ids.length);
    });

    await t.step("the SDK surfaces the error code and the request id", async () => {
      try {
        await server.client().send(new GetObjectCommand({ Bucket: "ids", Key: "missing" }));
        assert.fail("GetObject of a missing key succeeded");
      } catch (err) {
        const e = err as { name: string; $metadata: { httpStatusCode: number; requestId: string } };
        assert.equal(e.name, "NoSuchKey");
        assert.equal(e.$metadata.httpStatusCode, 404);
        assert.match(e.$metadata.requestId, /^[0-9A-F]{16}$/);
      }
    });
  });
});
