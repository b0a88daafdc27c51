import assert from "node:assert/strict";
import { RecordCache } from "../../src/storage/record_cache.ts";
import type { ObjectRecord } from "../../src/storage/records.ts";

const rec = (etag: string) => ({ etag } as unknown as ObjectRecord);

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
