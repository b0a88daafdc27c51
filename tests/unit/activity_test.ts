import assert from "node:assert/strict";
import { type ActivityEntry, RecentActivity } from "../../src/activity.ts";

const entry = (n: number): ActivityEntry => ({
  at: n,
  operation: "GetObject",
  method: "GET",
  bucket: "b",
  key: `k${n}`,
  status: 200,
  bytesIn: 0,
  bytesOut: n,
  ms: 1,
  accessKey: "AK",
  requestId: `R${n}`,
});

Deno.test("RecentActivity lists entries newest first, up to the limit", () => {
  const log = new RecentActivity(5);
  assert.deepEqual(log.recent(), []);
  for (let n = 1; n <= 3; n++) log.record(entry(n));
  assert.deepEqual(log.recent().map((e) => e.at), [3, 2, 1]);
  assert.deepEqual(log.recent(2).map((e) => e.at), [3, 2]);
  assert.deepEqual(log.recent(0), []);
});

Deno.test("RecentActivity keeps only the last `capacity` entries once it wraps around", () => {
  const log = new RecentActivity(5);
  for (let n = 1; n <= 12; n++) log.record(entry(n));
  assert.deepEqual(log.recent().map((e) => e.at), [12, 11, 10, 9, 8]);
  assert.deepEqual(log.recent(100).map((e) => e.at), [12, 11, 10, 9, 8]);
  assert.deepEqual(log.recent(3).map((e) => e.key), ["k12", "k11", "k10"]);
});
