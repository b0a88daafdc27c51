import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { withServer } from "../helpers/server.ts";
import { adminFetch, clientFor, createBucketFor, createCredential } from "../helpers/admin.ts";
import { codeOf, exchange } from "../helpers/raw_http.ts";
import { concat, rawRequest } from "../helpers/sign.ts";
import { utf8, xmlValue } from "../helpers/s3.ts";
import { b64, crc32, crc32c, md5Hex } from "../helpers/checksums.ts";
import { generatedBytes, MiB, sha256Of } from "../helpers/data.ts";
import { aws, awsCliEnv, CURL, run, withTempDir } from "../helpers/cli.ts";

/** fetch() with no credentials at all: the URL is the only authority. */
async function plainFetch(
  url: string,
  init: { method?: string; body?: Uint8Array | string } = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array; text: string }> {
  const res = await fetch(url, { method: init.method, body: init.body as BodyInit | undefined });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: new TextDecoder().decode(bytes) };
}

function assertError(
  r: { status: number; text: string },
  status: number,
  code: string,
  message?: RegExp,
): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.equal(xmlValue(r.text, "Code"), code, r.text);
  if (message) assert.match(xmlValue(r.text, "Message") ?? "", message);
}

Deno.test("presigned URLs from @aws-sdk/s3-request-presigner work with plain fetch", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "presign" }));
    const hello = utf8("hello, presigned world");
    await s3.send(
      new PutObjectCommand({
        Bucket: "presign",
        Key: "dir/hello world.txt",
        Body: hello,
        ContentType: "text/plain",
      }),
    );

    await t.step("a presigned GET URL downloads the object without credentials", async () => {
      const url = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: "presign", Key: "dir/hello world.txt" }),
        { expiresIn: 60 },
      );
      assert.match(url, /X-Amz-Signature=/);
      const r = await plainFetch(url);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.bytes, hello);
      assert.equal(r.headers.get("content-type"), "text/plain");
    });

    await t.step(
      "a presigned GET URL with response-content-type overrides the header",
      async () => {
        const url = await getSignedUrl(
          s3,
          new GetObjectCommand({
            Bucket: "presign",
            Key: "dir/hello world.txt",
            ResponseContentType: "application/x-download",
          }),
          { expiresIn: 60 },
        );
        const r = await plainFetch(url);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("content-type"), "application/x-download");
      },
    );

    await t.step("a presigned HEAD URL answers the object's headers", async () => {
      const url = await getSignedUrl(
        s3,
        new HeadObjectCommand({ Bucket: "presign", Key: "dir/hello world.txt" }),
        { expiresIn: 60 },
      );
      const r = await plainFetch(url, { method: "HEAD" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), String(hello.length));
      assert.equal(r.headers.get("etag"), `"${md5Hex(hello)}"`);
    });

    await t.step(
      "the default presigner puts the empty-body CRC32 placeholder in PUT URLs",
      async () => {
        // What the server has to handle deliberately (see checksumRequest in src/s3/ingest.ts).
        const url = new URL(
          await getSignedUrl(s3, new PutObjectCommand({ Bucket: "presign", Key: "put.bin" }), {
            expiresIn: 60,
          }),
        );
        assert.equal(url.searchParams.get("x-amz-checksum-crc32"), "AAAAAA==");
      },
    );

    await t.step("a default presigned PUT URL stores a real body with its real CRC32", async () => {
      const body = generatedBytes(300_000, 1);
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: "presign", Key: "put.bin" }),
        { expiresIn: 60 },
      );
      const r = await plainFetch(url, { method: "PUT", body });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("etag"), `"${md5Hex(body)}"`);
      const got = await s3.send(
        new GetObjectCommand({ Bucket: "presign", Key: "put.bin", ChecksumMode: "ENABLED" }),
      );
      assert.equal(got.ChecksumCRC32, b64(crc32(body)));
      assert.notEqual(got.ChecksumCRC32, "AAAAAA==");
      assert.equal(sha256Of(await got.Body!.transformToByteArray()), sha256Of(body));
    });

    await t.step(
      "a PUT URL presigned with the CRC32 of other content refuses the body with BadDigest",
      async () => {
        const signedFor = utf8("the content the URL was made for");
        const url = await getSignedUrl(
          s3,
          new PutObjectCommand({
            Bucket: "presign",
            Key: "pinned.txt",
            ChecksumCRC32: b64(crc32(signedFor)),
          }),
          { expiresIn: 60 },
        );
        assert.equal(new URL(url).searchParams.get("x-amz-checksum-crc32"), b64(crc32(signedFor)));
        const wrong = await plainFetch(url, { method: "PUT", body: utf8("different content") });
        assertError(wrong, 400, "BadDigest");
        const head = await plainFetch(
          await getSignedUrl(s3, new HeadObjectCommand({ Bucket: "presign", Key: "pinned.txt" })),
          { method: "HEAD" },
        );
        assert.equal(head.status, 404, "the refused body was not stored");
        const right = await plainFetch(url, { method: "PUT", body: signedFor });
        assert.equal(right.status, 200, right.text);
        const got = await s3.send(
          new GetObjectCommand({ Bucket: "presign", Key: "pinned.txt", ChecksumMode: "ENABLED" }),
        );
        assert.equal(got.ChecksumCRC32, b64(crc32(signedFor)));
        assert.deepEqual(await got.Body!.transformToByteArray(), signedFor);
      },
    );

    await t.step("the empty-body placeholder still holds for an empty PUT", async () => {
      const url = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: "presign", Key: "empty" }),
        { expiresIn: 60 },
      );
      const r = await plainFetch(url, { method: "PUT", body: new Uint8Array() });
      assert.equal(r.status, 200, r.text);
      const got = await s3.send(
        new HeadObjectCommand({ Bucket: "presign", Key: "empty", ChecksumMode: "ENABLED" }),
      );
      assert.equal(got.ContentLength, 0);
      assert.equal(got.ChecksumCRC32, "AAAAAA==");
    });

    await t.step("presigned UploadPart URLs upload parts that complete the upload", async () => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: "presign", Key: "parts.bin" }),
      );
      const bodies = [generatedBytes(5 * MiB, 2), generatedBytes(1234, 3)];
      const parts = [];
      for (const [i, body] of bodies.entries()) {
        const url = await getSignedUrl(
          s3,
          new UploadPartCommand({
            Bucket: "presign",
            Key: "parts.bin",
            UploadId,
            PartNumber: i + 1,
          }),
          { expiresIn: 60 },
        );
        const r = await plainFetch(url, { method: "PUT", body });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("etag"), `"${md5Hex(body)}"`);
        parts.push({ PartNumber: i + 1, ETag: r.headers.get("etag")! });
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "presign",
          Key: "parts.bin",
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: "presign", Key: "parts.bin" }));
      assert.equal(sha256Of(await got.Body!.transformToByteArray()), sha256Of(concat(bodies)));
    });

    await t.step(
      "presigned parts of a CRC32C upload carry the empty CRC32C and store the real one",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({
            Bucket: "presign",
            Key: "crc32c.bin",
            ChecksumAlgorithm: "CRC32C",
          }),
        );
        const body = generatedBytes(70_000, 4);
        const url = await getSignedUrl(
          s3,
          new UploadPartCommand({
            Bucket: "presign",
            Key: "crc32c.bin",
            UploadId,
            PartNumber: 1,
            ChecksumAlgorithm: "CRC32C",
          }),
          { expiresIn: 60 },
        );
        assert.equal(new URL(url).searchParams.get("x-amz-checksum-crc32c"), "AAAAAA==");
        const r = await plainFetch(url, { method: "PUT", body });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-amz-checksum-crc32c"), b64(crc32c(body)));
        const done = await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: "presign",
            Key: "crc32c.bin",
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.headers.get("etag")! }] },
          }),
        );
        assert.equal(done.ChecksumCRC32C, `${b64(crc32c(crc32c(body)))}-1`);
      },
    );

    await t.step("a presigned DELETE URL deletes the object", async () => {
      const url = await getSignedUrl(
        s3,
        new DeleteObjectCommand({ Bucket: "presign", Key: "put.bin" }),
        { expiresIn: 60 },
      );
      const r = await plainFetch(url, { method: "DELETE" });
      assert.equal(r.status, 204, r.text);
      const head = await rawRequest(server, { method: "HEAD", path: "/presign/put.bin" });
      assert.equal(head.status, 404);
    });

    await t.step("curl downloads a presigned GET URL too", async () => {
      const url = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: "presign", Key: "dir/hello world.txt" }),
        { expiresIn: 60 },
      );
      const r = await run(CURL, ["-sS", "--fail-with-body", url]);
      assert.equal(r.stdout, "hello, presigned world");
    });
  });
});

Deno.test("presigned URLs expire and cannot be altered", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "guarded" }));
    await s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "doc", Body: "secret doc" }));
    await s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "other", Body: "other doc" }));
    const get = (key = "doc", opts: { expiresIn?: number; signingDate?: Date } = {}) =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: "guarded", Key: key }), {
        expiresIn: 60,
        ...opts,
      });

    await t.step(
      "a URL past its X-Amz-Expires is 403 AccessDenied 'Request has expired'",
      async () => {
        const url = await get("doc", {
          expiresIn: 60,
          signingDate: new Date(Date.now() - 65_000),
        });
        assertError(await plainFetch(url), 403, "AccessDenied", /expired/);
      },
    );

    await t.step(
      "a URL within its X-Amz-Expires still works, even when signed a while ago",
      async () => {
        const url = await get("doc", {
          expiresIn: 60,
          signingDate: new Date(Date.now() - 50_000),
        });
        const r = await plainFetch(url);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, "secret doc");
      },
    );

    await t.step(
      "a URL with a 3-second expiry works at once and is refused once it has passed",
      async () => {
        // X-Amz-Date has whole seconds: 3 s leave at least 2 s to use it.
        const url = await get("doc", { expiresIn: 3 });
        const signedAt = Date.parse(
          new URL(url).searchParams.get("X-Amz-Date")!.replace(
            /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
            "$1-$2-$3T$4:$5:$6Z",
          ),
        );
        assert.equal((await plainFetch(url)).status, 200);
        await new Promise((r) => setTimeout(r, Math.max(0, signedAt + 3_100 - Date.now())));
        assertError(await plainFetch(url), 403, "AccessDenied", /expired/);
      },
    );

    await t.step(
      "a URL dated in the future beyond the allowed skew is 403 AccessDenied",
      async () => {
        const url = await get("doc", { signingDate: new Date(Date.now() + 30 * 60_000) });
        assertError(await plainFetch(url), 403, "AccessDenied");
      },
    );

    await t.step("X-Amz-Expires over a week is 400 AuthorizationQueryParametersError", async () => {
      const url = new URL(await get());
      url.searchParams.set("X-Amz-Expires", "604801");
      assertError(await plainFetch(url.href), 400, "AuthorizationQueryParametersError");
    });

    await t.step(
      "a URL without its signature is 400 AuthorizationQueryParametersError",
      async () => {
        const url = new URL(await get());
        url.searchParams.delete("X-Amz-Signature");
        assertError(await plainFetch(url.href), 400, "AuthorizationQueryParametersError");
      },
    );

    await t.step(
      "another key, method, expiry, signature or extra parameter is 403 SignatureDoesNotMatch",
      async () => {
        const original = await get();
        const tampered: [string, string, string][] = [];
        const url = () => new URL(original);
        {
          const u = url();
          u.pathname = "/guarded/other";
          tampered.push(["another key", u.href, "GET"]);
        }
        {
          const u = url();
          u.searchParams.set("X-Amz-Expires", "3600");
          tampered.push(["a longer expiry", u.href, "GET"]);
        }
        {
          const u = url();
          const sig = u.searchParams.get("X-Amz-Signature")!;
          u.searchParams.set("X-Amz-Signature", sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0"));
          tampered.push(["a changed signature", u.href, "GET"]);
        }
        {
          const u = url();
          u.searchParams.set("response-content-type", "text/html");
          tampered.push(["an added parameter", u.href, "GET"]);
        }
        tampered.push(["another method", original, "DELETE"]);
        for (const [what, href, method] of tampered) {
          const r = await plainFetch(href, { method });
          assert.equal(r.status, 403, `${what}: ${r.status} ${r.text}`);
          assert.equal(xmlValue(r.text, "Code"), "SignatureDoesNotMatch", what);
        }
        const still = await rawRequest(server, { method: "HEAD", path: "/guarded/doc" });
        assert.equal(still.status, 200, "the DELETE with a GET URL deleted nothing");
      },
    );

    await t.step(
      "an unknown access key in X-Amz-Credential is 403 InvalidAccessKeyId",
      async () => {
        const url = new URL(await get());
        url.searchParams.set(
          "X-Amz-Credential",
          url.searchParams.get("X-Amz-Credential")!.replace(/^[^/]+/, "AKUNKNOWN0000000000"),
        );
        assertError(await plainFetch(url.href), 403, "InvalidAccessKeyId");
      },
    );

    await t.step(
      "the checksum in a presigned PUT URL is signed: replacing it is SignatureDoesNotMatch",
      async () => {
        const url = new URL(
          await getSignedUrl(s3, new PutObjectCommand({ Bucket: "guarded", Key: "pinned" }), {
            expiresIn: 60,
          }),
        );
        url.searchParams.set("x-amz-checksum-crc32", b64(crc32(utf8("forged"))));
        const r = await plainFetch(url.href, { method: "PUT", body: "forged" });
        assertError(r, 403, "SignatureDoesNotMatch");
      },
    );
  });
});

Deno.test("a presigned URL that was accepted before is checked in full on every use", async (t) => {
  await withServer(async (server) => {
    const bob = await createCredential(server, { user_name: "bob" });
    await createBucketFor(server, "bob-files", bob.id);
    const s3 = clientFor(server, bob);
    await s3.send(new PutObjectCommand({ Bucket: "bob-files", Key: "doc", Body: "bob's doc" }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "bob-files", Key: "doc" }), {
      expiresIn: 300,
    });
    const works = async (what: string) => {
      const r = await plainFetch(url);
      assert.equal(r.status, 200, `${what}: ${r.text}`);
      assert.equal(r.text, "bob's doc");
    };

    await t.step("the same URL works again and again", async () => {
      for (let i = 0; i < 3; i++) await works(`use ${i + 1}`);
    });

    await t.step("changed in any way after it worked, it is SignatureDoesNotMatch", async () => {
      const u = new URL(url);
      const sig = u.searchParams.get("X-Amz-Signature")!;
      u.searchParams.set("X-Amz-Signature", sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0"));
      assertError(await plainFetch(u.href), 403, "SignatureDoesNotMatch");
      const added = new URL(url);
      added.searchParams.set("response-content-type", "text/html");
      assertError(await plainFetch(added.href), 403, "SignatureDoesNotMatch");
      assertError(await plainFetch(url, { method: "DELETE" }), 403, "SignatureDoesNotMatch");
      // The Host header is signed too: the same path and query sent to another host name.
      const { pathname, search } = new URL(url);
      const other = await exchange(
        server,
        `GET ${pathname}${search} HTTP/1.1\r\nHost: elsewhere.example:9000\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(other.status, 403, other.text);
      assert.equal(codeOf(other.text), "SignatureDoesNotMatch");
      await works("the original afterwards");
    });

    await t.step(
      "deactivating its credential refuses it at once; reactivating restores it",
      async () => {
        await adminFetch(server, "PATCH", `/api/v1/credentials/${bob.id}`, { is_active: false });
        assertError(await plainFetch(url), 403, "InvalidAccessKeyId");
        await adminFetch(server, "PATCH", `/api/v1/credentials/${bob.id}`, { is_active: true });
        await works("reactivated");
      },
    );

    await t.step(
      "once the access key belongs to a credential with another secret, it is SignatureDoesNotMatch",
      async () => {
        await s3.send(new DeleteObjectCommand({ Bucket: "bob-files", Key: "doc" }));
        await s3.send(new DeleteBucketCommand({ Bucket: "bob-files" }));
        const removed = await adminFetch(server, "DELETE", `/api/v1/credentials/${bob.id}`);
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        // Same access key, same bucket and object, another secret: only the signature differs.
        const successor = await createCredential(server, {
          user_name: "successor",
          access_key: bob.access_key,
          secret_key: "a-different-secret-of-forty-characters-00",
        });
        await createBucketFor(server, "bob-files", successor.id);
        await clientFor(server, successor).send(
          new PutObjectCommand({ Bucket: "bob-files", Key: "doc", Body: "bob's doc" }),
        );
        assertError(await plainFetch(url), 403, "SignatureDoesNotMatch");
      },
    );
  });
});

Deno.test("aws s3 presign (/usr/bin/aws, awscli v2) makes GET URLs that curl can use", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "cli-presign" }));
    const body = generatedBytes(200_000, 5);
    await s3.send(new PutObjectCommand({ Bucket: "cli-presign", Key: "a b/file.bin", Body: body }));
    await withTempDir(async (dir) => {
      const env = await awsCliEnv(server, dir);
      let url = "";

      await t.step("aws s3 presign prints a SigV4 query-string URL", async () => {
        const r = await aws(server, env, [
          "s3",
          "presign",
          "s3://cli-presign/a b/file.bin",
          "--expires-in",
          "120",
        ]);
        url = r.stdout.trim();
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/cli-presign\/a%20b\/file\.bin\?/);
        assert.match(url, /X-Amz-Algorithm=AWS4-HMAC-SHA256/);
        assert.match(url, /X-Amz-Expires=120/);
      });

      await t.step("curl downloads the object with that URL and no credentials", async () => {
        const out = join(dir, "download.bin");
        await run(CURL, ["-sS", "--fail-with-body", "-o", out, url]);
        assert.equal(sha256Of(await Deno.readFile(out)), sha256Of(body));
      });

      await t.step("the same URL with the key changed is refused", async () => {
        const r = await plainFetch(url.replace("file.bin", "other.bin"));
        assertError(r, 403, "SignatureDoesNotMatch");
      });

      await t.step("an awscli URL used past its expiry is refused", async () => {
        const r = await aws(server, env, [
          "s3",
          "presign",
          "s3://cli-presign/a b/file.bin",
          "--expires-in",
          "1",
        ]);
        await new Promise((res) => setTimeout(res, 2_100));
        assertError(await plainFetch(r.stdout.trim()), 403, "AccessDenied", /expired/);
      });
    });
  });
});
