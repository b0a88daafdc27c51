import assert from "node:assert/strict";
import { evenBatch } from "../../src/storage/kv_reads.ts";

Deno.test("a page's KV reads are as few as possible, of equal size, and never over 340 rows", () => {
  assert.equal(evenBatch(1001), 334, "a 1000-key page and the entry after it: three reads");
  assert.equal(evenBatch(1), 1);
  assert.equal(evenBatch(340), 340);
  assert.equal(evenBatch(341), 171);
  for (let rows = 1; rows <= 1001; rows++) {
    const batch = evenBatch(rows);
    const reads = Math.ceil(rows / batch);
    assert.ok(batch <= 340, `${rows} rows: ${batch}`);
    assert.equal(reads, Math.ceil(rows / 340), `${rows} rows in ${reads} reads`);
    // Equal sizes: the last read is never much smaller than the others.
    assert.ok(rows - (reads - 1) * batch >= batch - reads, `${rows} rows: last read too small`);
  }
});
