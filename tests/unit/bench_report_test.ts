import assert from "node:assert/strict";
import { type BenchResults, buildRows, markdownTable } from "../../scripts/bench/report.ts";
import type { Transfer } from "../../scripts/bench/transfers.ts";
import type { WrkResult } from "../../scripts/bench/wrk.ts";

const MIB = 2 ** 20;
const round = (opsPerSec: number) =>
  ({ opsPerSec, p50Ms: 1, p99Ms: 2, errors: 0, serverCpuUsPerOp: 100 }) as WrkResult;
const transfer = (mibPerSec: number, peakRssBytes = 100e6): Transfer => ({
  seconds: 1,
  bytes: mibPerSec * MIB,
  mibPerSec,
  startRssBytes: 50e6,
  peakRssBytes,
});
const times = (p50Ms: number) => ({ pages: 10, entriesPerPage: 1000, p50Ms, p99Ms: 30, maxMs: 40 });

function small(
  id: string,
  method: "GET" | "PUT",
  connections: number,
  vstash: number[],
  ceiling: number[],
): BenchResults["small"][number] {
  return {
    id,
    method,
    connections,
    rounds: { vstash: vstash.map(round), ceiling: ceiling.map(round) },
  };
}

/** Results where every target sits just on one side of its line. */
function results(): BenchResults {
  return {
    small: [
      // Rounds 0.5, 0.6, 0.45: the median round ratio is 0.5; the ratio of medians, 600 / 1000.
      small("get-4k-c64", "GET", 64, [500, 600, 900], [1000, 1000, 2000]),
      small("put-4k-c16", "PUT", 16, [79, 79, 79], [100, 100, 100]),
      { ...small("put-64k-c16", "PUT", 16, [50], [100]), bodyBytes: 64 * 1024 },
    ],
    put256: {
      vstash: [transfer(90), transfer(91)],
      ceilingMd5: [transfer(100), transfer(100)],
      ceilingPipe: [transfer(200), transfer(200)],
    },
    get256: { vstash: [transfer(79)], ceiling: [transfer(100)] },
    listing: {
      keys: 100_000,
      fillSeconds: 50,
      fillPutsPerSec: 2000,
      flat: times(15),
      delimited: times(15.1),
    },
    bigUpload: { bytes: 5 * 2 ** 30, vstash: transfer(100, 151e6), ceiling: transfer(110) },
  };
}

Deno.test("the bench judges each target of the issue on its own line", () => {
  const rows = new Map(buildRows(results()).map((r) => [r.id, r]));
  const verdict = (id: string) => [rows.get(id)!.target, rows.get(id)!.pass];
  assert.deepEqual(verdict("get-4k-c64"), ["ratio ≥ 0.5", true]);
  assert.equal(rows.get("get-4k-c64")!.ratio, 0.5);
  assert.equal(rows.get("get-4k-c64")!.ratioOfMedians, 0.6);
  assert.deepEqual(verdict("put-4k-c16"), ["ratio ≥ 0.8", false]);
  assert.deepEqual(verdict("put-256m"), ["ratio ≥ 0.9", true]);
  assert.equal(rows.get("put-256m-pipe")!.target, undefined, "the plain pipe is a reference");
  assert.deepEqual(verdict("get-256m"), ["ratio ≥ 0.8", false]);
  assert.deepEqual(verdict("list-flat"), ["median ≤ 15 ms", true]);
  assert.deepEqual(verdict("list-delimiter"), ["median ≤ 15 ms", false]);
  assert.deepEqual(verdict("rss-big-upload"), ["≤ 150 MB", false]);
});

Deno.test("the bench's table shows every row with its verdict", () => {
  const table = markdownTable(buildRows(results()));
  const line = (start: string) => table.split("\n").find((l) => l.startsWith(`| ${start}`));
  assert.match(line("GET 4 KiB, c=64")!, /\| 0\.50 \| ratio ≥ 0\.5: \*\*PASS\*\* \|/);
  assert.match(line("PUT 4 KiB, c=16")!, /\| 0\.79 \| ratio ≥ 0\.8: \*\*FAIL\*\* \|/);
  assert.match(line("Peak server RSS")!, /\| MB \| 151 \| 100 \|/);
  assert.match(line("PUT 64 KiB, c=16")!, /\| 0\.50 \| {2}\|/, "the file-path PUT has no target");
  assert.equal(table.split("\n").length, 2 + buildRows(results()).length);
});
