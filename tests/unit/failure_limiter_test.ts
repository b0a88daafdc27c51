import assert from "node:assert/strict";
import { FailureLimiter } from "../../src/auth/failure_limiter.ts";

Deno.test("FailureLimiter blocks a source after maxFailures and frees it when the window ends", () => {
  let now = 1_000;
  const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.isBlocked("10.0.0.1"), false);
    limiter.recordFailure("10.0.0.1");
  }
  assert.equal(limiter.isBlocked("10.0.0.1"), true);
  assert.equal(limiter.isBlocked("10.0.0.2"), false, "other sources are not affected");
  assert.equal(limiter.retryAfterSeconds("10.0.0.1"), 60);
  now += 59_000;
  assert.equal(limiter.isBlocked("10.0.0.1"), true);
  assert.equal(limiter.retryAfterSeconds("10.0.0.1"), 1);
  now += 1_000;
  assert.equal(limiter.isBlocked("10.0.0.1"), false);
});

Deno.test("FailureLimiter keeps at most maxSources addresses in memory", () => {
  const now = 0;
  const limiter = new FailureLimiter({
    maxFailures: 1,
    windowMs: 60_000,
    maxSources: 100,
    now: () => now,
  });
  for (let i = 0; i < 1_000; i++) limiter.recordFailure(`source-${i}`);
  assert.equal(limiter.isBlocked("source-999"), true);
  assert.equal(limiter.isBlocked("source-0"), false, "the oldest sources were forgotten");
});

Deno.test("FailureLimiter.watching is true only while some source has failures in its window", () => {
  let now = 0;
  const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
  assert.equal(limiter.watching, false);
  limiter.recordFailure("10.0.0.1");
  assert.equal(limiter.watching, true);
  now += 59_999;
  assert.equal(limiter.watching, true, "the window is still open");
  now += 1;
  assert.equal(limiter.watching, false, "the ended window was dropped");
  limiter.recordFailure("10.0.0.2");
  now += 30_000;
  limiter.recordFailure("10.0.0.3");
  now += 30_000;
  // 10.0.0.2's window ended, 10.0.0.3's has not: still watching.
  assert.equal(limiter.watching, true);
  assert.equal(limiter.isBlocked("10.0.0.2"), false);
});
