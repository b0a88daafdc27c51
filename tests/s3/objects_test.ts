import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest, type SignedRequest, signRequest } from "../helpers/sign.ts";
import { md5Hex } from "../helpers/checksums.ts";
import {
  assertObject,
  assertS3Error,
  awsPath,
  getObject,
  listAllKeys,
  utf8,
} from "../helpers/s3.ts";

const STORED_HEADERS = {
  "content-type": "text/markdown; charset=utf-8",
  "content-encoding": "gzip",
  "content-disposition": 'attachment; filename="notes.md"',
  "content-language": "de-CH",
  "cache-control": "max-age=3600, must-revalidate",
  "expires": "Thu, 01 Dec 2044 16:00:00 GMT",
  "x-amz-meta-author": "Ada Lovelace",
  "x-amz-meta-reviewed-by": "  Grace,  Hopper ",
  "x-amz-meta-empty": "",
};

Deno.test("objects: headers, metadata, overwrites and key limits", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "docs" }));
    const gz = new Uint8Array(
      await new Response(
        new Blob(["# notes\n"]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );

    await t.step(
      "PutObject stores the content headers and x-amz-meta-* and GetObject returns them exactly",
      async () => {
        const put = await rawRequest(server, {
          method: "PUT",
          path: "/docs/notes.md",
          headers: STORED_HEADERS,
          body: gz,
        });
        assert.equal(put.status, 200, put.text);
        assert.equal(put.headers.get("etag"), `"${md5Hex(gz)}"`);
        // The SDK does not decompress, so the stored bytes come back as sent.
        const got = await s3.send(new GetObjectCommand({ Bucket: "docs", Key: "notes.md" }));
        assert.deepEqual(await got.Body!.transformToByteArray(), gz);
        assert.equal(got.ContentType, STORED_HEADERS["content-type"]);
        assert.equal(got.ContentEncoding, "gzip");
        assert.equal(got.ContentDisposition, STORED_HEADERS["content-disposition"]);
        assert.equal(got.ContentLanguage, "de-CH");
        assert.equal(got.CacheControl, STORED_HEADERS["cache-control"]);
        assert.equal(got.ExpiresString, STORED_HEADERS.expires);
        assert.equal(got.ContentLength, gz.length);
        assert.equal(got.ETag, `"${md5Hex(gz)}"`);
        assert.deepEqual(got.Metadata, {
          author: "Ada Lovelace",
          "reviewed-by": "Grace,  Hopper",
          empty: "",
        });
      },
    );

    await t.step("HeadObject answers the same headers as GetObject and no body", async () => {
      const head = await rawRequest(server, { method: "HEAD", path: "/docs/notes.md" });
      assert.equal(head.status, 200);
      assert.equal(head.bytes.length, 0);
      for (const [name, value] of Object.entries(STORED_HEADERS)) {
        assert.equal(head.headers.get(name), value.trim(), name);
      }
      assert.equal(head.headers.get("content-length"), String(gz.length));
      assert.equal(head.headers.get("etag"), `"${md5Hex(gz)}"`);
      assert.ok(Date.parse(head.headers.get("last-modified")!) > Date.now() - 60_000);
      const sdk = await s3.send(new HeadObjectCommand({ Bucket: "docs", Key: "notes.md" }));
      assert.equal(sdk.ContentType, STORED_HEADERS["content-type"]);
      assert.equal(sdk.Metadata?.author, "Ada Lovelace");
      assert.equal(sdk.ContentLength, gz.length);
    });

    await t.step(
      "an object stored without Content-Type is served as binary/octet-stream",
      async () => {
        const put = await rawRequest(server, { method: "PUT", path: "/docs/raw", body: "raw" });
        assert.equal(put.status, 200);
        const got = await getObject(server, "docs", "raw");
        assert.equal(got.headers.get("content-type"), "binary/octet-stream");
        assert.equal(got.headers.get("content-encoding"), null);
        assert.equal(got.headers.get("x-amz-meta-author"), null);
      },
    );

    await t.step("an overwrite returns the new bytes, headers and ETag", async () => {
      await s3.send(new PutObjectCommand({ Bucket: "docs", Key: "over", Body: "first version" }));
      const put = await rawRequest(server, {
        method: "PUT",
        path: "/docs/over",
        body: "2nd",
        headers: { "content-type": "text/plain", "x-amz-meta-rev": "2" },
      });
      assert.equal(put.status, 200);
      const got = await getObject(server, "docs", "over");
      assert.equal(got.text, "2nd");
      assert.equal(got.headers.get("content-length"), "3");
      assert.equal(got.headers.get("etag"), `"${md5Hex("2nd")}"`);
      assert.equal(got.headers.get("x-amz-meta-rev"), "2");
      assert.equal(got.headers.get("content-type"), "text/plain");
    });

    await t.step("an overwrite without metadata drops the old metadata", async () => {
      await rawRequest(server, { method: "PUT", path: "/docs/over", body: "third" });
      const got = await getObject(server, "docs", "over");
      assert.equal(got.text, "third");
      assert.equal(got.headers.get("x-amz-meta-rev"), null);
      assert.equal(got.headers.get("content-type"), "binary/octet-stream");
    });

    await t.step(
      "an empty object is stored and served with length 0 and the empty MD5",
      async () => {
        const put = await rawRequest(server, { method: "PUT", path: "/docs/empty" });
        assert.equal(put.status, 200);
        assert.equal(put.headers.get("etag"), '"d41d8cd98f00b204e9800998ecf8427e"');
        const got = await getObject(server, "docs", "empty");
        assert.equal(got.status, 200);
        assert.equal(got.headers.get("content-length"), "0");
        assert.equal(got.bytes.length, 0);
      },
    );

    const longKeys = [
      "k".repeat(1024),
      "é".repeat(512), // 2 bytes each in UTF-8
      "😀".repeat(256), // 4 bytes each
      "dir/".repeat(255) + "last", // 1024 bytes of nested "folders"
    ];

    await t.step("keys of exactly 1024 UTF-8 bytes are stored, served and listed", async () => {
      await rawRequest(server, { method: "PUT", path: "/longkeys" });
      for (const key of longKeys) {
        assert.equal(new TextEncoder().encode(key).length, 1024);
        const put = await rawRequest(server, {
          method: "PUT",
          path: `/longkeys/${awsPath(key)}`,
          body: key.slice(0, 8),
        });
        assert.equal(put.status, 200, put.text);
        await assertObject(server, "longkeys", key, key.slice(0, 8));
        const out = await s3.send(new HeadObjectCommand({ Bucket: "longkeys", Key: key }));
        assert.equal(out.ContentLength, utf8(key.slice(0, 8)).length);
      }
      assert.deepEqual(new Set(await listAllKeys(server, "longkeys")), new Set(longKeys));
    });

    await t.step(
      "a key of 1025 UTF-8 bytes answers 400 KeyTooLongError and nothing is stored",
      async () => {
        for (const key of ["k".repeat(1025), "é".repeat(512) + "x", "😀".repeat(256) + "!"]) {
          const put = await rawRequest(server, {
            method: "PUT",
            path: `/longkeys/${awsPath(key)}`,
            body: "x",
          });
          assertS3Error(put, 400, "KeyTooLongError");
          const get = await getObject(server, "longkeys", key);
          assertS3Error(get, 400, "KeyTooLongError");
        }
        assert.deepEqual(new Set(await listAllKeys(server, "longkeys")), new Set(longKeys));
      },
    );

    await t.step(
      "2 KiB of user metadata is stored; one byte more answers MetadataTooLarge",
      async () => {
        // S3 counts the name after x-amz-meta- plus the value: 3 + 2045 = 2048 bytes.
        const fits = await rawRequest(server, {
          method: "PUT",
          path: "/docs/meta-2k",
          body: "m",
          headers: { "x-amz-meta-big": "v".repeat(2045) },
        });
        assert.equal(fits.status, 200, fits.text);
        const got = await getObject(server, "docs", "meta-2k");
        assert.equal(got.headers.get("x-amz-meta-big"), "v".repeat(2045));

        const split = await rawRequest(server, {
          method: "PUT",
          path: "/docs/meta-split",
          body: "m",
          headers: { "x-amz-meta-a": "v".repeat(1000), "x-amz-meta-b": "v".repeat(1047) },
        });
        assertS3Error(split, 400, "MetadataTooLarge");
        const over = await rawRequest(server, {
          method: "PUT",
          path: "/docs/meta-2k",
          body: "replaced",
          headers: { "x-amz-meta-big": "v".repeat(2046) },
        });
        assertS3Error(over, 400, "MetadataTooLarge");
        const after = await getObject(server, "docs", "meta-2k");
        assert.equal(after.text, "m", "the refused overwrite left the object alone");
        assert.equal((await getObject(server, "docs", "meta-split")).status, 404);
      },
    );

    const unusualKeys = [
      "日本語/ファイル.txt",
      "emoji 😀 face.png",
      "spaces  and + plus",
      "percent%20literal",
      "query?and#hash&amp=1",
      "quotes'\"<tag>",
      "tab\tand\\backslash",
      "trailing-slash/",
      "/leading-slash",
      "double//slash",
      "a/./b",
      "~tilde!$()*,;=@:",
    ];

    await t.step("non-ASCII and unusual keys round-trip through PUT, GET and listing", async () => {
      await rawRequest(server, { method: "PUT", path: "/oddkeys" });
      for (const key of unusualKeys) {
        const put = await rawRequest(server, {
          method: "PUT",
          path: `/oddkeys/${awsPath(key)}`,
          body: `body of ${key}`,
        });
        assert.equal(put.status, 200, `${key}: ${put.text}`);
      }
      for (const key of unusualKeys) await assertObject(server, "oddkeys", key, `body of ${key}`);
      assert.deepEqual(new Set(await listAllKeys(server, "oddkeys")), new Set(unusualKeys));
    });

    await t.step("the SDK addresses the same unusual keys", async () => {
      for (const key of unusualKeys) {
        const got = await s3.send(new GetObjectCommand({ Bucket: "oddkeys", Key: key }));
        assert.equal(await got.Body!.transformToString(), `body of ${key}`);
      }
    });
  });
});

const BIG = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

Deno.test("a 64 MiB object streams up and down byte-exact", async (t) => {
  await withServer(async (server) => {
    await rawRequest(server, { method: "PUT", path: "/big" });
    const upHash = createHash("sha256");
    const upMd5 = createHash("md5");
    let tail = new Uint8Array();

    await t.step(
      "a streamed 64 MiB upload (chunked transfer) answers 200 with the MD5 ETag",
      async () => {
        // Generated while sent: the test never holds the object in memory.
        async function* random(): AsyncGenerator<Uint8Array> {
          for (let sent = 0; sent < BIG; sent += CHUNK) {
            const chunk = crypto.getRandomValues(new Uint8Array(CHUNK));
            upHash.update(chunk);
            upMd5.update(chunk);
            if (sent + CHUNK === BIG) tail = chunk.slice(CHUNK - 1000);
            yield chunk;
          }
        }
        const signed = await signRequest(server, {
          method: "PUT",
          path: "/big/blob.bin",
          contentSha256: "UNSIGNED-PAYLOAD",
        });
        const res = await sendStream(signed, ReadableStream.from(random()));
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.equal(res.headers.get("etag"), `"${upMd5.digest("hex")}"`);
      },
    );

    await t.step("GetObject streams the same 64 MiB back (same SHA-256)", async () => {
      const signed = await signRequest(server, { method: "GET", path: "/big/blob.bin" });
      const res = await sendStream(signed, null);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-length"), String(BIG));
      const downHash = createHash("sha256");
      let n = 0;
      for await (const chunk of res.body!) {
        downHash.update(chunk);
        n += chunk.length;
      }
      assert.equal(n, BIG);
      assert.equal(downHash.digest("hex"), upHash.digest("hex"));
    });

    await t.step("a suffix range of the large object returns its last bytes", async () => {
      const r = await getObject(server, "big", "blob.bin", { headers: { range: "bytes=-1000" } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get("content-range"), `bytes ${BIG - 1000}-${BIG - 1}/${BIG}`);
      assert.deepEqual(r.bytes, tail);
    });
  });
});

/** fetch() of a signed request with a streamed body (or none), the response left unread. */
function sendStream(
  signed: SignedRequest,
  body: ReadableStream<Uint8Array> | null,
): Promise<Response> {
  const headers = { ...signed.headers };
  delete headers.host;
  return fetch(signed.url, { method: signed.method, headers, body });
}
