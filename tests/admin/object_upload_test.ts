import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { adminFetch, assertApiError } from "../helpers/admin.ts";
import { generatedBytes, generatedChunks, MiB, sha256Of, sha256OfStream } from "../helpers/data.ts";
import { expectedMultipartEtag } from "../helpers/multipart.ts";
import { withServer } from "../helpers/server.ts";
import { socketRequest } from "../helpers/sign.ts";

const objectPath = (bucket: string, key: string) =>
  `/api/v1/buckets/${bucket}/objects/${encodeURIComponent(key)}`;

/** A body that arrives in 1 MiB chunks without a Content-Length, as a browser streams one. */
function streamOf(size: number, seed: number): ReadableStream<Uint8Array> {
  return ReadableStream.from(generatedChunks(size, seed));
}

const crc32Base64 = (data: Uint8Array) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, crc32(data) >>> 0);
  return btoa(String.fromCharCode(...out));
};

Deno.test("objects uploaded through the management API stream to disk and read back over S3", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "console-up" }));

    await t.step("a streamed 21 MiB PUT stores every byte, as S3 reads it back", async () => {
      const size = 21 * MiB + 123;
      const expected = await sha256OfStream(streamOf(size, 7));
      const r = await adminFetch(
        server,
        "PUT",
        objectPath("console-up", "big/video.bin"),
        undefined,
        {
          rawBody: streamOf(size, 7),
          headers: { "content-type": "video/mp4" },
        },
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.size, size);
      assert.equal(r.body.content_type, "video/mp4");
      assert.equal(r.body.is_multipart, false);
      const got = await s3.send(
        new GetObjectCommand({ Bucket: "console-up", Key: "big/video.bin" }),
      );
      assert.equal(got.ContentType, "video/mp4");
      assert.equal(got.ContentLength, size);
      const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
      assert.deepEqual(read, expected);
      assert.equal(got.ETag, `"${r.body.etag}"`, "the ETag is the MD5 S3 would give");
    });

    await t.step("the stored CRC32 is the whole object's, and S3 returns it", async () => {
      const data = generatedBytes(3 * MiB + 5, 3);
      const r = await adminFetch(server, "PUT", objectPath("console-up", "crc.bin"), undefined, {
        rawBody: data,
      });
      assert.deepEqual(r.body.checksum, {
        algorithm: "CRC32",
        value: crc32Base64(data),
        type: "FULL_OBJECT",
      });
      assert.equal(r.body.etag, createHash("md5").update(data).digest("hex"));
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: "console-up", Key: "crc.bin", ChecksumMode: "ENABLED" }),
      );
      assert.equal(head.ChecksumCRC32, crc32Base64(data));
    });

    await t.step("a PUT replaces the object and moves the bucket's counters", async () => {
      await adminFetch(server, "PUT", objectPath("console-up", "note.txt"), undefined, {
        rawBody: "one",
      });
      const r = await adminFetch(server, "PUT", objectPath("console-up", "note.txt"), undefined, {
        rawBody: "second version",
      });
      assert.equal(r.body.size, 14);
      const got = await s3.send(new GetObjectCommand({ Bucket: "console-up", Key: "note.txt" }));
      assert.equal(await got.Body!.transformToString(), "second version");
      const bucket = await adminFetch(server, "GET", "/api/v1/buckets/console-up?limit=1");
      assert.equal(bucket.body.object_count, 3);
    });

    await t.step("an empty body is an empty object without a file (a folder marker)", async () => {
      const r = await adminFetch(server, "PUT", objectPath("console-up", "folder/"), undefined, {
        rawBody: new Uint8Array(),
      });
      assert.equal(r.status, 200);
      assert.deepEqual([r.body.size, r.body.storage_path], [0, null]);
    });

    await t.step("an unknown bucket is 404, a key over 1024 bytes 400", async () => {
      const none = await adminFetch(server, "PUT", objectPath("nope", "k"), undefined, {
        rawBody: "x",
      });
      assertApiError(none, 404, "bucket");
      const long = await adminFetch(
        server,
        "PUT",
        objectPath("console-up", "k".repeat(1025)),
        undefined,
        {
          rawBody: "x",
        },
      );
      assertApiError(long, 400, "key");
    });

    await t.step("a declared body over 5 GiB is refused before it is read", async () => {
      const { host } = new URL(server.adminUrl);
      const r = await socketRequest({ ...server, s3Url: server.adminUrl }, {
        method: "PUT",
        url: new URL(server.adminUrl),
        target: "/api/v1/buckets/console-up/objects/huge",
        headers: {
          host,
          "x-api-key": server.adminKey,
          "content-length": String(5 * 1024 ** 3 + 1),
        },
        body: new Uint8Array(16),
      }, { truncate: { sendBytes: 16, then: "half-close" } });
      assert.equal(r.status, 413, r.text);
      assert.match(JSON.parse(r.text).error, /multipart/);
    });

    await t.step("an upload cut off midway leaves no object and no temp file", async () => {
      const { host } = new URL(server.adminUrl);
      const r = await socketRequest({ ...server, s3Url: server.adminUrl }, {
        method: "PUT",
        url: new URL(server.adminUrl),
        target: "/api/v1/buckets/console-up/objects/cut",
        headers: { host, "x-api-key": server.adminKey, "content-length": String(2 * MiB) },
        body: new Uint8Array(2 * MiB),
      }, { truncate: { sendBytes: 300_000, then: "half-close" } });
      assert.ok(r.status === 400 || r.status === 0, `status ${r.status}: ${r.text}`);
      assert.doesNotMatch(
        server.output(),
        /internal error/,
        "a cut-off body is not a server fault",
      );
      const gone = await adminFetch(server, "GET", objectPath("console-up", "cut"));
      assertApiError(gone, 404);
      // The handler may still be cleaning up right after the connection ended.
      for (let i = 0; i < 50; i++) {
        const left = [...Deno.readDirSync(`${server.dataDir}/tmp`)];
        if (left.length === 0) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.deepEqual([...Deno.readDirSync(`${server.dataDir}/tmp`)], []);
    });

    await t.step("a download streams the bytes as an attachment that never renders", async () => {
      const r = await fetch(
        `${server.adminUrl}/api/v1/buckets/console-up/download/big%2Fvideo.bin`,
        {
          headers: { "x-api-key": server.adminKey },
        },
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "video/mp4");
      assert.equal(r.headers.get("content-length"), String(21 * MiB + 123));
      assert.equal(
        r.headers.get("content-disposition"),
        `attachment; filename="video.bin"; filename*=UTF-8''video.bin`,
      );
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.match(r.headers.get("content-security-policy") ?? "", /sandbox/);
      const read = await sha256OfStream(r.body!);
      assert.deepEqual(read, await sha256OfStream(streamOf(21 * MiB + 123, 7)));
    });

    await t.step("HEAD of a download answers the headers without reading the object", async () => {
      const r = await fetch(`${server.adminUrl}/api/v1/buckets/console-up/download/crc.bin`, {
        method: "HEAD",
        headers: { "x-api-key": server.adminKey },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), String(3 * MiB + 5));
      assert.equal((await r.bytes()).length, 0);
    });

    await t.step("a download names non-ASCII files in RFC 5987 form", async () => {
      await adminFetch(
        server,
        "PUT",
        objectPath("console-up", "docs/Überblick (1).txt"),
        undefined,
        {
          rawBody: "ü",
        },
      );
      const r = await fetch(
        `${server.adminUrl}/api/v1/buckets/console-up/download/${
          encodeURIComponent("docs/Überblick (1).txt")
        }`,
        { headers: { "x-api-key": server.adminKey } },
      );
      assert.equal(
        r.headers.get("content-disposition"),
        `attachment; filename="_berblick (1).txt"; filename*=UTF-8''%C3%9Cberblick%20%281%29.txt`,
      );
      assert.equal(await r.text(), "ü");
    });

    await t.step("downloads of missing objects are 404, and need authentication", async () => {
      const missing = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/console-up/download/nothing",
      );
      assertApiError(missing, 404, "key");
      const anonymous = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/console-up/download/note.txt",
        undefined,
        {
          key: null,
        },
      );
      assertApiError(anonymous, 401);
    });

    await t.step("listing with delimiter=/ rolls keys up into folders", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/buckets/console-up/objects?delimiter=/");
      assert.deepEqual(r.body.prefixes, ["big/", "docs/", "folder/"]);
      assert.deepEqual(r.body.objects.map((o: { key: string }) => o.key), ["crc.bin", "note.txt"]);
      const inner = await adminFetch(
        server,
        "GET",
        "/api/v1/buckets/console-up/objects?delimiter=/&prefix=big/",
      );
      assert.deepEqual(inner.body.prefixes, []);
      assert.deepEqual(inner.body.objects.map((o: { key: string }) => o.key), ["big/video.bin"]);
      const plain = await adminFetch(server, "GET", "/api/v1/buckets/console-up/objects");
      assert.equal(plain.body.prefixes, undefined, "without a delimiter there are no folders");
    });

    await t.step("folder listings page by cursor across folders and keys", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `delimiter=/&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const page = await adminFetch(server, "GET", `/api/v1/buckets/console-up/objects?${q}`);
        seen.push(...page.body.prefixes, ...page.body.objects.map((o: { key: string }) => o.key));
        cursor = page.body.next_cursor;
      } while (cursor);
      assert.deepEqual(seen.sort(), ["big/", "crc.bin", "docs/", "folder/", "note.txt"]);
    });
  });
});

Deno.test("multipart uploads through the management API follow S3's rules", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "console-mp" }));
    const base = "/api/v1/buckets/console-mp/uploads";
    const create = async (key: string, contentType?: string) => {
      const r = await adminFetch(server, "POST", base, {
        key,
        ...(contentType ? { content_type: contentType } : {}),
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.upload_id as string;
    };
    const putPart = (id: string, key: string, n: number, body: BodyInit | Uint8Array) =>
      adminFetch(
        server,
        "PUT",
        `${base}/${id}/parts/${n}?key=${encodeURIComponent(key)}`,
        undefined,
        { rawBody: body },
      );
    const complete = (id: string, key: string, parts: unknown[]) =>
      adminFetch(server, "POST", `${base}/${id}/complete?key=${encodeURIComponent(key)}`, {
        parts,
      });

    const parts = [
      generatedBytes(5 * MiB, 1),
      generatedBytes(5 * MiB, 2),
      generatedBytes(MiB + 9, 3),
    ];
    let object: { etag: string } = { etag: "" };

    await t.step("parts sent in parallel complete into one object, read back over S3", async () => {
      const id = await create("db/dump.sql.gz", "application/gzip");
      const answers = await Promise.all(
        parts.map((p, i) => putPart(id, "db/dump.sql.gz", i + 1, p)),
      );
      answers.forEach((a, i) => {
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.deepEqual(a.body, {
          part_number: i + 1,
          etag: createHash("md5").update(parts[i]).digest("hex"),
          size: parts[i].length,
        });
      });
      const listed = await adminFetch(server, "GET", base);
      assert.deepEqual(
        listed.body.uploads.map((u: { key: string; part_count: number }) => [u.key, u.part_count]),
        [["db/dump.sql.gz", 3]],
      );
      const done = await complete(
        id,
        "db/dump.sql.gz",
        answers.map((a) => ({ part_number: a.body.part_number, etag: a.body.etag })),
      );
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(`"${done.body.etag}"`, expectedMultipartEtag(parts));
      assert.equal(done.body.is_multipart, true);
      assert.equal(done.body.content_type, "application/gzip");
      assert.deepEqual(
        done.body.parts.map((p: { part_number: number; size: number }) => [p.part_number, p.size]),
        [[1, 5 * MiB], [2, 5 * MiB], [3, MiB + 9]],
      );
      const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) {
        whole.set(p, off);
        off += p.length;
      }
      assert.deepEqual(done.body.checksum, {
        algorithm: "CRC32",
        value: crc32Base64(whole),
        type: "FULL_OBJECT",
      });
      const got = await s3.send(
        new GetObjectCommand({ Bucket: "console-mp", Key: "db/dump.sql.gz" }),
      );
      assert.equal(got.ETag, expectedMultipartEtag(parts));
      const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
      assert.deepEqual(read, { sha256: sha256Of(whole), size: whole.length });
      object = done.body;
      assert.equal((await adminFetch(server, "GET", base)).body.uploads.length, 0);
    });

    await t.step("object details list the parts of a multipart object", async () => {
      const r = await adminFetch(server, "GET", objectPath("console-mp", "db/dump.sql.gz"));
      assert.equal(r.body.etag, object.etag);
      assert.equal(r.body.parts.length, 3);
      assert.equal(r.body.parts[0].etag, createHash("md5").update(parts[0]).digest("hex"));
    });

    await t.step("a part under 5 MiB that is not the last is refused at completion", async () => {
      const id = await create("small");
      const a = await putPart(id, "small", 1, "tiny");
      const b = await putPart(id, "small", 2, "tiny too");
      const r = await complete(id, "small", [
        { part_number: 1, etag: a.body.etag },
        { part_number: 2, etag: b.body.etag },
      ]);
      assertApiError(r, 400, "parts", /at least 5242880/);
    });

    await t.step("a wrong ETag, a missing part or a wrong order are refused", async () => {
      const id = await create("rules");
      const a = await putPart(id, "rules", 1, parts[0]);
      const b = await putPart(id, "rules", 2, "end");
      const cases: [unknown[], RegExp][] = [
        [[{ part_number: 1, etag: "0".repeat(32) }], /ETag/],
        [
          [{ part_number: 1, etag: a.body.etag }, { part_number: 3, etag: b.body.etag }],
          /not uploaded/,
        ],
        [
          [{ part_number: 2, etag: b.body.etag }, { part_number: 1, etag: a.body.etag }],
          /ascending/,
        ],
        [[], /non-empty/],
        [[{ part_number: 1 }], /etag/],
      ];
      for (const [list, message] of cases) {
        assertApiError(await complete(id, "rules", list), 400, "parts", message);
      }
      const ok = await complete(id, "rules", [
        { part_number: 1, etag: `"${a.body.etag}"` },
        { part_number: 2, etag: b.body.etag },
      ]);
      assert.equal(ok.status, 200, "quoted ETags are accepted, as S3 accepts them");
    });

    await t.step("part numbers outside 1-10000 are 400", async () => {
      const id = await create("numbers");
      for (const n of ["0", "10001", "x"]) {
        const r = await adminFetch(
          server,
          "PUT",
          `${base}/${id}/parts/${n}?key=numbers`,
          undefined,
          {
            rawBody: "x",
          },
        );
        assertApiError(r, 400, "part_number");
      }
    });

    await t.step(
      "an upload is named by its key too: without it 400, with another 404",
      async () => {
        const id = await create("named");
        assertApiError(
          await adminFetch(server, "PUT", `${base}/${id}/parts/1`, undefined, { rawBody: "x" }),
          400,
          "key",
        );
        assertApiError(await putPart(id, "other", 1, "x"), 404, "upload_id");
        assertApiError(await putPart("f".repeat(36), "named", 1, "x"), 404, "upload_id");
      },
    );

    await t.step("aborting drops the upload and its parts; later calls are 404", async () => {
      const id = await create("gone");
      await putPart(id, "gone", 1, parts[0]);
      const r = await adminFetch(server, "DELETE", `${base}/${id}?key=gone`);
      assert.equal(r.status, 200);
      const listed = await adminFetch(server, "GET", `${base}?prefix=gone`);
      assert.deepEqual(listed.body.uploads, []);
      assertApiError(await putPart(id, "gone", 2, "x"), 404);
      assertApiError(await complete(id, "gone", [{ part_number: 1, etag: "x" }]), 404);
      assertApiError(await adminFetch(server, "DELETE", `${base}/${id}?key=gone`), 404);
    });

    await t.step("creating an upload needs an existing bucket and a valid key", async () => {
      assertApiError(
        await adminFetch(server, "POST", "/api/v1/buckets/none/uploads", { key: "k" }),
        404,
        "bucket",
      );
      assertApiError(await adminFetch(server, "POST", base, { key: "" }), 400, "key");
      assertApiError(
        await adminFetch(server, "POST", base, { key: "k", content_type: "a\nb" }),
        400,
        "content_type",
      );
      assertApiError(await adminFetch(server, "POST", base, { key: "k", extra: 1 }), 400, "extra");
    });
  });
});

Deno.test("an upload that stalls is cut off after the body timeout with 408", async () => {
  await withServer(async (server) => {
    await adminFetch(server, "POST", "/api/v1/buckets", { name: "stall", owner_id: 1 });
    const { hostname, port, host } = new URL(server.adminUrl);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    try {
      const head = `PUT /api/v1/buckets/stall/objects/slow HTTP/1.1\r\nhost: ${host}\r\n` +
        `x-api-key: ${server.adminKey}\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n`;
      await conn.write(new TextEncoder().encode(head + "only ten b"));
      const started = Date.now();
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      assert.match(answer, /^HTTP\/1\.1 408 /, answer);
      assert.match(answer, /stalled/);
      assert.ok(Date.now() - started < 5000, "cut off after about a second");
    } finally {
      conn.close();
    }
    const gone = await adminFetch(server, "GET", "/api/v1/buckets/stall/objects/slow");
    assertApiError(gone, 404);
  }, { args: ["--body-timeout", "1s"] });
});
