import assert from "node:assert/strict";
import { newPresignId, type PresignRecord, PresignStore } from "../../src/storage/presigns.ts";

function record(over: Partial<PresignRecord> = {}): PresignRecord {
  const now = Date.now();
  return {
    id: newPresignId(now),
    bucket: "b",
    key: "k",
    method: "GET",
    accessKey: "AK",
    url: "http://x/b/k",
    createdAt: now,
    expiresAt: now + 60_000,
    revokedAt: null,
    ...over,
  };
}

Deno.test("PresignStore.refusal() admits only the exact bucket, key, method and signer", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new PresignStore(kv);
    const r = record();
    await store.create(r);
    const use = { bucket: "b", key: "k", method: "GET", accessKey: "AK" };
    assert.equal(await store.refusal(r.id, use), null);
    assert.match((await store.refusal(r.id, { ...use, bucket: "c" }))!, /different bucket or key/);
    assert.match((await store.refusal(r.id, { ...use, key: "k2" }))!, /different bucket or key/);
    assert.match((await store.refusal(r.id, { ...use, method: "PUT" }))!, /issued for GET/);
    assert.match((await store.refusal(r.id, { ...use, accessKey: "X" }))!, /different access key/);
    assert.match((await store.refusal("nope", use))!, /not known/);
    assert.match((await store.refusal(newPresignId(), use))!, /not known/);
    assert.match((await store.refusal(r.id, use, r.expiresAt))!, /expired/);
  } finally {
    kv.close();
  }
});

Deno.test("PresignStore revokes once and lists only active records, oldest first", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new PresignStore(kv);
    const now = Date.now();
    const a = record({ id: newPresignId(now - 3) });
    const b = record({ id: newPresignId(now - 2) });
    const c = record({ id: newPresignId(now - 1), expiresAt: now - 1 });
    for (const r of [c, b, a]) await store.create(r);
    assert.deepEqual((await store.listActive(null, 10)).records.map((r) => r.id), [a.id, b.id]);
    assert.equal(await store.countActive(), 2);
    const page = await store.listActive(null, 1);
    assert.deepEqual([page.records.map((r) => r.id), page.more], [[a.id], true]);
    const next = await store.listActive(a.id, 1);
    assert.deepEqual([next.records.map((r) => r.id), next.more], [[b.id], false]);

    assert.equal((await store.revoke(a.id))?.revokedAt, null, "returns the record as it was");
    assert.notEqual((await store.revoke(a.id))?.revokedAt, null, "already revoked");
    assert.equal(await store.revoke("unknown"), null);
    assert.match(
      (await store.refusal(a.id, { bucket: "b", key: "k", method: "GET", accessKey: "AK" }))!,
      /revoked/,
    );
    assert.deepEqual((await store.listActive(null, 10)).records.map((r) => r.id), [b.id]);
  } finally {
    kv.close();
  }
});
