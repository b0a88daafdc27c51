import assert from "node:assert/strict";
import { INLINE_MAX_BYTES } from "../../src/storage/limits.ts";
import { inlineLimitFor } from "../../src/storage/records.ts";

// No request reaches this bound today (S3 caps request headers at 8 KiB, the management API
// Content-Type at 256 characters), so it is pinned here: a record with its bytes must stay
// under Deno KV's 64 KiB value limit whatever an entry point lets through.
Deno.test("headers and metadata over 8 Ki characters leave no room for inline bytes", () => {
  const headers = (n: number) => ({ "content-disposition": "d".repeat(n) });
  assert.equal(inlineLimitFor({ headers: headers(8 * 1024), userMeta: {} }), INLINE_MAX_BYTES);
  assert.equal(inlineLimitFor({ headers: headers(8 * 1024 + 1), userMeta: {} }), 0);
  assert.equal(
    inlineLimitFor({ headers: headers(6 * 1024), userMeta: { k: "v".repeat(2 * 1024) } }),
    0,
    "metadata names and values count",
  );
});
