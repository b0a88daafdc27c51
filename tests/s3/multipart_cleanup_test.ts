/**
 * Part blobs must not outlive what they belong to. The wire cannot show disk usage, so these
 * tests count the files under `<dataDir>/blobs/` (and `tmp/`) before and after.
 */
import assert from "node:assert/strict";
import { restartServer } from "../helpers/credentials.ts";
import { startTestServer, type TestServer, withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { assertS3Error, xmlValues } from "../helpers/s3.ts";
import { md5Base64 } from "../helpers/checksums.ts";
import { generatedBytes, MiB, sha256Of } from "../helpers/data.ts";
import {
  blobCount,
  createBucket,
  createUpload,
  eventually,
  sendAbort,
  sendComplete,
  sendListParts,
  sendPart,
  type UploadedPart,
  uploadPart,
} from "../helpers/multipart.ts";

/** A completed two-part object (5 MiB + `tail` bytes): two blob files. */
async function putMultipartObject(
  server: TestServer,
  bucket: string,
  key: string,
  seed: number,
  tail = 10,
): Promise<Uint8Array> {
  const bodies = [generatedBytes(5 * MiB, seed), generatedBytes(tail, seed + 1)];
  const uploadId = await createUpload(server, bucket, key);
  const parts: UploadedPart[] = [];
  for (const [i, b] of bodies.entries()) {
    parts.push(await uploadPart(server, bucket, key, uploadId, i + 1, b));
  }
  const r = await sendComplete(server, bucket, key, uploadId, parts);
  assert.equal(r.status, 200, r.text);
  const whole = new Uint8Array(bodies[0].length + bodies[1].length);
  whole.set(bodies[0]);
  whole.set(bodies[1], bodies[0].length);
  return whole;
}

Deno.test("aborting, completing, deleting and overwriting leave no part blob behind", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "cleanup");
    const baseline = await blobCount(server);

    await t.step("AbortMultipartUpload removes every part blob, even of 1,000 parts", async () => {
      const uploadId = await createUpload(server, "cleanup", "aborted");
      let next = 1;
      const worker = async () => {
        while (next <= 1000) {
          const n = next++;
          const r = await sendPart(server, "cleanup", "aborted", uploadId, n, `part ${n}`);
          assert.equal(r.status, 200, r.text);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      assert.equal(await blobCount(server), baseline + 1000);
      const r = await sendAbort(server, "cleanup", "aborted", uploadId);
      assert.equal(r.status, 204, r.text);
      assert.equal(await blobCount(server), baseline);
    });

    await t.step(
      "re-uploading a part number removes the blob of the part it replaces",
      async () => {
        const uploadId = await createUpload(server, "cleanup", "replaced");
        await uploadPart(server, "cleanup", "replaced", uploadId, 1, "first");
        await uploadPart(server, "cleanup", "replaced", uploadId, 1, "second");
        await uploadPart(server, "cleanup", "replaced", uploadId, 1, "third");
        assert.equal(await blobCount(server), baseline + 1);
        assert.equal((await sendAbort(server, "cleanup", "replaced", uploadId)).status, 204);
        assert.equal(await blobCount(server), baseline);
      },
    );

    await t.step("a refused part (BadDigest) leaves no blob", async () => {
      const uploadId = await createUpload(server, "cleanup", "refused");
      const r = await sendPart(server, "cleanup", "refused", uploadId, 1, "bytes", {
        "content-md5": md5Base64("other bytes"),
      });
      assertS3Error(r, 400, "BadDigest");
      assert.equal(await blobCount(server), baseline);
      assert.equal((await sendAbort(server, "cleanup", "refused", uploadId)).status, 204);
    });

    let whole = new Uint8Array();
    await t.step(
      "completion copies no data: the object's files are exactly its kept parts",
      async () => {
        const uploadId = await createUpload(server, "cleanup", "obj");
        const big = generatedBytes(5 * MiB, 1);
        const p1 = await uploadPart(server, "cleanup", "obj", uploadId, 1, big);
        await uploadPart(server, "cleanup", "obj", uploadId, 2, "dropped by the completion");
        const p3 = await uploadPart(server, "cleanup", "obj", uploadId, 3, "tail");
        assert.equal(await blobCount(server), baseline + 3);
        const r = await sendComplete(server, "cleanup", "obj", uploadId, [p1, p3]);
        assert.equal(r.status, 200, r.text);
        // Part 2 is gone, parts 1 and 3 are the object: no new file holds a copy.
        assert.equal(await blobCount(server), baseline + 2);
        whole = new Uint8Array(big.length + 4);
        whole.set(big);
        whole.set(new TextEncoder().encode("tail"), big.length);
        const got = await rawRequest(server, { method: "GET", path: "/cleanup/obj" });
        assert.equal(sha256Of(got.bytes), sha256Of(whole));
      },
    );

    await t.step("DeleteObject of a multipart object removes its part blobs", async () => {
      const r = await rawRequest(server, { method: "DELETE", path: "/cleanup/obj" });
      assert.equal(r.status, 204);
      assert.equal(await blobCount(server), baseline);
    });

    await t.step("DeleteObjects of a multipart object removes its part blobs", async () => {
      await putMultipartObject(server, "cleanup", "batch", 10);
      assert.equal(await blobCount(server), baseline + 2);
      const r = await rawRequest(server, {
        method: "POST",
        path: "/cleanup?delete",
        body: "<Delete><Object><Key>batch</Key></Object></Delete>",
        headers: { "content-md5": md5Base64("<Delete><Object><Key>batch</Key></Object></Delete>") },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(xmlValues(r.text, "Key"), ["batch"]);
      assert.equal(await blobCount(server), baseline);
    });

    await t.step(
      "overwriting a multipart object with PutObject removes its part blobs",
      async () => {
        await putMultipartObject(server, "cleanup", "over", 20);
        assert.equal(await blobCount(server), baseline + 2);
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/cleanup/over",
          body: "single",
        });
        assert.equal(r.status, 200);
        // Six bytes live in the object's record (INLINE_MAX_BYTES): no file at all.
        assert.equal(await blobCount(server), baseline);
        const got = await rawRequest(server, { method: "GET", path: "/cleanup/over" });
        assert.equal(got.text, "single");
      },
    );

    await t.step(
      "overwriting a multipart object with another removes the first one's parts",
      async () => {
        await putMultipartObject(server, "cleanup", "twice", 30);
        const second = await putMultipartObject(server, "cleanup", "twice", 40, 20);
        // The second upload's 2 parts ("over" has no file).
        assert.equal(await blobCount(server), baseline + 2);
        const got = await rawRequest(server, { method: "GET", path: "/cleanup/twice" });
        assert.equal(sha256Of(got.bytes), sha256Of(second));
      },
    );

    await t.step(
      "overwriting with CopyObject from itself keeps a readable object and no stray blob",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/cleanup/twice",
          headers: {
            "x-amz-copy-source": "/cleanup/twice",
            "x-amz-metadata-directive": "REPLACE",
            "x-amz-meta-note": "copied",
          },
        });
        assert.equal(r.status, 200, r.text);
        // The copy is one blob; the two parts it replaced are gone.
        assert.equal(await blobCount(server), baseline + 1);
        const got = await rawRequest(server, { method: "GET", path: "/cleanup/twice" });
        assert.equal(got.bytes.length, 5 * MiB + 20);
      },
    );
  });
});

Deno.test("racing Complete, Abort and UploadPart leave one outcome and no stray blob", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "races");
    const baseline = await blobCount(server);
    const big = generatedBytes(5 * MiB, 60);

    await t.step("Complete and Abort sent together: exactly one succeeds", async () => {
      for (let round = 0; round < 5; round++) {
        const key = `ca${round}`;
        const uploadId = await createUpload(server, "races", key);
        const parts = [
          await uploadPart(server, "races", key, uploadId, 1, big),
          await uploadPart(server, "races", key, uploadId, 2, "tail"),
        ];
        const [complete, abort] = await Promise.all([
          sendComplete(server, "races", key, uploadId, parts),
          sendAbort(server, "races", key, uploadId),
        ]);
        const got = await rawRequest(server, { method: "HEAD", path: `/races/${key}` });
        if (complete.status === 200) {
          assertS3Error(abort, 404, "NoSuchUpload");
          assert.equal(got.status, 200);
          assert.equal(await blobCount(server), baseline + 2);
          assert.equal(
            (await rawRequest(server, { method: "DELETE", path: `/races/${key}` })).status,
            204,
          );
        } else {
          assertS3Error(complete, 404, "NoSuchUpload");
          assert.equal(abort.status, 204);
          assert.equal(got.status, 404);
        }
        assert.equal(await blobCount(server), baseline, `round ${round}`);
      }
    });

    await t.step(
      "a part that arrives during Complete is dropped or refused and leaves no blob",
      async () => {
        for (let round = 0; round < 5; round++) {
          const key = `cp${round}`;
          const uploadId = await createUpload(server, "races", key);
          const parts = [
            await uploadPart(server, "races", key, uploadId, 1, big),
            await uploadPart(server, "races", key, uploadId, 2, "tail"),
          ];
          const [complete, late] = await Promise.all([
            sendComplete(server, "races", key, uploadId, parts),
            sendPart(server, "races", key, uploadId, 3, generatedBytes(100_000, round)),
          ]);
          assert.equal(complete.status, 200, complete.text);
          if (late.status !== 200) assertS3Error(late, 404, "NoSuchUpload");
          // Either way the object is parts 1 and 2, and part 3 has no file.
          assert.equal(await blobCount(server), baseline + 2);
          const got = await rawRequest(server, { method: "GET", path: `/races/${key}` });
          assert.equal(got.bytes.length, 5 * MiB + 4);
          assert.equal(
            (await rawRequest(server, { method: "DELETE", path: `/races/${key}` })).status,
            204,
          );
          assert.equal(await blobCount(server), baseline, `round ${round}`);
        }
      },
    );
  });
});

Deno.test("DeleteBucket aborts the bucket's uploads in progress and deletes their parts", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "doomed");
    const baseline = await blobCount(server);
    const uploadId = await createUpload(server, "doomed", "k");
    await uploadPart(server, "doomed", "k", uploadId, 1, "part one");
    await uploadPart(server, "doomed", "k", uploadId, 2, "part two");

    await t.step(
      "DeleteBucket of a bucket holding only an upload in progress answers 204",
      async () => {
        // As in S3: uploads in progress do not keep a bucket alive.
        const r = await rawRequest(server, { method: "DELETE", path: "/doomed" });
        assert.equal(r.status, 204, r.text);
      },
    );

    await t.step("the upload's part blobs are deleted with the bucket", async () => {
      assert.equal(await blobCount(server), baseline);
    });

    await t.step("a bucket re-created under the same name has no uploads", async () => {
      await createBucket(server, "doomed");
      const listed = await rawRequest(server, { method: "GET", path: "/doomed?uploads" });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(xmlValues(listed.text, "UploadId"), []);
      assertS3Error(await sendListParts(server, "doomed", "k", uploadId), 404, "NoSuchUpload");
    });
  });
});

Deno.test("incomplete uploads expire after --upload-expiry and their parts are deleted", async (t) => {
  let server = await startTestServer();
  try {
    await createBucket(server, "expiry");
    const kept = await putMultipartObject(server, "expiry", "completed", 50);
    const baseline = await blobCount(server);
    const uploadId = await createUpload(server, "expiry", "stale");
    for (let n = 1; n <= 3; n++) await uploadPart(server, "expiry", "stale", uploadId, n, `p${n}`);
    const createdAt = Date.now();
    assert.equal(await blobCount(server), baseline + 3);
    const uploads = async () => {
      const r = await rawRequest(server, { method: "GET", path: "/expiry?uploads" });
      assert.equal(r.status, 200, r.text);
      return xmlValues(r.text, "UploadId");
    };

    await t.step(
      "with the default expiry (7 days) a restart keeps the upload and its parts",
      async () => {
        server = (await restartServer(server)).server;
        // Give the startup sweep time to run; it must not touch the upload.
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(await uploads(), [uploadId]);
        const parts = await sendListParts(server, "expiry", "stale", uploadId);
        assert.deepEqual(xmlValues(parts.text, "PartNumber"), ["1", "2", "3"]);
        assert.equal(await blobCount(server), baseline + 3);
      },
    );

    await t.step(
      "past --upload-expiry, the sweep at startup aborts the upload and deletes its parts",
      async () => {
        await server.stop({ keepData: true });
        const wait = createdAt + 2_200 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        server = (await restartServer(server, { args: ["--upload-expiry", "2s"] })).server;
        await eventually(
          "the expired upload disappears",
          async () => (await uploads()).length === 0,
        );
        assertS3Error(
          await sendListParts(server, "expiry", "stale", uploadId),
          404,
          "NoSuchUpload",
        );
        await eventually(
          "the expired upload's part blobs are deleted",
          async () => (await blobCount(server)) === baseline,
        );
      },
    );

    await t.step("the sweep leaves completed multipart objects alone", async () => {
      const got = await rawRequest(server, { method: "GET", path: "/expiry/completed" });
      assert.equal(got.status, 200);
      assert.equal(sha256Of(got.bytes), sha256Of(kept));
    });

    await t.step("a new upload on the short-expiry server is listed until it expires", async () => {
      const fresh = await createUpload(server, "expiry", "fresh");
      assert.deepEqual(await uploads(), [fresh]);
    });
  } finally {
    await server.stop();
  }
});
