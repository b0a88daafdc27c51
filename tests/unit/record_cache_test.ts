import assert from "node:assert/strict";
import { RecordCache } from "../../src/storage/record_cache.ts";
import type { ObjectRecord } from "../../src/storage/records.ts";

const rec = (etag: string, inlineBytes = 0) =>
  ({
    etag,
    layout: inlineBytes > 0
      ? { kind: "inline", bytes: new Uint8Array(inlineBytes) }
      : { kind: "single", blobId: null },
  }) as unknown as ObjectRecord;

Deno.test("RecordCache keeps the newest state: a late read cannot undo a commit or a delete", () => {
  const cache = new RecordCache();
  cache.offer("b", "k", "00000000000000020000", rec("new"));
  cache.offer("b", "k", "00000000000000010000", rec("old")); // a read that raced the commit
  assert.equal(cache.get("b", "k")?.etag, "new");
  cache.offer("b", "k", "00000000000000030000", null); // deleted
  cache.offer("b", "k", "00000000000000020000", rec("new")); // a read from before the delete
  assert.equal(cache.get("b", "k"), null);
  assert.equal(cache.get("b", "other"), undefined);
});

Deno.test("RecordCache forgets its oldest entries beyond its limit", () => {
  const cache = new RecordCache(3);
  for (let i = 0; i < 5; i++) cache.offer("b", `k${i}`, "00000000000000010000", rec(`e${i}`));
  assert.equal(cache.get("b", "k0"), undefined);
  assert.equal(cache.get("b", "k1"), undefined);
  assert.equal(cache.get("b", "k4")?.etag, "e4");
});

Deno.test("RecordCache holds at most its byte limit of inline objects, dropping the oldest", () => {
  const cache = new RecordCache(100, 10_000);
  for (let i = 0; i < 4; i++) cache.offer("b", `k${i}`, "00000000000000010000", rec(`e${i}`, 3000));
  // 4 x 3000 > 10,000: the first went.
  assert.equal(cache.get("b", "k0"), undefined);
  assert.deepEqual([1, 2, 3].map((i) => cache.get("b", `k${i}`)?.etag), ["e1", "e2", "e3"]);
  // Replacing an inline record by a file-backed one gives its bytes back: two more fit.
  cache.offer("b", "k1", "00000000000000020000", rec("f1"));
  cache.offer("b", "k4", "00000000000000010000", rec("e4", 3000));
  assert.deepEqual(
    [1, 2, 3, 4].map((i) => cache.get("b", `k${i}`)?.etag),
    ["f1", "e2", "e3", "e4"],
  );
  // Records without inline bytes count only against the entry limit.
  for (let i = 0; i < 50; i++) cache.offer("b", `plain${i}`, "00000000000000010000", rec("p"));
  assert.equal(cache.get("b", "k4")?.etag, "e4");
});

Deno.test("RecordCache keeps one key in two buckets apart and drops the oldest across buckets", () => {
  const cache = new RecordCache(2);
  cache.offer("b1", "k", "00000000000000010000", rec("one"));
  cache.offer("b2", "k", "00000000000000010000", rec("two"));
  assert.equal(cache.get("b1", "k")?.etag, "one");
  assert.equal(cache.get("b2", "k")?.etag, "two");
  cache.offer("b1", "k2", "00000000000000010000", rec("three"));
  assert.equal(cache.get("b1", "k"), undefined, "the oldest entry, in another bucket's map");
  assert.equal(cache.get("b2", "k")?.etag, "two");
  // Rewriting an entry makes it the newest: b2/k goes next, not b1/k2.
  cache.offer("b1", "k2", "00000000000000020000", rec("four"));
  cache.offer("b3", "k", "00000000000000010000", rec("five"));
  assert.equal(cache.get("b2", "k"), undefined);
  assert.deepEqual([cache.get("b1", "k2")?.etag, cache.get("b3", "k")?.etag], ["four", "five"]);
});
