import assert from "node:assert/strict";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { adminFetch } from "../helpers/admin.ts";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { md5Base64 } from "../helpers/checksums.ts";
import {
  assertNoObject,
  assertObject,
  assertS3Error,
  awsPath,
  escapeXml,
  listAllKeys,
  putObjects,
  xmlValues,
} from "../helpers/s3.ts";

function deleteXml(keys: string[], quiet?: boolean): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    (quiet === undefined ? "" : `<Quiet>${quiet}</Quiet>`) +
    keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("") + "</Delete>";
}

/** The `<Key>`s inside `<Deleted>` and the (Key, Code) pairs inside `<Error>`. */
function deleteResult(xml: string) {
  const deleted = [...xml.matchAll(/<Deleted>([\s\S]*?)<\/Deleted>/g)]
    .map((m) => xmlValues(m[1], "Key")[0]);
  const errors = [...xml.matchAll(/<Error>([\s\S]*?)<\/Error>/g)]
    .map((m) => [xmlValues(m[1], "Key")[0], xmlValues(m[1], "Code")[0]]);
  return { deleted, errors };
}

Deno.test("DeleteObject and DeleteObjects", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    const postDelete = (body: string, headers: Record<string, string> = {}) =>
      rawRequest(server, {
        method: "POST",
        path: "/trash?delete",
        body,
        headers: { "content-md5": md5Base64(body), ...headers },
      });
    await rawRequest(server, { method: "PUT", path: "/trash" });

    await t.step("DeleteObject answers 204 and the object is gone", async () => {
      await putObjects(server, "trash", ["doomed", "dir/naïve file"]);
      for (const key of ["doomed", "dir/naïve file"]) {
        const r = await rawRequest(server, { method: "DELETE", path: `/trash/${awsPath(key)}` });
        assert.equal(r.status, 204);
        assert.equal(r.bytes.length, 0);
        await assertNoObject(server, "trash", key);
      }
    });

    await t.step("DeleteObject answers 204 for a key that does not exist", async () => {
      const r = await rawRequest(server, { method: "DELETE", path: "/trash/never-was" });
      assert.equal(r.status, 204);
    });

    await t.step("DeleteObject in a missing bucket answers 404 NoSuchBucket", async () => {
      const r = await rawRequest(server, { method: "DELETE", path: "/no-such-bucket/k" });
      assertS3Error(r, 404, "NoSuchBucket");
    });

    await t.step(
      "DeleteObjects reports every key deleted, missing ones too, and keeps the rest",
      async () => {
        await putObjects(server, "trash", ["a", "b", "c", "keep"]);
        const r = await postDelete(deleteXml(["a", "b", "c", "missing"]));
        assert.equal(r.status, 200, r.text);
        assert.match(r.text, /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
        const result = deleteResult(r.text);
        assert.deepEqual(result.deleted.sort(), ["a", "b", "c", "missing"]);
        assert.deepEqual(result.errors, []);
        for (const k of ["a", "b", "c"]) await assertNoObject(server, "trash", k);
        await assertObject(server, "trash", "keep", "keep");
      },
    );

    await t.step("DeleteObjects in quiet mode answers without Deleted elements", async () => {
      await putObjects(server, "trash", ["q1", "q2"]);
      const r = await postDelete(deleteXml(["q1", "q2"], true));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(deleteResult(r.text), { deleted: [], errors: [] });
      for (const k of ["q1", "q2"]) await assertNoObject(server, "trash", k);
    });

    await t.step(
      "DeleteObjects reports per-key errors, also in quiet mode, and deletes the valid keys",
      async () => {
        await putObjects(server, "trash", ["valid"]);
        const tooLong = "x".repeat(1025);
        const r = await postDelete(deleteXml(["valid", tooLong, ""], true));
        assert.equal(r.status, 200, r.text);
        const result = deleteResult(r.text);
        assert.deepEqual(result.deleted, []);
        assert.deepEqual(
          result.errors.sort(),
          [["", "InvalidArgument"], [tooLong, "KeyTooLongError"]].sort(),
        );
        await assertNoObject(server, "trash", "valid");
      },
    );

    await t.step(
      "DeleteObjects decodes XML entities in keys and escapes them in the answer",
      async () => {
        const odd = ["a&b", "<tag>", 'quote"d', "cr\rkey", "ünï 😀"];
        await putObjects(server, "trash", odd);
        const r = await postDelete(deleteXml(odd));
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(deleteResult(r.text).deleted.sort(), [...odd].sort());
        for (const k of odd) await assertNoObject(server, "trash", k);
      },
    );

    await t.step("the SDK's DeleteObjects deletes and reports each key", async () => {
      await putObjects(server, "trash", ["sdk/1", "sdk/2"]);
      const out = await s3.send(
        new DeleteObjectsCommand({
          Bucket: "trash",
          Delete: { Objects: [{ Key: "sdk/1" }, { Key: "sdk/2" }] },
        }),
      );
      assert.deepEqual(out.Deleted?.map((d) => d.Key).sort(), ["sdk/1", "sdk/2"]);
      assert.equal(out.Errors, undefined);
      assert.deepEqual(await listAllKeys(server, "trash"), ["keep"]);
    });

    const many = Array.from({ length: 1001 }, (_, i) => `bulk/${String(i).padStart(4, "0")}`);

    await t.step(
      "DeleteObjects with 1001 keys answers 400 MalformedXML and deletes nothing",
      async () => {
        await putObjects(server, "trash", many.slice(0, 50));
        const r = await postDelete(deleteXml(many));
        assertS3Error(r, 400, "MalformedXML");
        assert.equal((await listAllKeys(server, "trash")).length, 51);
      },
    );

    await t.step("DeleteObjects with exactly 1000 keys deletes them all", async () => {
      const r = await postDelete(deleteXml(many.slice(0, 1000)));
      assert.equal(r.status, 200, r.text);
      assert.equal(deleteResult(r.text).deleted.length, 1000);
      assert.deepEqual(await listAllKeys(server, "trash"), ["keep"]);
    });

    await t.step(
      "DeleteObjects with XML S3 cannot read answers 400 MalformedXML and deletes nothing",
      async () => {
        const bodies = [
          "<Delete><Object><Key>keep</Key></Object>", // unclosed
          "<Remove><Object><Key>keep</Key></Object></Remove>", // wrong root
          "<Delete></Delete>", // no objects
          "<Delete><Object><VersionId>1</VersionId></Object></Delete>", // no key
          "<Delete><Quiet>maybe</Quiet><Object><Key>keep</Key></Object></Delete>",
          '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY k "keep">]><Delete><Object><Key>&k;</Key></Object></Delete>',
          "not xml at all",
        ];
        for (const body of bodies) assertS3Error(await postDelete(body), 400, "MalformedXML");
        const empty = await rawRequest(server, { method: "POST", path: "/trash?delete" });
        assertS3Error(empty, 400, "MalformedXML");
        await assertObject(server, "trash", "keep", "keep");
      },
    );
  });
});

Deno.test("concurrent DeleteObject and PutObject calls share commits and keep every count exact", async () => {
  await withServer(async (server) => {
    await rawRequest(server, { method: "PUT", path: "/many" });
    const keys = Array.from({ length: 120 }, (_, i) => `d${i % 4}/k${i}`);
    await putObjects(server, "many", keys, (k) => `body of ${k}`, 32);
    const doomed = keys.filter((_, i) => i % 3 !== 0);
    const kept = keys.filter((_, i) => i % 3 === 0);
    // All deletes at once, with overwrites of the kept keys racing them.
    const results = await Promise.all([
      ...doomed.map((k) => rawRequest(server, { method: "DELETE", path: `/many/${awsPath(k)}` })),
      ...kept.map((k) =>
        rawRequest(server, { method: "PUT", path: `/many/${awsPath(k)}`, body: `new ${k}` })
      ),
    ]);
    assert.deepEqual(
      [...new Set(results.map((r) => r.status))].sort(),
      [200, 204],
      "every delete 204, every put 200",
    );
    assert.deepEqual(await listAllKeys(server, "many"), [...kept].sort());
    for (const k of kept) await assertObject(server, "many", k, `new ${k}`);
    // Deleting again finds nothing and still answers 204.
    const again = await rawRequest(server, { method: "DELETE", path: `/many/${doomed[0]}` });
    assert.equal(again.status, 204);
    const stats = await adminFetch(server, "GET", "/api/v1/buckets/many");
    assert.equal(stats.body.object_count, kept.length);
    assert.equal(stats.body.total_size, kept.reduce((n, k) => n + `new ${k}`.length, 0));
    const top = await rawRequest(server, { method: "GET", path: "/many?delimiter=/" });
    const common = [...top.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(common, ["d0/", "d1/", "d2/", "d3/"]);
  });
});
