/**
 * Amazon S3's limits, enforced at the edges: 5 GiB per PUT or part (refused from the
 * declared length, before any body byte), 10,000 parts, 5 TiB per object, 1024-byte keys
 * on every way of naming one, 2 KiB of user metadata, capped XML bodies, and the header
 * limits of Deno's HTTP server (which vStash inherits and documents here).
 *
 * Already covered elsewhere and not repeated: part numbers 0 and 10,001 on UploadPart
 * (tests/s3/multipart_test.ts), a 1025-byte key on PutObject and oversized XML bodies that
 * are sent in full (tests/s3/bad_input_test.ts), a 10,000-part completion
 * (tests/s3/multipart_edge_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { K } from "../../src/storage/kv_keys.ts";
import type { PartRecord } from "../../src/storage/records.ts";
import { createBucket, createUpload, sendComplete, sendPart } from "../helpers/multipart.ts";
import {
  concatBytes,
  head,
  readAnswer,
  s3Address,
  sendAndAwaitAnswer,
  writeAll,
} from "../helpers/raw_http.ts";
import {
  assertNoObject,
  assertObject,
  assertS3Error,
  awsPath,
  listAllKeys,
  putObjects,
  xmlValue,
  xmlValues,
} from "../helpers/s3.ts";
import { md5Base64 } from "../helpers/checksums.ts";
import { startTestServer } from "../helpers/server.ts";
import { buildChunkedUpload, rawRequest, signRequest, socketRequest } from "../helpers/sign.ts";

const GiB = 1024 ** 3;
const MAX_PUT = 5 * GiB;

Deno.test("S3's limits are enforced before they cost anything", async (t) => {
  let server = await startTestServer();
  /** The head of a signed request promising `length` body bytes (none are sent). */
  const promise = async (
    method: string,
    path: string,
    length: number,
    headers: Record<string, string> = {},
  ) => {
    const s = await signRequest(server, {
      method,
      path,
      headers,
      contentSha256: "UNSIGNED-PAYLOAD",
    });
    const h = Object.entries(s.headers);
    h.push(["content-length", String(length)]);
    return head(`${method} ${s.target} HTTP/1.1`, h);
  };
  try {
    await createBucket(server, "lim");

    await t.step(
      "a PUT declaring 5 GiB + 1 is refused with EntityTooLarge before its body",
      async () => {
        const r = await sendAndAwaitAnswer(
          server,
          await promise("PUT", "/lim/huge", MAX_PUT + 1),
          5000,
        );
        assertS3Error(parse(r), 400, "EntityTooLarge");
        assert.ok(r.ms < 3000, `answered in ${r.ms.toFixed(0)} ms without the body`);
        await assertNoObject(server, "lim", "huge");
      },
    );

    await t.step("so are an UploadPart and an aws-chunked PUT declaring 5 GiB + 1", async () => {
      const uploadId = await createUpload(server, "lim", "parts");
      const part = await sendAndAwaitAnswer(
        server,
        await promise("PUT", `/lim/parts?partNumber=1&uploadId=${uploadId}`, MAX_PUT + 1),
        5000,
      );
      assertS3Error(parse(part), 400, "EntityTooLarge");
      const chunked = await buildChunkedUpload(server, {
        method: "PUT",
        path: "/lim/huge-chunked",
        mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        data: new Uint8Array(10),
        chunkSize: 10,
        headers: { "x-amz-decoded-content-length": String(MAX_PUT + 1) },
      });
      const h = Object.entries(chunked.headers);
      h.push(["content-length", String(MAX_PUT + 100_000)]);
      const r = await sendAndAwaitAnswer(server, head(`PUT ${chunked.target} HTTP/1.1`, h), 5000);
      assertS3Error(parse(r), 400, "EntityTooLarge");
      await assertNoObject(server, "lim", "huge-chunked");
    });

    await t.step("exactly 5 GiB is not refused up front (the body is then awaited)", async () => {
      const conn = await Deno.connect(s3Address(server));
      try {
        await writeAll(
          conn,
          concatBytes(await promise("PUT", "/lim/five", MAX_PUT), new Uint8Array(1000)),
        );
        await conn.closeWrite();
        const text = await readAnswer(conn, 5000);
        assertS3Error(parse({ text }), 400, "IncompleteBody");
      } finally {
        conn.close();
      }
      await assertNoObject(server, "lim", "five");
    });

    await t.step("a Complete listing 10,001 parts is refused with InvalidArgument", async () => {
      const uploadId = await createUpload(server, "lim", "many");
      const etag = (await sendPart(server, "lim", "many", uploadId, 1, "x")).headers.get("etag")!;
      const parts = Array.from({ length: 10_001 }, (_, i) => ({ partNumber: i + 1, etag }));
      assertS3Error(
        await sendComplete(server, "lim", "many", uploadId, parts),
        400,
        "InvalidArgument",
      );
      // A part number past 10,000 can never have been uploaded.
      assertS3Error(
        await sendComplete(server, "lim", "many", uploadId, [{ partNumber: 10_001, etag }]),
        400,
        "InvalidPart",
      );
      await assertNoObject(server, "lim", "many");
    });

    await t.step(
      "an object over 5 TiB is refused at completion (part sizes forged in KV)",
      async () => {
        // 5 TiB cannot cross the wire in a test: it needs more than 1024 parts of 5 GiB of real
        // bytes (UploadPartCopy copies bytes too). So the parts' records are forged in a stopped
        // server's KV with byte-less blobs, and CompleteMultipartUpload's check runs for real.
        const over = await createUpload(server, "lim", "over-5tib");
        const exact = await createUpload(server, "lim", "exactly-5tib");
        const keys = {
          VSTASH_ACCESS_KEY: server.accessKey,
          VSTASH_SECRET_KEY: server.secretKey,
          VSTASH_ADMIN_KEY: server.adminKey,
        };
        await server.stop({ keepData: true });
        const etag = `"${"0".repeat(32)}"`;
        await forgeParts(server.dataDir, over, 1025, MAX_PUT, etag); // 5 TiB + 5 GiB
        await forgeParts(server.dataDir, exact, 1024, MAX_PUT, etag); // 5 TiB
        server = await startTestServer({ dataDir: server.dataDir, env: keys });
        const list = (n: number) =>
          Array.from({ length: n }, (_, i) => ({ partNumber: i + 1, etag }));
        assertS3Error(
          await sendComplete(server, "lim", "over-5tib", over, list(1025)),
          400,
          "EntityTooLarge",
        );
        await assertNoObject(server, "lim", "over-5tib");
        const ok = await sendComplete(server, "lim", "exactly-5tib", exact, list(1024));
        assert.equal(ok.status, 200, ok.text);
        const headed = await rawRequest(server, { method: "HEAD", path: "/lim/exactly-5tib" });
        assert.equal(headed.headers.get("content-length"), String(5 * 1024 ** 4));
        const del = await rawRequest(server, { method: "DELETE", path: "/lim/exactly-5tib" });
        assert.equal(del.status, 204);
      },
    );

    await t.step(
      "keys: 1024 bytes of UTF-8 are accepted, 1025 refused, on every path",
      async () => {
        const ok = ["k".repeat(1024), "é".repeat(512), "😀".repeat(256), "€".repeat(341) + "a"];
        const long = [
          "k".repeat(1025),
          "é".repeat(512) + "a",
          "😀".repeat(256) + "a",
          "€".repeat(342),
        ];
        for (const key of ok) {
          const r = await rawRequest(server, {
            method: "PUT",
            path: `/lim/${awsPath(key)}`,
            body: key,
          });
          assert.equal(r.status, 200, `PUT a ${key.length}-char key: ${r.text}`);
          await assertObject(server, "lim", key, key);
        }
        const listed = await listAllKeys(server, "lim");
        for (const key of ok) assert.ok(listed.includes(key), "the 1024-byte key lists");
        const src = `/lim/${awsPath(ok[0])}`;
        for (const key of long) {
          const path = `/lim/${awsPath(key)}`;
          assertS3Error(
            await rawRequest(server, { method: "PUT", path, body: "x" }),
            400,
            "KeyTooLongError",
          );
          assertS3Error(
            await rawRequest(server, {
              method: "PUT",
              path,
              headers: { "x-amz-copy-source": src },
            }),
            400,
            "KeyTooLongError",
          );
          assertS3Error(
            await rawRequest(server, {
              method: "PUT",
              path: "/lim/copy-dst",
              headers: { "x-amz-copy-source": path },
            }),
            400,
            "KeyTooLongError",
          );
          assertS3Error(
            await rawRequest(server, { method: "POST", path: `${path}?uploads` }),
            400,
            "KeyTooLongError",
          );
        }
        // A 1024-byte key as a copy destination and as a multipart key works.
        const dst = "d".repeat(1024);
        const copied = await rawRequest(server, {
          method: "PUT",
          path: `/lim/${dst}`,
          headers: { "x-amz-copy-source": src },
        });
        assert.equal(copied.status, 200, copied.text);
        const uploadId = await createUpload(server, "lim", "m".repeat(1024));
        assert.ok(uploadId);
        // DeleteObjects reports a too-long key per key and deletes the others.
        const del = await rawRequest(server, {
          method: "POST",
          path: "/lim?delete",
          body: `<Delete>${
            [...long.slice(0, 1), ...ok, dst].map((k) => `<Object><Key>${k}</Key></Object>`).join(
              "",
            )
          }</Delete>`,
        });
        assert.equal(del.status, 200, del.text);
        assert.deepEqual(xmlValues(del.text, "Code"), ["KeyTooLongError"]);
        for (const key of [...ok, dst]) await assertNoObject(server, "lim", key);
        for (const key of long) assert.ok(!(await listAllKeys(server, "lim")).includes(key));
      },
    );

    await t.step(
      "user metadata: 2048 bytes (names after x-amz-meta- plus values) pass, 2049 do not",
      async () => {
        const put = (key: string, headers: Record<string, string>) =>
          rawRequest(server, { method: "PUT", path: `/lim/${key}`, body: "m", headers });
        const ok = await put("meta-2048", { "x-amz-meta-a": "v".repeat(2047) });
        assert.equal(ok.status, 200, ok.text);
        const got = await rawRequest(server, { method: "HEAD", path: "/lim/meta-2048" });
        assert.equal(got.headers.get("x-amz-meta-a"), "v".repeat(2047));
        assertS3Error(
          await put("meta-2049", { "x-amz-meta-a": "v".repeat(2048) }),
          400,
          "MetadataTooLarge",
        );
        // Spread over many headers: the sum counts, the "x-amz-meta-" prefix does not.
        const spread = Object.fromEntries(
          Array.from({ length: 16 }, (_, i) => [`x-amz-meta-n${i.toString(16)}`, "v".repeat(126)]),
        ); // 16 × (2 + 126) = 2048
        assert.equal((await put("meta-spread", spread)).status, 200);
        assertS3Error(
          await put("meta-spread-over", { ...spread, "x-amz-meta-z": "" }),
          400,
          "MetadataTooLarge",
        ); // + 1 byte of name
        // Bytes, not characters: UTF-8 "é" is two bytes on the wire.
        const utf8Twice = String.fromCharCode(0xc3, 0xa9).repeat(1023); // 2046 bytes
        assert.equal((await put("meta-utf8", { "x-amz-meta-a": utf8Twice })).status, 200);
        assertS3Error(
          await put("meta-utf8-over", { "x-amz-meta-ab": utf8Twice + "x" }),
          400,
          "MetadataTooLarge",
        );
        // The same limit on CreateMultipartUpload and on CopyObject with REPLACE.
        assertS3Error(
          await rawRequest(server, {
            method: "POST",
            path: "/lim/meta-mp?uploads",
            headers: { "x-amz-meta-a": "v".repeat(2048) },
          }),
          400,
          "MetadataTooLarge",
        );
        assertS3Error(
          await rawRequest(server, {
            method: "PUT",
            path: "/lim/meta-copy",
            headers: {
              "x-amz-copy-source": "/lim/meta-2048",
              "x-amz-metadata-directive": "REPLACE",
              "x-amz-meta-a": "v".repeat(2048),
            },
          }),
          400,
          "MetadataTooLarge",
        );
        for (const key of ["meta-2049", "meta-spread-over", "meta-utf8-over", "meta-copy"]) {
          await assertNoObject(server, "lim", key);
        }
      },
    );

    await t.step(
      "a write's header section: 8192 bytes pass, 8193 answer RequestHeaderSectionTooLarge",
      async () => {
        /**
         * A signed request whose header section, as the server receives it, is `total` bytes:
         * socketRequest sends the signed headers plus Connection and Content-Length, and the
         * signature's length does not depend on the padded header's value.
         */
        const sized = async (method: string, path: string, total: number) => {
          const sign = async (pad: string) => {
            const signed = await signRequest(server, {
              method,
              path,
              body: "h",
              headers: { "content-disposition": pad },
            });
            const sent = { ...signed.headers, connection: "close", "content-length": "1" };
            const bytes = Object.entries(sent)
              .reduce((n, [name, value]) => n + name.length + value.length + 4, 0);
            return { signed, bytes };
          };
          const base = await sign("d");
          const { signed, bytes } = await sign("d".repeat(1 + total - base.bytes));
          assert.equal(bytes, total);
          return { signed, pad: signed.headers["content-disposition"] };
        };
        const put = await sized("PUT", "/lim/headers-8192", 8192);
        assert.equal((await socketRequest(server, put.signed)).status, 200);
        const stored = await rawRequest(server, { method: "HEAD", path: "/lim/headers-8192" });
        assert.equal(stored.headers.get("content-disposition"), put.pad);

        const over = await sized("PUT", "/lim/headers-8192", 8193);
        const refused = await socketRequest(server, over.signed);
        assertS3Error(refused, 400, "RequestHeaderSectionTooLarge");
        assert.equal(xmlValue(refused.text, "MaxSizeAllowed"), "8192");
        // The refused overwrite left the stored object as it was.
        await assertObject(server, "lim", "headers-8192", "h");
        const after = await rawRequest(server, { method: "HEAD", path: "/lim/headers-8192" });
        assert.equal(after.headers.get("content-disposition"), put.pad);

        const mp = await sized("POST", "/lim/headers-mp?uploads", 8193);
        assertS3Error(await socketRequest(server, mp.signed), 400, "RequestHeaderSectionTooLarge");
        const uploads = await rawRequest(server, { method: "GET", path: "/lim?uploads" });
        assert.ok(!xmlValues(uploads.text, "Key").includes("headers-mp"), uploads.text);
      },
    );

    await t.step("XML bodies over their cap are refused from the declared length", async () => {
      const uploadId = await createUpload(server, "lim", "xml-cap");
      const cases: [string, string, number][] = [
        ["POST", "/lim?delete", 8 * 1024 ** 2 + 1],
        ["POST", `/lim/xml-cap?uploadId=${encodeURIComponent(uploadId)}`, 8 * 1024 ** 2 + 1],
        ["PUT", "/lim-new-bucket", 64 * 1024 + 1],
      ];
      for (const [method, path, length] of cases) {
        const r = await sendAndAwaitAnswer(server, await promise(method, path, length), 5000);
        assertS3Error(parse(r), 400, "MaxMessageLengthExceeded");
        assert.ok(r.ms < 3000, `answered in ${r.ms.toFixed(0)} ms without the body`);
      }
      assertS3Error(
        await rawRequest(server, { method: "HEAD", path: "/lim-new-bucket" }),
        404,
        "NoSuchBucket",
        { head: true },
      );
    });

    await t.step(
      "a streamed DeleteObjects body is cut off at 8 MiB without reading the rest",
      async () => {
        const s = await signRequest(server, {
          method: "POST",
          path: "/lim?delete",
          headers: { "transfer-encoding": "chunked" },
          contentSha256: "UNSIGNED-PAYLOAD",
        });
        const conn = await Deno.connect(s3Address(server));
        try {
          await writeAll(
            conn,
            new TextEncoder().encode(head(`POST ${s.target} HTTP/1.1`, Object.entries(s.headers))),
          );
          const chunk = new Uint8Array(64 * 1024).fill(0x20); // whitespace: valid XML filler
          const framed = concatBytes(`${chunk.length.toString(16)}\r\n`, chunk, "\r\n");
          // 9 MiB and then silence: the body never ends, so only the cap can produce an answer.
          for (let sent = 0; sent < 9 * 1024 ** 2; sent += chunk.length) {
            await writeAll(conn, framed).catch(() => {});
          }
          const text = await readAnswer(conn, 5000);
          assertS3Error(parse({ text }), 400, "MaxMessageLengthExceeded");
        } finally {
          conn.close();
        }
      },
    );

    await t.step("header limits of Deno's HTTP server: 64 KiB of head, 128 headers", async () => {
      const { hostname, port } = s3Address(server);
      const host: [string, string] = ["host", `${hostname}:${port}`];
      const status = async (headers: [string, string][]) =>
        (await sendAndAwaitAnswer(server, head("GET /lim/x HTTP/1.1", [host, ...headers]), 5000))
          .status;
      const results = {
        "48 KiB header": await status([["x-big", "a".repeat(48 * 1024)]]),
        "100 KiB header": await status([["x-big", "a".repeat(100 * 1024)]]),
        "1 MiB header": await status([["x-big", "a".repeat(1024 * 1024)]]),
        "128 headers": await status(many(127)),
        "129 headers": await status(many(128)),
        "200 headers": await status(many(199)),
      };
      console.log(`header limits: ${JSON.stringify(results)}`);
      // Within the limits vStash answers (anonymous → 403); past them hyper answers a bare
      // 400 and closes the connection before vStash sees the request.
      assert.deepEqual(results, {
        "48 KiB header": 403,
        "100 KiB header": 400,
        "1 MiB header": 400,
        "128 headers": 403,
        "129 headers": 400,
        "200 headers": 400,
      });
    });
  } finally {
    await server.stop();
  }
});

/** Parts with forged sizes and no bytes, written into a stopped server's KV. */
async function forgeParts(
  dataDir: string,
  uploadId: string,
  count: number,
  size: number,
  etag: string,
) {
  const kv = await Deno.openKv(join(dataDir, "meta.kv"));
  try {
    for (let first = 1; first <= count; first += 500) {
      const op = kv.atomic();
      for (let n = first; n < Math.min(first + 500, count + 1); n++) {
        const part: PartRecord = {
          partNumber: n,
          blobId: null,
          size,
          etag,
          lastModified: Date.now(),
          checksum: null,
          checksumAlgorithm: null,
        };
        op.set(K.part(uploadId, n), part);
      }
      assert.ok((await op.commit()).ok);
    }
  } finally {
    kv.close();
  }
}

function many(n: number): [string, string][] {
  return Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"]);
}

/** A raw answer as the RawResponse assertS3Error expects. */
function parse(r: { text: string }) {
  const end = r.text.indexOf("\r\n\r\n");
  const headLines = r.text.slice(0, end < 0 ? r.text.length : end).split("\r\n");
  const headers = new Headers();
  for (const line of headLines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const text = end < 0 ? "" : r.text.slice(end + 4);
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(r.text)?.[1] ?? 0),
    headers,
    text,
    bytes: new TextEncoder().encode(text),
  };
}

Deno.test("DeleteObjects of 1000 keys of 1024 bytes, 30 folders deep, deletes every one", async () => {
  const server = await startTestServer();
  try {
    await createBucket(server, "longkeys");
    // Each delete of such a key carries ~1 KiB keys for its record, listing entry and folder
    // index entries: one KV atomic cannot hold 1000 of them, so the deletes must be split.
    const keys = Array.from({ length: 1000 }, (_, i) => {
      const head = `${String(i).padStart(4, "0")}/` + "abcdefghijklmnopqrstuvwxyz01234/".repeat(30);
      return head + "x".repeat(1024 - head.length);
    });
    assert.ok(keys.every((k) => new TextEncoder().encode(k).length === 1024));
    await putObjects(server, "longkeys", keys, () => "", 16);
    const xml = `<Delete><Quiet>true</Quiet>${
      keys.map((k) => `<Object><Key>${k}</Key></Object>`).join("")
    }</Delete>`;
    const r = await rawRequest(server, {
      method: "POST",
      path: "/longkeys?delete",
      body: xml,
      headers: { "content-md5": md5Base64(xml) },
    });
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.doesNotMatch(r.text, /<Error>/);
    assert.deepEqual(await listAllKeys(server, "longkeys"), []);
    const top = await rawRequest(server, { method: "GET", path: "/longkeys?delimiter=/" });
    assert.doesNotMatch(top.text, /<CommonPrefixes>/, "no folder is left behind");
  } finally {
    await server.stop();
  }
});
