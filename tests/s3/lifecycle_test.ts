import assert from "node:assert/strict";
import {
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { join } from "node:path";
import type { ObjectRecord } from "../../src/storage/records.ts";
import { adminFetch } from "../helpers/admin.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { checksumOf } from "../helpers/checksums.ts";
import { assertObject, awsPath, listAllKeys, utf8 } from "../helpers/s3.ts";

const OBJECTS: Record<string, string> = {
  "a.txt": "alpha",
  "dir/nested/b.bin": "bravo ".repeat(1000),
  "😀/emoji": "charlie",
  "empty": "",
};
const KEY_ENV = ["VSTASH_ACCESS_KEY", "VSTASH_SECRET_KEY", "VSTASH_ADMIN_KEY"];

/** Starts a server on an existing data directory with the given server's keys. */
function restartOn(server: TestServer, opts: { unsetEnv?: string[] } = {}) {
  return startTestServer({
    dataDir: server.dataDir,
    ...(opts.unsetEnv ? { unsetEnv: opts.unsetEnv } : {
      env: {
        VSTASH_ACCESS_KEY: server.accessKey,
        VSTASH_SECRET_KEY: server.secretKey,
        VSTASH_ADMIN_KEY: server.adminKey,
      },
    }),
  });
}

Deno.test("graceful shutdown: SIGTERM exits 0 and a restart serves the same data", async (t) => {
  const first = await startTestServer();
  let current = first;
  try {
    await rawRequest(first, { method: "PUT", path: "/keep" });
    await rawRequest(first, { method: "PUT", path: "/also-kept" });
    for (const [key, body] of Object.entries(OBJECTS)) {
      const r = await rawRequest(first, {
        method: "PUT",
        path: `/keep/${awsPath(key)}`,
        body,
        headers: {
          "content-type": "text/x-kept",
          "x-amz-meta-key": encodeURIComponent(key),
          "x-amz-checksum-sha256": checksumOf("SHA256", utf8(body)),
        },
      });
      assert.equal(r.status, 200, r.text);
    }

    await t.step("SIGTERM makes the server exit with code 0", async () => {
      assert.equal(await first.stop({ keepData: true }), 0);
    });

    await t.step(
      "a restart on the same data directory serves the same buckets and objects",
      async () => {
        current = await restartOn(first);
        const list = await current.client().send(new ListBucketsCommand({}));
        assert.deepEqual(list.Buckets?.map((b) => b.Name), ["also-kept", "keep"]);
        assert.deepEqual(
          new Set(await listAllKeys(current, "keep")),
          new Set(Object.keys(OBJECTS)),
        );
        for (const [key, body] of Object.entries(OBJECTS)) {
          await assertObject(current, "keep", key, body);
          const head = await current.client().send(
            new HeadObjectCommand({ Bucket: "keep", Key: key, ChecksumMode: "ENABLED" }),
          );
          assert.equal(head.ContentType, "text/x-kept");
          assert.equal(head.Metadata?.key, encodeURIComponent(key));
          assert.equal(head.ChecksumSHA256, checksumOf("SHA256", utf8(body)));
        }
      },
    );

    await t.step("a second start prints no secrets", () => {
      const out = current.output();
      assert.match(out, /S3 API listening on http:\/\/127\.0\.0\.1:\d+/);
      assert.ok(!out.includes(first.secretKey), "the secret key was printed again");
      assert.ok(!out.includes(first.adminKey), "the admin key was printed");
      assert.doesNotMatch(out, /Secret key|First start/i);
    });

    await t.step("writes after a restart survive the next SIGINT and restart too", async () => {
      const r = await rawRequest(current, { method: "PUT", path: "/keep/late", body: "late" });
      assert.equal(r.status, 200);
      await rawRequest(current, { method: "DELETE", path: "/keep/a.txt" });
      assert.equal(await current.stop({ keepData: true, signal: "SIGINT" }), 0);
      current = await restartOn(first);
      await assertObject(current, "keep", "late", "late");
      const gone = await rawRequest(current, { method: "HEAD", path: "/keep/a.txt" });
      assert.equal(gone.status, 404);
    });
  } finally {
    await current.stop();
  }
});

Deno.test("first start without keys in the environment: generated keys are printed once", async (t) => {
  const first = await startTestServer({ unsetEnv: KEY_ENV });
  let current = first;
  try {
    const out = first.output();
    const accessKey = /Access key:\s+(\S+)/.exec(out)?.[1];
    const secretKey = /Secret key:\s+(\S+)/.exec(out)?.[1];
    const adminKey = /Admin API key[^:]*:\s+(\S+)/.exec(out)?.[1];

    await t.step("the first start prints a generated access key, secret key and admin key", () => {
      assert.ok(accessKey && secretKey && adminKey, out);
      assert.match(accessKey, /^[A-Z0-9]{20}$/);
      assert.ok(secretKey.length >= 40, "a secret of at least 40 characters");
      assert.notEqual(adminKey, secretKey);
      // Printed once each.
      assert.equal(out.split(secretKey).length, 2);
      assert.equal(out.split(adminKey).length, 2);
    });

    const credentials = { accessKeyId: accessKey!, secretAccessKey: secretKey! };

    await t.step("the printed credential signs requests", async () => {
      const r = await rawRequest(first, { method: "PUT", path: "/generated", credentials });
      assert.equal(r.status, 200, r.text);
      const wrong = await rawRequest(first, { method: "GET", path: "/" });
      assert.equal(wrong.status, 403, "the helper's own keys were never configured");
    });

    await t.step(
      "a second start prints no secrets and keeps the generated credential",
      async () => {
        assert.equal(await first.stop({ keepData: true }), 0);
        current = await restartOn(first, { unsetEnv: KEY_ENV });
        const again = current.output();
        assert.ok(!again.includes(secretKey!), "the secret key was printed again");
        assert.ok(!again.includes(adminKey!), "the admin key was printed again");
        assert.doesNotMatch(again, /Secret key|Admin API key|First start/i);
        const list = await current.client({ credentials }).send(new ListBucketsCommand({}));
        assert.deepEqual(list.Buckets?.map((b) => b.Name), ["generated"]);
      },
    );
  } finally {
    await current.stop();
  }
});

Deno.test("a data directory whose listing entries an earlier release wrote as arrays lists the same", async () => {
  const first = await startTestServer();
  let current = first;
  try {
    await rawRequest(first, { method: "PUT", path: "/old" });
    const puts: [string, Record<string, string>][] = [
      ["plain", {}],
      ["typed", { "content-type": "text/x-old" }],
      ["summed", { "x-amz-checksum-sha256": checksumOf("SHA256", utf8("summed")) }],
    ];
    for (const [key, headers] of puts) {
      const r = await rawRequest(first, { method: "PUT", path: `/old/${key}`, body: key, headers });
      assert.equal(r.status, 200, r.text);
    }
    const listing = async (server: TestServer) => {
      const out: ListObjectsV2CommandOutput = await server.client().send(
        new ListObjectsV2Command({ Bucket: "old" }),
      );
      const objects = await adminFetch(server, "GET", "/api/v1/buckets/old/objects");
      assert.equal(objects.status, 200);
      return { s3: out.Contents, console: objects.body };
    };
    const before = await listing(first);
    assert.equal(before.s3?.length, 3);
    assert.equal(await first.stop({ keepData: true }), 0);

    // Rewrite every listing entry the way releases before 2026-11 stored it.
    const kv = await Deno.openKv(join(first.dataDir, "meta.kv"));
    let rewritten = 0;
    for await (const e of kv.list<ObjectRecord>({ prefix: ["obj", "old"] })) {
      const r = e.value;
      await kv.set(["lst", "old", e.key[2]], [
        r.size,
        r.etag,
        r.lastModified,
        r.createdAt,
        r.headers["content-type"] ?? null,
        r.layout.kind === "parts" ? r.layout.partCount : 0,
        r.checksum?.algorithm ?? null,
        r.checksum?.type ?? null,
      ]);
      rewritten++;
    }
    kv.close();
    assert.equal(rewritten, 3);

    current = await restartOn(first);
    assert.deepEqual(await listing(current), before);
  } finally {
    await current.stop();
  }
});

Deno.test("SIGTERM the moment the server announces itself still shuts it down cleanly", async () => {
  // The signal listener must exist before the "listening" lines are printed: a signal that
  // arrives between the two would kill the process and leave vstash.pid and cli.token.
  const dataDir = await Deno.makeTempDir({ prefix: "vstash-test-" });
  try {
    for (let cycle = 0; cycle < 10; cycle++) {
      const server = await startTestServer({ dataDir });
      assert.equal(await server.stop({ keepData: true }), 0, `cycle ${cycle}: exit code`);
      for (const f of ["vstash.pid", "cli.token"]) {
        await assert.rejects(
          Deno.stat(join(dataDir, f)),
          Deno.errors.NotFound,
          `cycle ${cycle}: ${f}`,
        );
      }
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
