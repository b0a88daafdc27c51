import assert from "node:assert/strict";
import { BoundedMap, memoized } from "../../src/memo.ts";

Deno.test("memoized() computes each input once, null answers included", () => {
  const calls: string[] = [];
  const f = memoized(10, (s: string) => {
    calls.push(s);
    return s === "bad" ? null : s.length;
  });
  assert.equal(f("abc"), 3);
  assert.equal(f("abc"), 3);
  assert.equal(f("bad"), null);
  assert.equal(f("bad"), null);
  assert.deepEqual(calls, ["abc", "bad"]);
});

Deno.test("memoized() keeps at most `limit` inputs, dropping the oldest", () => {
  const calls: number[] = [];
  const f = memoized(2, (n: number) => {
    calls.push(n);
    return n * 2;
  });
  f(1);
  f(2);
  f(3); // drops 1
  f(2);
  f(1); // computed again
  assert.deepEqual(calls, [1, 2, 3, 1]);
});

Deno.test("BoundedMap drops the oldest key when a new one would exceed its limit", () => {
  const m = new BoundedMap<string, number>(3);
  m.set("a", 1).set("b", 2).set("c", 3);
  // Updating an existing key keeps its place and drops nothing.
  m.set("a", 10);
  assert.deepEqual([...m], [["a", 10], ["b", 2], ["c", 3]]);
  m.set("d", 4);
  assert.deepEqual([...m.keys()], ["b", "c", "d"]);
  // Deleting and setting again moves a key to the newest end.
  m.delete("b");
  m.set("b", 5);
  m.set("e", 6);
  assert.deepEqual([...m.keys()], ["d", "b", "e"]);
  assert.equal(m.size, 3);
  assert.throws(() => new BoundedMap(0), RangeError);
});
