/**
 * A full disk: the data directory lives on a 64 MiB tmpfs that the test fills. Uploads that
 * do not fit must answer 507 InsufficientStorage, keep nothing (no object, no part, no temp
 * file), leave earlier objects readable, and work again once space is freed. The case where
 * even Deno KV (SQLite) cannot write is exercised too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertConsistent, inspectDataDir } from "../helpers/consistency.ts";
import { generatedBytes, MiB } from "../helpers/data.ts";
import {
  countBlobFiles,
  createBucket,
  createUpload,
  sendListParts,
  sendPart,
} from "../helpers/multipart.ts";
import {
  assertNoObject,
  assertObject,
  assertS3Error,
  awsPath,
  listAllKeys,
} from "../helpers/s3.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rawRequest, type RawResponse } from "../helpers/sign.ts";
import { fillDisk, mountTmpfs } from "../helpers/tmpfs.ts";

const PRECIOUS: Record<string, Uint8Array> = {
  "keep/one": generatedBytes(MiB, 1),
  "keep/two": generatedBytes(3 * MiB + 17, 2),
  "keep/empty": new Uint8Array(),
};

Deno.test("a full disk answers 507, keeps nothing partial, and recovers when space is freed", async (t) => {
  const fs = await mountTmpfs(64 * MiB);
  const dataDir = join(fs.path, "data");
  const filler = join(fs.path, "filler");
  let server: TestServer | null = null;
  const put = (key: string, body: Uint8Array) =>
    rawRequest(server!, {
      method: "PUT",
      path: `/full/${awsPath(key)}`,
      body,
      contentSha256: "UNSIGNED-PAYLOAD",
    });
  const assertNothingPartial = async (extraKeys: string[] = []) => {
    assert.deepEqual((await countBlobFiles(dataDir)).tmp, 0, "tmp/ is empty");
    for (const [key, body] of Object.entries(PRECIOUS)) {
      await assertObject(server!, "full", key, body);
    }
    assert.deepEqual(
      (await listAllKeys(server!, "full")).sort(),
      [...Object.keys(PRECIOUS), ...extraKeys].sort(),
    );
  };
  try {
    server = await startTestServer({ dataDir, args: ["--min-part-size", "1MiB"] });
    await createBucket(server, "full");
    for (const [key, body] of Object.entries(PRECIOUS)) {
      assert.equal((await put(key, body)).status, 200);
    }

    await t.step("a PUT larger than the free space answers 507 InsufficientStorage", async () => {
      await fillDisk(filler, 6 * MiB);
      assert507(await put("too-big", generatedBytes(16 * MiB, 3)));
      await assertNoObject(server!, "full", "too-big");
      await assertNothingPartial();
    });

    await t.step("an overwrite that does not fit keeps the previous version", async () => {
      assert507(await put("keep/one", generatedBytes(16 * MiB, 4)));
      await assertNothingPartial();
    });

    await t.step("a multipart part that does not fit answers 507 and leaves no part", async () => {
      const uploadId = await createUpload(server!, "full", "parts");
      const r = await sendPart(server!, "full", "parts", uploadId, 1, generatedBytes(16 * MiB, 5));
      assert507(r);
      const parts = await sendListParts(server!, "full", "parts", uploadId);
      assert.equal(parts.status, 200, parts.text);
      assert.doesNotMatch(parts.text, /<Part>/, "no part was recorded");
      // A part that fits is still accepted.
      const small = await sendPart(server!, "full", "parts", uploadId, 1, generatedBytes(MiB, 6));
      assert.equal(small.status, 200, small.text);
      const abort = await rawRequest(server!, {
        method: "DELETE",
        path: `/full/parts?uploadId=${encodeURIComponent(uploadId)}`,
      });
      assert.equal(abort.status, 204);
      await assertNothingPartial();
    });

    await t.step("reads and listings keep working on the full disk", async () => {
      await assertNothingPartial();
      const head = await rawRequest(server!, { method: "HEAD", path: "/full/keep/two" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(PRECIOUS["keep/two"].length));
    });

    await t.step("after space is freed, the same PUT succeeds", async () => {
      await Deno.remove(filler);
      const body = generatedBytes(16 * MiB, 3);
      assert.equal((await put("too-big", body)).status, 200);
      await assertObject(server!, "full", "too-big", body);
      const del = await rawRequest(server!, { method: "DELETE", path: "/full/too-big" });
      assert.equal(del.status, 204);
      await assertNothingPartial();
    });

    await t.step("when not even the metadata database can write, writes answer 507", async () => {
      await fillDisk(filler, 0);
      const answers: string[] = [];
      const note = (what: string, r: RawResponse) =>
        answers.push(`${what}: ${r.status} ${/<Code>([^<]*)/.exec(r.text)?.[1] ?? ""}`);
      // Empty objects need no blob file: only the KV commit can fail.
      for (let i = 0; i < 20; i++) {
        const r = await put(`empty-${i}`, new Uint8Array());
        note(`PUT empty-${i} (0 bytes)`, r);
        if (r.status !== 200) break;
      }
      note("CreateBucket", await rawRequest(server!, { method: "PUT", path: "/another" }));
      note(
        "DELETE keep/empty",
        await rawRequest(server!, { method: "DELETE", path: "/full/keep/empty" }),
      );
      console.log(`with the disk 100% full:\n  ${answers.join("\n  ")}`);
      // Reads still work.
      for (const [key, body] of Object.entries(PRECIOUS)) {
        if (key !== "keep/empty") await assertObject(server!, "full", key, body);
      }
      await Deno.remove(filler);
      // And writes work again once space is back.
      assert.equal((await put("after", generatedBytes(MiB, 7))).status, 200);
      // SQLite reports SQLITE_FULL ("database or disk is full"); like a blob write's ENOSPC
      // it must reach the client as 507, never as a 500 InternalError. (A commit that still
      // fits in the WAL's free pages may succeed.)
      for (const a of answers) {
        assert.match(a, /: (20\d |507 InsufficientStorage$)/, `a full disk is 507, not: ${a}`);
      }
    });

    await t.step("the data directory is consistent after a clean stop", async () => {
      await server!.stop({ keepData: true });
      server = null;
      assertConsistent(await inspectDataDir(dataDir, { clean: true }));
    });
  } finally {
    await server?.stop({ keepData: true });
    await fs.unmount();
  }
});

function assert507(r: RawResponse): void {
  assertS3Error(r, 507, "InsufficientStorage");
}
