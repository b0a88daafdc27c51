import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { hex, randomHex, timeOrderedId } from "../../src/hex.ts";

Deno.test("hex() writes two lower-case digits per byte", () => {
  assert.equal(hex(new Uint8Array([0, 9, 10, 255])), "00090aff");
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(hex(every), Buffer.from(every).toString("hex"));
  assert.equal(hex(new Uint8Array(0)), "");
  assert.match(randomHex(16), /^[0-9a-f]{32}$/);
  assert.notEqual(randomHex(16), randomHex(16));
});

Deno.test("time-ordered ids sort by their time, then differ by their random part", () => {
  const early = timeOrderedId(8, 1_000);
  const later = timeOrderedId(8, 1_001);
  assert.match(early, /^0{9}3e8[0-9a-f]{16}$/);
  assert.ok(early < later);
  // A time past 2^32 ms (1970 + 50 days) still takes 12 digits, so order holds across lengths.
  assert.ok(timeOrderedId(8, 0xffffffff) < timeOrderedId(8, 0x100000000));
  assert.equal(timeOrderedId(12).length, 12 + 24);
  assert.notEqual(timeOrderedId(8, 5), timeOrderedId(8, 5));
});
