import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { startWithSecondCredential } from "../helpers/credentials.ts";
import {
  buildChunkedUpload,
  type RawRequest,
  rawRequest,
  sendSigned,
  signRequest,
  socketRequest,
} from "../helpers/sign.ts";
import { checksumOf, md5Base64 } from "../helpers/checksums.ts";
import { assertNoObject, assertObject, assertS3Error, listAllKeys, utf8 } from "../helpers/s3.ts";
import { INLINE_MAX_BYTES } from "../../src/storage/limits.ts";

const PRECIOUS = "the original bytes, which no bad request may change";
const STORED: Record<string, string> = {
  "precious": PRECIOUS,
  "dir/also-precious": "second original",
};

Deno.test("bad input leaves stored data intact", async (t) => {
  const { server, other } = await startWithSecondCredential();
  const put = (path: string, extra: Partial<RawRequest> = {}) =>
    rawRequest(server, { method: "PUT", path, body: "REPLACED", ...extra });
  /** Every stored object still there with its bytes, and nothing else in the bucket. */
  const assertIntact = async (extraKeys: string[] = []) => {
    for (const [key, body] of Object.entries(STORED)) {
      await assertObject(server, "vault", key, body);
    }
    assert.deepEqual(
      new Set(await listAllKeys(server, "vault")),
      new Set([...Object.keys(STORED), ...extraKeys]),
    );
  };
  /**
   * Puts the stored objects back and removes anything else, so that a step which fails
   * (and damages the bucket) does not make the following steps fail too.
   */
  const restore = async () => {
    for (const [key, body] of Object.entries(STORED)) {
      assert.equal((await put(`/vault/${key}`, { body })).status, 200);
    }
    const extra = (await listAllKeys(server, "vault")).filter((k) => !(k in STORED));
    if (extra.length === 0) return;
    const r = await rawRequest(server, {
      method: "POST",
      path: "/vault?delete",
      body: `<Delete>${extra.map((k) => `<Object><Key>${k}</Key></Object>`).join("")}</Delete>`,
    });
    assert.equal(r.status, 200, r.text);
  };
  /** A step that starts from the stored state. */
  const step = (name: string, fn: () => Promise<void>) =>
    t.step(name, async () => {
      await restore();
      await fn();
    });
  try {
    await rawRequest(server, { method: "PUT", path: "/vault" });

    await step(
      "invalid bucket names answer 400 InvalidBucketName and touch nothing",
      async () => {
        for (const bucket of ["Vault", "va", "vault_", "-vault", "127.0.0.1"]) {
          assertS3Error(await put(`/${bucket}/precious`), 400, "InvalidBucketName");
          assertS3Error(await put(`/${bucket}`), 400, "InvalidBucketName");
        }
        await assertIntact();
      },
    );

    await step("a 1025-byte key answers 400 KeyTooLongError", async () => {
      assertS3Error(await put(`/vault/${"p".repeat(1025)}`), 400, "KeyTooLongError");
      assertS3Error(await put(`/vault/precious${"x".repeat(1017)}`), 400, "KeyTooLongError");
      await assertIntact();
    });

    await step(
      "malformed DeleteObjects XML answers 400 MalformedXML and deletes nothing",
      async () => {
        for (
          const body of [
            "<Delete><Object><Key>precious</Key></Object>",
            "<Delete><Object><Key>precious</Key></Object></Delete><Delete/>",
            "<Delete><Object><Key>precious</Key><Object></Delete>",
          ]
        ) {
          const r = await rawRequest(server, { method: "POST", path: "/vault?delete", body });
          assertS3Error(r, 400, "MalformedXML");
        }
        await assertIntact();
      },
    );

    await step("oversized XML bodies are refused with 400 MaxMessageLengthExceeded", async () => {
      const filler = `<Object><Key>${"f".repeat(1000)}</Key></Object>`;
      const big = "<Delete><Object><Key>precious</Key></Object>" +
        filler.repeat(Math.ceil((8 * 1024 * 1024) / filler.length)) + "</Delete>";
      const r = await rawRequest(server, {
        method: "POST",
        path: "/vault?delete",
        body: big,
        contentSha256: "UNSIGNED-PAYLOAD",
      });
      assertS3Error(r, 400, "MaxMessageLengthExceeded");
      const config = "<CreateBucketConfiguration>" + " ".repeat(100_000) +
        "</CreateBucketConfiguration>";
      const create = await rawRequest(server, {
        method: "PUT",
        path: "/huge-config",
        body: config,
      });
      assertS3Error(create, 400, "MaxMessageLengthExceeded");
      assert.equal(
        (await rawRequest(server, { method: "HEAD", path: "/huge-config" })).status,
        404,
      );
      await assertIntact();
    });

    await step(
      "a wrong Content-MD5 or checksum answers 400 BadDigest and the object keeps its bytes",
      async () => {
        const md5 = await put("/vault/precious", { headers: { "content-md5": md5Base64("x") } });
        assertS3Error(md5, 400, "BadDigest");
        const crc = await put("/vault/precious", {
          headers: { "x-amz-checksum-crc32": checksumOf("CRC32", utf8("x")) },
        });
        assertS3Error(crc, 400, "BadDigest");
        const sha = await put("/vault/precious", { contentSha256: "0".repeat(64) });
        assertS3Error(sha, 400, "XAmzContentSHA256Mismatch");
        await assertIntact();
      },
    );

    await step(
      "a body shorter than its Content-Length answers 400 IncompleteBody and stores nothing",
      async () => {
        for (const key of ["precious", "truncated-new"]) {
          const signed = await signRequest(server, {
            method: "PUT",
            path: `/vault/${key}`,
            body: new Uint8Array(100_000).fill(65),
            contentSha256: "UNSIGNED-PAYLOAD",
          });
          const r = await socketRequest(server, signed, {
            truncate: { sendBytes: 40_000, then: "half-close" },
          });
          assertS3Error(r, 400, "IncompleteBody");
        }
        await assertNoObject(server, "vault", "truncated-new");
        await assertIntact();
      },
    );

    await step("a connection dropped in the middle of a body stores nothing", async () => {
      for (const key of ["precious", "dropped-new"]) {
        const signed = await signRequest(server, {
          method: "PUT",
          path: `/vault/${key}`,
          body: new Uint8Array(100_000).fill(66),
          contentSha256: "UNSIGNED-PAYLOAD",
        });
        await socketRequest(server, signed, { truncate: { sendBytes: 40_000, then: "close" } });
      }
      // The server learns of the drop asynchronously; give it a moment before looking.
      await new Promise((r) => setTimeout(r, 300));
      await assertNoObject(server, "vault", "dropped-new");
      await assertIntact();
    });

    await step(
      "an aws-chunked body that ends before its final chunk stores nothing",
      async () => {
        const req = await buildChunkedUpload(server, {
          method: "PUT",
          path: "/vault/precious",
          mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
          data: new Uint8Array(30_000).fill(67),
          chunkSize: 8192,
        });
        const r = await socketRequest(server, req, {
          truncate: { sendBytes: req.body.length - 100, then: "half-close" },
        });
        assertS3Error(r, 400, "IncompleteBody");
        await assertIntact();
      },
    );

    await step(
      "a bad chunk signature answers 403 SignatureDoesNotMatch and stores nothing",
      async () => {
        for (const key of ["precious", "bad-chunk-new"]) {
          const req = await buildChunkedUpload(server, {
            method: "PUT",
            path: `/vault/${key}`,
            mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            data: new Uint8Array(30_000).fill(68),
            chunkSize: 8192,
            tamperChunk: 2,
          });
          assertS3Error(await sendSigned(req), 403, "SignatureDoesNotMatch");
        }
        await assertNoObject(server, "vault", "bad-chunk-new");
        await assertIntact();
      },
    );

    await step(
      "an expired presigned DELETE answers 403 AccessDenied and deletes nothing",
      async () => {
        const url = await getSignedUrl(
          server.client(),
          new DeleteObjectCommand({ Bucket: "vault", Key: "precious" }),
          { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) },
        );
        const res = await fetch(url, { method: "DELETE" });
        assert.equal(res.status, 403);
        assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
        await assertIntact();
      },
    );

    await step(
      "a skewed date answers 403 RequestTimeTooSkewed for writes and deletes",
      async () => {
        const date = new Date(Date.now() - 20 * 60_000);
        assertS3Error(await put("/vault/precious", { date }), 403, "RequestTimeTooSkewed");
        assertS3Error(
          await rawRequest(server, { method: "DELETE", path: "/vault/precious", date }),
          403,
          "RequestTimeTooSkewed",
        );
        await assertIntact();
      },
    );

    await step("another credential's writes and deletes answer 403 AccessDenied", async () => {
      const as = { credentials: other };
      assertS3Error(await put("/vault/precious", as), 403, "AccessDenied");
      assertS3Error(await put("/vault/planted", as), 403, "AccessDenied");
      assertS3Error(
        await rawRequest(server, { method: "DELETE", path: "/vault/precious", ...as }),
        403,
        "AccessDenied",
      );
      assertS3Error(
        await rawRequest(server, {
          method: "POST",
          path: "/vault?delete",
          body: "<Delete><Object><Key>precious</Key></Object></Delete>",
          ...as,
        }),
        403,
        "AccessDenied",
      );
      assertS3Error(
        await rawRequest(server, { method: "DELETE", path: "/vault", ...as }),
        403,
        "AccessDenied",
      );
      await assertIntact();
    });

    /** Keys that look like paths, as sent on the wire → the key S3 must store. */
    const traversal: [string, string][] = [
      ["/vault/../../etc/passwd", "../../etc/passwd"],
      ["/vault/a/../b", "a/../b"],
      ["/vault/%2e%2e/escape", "../escape"],
      ["/vault/%252e%252e/", "%2e%2e/"],
      ["/vault/..%2F..%2F..%2Fblobs-escape", "../../../blobs-escape"],
      ["/vault/./dot/./segments", "./dot/./segments"],
      ["/vault/..", ".."],
    ];
    // Over the inline limit, so each payload is a file of its own under blobs/.
    const PAYLOAD_BYTES = INLINE_MAX_BYTES + 100;
    const marker = (key: string) =>
      `traversal payload for ${key} ${crypto.randomUUID()} `.padEnd(PAYLOAD_BYTES, ".");
    const payloads = new Map(traversal.map(([, key]) => [key, marker(key)]));

    await step("keys like ../../etc/passwd, a/../b and %2e%2e/ are stored as keys", async () => {
      for (const [path, key] of traversal) {
        const r = await rawRequest(server, {
          method: "PUT",
          path,
          body: payloads.get(key)!,
          socket: true,
        });
        assert.equal(r.status, 200, `${path}: ${r.text}`);
      }
      for (const [path, key] of traversal) {
        const r = await rawRequest(server, { method: "GET", path, socket: true });
        assert.equal(r.status, 200, path);
        assert.equal(r.text, payloads.get(key), path);
      }
      // a/../b is not b.
      await assertNoObject(server, "vault", "b");
      await assertIntact(traversal.map(([, key]) => key));
    });

    await t.step("no traversal key's bytes appear outside <dataDir>/blobs", async () => {
      const blobs = join(server.dataDir, "blobs");
      const wanted = new Set(payloads.values());
      const found: string[] = [];
      const walk = async (dir: string) => {
        for await (const e of Deno.readDir(dir)) {
          const p = join(dir, e.name);
          if (e.isDirectory) await walk(p);
          else if (e.isFile && (await Deno.stat(p)).size === PAYLOAD_BYTES) {
            if (wanted.has(await Deno.readTextFile(p).catch(() => ""))) found.push(p);
          }
        }
      };
      await walk(server.dataDir);
      assert.equal(found.length, traversal.length, "each payload is stored exactly once");
      for (const p of found) {
        const rel = relative(blobs, p);
        assert.ok(!rel.startsWith("..") && /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{32}$/.test(rel), p);
      }
      // And nowhere a naive join of data dir and key would have put it.
      for (const [, key] of traversal) {
        for (
          const base of [
            server.dataDir,
            blobs,
            join(blobs, "00", "00"),
            join(server.dataDir, "vault"),
          ]
        ) {
          const p = resolve(base, key);
          if (p.startsWith(blobs + "/")) continue;
          const text = await Deno.readTextFile(p).catch(() => null);
          assert.notEqual(text, payloads.get(key), `${key} landed at ${p}`);
        }
      }
    });

    await t.step("traversal keys list and delete like any other key", async () => {
      const r = await rawRequest(server, {
        method: "POST",
        path: "/vault?delete",
        body: "<Delete>" +
          traversal.map(([, key]) => `<Object><Key>${key}</Key></Object>`).join("") +
          "</Delete>",
      });
      assert.equal(r.status, 200, r.text);
      for (const [path] of traversal) {
        const get = await rawRequest(server, { method: "GET", path, socket: true });
        assertS3Error(get, 404, "NoSuchKey");
      }
      await assertIntact();
    });
  } finally {
    await server.stop();
  }
});
