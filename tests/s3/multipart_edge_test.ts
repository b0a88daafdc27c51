import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWithSecondCredential } from "../helpers/credentials.ts";
import { withServer } from "../helpers/server.ts";
import { concat, type RawRequest, rawRequest, sha256Hex, signRequest } from "../helpers/sign.ts";
import { assertS3Error, xmlValue, xmlValues } from "../helpers/s3.ts";
import { md5Hex } from "../helpers/checksums.ts";
import { generatedBytes, MiB, sha256Of } from "../helpers/data.ts";
import {
  completeXml,
  countBlobFiles,
  createBucket,
  createUpload,
  eventually,
  expectedMultipartEtag,
  sendAbort,
  sendComplete,
  sendListParts,
  sendPart,
  type UploadedPart,
  uploadPart,
} from "../helpers/multipart.ts";

Deno.test("CompleteMultipartUpload refuses part lists that S3 refuses", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "edges");
    const key = "refused";
    const uploadId = await createUpload(server, "edges", key);
    const bodies = [
      generatedBytes(5 * MiB, 1),
      generatedBytes(5 * MiB, 2),
      generatedBytes(100, 3),
      generatedBytes(200, 4),
    ];
    const parts: UploadedPart[] = [];
    for (const [i, body] of bodies.entries()) {
      parts.push(await uploadPart(server, "edges", key, uploadId, i + 1, body));
    }
    const complete = (list: { partNumber: number; etag: string }[]) =>
      sendComplete(server, "edges", key, uploadId, list);

    await t.step("parts listed out of order are 400 InvalidPartOrder", async () => {
      const r = await complete([parts[1], parts[0], parts[3]]);
      assertS3Error(r, 400, "InvalidPartOrder");
    });

    await t.step("a part number listed twice is 400 InvalidPartOrder", async () => {
      const r = await complete([parts[0], parts[0], parts[3]]);
      assertS3Error(r, 400, "InvalidPartOrder");
    });

    await t.step("a part number that was never uploaded is 400 InvalidPart", async () => {
      const r = await complete([parts[0], parts[1], { partNumber: 7, etag: parts[3].etag }]);
      assertS3Error(r, 400, "InvalidPart");
    });

    await t.step("an ETag that does not match the uploaded part is 400 InvalidPart", async () => {
      const r = await complete([
        parts[0],
        { partNumber: 2, etag: `"${md5Hex("something else")}"` },
        parts[3],
      ]);
      assertS3Error(r, 400, "InvalidPart");
      const swapped = await complete([
        { partNumber: 1, etag: parts[1].etag },
        { partNumber: 2, etag: parts[0].etag },
      ]);
      assertS3Error(swapped, 400, "InvalidPart");
    });

    await t.step("a part under 5 MiB that is not the last is 400 EntityTooSmall", async () => {
      const r = await complete([parts[0], parts[2], parts[3]]);
      assertS3Error(r, 400, "EntityTooSmall");
      assert.equal(xmlValue(r.text, "ProposedSize"), "100");
      assert.equal(xmlValue(r.text, "MinSizeAllowed"), String(5 * MiB));
    });

    await t.step("an empty part list or broken XML is 400 MalformedXML", async () => {
      for (
        const body of [
          "<CompleteMultipartUpload></CompleteMultipartUpload>",
          "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
          "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
          "",
        ]
      ) {
        const r = await rawRequest(server, {
          method: "POST",
          path: `/edges/${key}?uploadId=${uploadId}`,
          body,
        });
        assertS3Error(r, 400, "MalformedXML");
      }
    });

    await t.step("after the refusals the upload completes with a subset of its parts", async () => {
      // ETags are accepted with or without their quotes.
      const r = await complete([
        parts[0],
        { partNumber: 2, etag: parts[1].etag.replaceAll('"', "") },
        parts[3],
      ]);
      assert.equal(r.status, 200, r.text);
      const kept = [bodies[0], bodies[1], bodies[3]];
      assert.equal(xmlValue(r.text, "ETag"), expectedMultipartEtag(kept));
      const got = await rawRequest(server, { method: "GET", path: `/edges/${key}` });
      assert.equal(got.status, 200);
      assert.equal(sha256Of(got.bytes), sha256Of(concat(kept)));
      const part3 = await rawRequest(server, { method: "GET", path: `/edges/${key}?partNumber=3` });
      assert.equal(part3.status, 206);
      assert.deepEqual(part3.bytes, bodies[3]);
    });

    await t.step("completing the same upload again is 404 NoSuchUpload", async () => {
      const r = await complete([parts[0], parts[1], parts[3]]);
      assertS3Error(r, 404, "NoSuchUpload");
    });
  });
});

Deno.test("an unknown, finished or foreign upload id answers NoSuchUpload", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "nosuch");
    const r0 = await rawRequest(server, { method: "PUT", path: "/nosuch/src", body: "source" });
    assert.equal(r0.status, 200);
    const unknown = "0123456789abcdef0123456789abcdef";

    await t.step(
      "UploadPart, UploadPartCopy, ListParts, Complete and Abort of an unknown id are 404 NoSuchUpload",
      async () => {
        assertS3Error(await sendPart(server, "nosuch", "k", unknown, 1, "x"), 404, "NoSuchUpload");
        const copy = await rawRequest(server, {
          method: "PUT",
          path: `/nosuch/k?partNumber=1&uploadId=${unknown}`,
          headers: { "x-amz-copy-source": "/nosuch/src" },
        });
        assertS3Error(copy, 404, "NoSuchUpload");
        assertS3Error(await sendListParts(server, "nosuch", "k", unknown), 404, "NoSuchUpload");
        const complete = await sendComplete(server, "nosuch", "k", unknown, [{
          partNumber: 1,
          etag: `"${md5Hex("x")}"`,
        }]);
        assertS3Error(complete, 404, "NoSuchUpload");
        assertS3Error(await sendAbort(server, "nosuch", "k", unknown), 404, "NoSuchUpload");
        const long = "a".repeat(2000);
        assertS3Error(await sendPart(server, "nosuch", "k", long, 1, "x"), 404, "NoSuchUpload");
      },
    );

    await t.step("an upload id is valid only with the key it was created for", async () => {
      const id = await createUpload(server, "nosuch", "mine");
      assertS3Error(await sendPart(server, "nosuch", "other", id, 1, "x"), 404, "NoSuchUpload");
      assertS3Error(await sendListParts(server, "nosuch", "other", id), 404, "NoSuchUpload");
      assertS3Error(await sendAbort(server, "nosuch", "other", id), 404, "NoSuchUpload");
      const listed = await sendListParts(server, "nosuch", "mine", id);
      assert.equal(listed.status, 200, "the upload itself is untouched");
    });

    await t.step("parts of an aborted or completed upload are 404 NoSuchUpload", async () => {
      const aborted = await createUpload(server, "nosuch", "gone");
      assert.equal((await sendAbort(server, "nosuch", "gone", aborted)).status, 204);
      assertS3Error(await sendPart(server, "nosuch", "gone", aborted, 1, "x"), 404, "NoSuchUpload");
      const done = await createUpload(server, "nosuch", "done");
      const p = await uploadPart(server, "nosuch", "done", done, 1, "only part");
      assert.equal((await sendComplete(server, "nosuch", "done", done, [p])).status, 200);
      assertS3Error(await sendPart(server, "nosuch", "done", done, 2, "late"), 404, "NoSuchUpload");
      assertS3Error(await sendAbort(server, "nosuch", "done", done), 404, "NoSuchUpload");
      const got = await rawRequest(server, { method: "GET", path: "/nosuch/done" });
      assert.equal(got.text, "only part");
    });

    await t.step("multipart requests to a missing bucket are 404 NoSuchBucket", async () => {
      const r = await rawRequest(server, { method: "POST", path: "/missing-bucket/k?uploads" });
      assertS3Error(r, 404, "NoSuchBucket");
      assertS3Error(
        await sendPart(server, "missing-bucket", "k", unknown, 1, "x"),
        404,
        "NoSuchBucket",
      );
    });
  });
});

Deno.test("another credential cannot see or touch an owner's uploads", async (t) => {
  const { server, other } = await startWithSecondCredential();
  try {
    await createBucket(server, "owned");
    await createBucket(server, "owned-src");
    const src = await rawRequest(server, { method: "PUT", path: "/owned-src/s", body: "src" });
    assert.equal(src.status, 200);
    const uploadId = await createUpload(server, "owned", "k");
    const part = await uploadPart(server, "owned", "k", uploadId, 1, "mine");
    const as = (method: string, path: string, extra: Partial<RawRequest> = {}) =>
      rawRequest(server, { method, path, credentials: other, ...extra });

    await t.step(
      "CreateMultipartUpload, ListMultipartUploads, ListParts, UploadPart, Complete and Abort are 403 AccessDenied",
      async () => {
        assertS3Error(await as("GET", "/owned?uploads"), 403, "AccessDenied");
        assertS3Error(await as("GET", `/owned/k?uploadId=${uploadId}`), 403, "AccessDenied");
        assertS3Error(
          await as("PUT", `/owned/k?partNumber=1&uploadId=${uploadId}`, { body: "theirs" }),
          403,
          "AccessDenied",
        );
        assertS3Error(
          await as("POST", `/owned/k?uploadId=${uploadId}`, { body: completeXml([part]) }),
          403,
          "AccessDenied",
        );
        assertS3Error(await as("DELETE", `/owned/k?uploadId=${uploadId}`), 403, "AccessDenied");
        assertS3Error(await as("POST", "/owned/k2?uploads"), 403, "AccessDenied");
      },
    );

    await t.step(
      "UploadPartCopy from a bucket the caller does not own is 403 AccessDenied",
      async () => {
        const mine = await as("PUT", "/theirs-bucket");
        assert.equal(mine.status, 200, mine.text);
        const created = await as("POST", "/theirs-bucket/k?uploads");
        const theirUpload = xmlValue(created.text, "UploadId")!;
        const r = await as("PUT", `/theirs-bucket/k?partNumber=1&uploadId=${theirUpload}`, {
          headers: { "x-amz-copy-source": "/owned-src/s" },
        });
        assertS3Error(r, 403, "AccessDenied");
      },
    );

    await t.step("the owner's upload is untouched and still completes", async () => {
      const listed = await sendListParts(server, "owned", "k", uploadId);
      assert.deepEqual(xmlValues(listed.text, "ETag"), [part.etag]);
      const r = await sendComplete(server, "owned", "k", uploadId, [part]);
      assert.equal(r.status, 200, r.text);
      const got = await rawRequest(server, { method: "GET", path: "/owned/k" });
      assert.equal(got.text, "mine");
    });
  } finally {
    await server.stop();
  }
});

Deno.test("UploadPartCopy refuses bad sources and ranges and keeps no part", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "copies");
    const source = generatedBytes(1000, 9);
    const put = await rawRequest(server, { method: "PUT", path: "/copies/src", body: source });
    assert.equal(put.status, 200);
    const uploadId = await createUpload(server, "copies", "dst");
    const copy = (headers: Record<string, string>) =>
      rawRequest(server, {
        method: "PUT",
        path: `/copies/dst?partNumber=1&uploadId=${uploadId}`,
        headers,
      });

    await t.step("a missing source key is 404 NoSuchKey", async () => {
      assertS3Error(await copy({ "x-amz-copy-source": "/copies/nope" }), 404, "NoSuchKey");
    });

    await t.step("a copy-source-range past the end of the source is 416 InvalidRange", async () => {
      const r = await copy({
        "x-amz-copy-source": "/copies/src",
        "x-amz-copy-source-range": "bytes=0-1000",
      });
      assertS3Error(r, 416, "InvalidRange");
    });

    await t.step(
      "a copy-source-range not of the form bytes=first-last is 400 InvalidArgument",
      async () => {
        for (const range of ["bytes=10-", "bytes=-10", "bytes=9-3", "0-9", "bytes=0-1,3-4"]) {
          const r = await copy({
            "x-amz-copy-source": "/copies/src",
            "x-amz-copy-source-range": range,
          });
          assertS3Error(r, 400, "InvalidArgument");
        }
      },
    );

    await t.step("none of the refused copies left a part behind", async () => {
      const r = await sendListParts(server, "copies", "dst", uploadId);
      assert.equal(r.status, 200);
      assert.deepEqual(xmlValues(r.text, "PartNumber"), []);
    });

    await t.step("the last byte alone is a valid copy-source-range", async () => {
      const r = await copy({
        "x-amz-copy-source": "/copies/src",
        "x-amz-copy-source-range": "bytes=999-999",
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(xmlValue(r.text, "ETag"), `"${md5Hex(source.subarray(999))}"`);
    });
  });
});

Deno.test("an upload with 10,000 parts lists, validates and aborts", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "many");
    const uploadId = await createUpload(server, "many", "k");
    // Empty parts: the manifest, the listing and the validation are what is tested here, and
    // a part without bytes costs one KV commit instead of a file and three fsyncs.
    const etags: string[] = [];
    const baseline = await countBlobFiles(server.dataDir);

    await t.step(
      "10,000 empty parts upload with 16 requests in flight and keep no files",
      async () => {
        let next = 1;
        const worker = async () => {
          while (next <= 10_000) {
            const n = next++;
            const r = await sendPart(
              server,
              "many",
              "k",
              uploadId,
              n,
              "",
            );
            assert.equal(r.status, 200, `part ${n}: ${r.text}`);
            etags[n] = r.headers.get("etag")!;
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));
        assert.deepEqual(await countBlobFiles(server.dataDir), baseline);
      },
    );

    await t.step(
      "ListParts pages through them 1000 at a time with part-number-marker",
      async () => {
        let marker = 0;
        let pages = 0;
        for (;;) {
          const r = await sendListParts(
            server,
            "many",
            "k",
            uploadId,
            `part-number-marker=${marker}`,
          );
          assert.equal(r.status, 200, r.text);
          const numbers = xmlValues(r.text, "PartNumber").map(Number);
          assert.equal(numbers.length, 1000);
          assert.deepEqual(numbers, Array.from({ length: 1000 }, (_, i) => marker + i + 1));
          pages++;
          if (xmlValue(r.text, "IsTruncated") !== "true") break;
          marker = Number(xmlValue(r.text, "NextPartNumberMarker"));
        }
        assert.equal(pages, 10);
        const capped = await sendListParts(server, "many", "k", uploadId, "max-parts=5000");
        assert.equal(xmlValues(capped.text, "PartNumber").length, 1000);
        const tail = await sendListParts(server, "many", "k", uploadId, "part-number-marker=9998");
        assert.deepEqual(xmlValues(tail.text, "PartNumber"), ["9999", "10000"]);
        assert.equal(xmlValue(tail.text, "IsTruncated"), "false");
      },
    );

    await t.step(
      "Complete over all 10,000 parts checks every one and answers EntityTooSmall",
      async () => {
        const list = Array.from(
          { length: 10_000 },
          (_, i) => ({ partNumber: i + 1, etag: etags[i + 1] }),
        );
        assert.ok(completeXml(list).length < 1024 * 1024);
        const r = await sendComplete(server, "many", "k", uploadId, list);
        assertS3Error(r, 400, "EntityTooSmall");
        // An ETag mismatch in the very last part is still found.
        list[9999] = { partNumber: 10_000, etag: `"${md5Hex("nope")}"` };
        assertS3Error(await sendComplete(server, "many", "k", uploadId, list), 400, "InvalidPart");
      },
    );

    await t.step("aborting it answers 204 and the upload is gone", async () => {
      const r = await sendAbort(server, "many", "k", uploadId);
      assert.equal(r.status, 204, r.text);
      assertS3Error(await sendListParts(server, "many", "k", uploadId), 404, "NoSuchUpload");
    });
  });
});

Deno.test("a 10,000-part upload completes as one object and serves every part", async (t) => {
  // Only a lowered minimum part size lets CI build 10,000 parts; the manifest, the single
  // metadata commit and the reads are the same as with 5 MiB parts.
  await withServer(async (server) => {
    await createBucket(server, "tenk");
    const uploadId = await createUpload(server, "tenk", "k");
    const withBytes = new Map<number, Uint8Array>(
      [1, 2, 4999, 5000, 9999, 10_000].map((n) => [n, generatedBytes(100 + n % 97, n)]),
    );
    const parts: UploadedPart[] = [];
    const baseline = await countBlobFiles(server.dataDir);

    await t.step("10,000 parts are accepted, six of them with bytes", async () => {
      let next = 1;
      const worker = async () => {
        while (next <= 10_000) {
          const n = next++;
          parts[n - 1] = await uploadPart(
            server,
            "tenk",
            "k",
            uploadId,
            n,
            withBytes.get(n) ?? "",
          );
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    });

    const whole = concat(parts.map((p) => withBytes.get(p.partNumber) ?? new Uint8Array()));
    await t.step("Complete over all of them answers the -10000 ETag", async () => {
      const r = await sendComplete(server, "tenk", "k", uploadId, parts);
      assert.equal(r.status, 200, r.text);
      const expected = expectedMultipartEtag(
        parts.map((p) => withBytes.get(p.partNumber) ?? new Uint8Array()),
      );
      assert.equal(xmlValue(r.text, "ETag")?.replaceAll("&quot;", '"'), expected);
      assert.ok(expected.endsWith('-10000"'));
    });

    await t.step("GET returns the parts' bytes in order", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/tenk/k" });
      assert.equal(r.status, 200);
      assert.equal(sha256Of(r.bytes), sha256Of(whole));
    });

    await t.step("GET ?partNumber=5000 returns that part with the part count", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/tenk/k?partNumber=5000" });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("x-amz-mp-parts-count"), "10000");
      assert.equal(sha256Of(r.bytes), sha256Of(withBytes.get(5000)!));
    });

    await t.step("a Range across the last parts returns the right bytes", async () => {
      const start = whole.length - 150;
      const r = await rawRequest(server, {
        method: "GET",
        path: "/tenk/k",
        headers: { range: `bytes=${start}-` },
      });
      assert.equal(r.status, 206);
      assert.equal(sha256Of(r.bytes), sha256Of(whole.subarray(start)));
    });

    await t.step("deleting the object removes every part's blob", async () => {
      assert.equal(
        (await rawRequest(server, { method: "DELETE", path: "/tenk/k" })).status,
        204,
      );
      await eventually("part blobs are gone", async () => {
        const now = await countBlobFiles(server.dataDir);
        return now.blobs === baseline.blobs && now.tmp === 0;
      });
    });
  }, { args: ["--min-part-size", "0"] });
});

Deno.test("a Complete with twelve parts, all but the last 5 MiB, serves every part", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "twelve");
    // Eleven 5 MiB parts copied server-side from one source, plus a small last part.
    const source = generatedBytes(5 * MiB, 70);
    const put = await rawRequest(server, { method: "PUT", path: "/twelve/src", body: source });
    assert.equal(put.status, 200);
    const uploadId = await createUpload(server, "twelve", "k");
    const tail = generatedBytes(12345, 71);
    const parts: UploadedPart[] = [];

    await t.step("eleven UploadPartCopy parts and one uploaded part are accepted", async () => {
      for (let n = 1; n <= 11; n++) {
        const r = await rawRequest(server, {
          method: "PUT",
          path: `/twelve/k?partNumber=${n}&uploadId=${uploadId}`,
          headers: { "x-amz-copy-source": "/twelve/src" },
        });
        assert.equal(r.status, 200, r.text);
        parts.push({ partNumber: n, etag: xmlValue(r.text, "ETag")! });
      }
      parts.push(await uploadPart(server, "twelve", "k", uploadId, 12, tail));
    });

    const bodies = [...Array(11).fill(source), tail];
    await t.step("Complete answers the 12-part ETag", async () => {
      const r = await sendComplete(server, "twelve", "k", uploadId, parts);
      assert.equal(r.status, 200, r.text);
      assert.equal(xmlValue(r.text, "ETag"), expectedMultipartEtag(bodies));
    });

    await t.step("the whole object and each ?partNumber read back exactly", async () => {
      const got = await rawRequest(server, { method: "GET", path: "/twelve/k" });
      assert.equal(got.bytes.length, 55 * MiB + 12345);
      const h = createHash("sha256");
      for (const b of bodies) h.update(b);
      assert.equal(sha256Of(got.bytes), h.digest("hex"));
      for (const n of [1, 6, 11, 12]) {
        const r = await rawRequest(server, { method: "GET", path: `/twelve/k?partNumber=${n}` });
        assert.equal(r.status, 206);
        assert.equal(r.headers.get("x-amz-mp-parts-count"), "12");
        assert.equal(sha256Of(r.bytes), sha256Of(bodies[n - 1]));
      }
    });
  });
});

/** A signed UploadPart whose body the test writes itself, slowly, over a raw socket. */
async function openSlowPart(
  server: Parameters<typeof signRequest>[0],
  path: string,
  body: Uint8Array,
): Promise<{ conn: Deno.Conn; write: (bytes: Uint8Array) => Promise<void> }> {
  const signed = await signRequest(server, {
    method: "PUT",
    path,
    headers: { "content-length": String(body.length) },
    contentSha256: sha256Hex(body),
  });
  const { hostname, port } = new URL(server.s3Url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const write = async (bytes: Uint8Array) => {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  };
  const head = `PUT ${path} HTTP/1.1\r\n` +
    Object.entries({ ...signed.headers, connection: "close" }).map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    "\r\n";
  await write(new TextEncoder().encode(head));
  return { conn, write };
}

/** Reads the answer on a raw connection until the server closes it: status and body text. */
async function readAnswer(conn: Deno.Conn): Promise<{ status: number; text: string }> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const text = new TextDecoder().decode(concat(chunks));
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}

Deno.test("aborting an upload while a part is still arriving keeps nothing", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "slow");
    const baseline = await countBlobFiles(server.dataDir);
    const body = generatedBytes(2 * MiB, 80);

    await t.step("the part finishes after the abort and answers 404 NoSuchUpload", async () => {
      const uploadId = await createUpload(server, "slow", "k");
      const { conn, write } = await openSlowPart(
        server,
        `/slow/k?partNumber=1&uploadId=${uploadId}`,
        body,
      );
      try {
        await write(body.subarray(0, MiB));
        // The server is now streaming the part into a temp file.
        await eventually(
          "the part's temp file appears",
          async () => (await countBlobFiles(server.dataDir)).tmp === 1,
        );
        const abort = await sendAbort(server, "slow", "k", uploadId);
        assert.equal(abort.status, 204, abort.text);
        await write(body.subarray(MiB));
        const answer = await readAnswer(conn);
        assert.equal(answer.status, 404, answer.text);
        assert.match(answer.text, /<Code>NoSuchUpload<\/Code>/);
      } finally {
        conn.close();
      }
      assertS3Error(await sendListParts(server, "slow", "k", uploadId), 404, "NoSuchUpload");
    });

    await t.step("no part blob or temp file is left behind", async () => {
      assert.deepEqual(await countBlobFiles(server.dataDir), baseline);
    });

    await t.step(
      "a client that disconnects halfway through a part leaves no part and no file",
      async () => {
        const uploadId = await createUpload(server, "slow", "k2");
        const { conn, write } = await openSlowPart(
          server,
          `/slow/k2?partNumber=1&uploadId=${uploadId}`,
          body,
        );
        await write(body.subarray(0, MiB));
        await eventually(
          "the part's temp file appears",
          async () => (await countBlobFiles(server.dataDir)).tmp === 1,
        );
        conn.close();
        await eventually(
          "the temp file is removed",
          async () => (await countBlobFiles(server.dataDir)).tmp === 0,
        );
        const listed = await sendListParts(server, "slow", "k2", uploadId);
        assert.equal(listed.status, 200);
        assert.deepEqual(xmlValues(listed.text, "PartNumber"), []);
        assert.deepEqual(await countBlobFiles(server.dataDir), baseline);
      },
    );
  });
});
