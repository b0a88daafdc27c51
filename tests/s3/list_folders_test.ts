/**
 * Delimiter listings against a model of S3's rules, over a random tree: folders nested deeper
 * than the folder index goes (FOLDER_DEPTH), keys ending in "/", unicode names, and folders
 * emptied by deletes. Every listing is paged through with small pages and must equal what
 * the model computes from the keys alone. A failure prints its seed:
 * `VSTASH_LIST_SEED=<seed>` replays it.
 */
import assert from "node:assert/strict";
import { FOLDER_DEPTH } from "../../src/storage/folders.ts";
import { vstash } from "../helpers/cli.ts";
import { assertConsistent, inspectDataDir } from "../helpers/consistency.ts";
import { restartServer } from "../helpers/credentials.ts";
import { type Prng, prng, seedFromEnv } from "../helpers/prng.ts";
import {
  awsPath,
  compareUtf8Bytes,
  decodeListingKey,
  putObjects,
  xmlValue,
} from "../helpers/s3.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";

const BUCKET = "tree";

/** S3's listing of `keys` (all of it, no paging): keys and common prefixes in order. */
function model(keys: string[], prefix: string, delimiter: string, startAfter: string): string[] {
  const out: string[] = [];
  for (const key of [...keys].sort(compareUtf8Bytes)) {
    if (!key.startsWith(prefix) || compareUtf8Bytes(key, startAfter) <= 0) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut < 0) {
      out.push(key);
      continue;
    }
    const common = key.slice(0, cut + delimiter.length);
    if (compareUtf8Bytes(common, startAfter) > 0 && out.at(-1) !== common) out.push(common);
  }
  return out;
}

const SEGMENTS = ["a", "b", "ab", "a b", "é", "😀", "\uFFFD", "x+y", "z", "0", "-", "."];

/** A random tree: mostly shallow, some paths deeper than the folder index. */
function randomKeys(rng: Prng, count: number): string[] {
  const keys = new Set<string>();
  while (keys.size < count) {
    const depth = rng.weighted<number>([
      [6, rng.int(0, 3)],
      [2, rng.int(4, FOLDER_DEPTH - 2)],
      [2, rng.int(FOLDER_DEPTH - 1, FOLDER_DEPTH + 3)],
    ]);
    const parts = Array.from({ length: depth }, () => rng.pick(SEGMENTS));
    // A key ending in "/" is a folder marker, as consoles create them.
    const leaf = rng.chance(0.1) ? "" : rng.pick(SEGMENTS) + rng.int(0, 3);
    keys.add([...parts, leaf].join("/") || "root");
  }
  return [...keys];
}

/** Every item of a listing, paged `maxKeys` at a time with V2 continuation tokens. */
async function pagedV2(
  server: TestServer,
  q: { prefix: string; delimiter: string; startAfter: string; maxKeys: number },
  bucket = BUCKET,
): Promise<string[]> {
  const items: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const params = new URLSearchParams({
      "list-type": "2",
      "encoding-type": "url",
      prefix: q.prefix,
      delimiter: q.delimiter,
      "max-keys": String(q.maxKeys),
    });
    if (q.startAfter) params.set("start-after", q.startAfter);
    if (token) params.set("continuation-token", token);
    const r = await rawRequest(server, {
      method: "GET",
      path: `/${bucket}?${params.toString().replaceAll("+", "%20")}`,
    });
    assert.equal(r.status, 200, `${r.text}\n${server.output().slice(-3000)}`);
    const got = [
      ...[...r.text.matchAll(/<Contents><Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
      ...[...r.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]),
    ].map(decodeListingKey).sort(compareUtf8Bytes);
    assert.ok(got.length <= q.maxKeys, "a page holds at most max-keys items");
    assert.equal(xmlValue(r.text, "KeyCount"), String(got.length));
    items.push(...got);
    token = xmlValue(r.text, "NextContinuationToken");
    if (xmlValue(r.text, "IsTruncated") === "false") return items;
    assert.ok(token, "a truncated page names its continuation token");
  }
  throw new Error("the listing never ended");
}

/** Prefixes worth listing: the top, real folders at every depth, and partial names. */
function interestingPrefixes(rng: Prng, keys: string[]): string[] {
  const out = new Set<string>(["", "a", "a/", "😀/", "nothing/"]);
  for (let i = 0; i < 30; i++) {
    const key = rng.pick(keys);
    const slashes = [...key.matchAll(/\//g)].map((m) => m.index!);
    if (slashes.length === 0) continue;
    const cut = rng.pick(slashes) + 1;
    out.add(key.slice(0, cut));
    // Into the next name (one whole character): "a/b" lists a/b... names and folders.
    if (cut < key.length) out.add(key.slice(0, cut) + Array.from(key.slice(cut))[0]);
  }
  // Folders right at the index's depth limit, just above and just below it.
  for (const key of keys) {
    const slashes = [...key.matchAll(/\//g)].map((m) => m.index!);
    for (const d of [FOLDER_DEPTH - 1, FOLDER_DEPTH, FOLDER_DEPTH + 1]) {
      if (slashes.length >= d && d > 0) out.add(key.slice(0, slashes[d - 1] + 1));
    }
  }
  return [...out];
}

Deno.test("delimiter listings match S3's rules over a random tree, before and after deletes", async (t) => {
  const seed = seedFromEnv("VSTASH_LIST_SEED");
  const rng = prng(seed);
  let server = await startTestServer();
  const context = `replay with VSTASH_LIST_SEED=${seed}`;
  try {
    await rawRequest(server, { method: "PUT", path: `/${BUCKET}` });
    let keys = randomKeys(rng, 400);
    await putObjects(server, BUCKET, keys, () => "", 16);

    const check = async (label: string) => {
      for (const prefix of interestingPrefixes(rng, keys)) {
        const delimiter = rng.weighted<string>([[8, "/"], [1, ""], [1, "b"]]);
        const startAfter = rng.chance(0.3) ? rng.pick(keys).slice(0, rng.int(0, 12)) : "";
        const maxKeys = rng.pick([1, 2, 3, 7, 1000]);
        const got = await pagedV2(server, { prefix, delimiter, startAfter, maxKeys });
        const want = model(keys, prefix, delimiter, startAfter);
        assert.deepEqual(
          got,
          want,
          `${label}: prefix ${JSON.stringify(prefix)} delimiter ${JSON.stringify(delimiter)} ` +
            `start-after ${JSON.stringify(startAfter)} max-keys ${maxKeys} (${context})`,
        );
      }
    };

    await t.step("after the tree is written", () => check("written"));

    await t.step("after deletes empty whole folders", async () => {
      // Every key under two top-level folders, and a random third of the rest.
      const emptied = new Set(["a/", "😀/"]);
      const doomed = keys.filter((k) =>
        [...emptied].some((f) => k.startsWith(f)) || rng.chance(0.33)
      );
      for (const key of doomed) {
        const r = await rawRequest(server, {
          method: "DELETE",
          path: `/${BUCKET}/${awsPath(key)}`,
        });
        assert.equal(r.status, 204);
      }
      const gone = new Set(doomed);
      keys = keys.filter((k) => !gone.has(k));
      await check("after deletes");
      // Listed again, now that the first listing dropped the emptied folders' entries.
      await check("after deletes, listed again");
    });

    await t.step("after folders are filled again and the server restarts", async () => {
      const more = randomKeys(rng, 100).filter((k) => !keys.includes(k));
      await putObjects(server, BUCKET, more, () => "", 16);
      keys = [...keys, ...more];
      ({ server } = await restartServer(server));
      await check("refilled, restarted");
    });
  } finally {
    await server.stop();
  }
});

Deno.test("a data directory from before the folder index lists its folders after the upgrade", async () => {
  let server = await startTestServer();
  try {
    await rawRequest(server, { method: "PUT", path: `/${BUCKET}` });
    const keys = ["top.txt", "docs/a.md", "docs/b.md", "docs/old/c.md", "photos/", "photos/1.jpg"];
    await putObjects(server, BUCKET, keys, () => "x");
    await server.stop({ keepData: true });
    // Make the directory look as the previous release left it: no index, layout 1, and a
    // stray entry such as an upgrade interrupted by a crash would leave.
    const kv = await Deno.openKv(`${server.dataDir}/meta.kv`);
    for await (const e of kv.list({ prefix: ["dir"] })) await kv.delete(e.key);
    await kv.set(["dir", BUCKET, "", "ghost/"], new Deno.KvU64(3n));
    await kv.set(["schema"], 1);
    kv.close();

    ({ server } = await restartServer(server, { logLevel: "info" }));
    const upgraded = server.output().split("\n").find((l) => l.includes("folder index built"));
    assert.ok(upgraded, "the upgrade is logged");
    assert.equal(JSON.parse(upgraded).objectsIndexed, keys.length);
    for (const prefix of ["", "docs/", "photos/", "ghost/"]) {
      const got = await pagedV2(server, { prefix, delimiter: "/", startAfter: "", maxKeys: 2 });
      assert.deepEqual(got, model(keys, prefix, "/", ""), `prefix ${JSON.stringify(prefix)}`);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("a data directory written by a newer vStash is refused, not misread", async () => {
  const first = await startTestServer();
  await first.stop({ keepData: true });
  const kv = await Deno.openKv(`${first.dataDir}/meta.kv`);
  await kv.set(["schema"], 99);
  kv.close();
  try {
    const r = await vstash(
      "serve",
      "--data-dir",
      first.dataDir,
      "--s3-addr",
      "127.0.0.1:0",
      "--admin-addr",
      "127.0.0.1:0",
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /newer vStash \(layout 99, this one knows 2\)/);
    const after = await Deno.openKv(`${first.dataDir}/meta.kv`);
    assert.equal((await after.get(["schema"])).value, 99, "the directory is left as it was");
    after.close();
  } finally {
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("a start-after beyond the prefix's keys lists nothing, with or without a delimiter", async () => {
  const server = await startTestServer();
  try {
    await rawRequest(server, { method: "PUT", path: `/${BUCKET}` });
    await putObjects(server, BUCKET, ["a/1", "a/2", "b/1"], () => "");
    for (const delimiter of ["", "/", "-"]) {
      for (const prefix of ["a", "a/"]) {
        const got = await pagedV2(server, { prefix, delimiter, startAfter: "b", maxKeys: 5 });
        assert.deepEqual(got, [], `prefix ${prefix} delimiter ${JSON.stringify(delimiter)}`);
      }
    }
  } finally {
    await server.stop();
  }
});

Deno.test("deleting a bucket leaves none of its folder index behind", async () => {
  let server = await startTestServer();
  try {
    await rawRequest(server, { method: "PUT", path: "/gone" });
    const keys = ["a/1", "a/b/2", "a/b/c/3", "d/4"];
    await putObjects(server, "gone", keys, () => "x");
    // Deleted without a listing in between, so every folder entry is still there, at 0.
    for (const key of keys) {
      assert.equal(
        (await rawRequest(server, { method: "DELETE", path: `/gone/${key}` })).status,
        204,
      );
    }
    assert.equal((await rawRequest(server, { method: "DELETE", path: "/gone" })).status, 204);
    await server.stop({ keepData: true });
    assertConsistent(await inspectDataDir(server.dataDir, { clean: true }));
    // A bucket of the same name starts with no folders.
    ({ server } = await restartServer(server));
    await rawRequest(server, { method: "PUT", path: "/gone" });
    assert.deepEqual(
      await pagedV2(server, { prefix: "", delimiter: "/", startAfter: "", maxKeys: 10 }, "gone"),
      [],
    );
  } finally {
    await server.stop();
  }
});
