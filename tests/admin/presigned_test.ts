import assert from "node:assert/strict";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { adminFetch, assertApiError, createBucketFor, createCredential } from "../helpers/admin.ts";
import { xmlValue } from "../helpers/s3.ts";
import { socketRequest } from "../helpers/sign.ts";
import { withServer } from "../helpers/server.ts";

/** Plain fetch of a presigned URL, as curl would do it: status, S3 error code, body text. */
async function use(url: string, method = "GET", body?: string) {
  const r = await fetch(url, { method, body });
  const text = await r.text();
  return {
    status: r.status,
    code: xmlValue(text, "Code") ?? null,
    message: xmlValue(text, "Message"),
    text,
  };
}

Deno.test("presigned URLs from the API work with plain HTTP until revoked", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "share" }));
    await s3.send(
      new PutObjectCommand({ Bucket: "share", Key: "docs/report 1.txt", Body: "report" }),
    );
    const presign = (body: Record<string, unknown>) =>
      adminFetch(server, "POST", "/api/v1/presigned-urls", {
        bucket_name: "share",
        access_key: server.accessKey,
        ...body,
      });
    let getUrl = { id: "", url: "" };

    await t.step(
      "a GET URL is a full URL of the S3 listener that downloads the object",
      async () => {
        const r = await presign({ object_key: "docs/report 1.txt" });
        assert.equal(r.status, 201);
        assert.ok(r.body.url.startsWith(`${server.s3Url}/share/docs/report%201.txt?`), r.body.url);
        assert.match(r.body.url, /[?&]x-vstash-presign-id=[0-9a-f]+&/);
        assert.match(r.body.url, /X-Amz-Expires=3600/);
        assert.deepEqual(
          [
            r.body.method,
            r.body.expires_in,
            r.body.bucket_name,
            r.body.object_key,
            r.body.access_key,
          ],
          ["GET", 3600, "share", "docs/report 1.txt", server.accessKey],
        );
        assert.equal(Date.parse(r.body.expires_at) - Date.parse(r.body.created_at), 3600_000);
        const got = await use(r.body.url);
        assert.deepEqual([got.status, got.text], [200, "report"]);
        getUrl = r.body;
      },
    );

    await t.step("a PUT URL uploads, and the object then shows in the API", async () => {
      const r = await presign({ object_key: "uploads/new.bin", method: "PUT", expires_in: 600 });
      const put = await use(r.body.url, "PUT", "uploaded by URL");
      assert.equal(put.status, 200, put.text);
      const shown = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/share/objects/uploads%2Fnew.bin",
      );
      assert.equal(shown.body.size, "uploaded by URL".length);
    });

    await t.step("HEAD and DELETE URLs do what they are signed for, and only that", async () => {
      const head = await presign({ object_key: "uploads/new.bin", method: "HEAD" });
      assert.equal((await use(head.body.url, "HEAD")).status, 200);
      const wrongMethod = await use(head.body.url, "GET");
      assert.equal(wrongMethod.status, 403);
      const del = await presign({ object_key: "uploads/new.bin", method: "delete" });
      assert.equal(del.body.method, "DELETE");
      assert.equal((await use(del.body.url, "DELETE")).status, 204);
      const gone = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/share/objects/uploads%2Fnew.bin",
      );
      assert.equal(gone.status, 404);
    });

    await t.step("active URLs are listed, oldest first, and counted in stats", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/presigned-urls");
      assert.equal(r.body.urls.length, 4);
      assert.equal(r.body.urls[0].id, getUrl.id);
      assert.equal(r.body.urls[0].url, getUrl.url);
      const page = await adminFetch(server, "GET", "/api/v1/presigned-urls?limit=3");
      assert.equal(page.body.urls.length, 3);
      const rest = await adminFetch(
        server,
        "GET",
        `/api/v1/presigned-urls?limit=3&cursor=${page.body.next_cursor}`,
      );
      assert.equal(rest.body.urls.length, 1);
      assert.equal(rest.body.next_cursor, null);
      const stats = await adminFetch(server, "GET", "/api/v1/stats");
      assert.equal(stats.body.active_presigned_urls, 4);
    });

    await t.step("a revoked URL is refused at once and leaves the list", async () => {
      const r = await adminFetch(server, "DELETE", `/api/v1/presigned-urls/${getUrl.id}`);
      assert.deepEqual([r.status, r.body.message], [200, "Operation completed successfully"]);
      const refused = await use(getUrl.url);
      assert.deepEqual([refused.status, refused.code], [403, "AccessDenied"]);
      assert.match(refused.message ?? "", /revoked/);
      const listed = await adminFetch(server, "GET", "/api/v1/presigned-urls");
      assert.ok(!listed.body.urls.some((u: { id: string }) => u.id === getUrl.id));
      assertApiError(
        await adminFetch(server, "DELETE", `/api/v1/presigned-urls/${getUrl.id}`),
        404,
        "id",
      );
      for (const id of ["0123456789ab0123456789abcdef", "not-an-id"]) {
        assertApiError(
          await adminFetch(server, "DELETE", `/api/v1/presigned-urls/${id}`),
          404,
          "id",
        );
      }
    });

    await t.step(
      "the record id cannot be swapped or removed: it is under the signature",
      async () => {
        const r = await presign({ object_key: "docs/report 1.txt" });
        const other = await presign({ object_key: "docs/report 1.txt" });
        const swapped = r.body.url.replace(/presign-id=[0-9a-f]+/, `presign-id=${other.body.id}`);
        assert.equal((await use(swapped)).code, "SignatureDoesNotMatch");
        const removed = r.body.url.replace(/x-vstash-presign-id=[0-9a-f]+&/, "");
        assert.equal((await use(removed)).code, "SignatureDoesNotMatch");
      },
    );

    await t.step("a URL past expires_in is refused and no longer listed", async () => {
      const r = await presign({ object_key: "docs/report 1.txt", expires_in: 1 });
      assert.equal((await use(r.body.url)).status, 200);
      await new Promise((res) => setTimeout(res, 2100));
      const late = await use(r.body.url);
      assert.deepEqual([late.status, late.code], [403, "AccessDenied"]);
      const listed = await adminFetch(server, "GET", "/api/v1/presigned-urls");
      assert.ok(!listed.body.urls.some((u: { id: string }) => u.id === r.body.id));
      assertApiError(
        await adminFetch(server, "DELETE", `/api/v1/presigned-urls/${r.body.id}`),
        404,
      );
    });

    await t.step("presigned URLs made offline by the SDK keep working as plain SigV4", async () => {
      const get = await getSignedUrl(
        s3,
        new GetObjectCommand({ Bucket: "share", Key: "docs/report 1.txt" }),
        {
          expiresIn: 60,
        },
      );
      assert.deepEqual([(await use(get)).status, (await use(get)).text], [200, "report"]);
      const put = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: "share", Key: "sdk.txt" }),
        {
          expiresIn: 60,
        },
      );
      assert.equal((await use(put, "PUT", "from sdk")).status, 200);
      const shown = await adminFetch(server, "GET", "/api/v1/buckets/share/objects/sdk.txt");
      assert.equal(shown.body.size, "from sdk".length);
    });

    await t.step(
      "a URL of a deactivated credential is refused until it is reactivated",
      async () => {
        const bob = await createCredential(server, { user_name: "bob" });
        await createBucketFor(server, "bob-share", bob.id);
        const r = await adminFetch(server, "POST", "/api/v1/presigned-urls", {
          bucket_name: "bob-share",
          object_key: "k",
          method: "PUT",
          access_key: bob.access_key,
        });
        await adminFetch(server, "PATCH", `/api/v1/credentials/${bob.id}`, { is_active: false });
        assert.equal((await use(r.body.url, "PUT", "x")).code, "InvalidAccessKeyId");
        await adminFetch(server, "PATCH", `/api/v1/credentials/${bob.id}`, { is_active: true });
        assert.equal((await use(r.body.url, "PUT", "x")).status, 200);
      },
    );
  });
});

Deno.test("presigned URL requests are validated field by field", async (t) => {
  await withServer(async (server) => {
    await server.client().send(new CreateBucketCommand({ Bucket: "mine" }));
    const bob = await createCredential(server, { user_name: "bob" });
    const ok = { bucket_name: "mine", object_key: "k", access_key: server.accessKey };
    const presign = (body: Record<string, unknown>) =>
      adminFetch(server, "POST", "/api/v1/presigned-urls", body);

    await t.step("each bad field is 400 naming it", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ ...ok, bucket_name: undefined }, "bucket_name"],
        [{ ...ok, bucket_name: "Bad_Name" }, "bucket_name"],
        [{ ...ok, object_key: undefined }, "object_key"],
        [{ ...ok, object_key: "" }, "object_key"],
        [{ ...ok, object_key: "k".repeat(1025) }, "object_key"],
        [{ ...ok, object_key: "a/../b" }, "object_key"],
        [{ ...ok, object_key: 5 }, "object_key"],
        [{ ...ok, method: "PATCH" }, "method"],
        [{ ...ok, method: 1 }, "method"],
        [{ ...ok, expires_in: 0 }, "expires_in"],
        [{ ...ok, expires_in: 604801 }, "expires_in"],
        [{ ...ok, expires_in: "60" }, "expires_in"],
        [{ ...ok, expires_in: 1.5 }, "expires_in"],
        [{ ...ok, access_key: undefined }, "access_key"],
        [{ ...ok, access_key: "" }, "access_key"],
        [{ ...ok, hash: "x" }, "hash"],
      ];
      for (const [body, field] of cases) assertApiError(await presign(body), 400, field);
    });

    await t.step("POST is refused with the reason", async () => {
      assertApiError(
        await presign({ ...ok, method: "POST" }),
        400,
        "method",
        /POST is not supported/,
      );
    });

    await t.step("the bucket and the credential must exist", async () => {
      assertApiError(await presign({ ...ok, bucket_name: "no-such-bucket" }), 404, "bucket_name");
      assertApiError(await presign({ ...ok, access_key: "AKNOSUCHKEY" }), 404, "access_key");
    });

    await t.step("the credential must own the bucket and be active", async () => {
      assertApiError(
        await presign({ ...ok, access_key: bob.access_key }),
        400,
        "access_key",
        /does not own/,
      );
      await adminFetch(server, "PATCH", "/api/v1/credentials/1", { is_active: false });
      assertApiError(await presign(ok), 400, "access_key", /deactivated/);
      await adminFetch(server, "PATCH", "/api/v1/credentials/1", { is_active: true });
    });

    await t.step("the longest lifetime, seven days, is accepted", async () => {
      const r = await presign({ ...ok, expires_in: 604800 });
      assert.equal(r.status, 201);
      assert.match(r.body.url, /X-Amz-Expires=604800/);
    });
  });
});

Deno.test("presigned URLs use --public-url when set", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "pub" }));
    await s3.send(new PutObjectCommand({ Bucket: "pub", Key: "a.txt", Body: "behind a proxy" }));
    await t.step("the URL starts with the public base, its path prefix kept", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/presigned-urls", {
        bucket_name: "pub",
        object_key: "a.txt",
        access_key: server.accessKey,
      });
      assert.ok(r.body.url.startsWith("https://s3.example.com/storage/pub/a.txt?"), r.body.url);
      // A proxy that strips /storage and keeps Host: the signature covers what vStash sees.
      const target = r.body.url.slice("https://s3.example.com/storage".length);
      const direct = await socketRequest(server, {
        method: "GET",
        url: new URL(server.s3Url + target),
        target,
        headers: { host: "s3.example.com" },
        body: undefined,
      });
      assert.equal(direct.status, 200, direct.text);
      assert.equal(direct.text, "behind a proxy");
    });
  }, { args: ["--public-url", "https://s3.example.com/storage/"] });
});

Deno.test("presigned URLs of a wildcard S3 listener use the host the admin API was reached on", async (t) => {
  await withServer(async (server) => {
    await server.client().send(new CreateBucketCommand({ Bucket: "wild" }));
    await t.step("the URL names the admin request's host with the S3 port", async () => {
      const port = new URL(server.s3Url).port;
      const r = await adminFetch(server, "POST", "/api/v1/presigned-urls", {
        bucket_name: "wild",
        object_key: "a.txt",
        method: "PUT",
        access_key: server.accessKey,
      });
      assert.ok(r.body.url.startsWith(`http://127.0.0.1:${port}/wild/a.txt?`), r.body.url);
      assert.equal((await use(r.body.url, "PUT", "hi")).status, 200);
    });
  }, { args: ["--s3-addr", "0.0.0.0:0"] });
});
