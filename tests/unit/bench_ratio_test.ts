import assert from "node:assert/strict";
import { alternate, pairedRatio } from "../../scripts/bench/rounds.ts";
import type { ServerProc } from "../../scripts/bench/procs.ts";

Deno.test("the bench's ratio is the median of each round's own ratio, so drift between rounds cancels", () => {
  // The machine slows down round by round; within a round vStash runs at 0.9 of the ceiling.
  const ceiling = [200, 150, 100];
  const vstash = [180, 135, 90];
  assert.equal(pairedRatio(vstash, ceiling).toFixed(3), "0.900");
  // One slow round for vStash only moves the median of round ratios, not past the others.
  assert.equal(pairedRatio([180, 60, 90], ceiling).toFixed(3), "0.900");
  assert.equal(pairedRatio([100, 300], [200, 200]), 1);
  // Rounds one side did not finish are left out rather than paired with nothing.
  assert.equal(pairedRatio([100, 100, 100], [100, 50]), 1.5);
  assert.ok(Number.isNaN(pairedRatio([], [])));
});

Deno.test("the bench alternates which server goes first, round by round", async () => {
  const order: string[] = [];
  const server = (name: "vstash" | "ceiling") => ({ name }) as ServerProc;
  const out = await alternate(
    { vstash: server("vstash"), ceiling: server("ceiling") },
    3,
    (s, r) => {
      order.push(`${r}:${s.name}`);
      return Promise.resolve(r);
    },
  );
  assert.deepEqual(order, [
    "0:vstash",
    "0:ceiling",
    "1:ceiling",
    "1:vstash",
    "2:vstash",
    "2:ceiling",
  ]);
  assert.deepEqual(out, { vstash: [0, 1, 2], ceiling: [0, 1, 2] });
});
