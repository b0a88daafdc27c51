import assert from "node:assert/strict";
import { CopyObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { checksumOf, md5Hex } from "../helpers/checksums.ts";
import {
  assertNoObject,
  assertObject,
  assertS3Error,
  awsPath,
  getObject,
  sdkError,
  utf8,
  xmlValue,
} from "../helpers/s3.ts";

const SOURCE_KEY = "dir/naïve café 😀 + more.txt";
const SOURCE_BODY = "copied bytes, every one";

Deno.test("CopyObject: encoded sources, metadata directives and copy-source conditionals", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    const copy = (dest: string, source: string, headers: Record<string, string> = {}) =>
      rawRequest(server, {
        method: "PUT",
        path: `/${awsPath(dest)}`,
        headers: { "x-amz-copy-source": source, ...headers },
      });
    const encodedSource = `/src/${awsPath(SOURCE_KEY)}`;

    for (const b of ["src", "dst"]) await rawRequest(server, { method: "PUT", path: `/${b}` });
    const put = await rawRequest(server, {
      method: "PUT",
      path: `/src/${awsPath(SOURCE_KEY)}`,
      body: SOURCE_BODY,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "private",
        "x-amz-meta-origin": "source",
      },
    });
    assert.equal(put.status, 200, put.text);
    const head = await rawRequest(server, {
      method: "HEAD",
      path: `/src/${awsPath(SOURCE_KEY)}`,
    });
    const lastModified = head.headers.get("last-modified")!;
    const etag = `"${md5Hex(SOURCE_BODY)}"`;

    await t.step(
      "a URL-encoded x-amz-copy-source with non-ASCII and spaces copies bytes and metadata",
      async () => {
        const r = await copy("dst/copy-1", encodedSource);
        assert.equal(r.status, 200, r.text);
        assert.match(r.text, /<CopyObjectResult[^>]*>/);
        assert.equal(xmlValue(r.text, "ETag"), etag);
        assert.ok(Date.parse(xmlValue(r.text, "LastModified")!) > Date.now() - 60_000);
        const got = await getObject(server, "dst", "copy-1");
        assert.equal(got.text, SOURCE_BODY);
        assert.equal(got.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(got.headers.get("cache-control"), "private");
        assert.equal(got.headers.get("x-amz-meta-origin"), "source");
        assert.equal(got.headers.get("etag"), etag);
      },
    );

    await t.step(
      "a copy source without the leading slash and with encoded slashes also works",
      async () => {
        const noSlash = await copy("dst/copy-2", encodedSource.slice(1));
        assert.equal(noSlash.status, 200, noSlash.text);
        const allEncoded = await copy("dst/copy-3", `src/${encodeURIComponent(SOURCE_KEY)}`);
        assert.equal(allEncoded.status, 200, allEncoded.text);
        await assertObject(server, "dst", "copy-2", SOURCE_BODY);
        await assertObject(server, "dst", "copy-3", SOURCE_BODY);
      },
    );

    await t.step("the SDK's CopyObject copies to a non-ASCII destination key", async () => {
      const out = await s3.send(
        new CopyObjectCommand({
          Bucket: "dst",
          Key: "ünïcödé/目的地.txt",
          CopySource: `src/${encodeURIComponent(SOURCE_KEY)}`,
        }),
      );
      assert.equal(out.CopyObjectResult?.ETag, etag);
      await assertObject(server, "dst", "ünïcödé/目的地.txt", SOURCE_BODY);
    });

    await t.step("metadata directive COPY ignores the request's own headers", async () => {
      const r = await copy("dst/copy-4", encodedSource, {
        "x-amz-metadata-directive": "COPY",
        "content-type": "application/ignored",
        "x-amz-meta-origin": "ignored",
      });
      assert.equal(r.status, 200, r.text);
      const got = await getObject(server, "dst", "copy-4");
      assert.equal(got.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(got.headers.get("x-amz-meta-origin"), "source");
    });

    await t.step(
      "metadata directive REPLACE takes headers and metadata from the request only",
      async () => {
        const r = await copy("dst/copy-5", encodedSource, {
          "x-amz-metadata-directive": "REPLACE",
          "content-type": "application/json",
          "x-amz-meta-fresh": "yes",
        });
        assert.equal(r.status, 200, r.text);
        const got = await getObject(server, "dst", "copy-5");
        assert.equal(got.text, SOURCE_BODY);
        assert.equal(got.headers.get("content-type"), "application/json");
        assert.equal(got.headers.get("x-amz-meta-fresh"), "yes");
        assert.equal(got.headers.get("x-amz-meta-origin"), null);
        assert.equal(got.headers.get("cache-control"), null);
      },
    );

    await t.step("an unknown metadata directive answers 400 InvalidArgument", async () => {
      const r = await copy("dst/copy-6", encodedSource, { "x-amz-metadata-directive": "MERGE" });
      assertS3Error(r, 400, "InvalidArgument");
      await assertNoObject(server, "dst", "copy-6");
    });

    await t.step(
      "copying an object onto itself without REPLACE answers 400 InvalidRequest",
      async () => {
        const r = await copy(`src/${SOURCE_KEY}`, encodedSource);
        assertS3Error(r, 400, "InvalidRequest");
        const explicit = await copy(`src/${SOURCE_KEY}`, encodedSource, {
          "x-amz-metadata-directive": "COPY",
        });
        assertS3Error(explicit, 400, "InvalidRequest");
        const got = await getObject(server, "src", SOURCE_KEY);
        assert.equal(got.headers.get("x-amz-meta-origin"), "source");
      },
    );

    await t.step(
      "copying an object onto itself with REPLACE updates its metadata and keeps its bytes",
      async () => {
        await rawRequest(server, { method: "PUT", path: "/src/self", body: "self body" });
        const r = await copy("src/self", "/src/self", {
          "x-amz-metadata-directive": "REPLACE",
          "content-type": "text/x-updated",
          "x-amz-meta-version": "2",
        });
        assert.equal(r.status, 200, r.text);
        const got = await getObject(server, "src", "self");
        assert.equal(got.text, "self body");
        assert.equal(got.headers.get("content-type"), "text/x-updated");
        assert.equal(got.headers.get("x-amz-meta-version"), "2");
      },
    );

    await t.step("a copy overwrites an existing destination", async () => {
      await rawRequest(server, { method: "PUT", path: "/dst/existing", body: "old" });
      const r = await copy("dst/existing", encodedSource);
      assert.equal(r.status, 200, r.text);
      await assertObject(server, "dst", "existing", SOURCE_BODY);
    });

    await t.step(
      "x-amz-copy-source-if-match copies on a matching ETag and answers 412 otherwise",
      async () => {
        const ok = await copy("dst/cond-1", encodedSource, { "x-amz-copy-source-if-match": etag });
        assert.equal(ok.status, 200, ok.text);
        const failed = await copy("dst/cond-2", encodedSource, {
          "x-amz-copy-source-if-match": '"0123456789abcdef0123456789abcdef"',
        });
        assertS3Error(failed, 412, "PreconditionFailed");
        await assertNoObject(server, "dst", "cond-2");
      },
    );

    await t.step("x-amz-copy-source-if-none-match answers 412 on a matching ETag", async () => {
      const failed = await copy("dst/cond-3", encodedSource, {
        "x-amz-copy-source-if-none-match": etag,
      });
      assertS3Error(failed, 412, "PreconditionFailed");
      await assertNoObject(server, "dst", "cond-3");
      const ok = await copy("dst/cond-4", encodedSource, {
        "x-amz-copy-source-if-none-match": '"other"',
      });
      assert.equal(ok.status, 200, ok.text);
    });

    await t.step(
      "x-amz-copy-source-if-(un)modified-since answer 412 when their condition fails",
      async () => {
        const unmodified = await copy("dst/cond-5", encodedSource, {
          "x-amz-copy-source-if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
        });
        assertS3Error(unmodified, 412, "PreconditionFailed");
        const modified = await copy("dst/cond-6", encodedSource, {
          "x-amz-copy-source-if-modified-since": lastModified,
        });
        assertS3Error(modified, 412, "PreconditionFailed");
        for (const k of ["cond-5", "cond-6"]) await assertNoObject(server, "dst", k);
        const ok = await copy("dst/cond-7", encodedSource, {
          "x-amz-copy-source-if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
          "x-amz-copy-source-if-unmodified-since": lastModified,
        });
        assert.equal(ok.status, 200, ok.text);
      },
    );

    await t.step("a missing source answers 404 NoSuchKey or NoSuchBucket", async () => {
      assertS3Error(await copy("dst/x", "/src/not-there"), 404, "NoSuchKey");
      assertS3Error(await copy("dst/x", "/no-such-src/k"), 404, "NoSuchBucket");
      const err = await sdkError(
        s3.send(new CopyObjectCommand({ Bucket: "dst", Key: "x", CopySource: "src/nope" })),
      );
      assert.deepEqual(err, { code: "NoSuchKey", status: 404 });
      await assertNoObject(server, "dst", "x");
    });

    await t.step(
      "a copy source without a key, or badly encoded, answers 400 InvalidArgument",
      async () => {
        for (const source of ["/src", "/src/", "src", "%ZZ/bad"]) {
          assertS3Error(await copy("dst/y", source), 400, "InvalidArgument");
        }
        await assertNoObject(server, "dst", "y");
      },
    );

    await t.step(
      "a copy keeps the source's checksum, returned with ChecksumMode ENABLED",
      async () => {
        const body = utf8("checksummed source");
        const sha = checksumOf("SHA256", body);
        const up = await rawRequest(server, {
          method: "PUT",
          path: "/src/summed",
          body,
          headers: { "x-amz-checksum-sha256": sha },
        });
        assert.equal(up.status, 200, up.text);
        const r = await copy("dst/summed", "/src/summed");
        assert.equal(r.status, 200, r.text);
        assert.equal(xmlValue(r.text, "ChecksumSHA256"), sha);
        const out = await s3.send(
          new HeadObjectCommand({ Bucket: "dst", Key: "summed", ChecksumMode: "ENABLED" }),
        );
        assert.equal(out.ChecksumSHA256, sha);
      },
    );

    await t.step("an empty source object copies to an empty object", async () => {
      await rawRequest(server, { method: "PUT", path: "/src/empty" });
      const r = await copy("dst/empty", "/src/empty");
      assert.equal(r.status, 200, r.text);
      assert.equal(xmlValue(r.text, "ETag"), '"d41d8cd98f00b204e9800998ecf8427e"');
      const got = await getObject(server, "dst", "empty");
      assert.equal(got.status, 200);
      assert.equal(got.bytes.length, 0);
    });
  });
});
