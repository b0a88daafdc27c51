import assert from "node:assert/strict";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { errorCode, rawRequest } from "../helpers/sign.ts";

Deno.test("a default SDK client round-trips an object", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await t.step("CreateBucket then PutObject then GetObject returns the same bytes", async () => {
      await s3.send(new CreateBucketCommand({ Bucket: "smoke" }));
      await s3.send(new PutObjectCommand({ Bucket: "smoke", Key: "k", Body: "hi" }));
      const got = await s3.send(new GetObjectCommand({ Bucket: "smoke", Key: "k" }));
      assert.equal(await got.Body!.transformToString(), "hi");
    });
    await t.step("a wrong secret is SignatureDoesNotMatch", async () => {
      const r = await rawRequest(server, {
        method: "GET",
        path: "/smoke/k",
        credentials: { accessKeyId: server.accessKey, secretAccessKey: "wrong" },
      });
      assert.equal(r.status, 403);
      assert.equal(errorCode(r.text), "SignatureDoesNotMatch");
    });
  });
});
