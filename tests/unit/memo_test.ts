import assert from "node:assert/strict";
import { memoized } from "../../src/memo.ts";

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
