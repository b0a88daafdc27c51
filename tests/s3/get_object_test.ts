import assert from "node:assert/strict";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { withServer } from "../helpers/server.ts";
import { rawRequest, type RawResponse } from "../helpers/sign.ts";
import { md5Hex } from "../helpers/checksums.ts";
import { exchange } from "../helpers/raw_http.ts";
import { assertS3Error, utf8, xmlValue } from "../helpers/s3.ts";

/** 100 bytes whose value is their offset, so any slice is easy to check. */
const DATA = Uint8Array.from({ length: 100 }, (_, i) => i);
const ETAG = `"${md5Hex(DATA)}"`;

Deno.test("GetObject and HeadObject: ranges, overrides, conditionals and partNumber", async (t) => {
  await withServer(async (server) => {
    const get = (headers: Record<string, string> = {}, query = "", method = "GET") =>
      rawRequest(server, { method, path: `/reads/data.bin${query}`, headers });
    const assertRange = (r: RawResponse, start: number, end: number) => {
      assert.equal(r.status, 206, r.text);
      assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/100`);
      assert.equal(r.headers.get("content-length"), String(end - start + 1));
      assert.equal(r.headers.get("etag"), ETAG);
      assert.deepEqual(r.bytes, DATA.slice(start, end + 1));
    };

    await rawRequest(server, { method: "PUT", path: "/reads" });
    const put = await rawRequest(server, {
      method: "PUT",
      path: "/reads/data.bin",
      body: DATA,
      headers: { "content-type": "application/x-test", "cache-control": "no-store" },
    });
    assert.equal(put.status, 200);
    await rawRequest(server, { method: "PUT", path: "/reads/empty" });
    const lastModified = (await get({}, "", "HEAD")).headers.get("last-modified")!;

    await t.step("a plain GET answers 200 with every byte and Accept-Ranges", async () => {
      const r = await get();
      assert.equal(r.status, 200);
      assert.deepEqual(r.bytes, DATA);
      assert.equal(r.headers.get("accept-ranges"), "bytes");
      assert.equal(r.headers.get("content-range"), null);
    });

    await t.step("Range bytes=a-b answers 206 with exactly those bytes", async () => {
      assertRange(await get({ range: "bytes=0-9" }), 0, 9);
      assertRange(await get({ range: "bytes=42-42" }), 42, 42);
      assertRange(await get({ range: "bytes=10-99" }), 10, 99);
    });

    await t.step("Range bytes=a- answers 206 from a to the end", async () => {
      assertRange(await get({ range: "bytes=90-" }), 90, 99);
      assertRange(await get({ range: "bytes=0-" }), 0, 99);
    });

    await t.step("Range bytes=-n answers 206 with the last n bytes", async () => {
      assertRange(await get({ range: "bytes=-5" }), 95, 99);
      assertRange(await get({ range: "bytes=-1" }), 99, 99);
    });

    await t.step("a range reaching past the end is clamped to the last byte", async () => {
      assertRange(await get({ range: "bytes=95-1000" }), 95, 99);
      assertRange(await get({ range: "bytes=-500" }), 0, 99);
    });

    await t.step("GetObject answers 416 InvalidRange for a range past the end", async () => {
      for (const range of ["bytes=100-", "bytes=100-200", "bytes=1000-1001", "bytes=-0"]) {
        const r = await get({ range });
        assertS3Error(r, 416, "InvalidRange");
        assert.equal(r.headers.get("content-range"), "bytes */100", range);
      }
      const empty = await rawRequest(server, {
        method: "GET",
        path: "/reads/empty",
        headers: { range: "bytes=0-0" },
      });
      assertS3Error(empty, 416, "InvalidRange");
    });

    await t.step(
      "a Range header S3 cannot use is ignored and the whole object served",
      async () => {
        for (const range of ["bytes=abc", "items=0-5", "bytes=0-1,5-6", "bytes=9-2"]) {
          const r = await get({ range });
          assert.equal(r.status, 200, range);
          assert.deepEqual(r.bytes, DATA, range);
        }
      },
    );

    await t.step(
      "HeadObject with a Range answers 206 with the range's length and no body",
      async () => {
        const r = await get({ range: "bytes=10-19" }, "", "HEAD");
        assert.equal(r.status, 206);
        assert.equal(r.headers.get("content-length"), "10");
        assert.equal(r.headers.get("content-range"), "bytes 10-19/100");
        assert.equal(r.bytes.length, 0);
      },
    );

    await t.step(
      "response-* query parameters override the headers of this answer only",
      async () => {
        const overrides = {
          "response-content-type": "application/json",
          "response-content-disposition": 'attachment; filename="x.json"',
          "response-cache-control": "max-age=60",
          "response-content-language": "fr",
          "response-expires": "Wed, 21 Oct 2043 07:28:00 GMT",
          "response-content-encoding": "identity",
        };
        const q = "?" + new URLSearchParams(overrides).toString().replaceAll("+", "%20");
        const r = await get({}, q);
        assert.equal(r.status, 200, r.text);
        for (const [param, value] of Object.entries(overrides)) {
          assert.equal(r.headers.get(param.slice("response-".length)), value, param);
        }
        assert.deepEqual(r.bytes, DATA);
        const plain = await get();
        assert.equal(plain.headers.get("content-type"), "application/x-test");
        assert.equal(plain.headers.get("cache-control"), "no-store");
        assert.equal(plain.headers.get("content-disposition"), null);
      },
    );

    await t.step("response-* overrides work through a presigned SDK URL", async () => {
      const url = await getSignedUrl(
        server.client(),
        new GetObjectCommand({
          Bucket: "reads",
          Key: "data.bin",
          ResponseContentType: "text/csv",
          ResponseContentDisposition: "inline",
        }),
        { expiresIn: 60 },
      );
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA);
      assert.equal(res.headers.get("content-type"), "text/csv");
      assert.equal(res.headers.get("content-disposition"), "inline");
    });

    await t.step(
      "If-Match answers 200 when the ETag matches and 412 PreconditionFailed when not",
      async () => {
        assert.equal((await get({ "if-match": ETAG })).status, 200);
        assert.equal((await get({ "if-match": ETAG.slice(1, -1) })).status, 200, "unquoted");
        assert.equal((await get({ "if-match": `"other", ${ETAG}` })).status, 200, "in a list");
        assert.equal((await get({ "if-match": "*" })).status, 200);
        const r = await get({ "if-match": '"0123456789abcdef0123456789abcdef"' });
        assertS3Error(r, 412, "PreconditionFailed");
        assert.equal(xmlValue(r.text, "Condition"), "If-Match");
      },
    );

    await t.step("If-None-Match answers 304 without a body when the ETag matches", async () => {
      const r = await get({ "if-none-match": ETAG });
      assert.equal(r.status, 304);
      assert.equal(r.bytes.length, 0);
      assert.equal(r.headers.get("etag"), ETAG);
      assert.ok(r.headers.get("x-amz-request-id"));
      assert.equal((await get({ "if-none-match": '"different"' })).status, 200);
    });

    await t.step(
      "If-Modified-Since answers 304 when not modified since and 200 when modified",
      async () => {
        assert.equal((await get({ "if-modified-since": lastModified })).status, 304);
        const r = await get({ "if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT" });
        assert.equal(r.status, 200);
        assert.deepEqual(r.bytes, DATA);
      },
    );

    await t.step(
      "If-Unmodified-Since answers 412 when modified since and 200 when not",
      async () => {
        const r = await get({ "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT" });
        assertS3Error(r, 412, "PreconditionFailed");
        assert.equal((await get({ "if-unmodified-since": lastModified })).status, 200);
      },
    );

    await t.step(
      "S3's documented combinations: If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since",
      async () => {
        const both = await get({
          "if-match": ETAG,
          "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
        });
        assert.equal(both.status, 200);
        const notModified = await get({
          "if-none-match": ETAG,
          "if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
        });
        assert.equal(notModified.status, 304);
      },
    );

    await t.step("HeadObject applies the same conditionals without bodies", async () => {
      const notModified = await get({ "if-none-match": ETAG }, "", "HEAD");
      assert.equal(notModified.status, 304);
      const failed = await get({ "if-match": '"nope"' }, "", "HEAD");
      assertS3Error(failed, 412, "PreconditionFailed", { head: true });
    });

    await t.step("partNumber=1 on a plain object answers 206 with the whole object", async () => {
      const r = await get({}, "?partNumber=1");
      assertRange(r, 0, 99);
      assert.equal(r.headers.get("x-amz-mp-parts-count"), null);
      const head = await get({}, "?partNumber=1", "HEAD");
      assert.equal(head.headers.get("content-length"), "100");
    });

    await t.step("partNumber=2 on a plain object answers 416 InvalidPartNumber", async () => {
      assertS3Error(await get({}, "?partNumber=2"), 416, "InvalidPartNumber");
    });

    await t.step(
      "a partNumber that is not 1-10000, or one combined with Range, answers 400",
      async () => {
        for (const n of ["0", "abc", "10001", "-1"]) {
          assertS3Error(await get({}, `?partNumber=${n}`), 400, "InvalidArgument");
        }
        assertS3Error(await get({ range: "bytes=0-1" }, "?partNumber=1"), 400, "InvalidRequest");
      },
    );

    await t.step(
      "GetObject of a missing key answers 404 NoSuchKey naming the key; HEAD has no body",
      async () => {
        const r = await rawRequest(server, { method: "GET", path: "/reads/missing%20key" });
        assertS3Error(r, 404, "NoSuchKey");
        assert.equal(xmlValue(r.text, "Key"), "missing key");
        assert.equal(xmlValue(r.text, "Resource"), "/reads/missing key");
        const head = await rawRequest(server, { method: "HEAD", path: "/reads/missing" });
        assertS3Error(head, 404, "NoSuchKey", { head: true });
        const bucket = await rawRequest(server, { method: "GET", path: "/no-bucket/k" });
        assertS3Error(bucket, 404, "NoSuchBucket");
      },
    );
  });
});

Deno.test("answers are never compressed: a client accepting gzip gets the stored bytes, length and ETag", async () => {
  await withServer(async (server) => {
    await rawRequest(server, { method: "PUT", path: "/plain" });
    const s3 = server.client();
    // Below and above the size served from memory (object_get.ts), so both paths are seen.
    for (const size of [10_000, 300_000]) {
      const text = "very compressible text ".repeat(size).slice(0, size);
      const put = await rawRequest(server, {
        method: "PUT",
        path: `/plain/t${size}.txt`,
        body: text,
        headers: { "content-type": "text/plain" },
      });
      assert.equal(put.status, 200, put.text);
      const url = new URL(
        await getSignedUrl(s3, new GetObjectCommand({ Bucket: "plain", Key: `t${size}.txt` })),
      );
      const ex = await exchange(
        server,
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
          "Accept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n",
        // Keep our side open: a half-closed client may lose a streamed answer.
        { halfClose: false },
      );
      const cut = ex.text.indexOf("\r\n\r\n");
      const head = ex.text.slice(0, cut);
      assert.equal(ex.status, 200, head);
      assert.doesNotMatch(head, /content-encoding/i);
      assert.match(head, new RegExp(`\r\ncontent-length: ${size}\r\n`, "i"));
      assert.match(head, new RegExp(`\r\netag: "${md5Hex(utf8(text))}"\r\n`, "i"));
      assert.equal(ex.text.slice(cut + 4), text);
    }
  });
});
