/**
 * Crash consistency: a workload of PUTs, overwrites, deletes, DeleteObjects, CopyObject and
 * multipart uploads runs against a real server, which is killed with SIGKILL at a random
 * moment, checked on disk as the crash left it, restarted, read back, stopped cleanly and
 * checked again. Every cycle must show:
 * - every acknowledged write readable and byte-exact, every acknowledged delete gone, and a
 *   write cut off by the kill either fully there or not at all;
 * - no object whose blob or parts are missing or of the wrong size, no reference without
 *   its file, no leaked part, bucket counters equal to the objects (even right after the
 *   kill, before any repair);
 * - after the restart's sweep: no orphan blob, an empty tmp/, no cleanup left owed.
 * In about a third of the cycles the restarted server is killed once more during its startup
 * sweep, and the data directory checked again.
 *
 * CI runs 20 cycles; `VSTASH_CRASH_CYCLES=200` runs a longer local soak. A failure prints
 * its seed: `VSTASH_CRASH_SEED=<seed>` replays the same choices (timing is not replayed).
 */
import { assertConsistent, inspectDataDir } from "../helpers/consistency.ts";
import { Ledger, startWorkload, verifyLedger, workerKeys } from "../helpers/crash.ts";
import { prng, seedFromEnv } from "../helpers/prng.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";

const CYCLES = Number(Deno.env.get("VSTASH_CRASH_CYCLES") ?? 20);
const WORKERS = 6;
const BUCKET = "crash";
/** Lowered so that multipart uploads stay small; the completion logic is the same. */
const MIN_PART_SIZE = 64 * 1024;
const SERVER_ARGS = ["--min-part-size", `${MIN_PART_SIZE}`];
/** The same keys on every restart (a TestServer otherwise makes new ones each start). */
const KEYS = {
  VSTASH_ACCESS_KEY: "AKCRASHTEST000000000",
  VSTASH_SECRET_KEY: `crash-secret-${crypto.randomUUID()}`,
  VSTASH_ADMIN_KEY: `crash-admin-${crypto.randomUUID()}`,
};

Deno.test("SIGKILL at random moments loses no acknowledged write and leaves no debris", async () => {
  const seed = seedFromEnv("VSTASH_CRASH_SEED");
  const rng = prng(seed);
  const dataDir = await Deno.makeTempDir({ prefix: "vstash-crash-" });
  const ledger = new Ledger(Array.from({ length: WORKERS }, (_, i) => workerKeys(i)).flat());
  const totals = {
    acked: {} as Record<string, number>,
    inFlight: 0,
    keptNew: 0,
    keptOld: 0,
    orphansAfterKill: 0,
    tmpAfterKill: 0,
    owedAfterKill: 0,
    uploadsAborted: 0,
    sweepKills: 0,
    maxObjects: 0,
    maxBytes: 0,
  };
  const started = performance.now();
  let server: TestServer | null = null;
  let cycle = 0;
  const context = () => `cycle ${cycle + 1}/${CYCLES}, replay with VSTASH_CRASH_SEED=${seed}`;
  const start = async () => {
    server = await startTestServer({ dataDir, args: SERVER_ARGS, env: KEYS });
    return server;
  };
  try {
    const first = await start();
    const created = await rawRequest(first, { method: "PUT", path: `/${BUCKET}` });
    if (created.status !== 200) throw new Error(`CreateBucket: ${created.status}`);

    for (; cycle < CYCLES; cycle++) {
      // 1. Workload, then SIGKILL 50–800 ms into it.
      const live = server!;
      const workload = startWorkload(live, BUCKET, ledger, rng.fork(), {
        workers: WORKERS,
        minPartSize: MIN_PART_SIZE,
      });
      await new Promise((r) => setTimeout(r, rng.int(50, 800)));
      workload.markKilled();
      await live.stop({ keepData: true, signal: "SIGKILL" });
      server = null;
      const stats = await workload.done;
      if (stats.errors.length) {
        throw new Error(`workload errors (${context()}):\n  ${stats.errors.join("\n  ")}`);
      }
      for (const [op, n] of Object.entries(stats.acked)) {
        totals.acked[op] = (totals.acked[op] ?? 0) + n;
      }
      totals.inFlight += stats.inFlight;

      // 2. The data directory exactly as the kill left it.
      const crashed = await inspectDataDir(dataDir, { clean: false });
      assertConsistent(crashed, `right after SIGKILL, ${context()}`);
      totals.orphansAfterKill += crashed.orphanBlobs.length;
      totals.tmpAfterKill += crashed.tmpFiles.length;
      totals.owedAfterKill += crashed.garbageRecords;

      // 2b. Sometimes the restarted server is killed again at once, in the middle of its
      // startup sweep (removing orphans, finishing owed part cleanups): that must be as
      // safe as any other moment.
      if (rng.chance(0.3)) {
        const sweeping = await start();
        await new Promise((r) => setTimeout(r, rng.int(0, 60)));
        await sweeping.stop({ keepData: true, signal: "SIGKILL" });
        server = null;
        assertConsistent(
          await inspectDataDir(dataDir, { clean: false }),
          `killed during the startup sweep, ${context()}`,
        );
        totals.sweepKills++;
      }

      // 3. Restart: every acknowledged write reads back; leftover uploads are aborted.
      const restarted = await start();
      const verified = await verifyLedger(restarted, BUCKET, ledger);
      if (verified.problems.length) {
        throw new Error(`after restart (${context()}):\n  ${verified.problems.join("\n  ")}`);
      }
      totals.keptNew += verified.inFlightKeptNew;
      totals.keptOld += verified.inFlightKeptOld;
      totals.uploadsAborted += verified.uploadsAborted;

      // 4. A clean stop waits for the startup sweep: now nothing may be left over.
      await restarted.stop({ keepData: true });
      server = null;
      const clean = await inspectDataDir(dataDir, { clean: true });
      assertConsistent(clean, `after restart and clean stop, ${context()}`);
      if (clean.uploads !== 0) throw new Error(`${clean.uploads} uploads survived the abort`);
      totals.maxObjects = Math.max(totals.maxObjects, clean.objects);
      totals.maxBytes = Math.max(totals.maxBytes, clean.bytes);
      await start();
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `crash harness: ${CYCLES} cycles in ${seconds.toFixed(1)} s (seed ${seed}); ` +
        `acknowledged ${JSON.stringify(totals.acked)}; ` +
        `${totals.inFlight} writes cut off by the kill (kept new ${totals.keptNew}, ` +
        `kept old ${totals.keptOld}); after kills: ${totals.orphansAfterKill} orphan blobs, ` +
        `${totals.tmpAfterKill} temp files, ${totals.owedAfterKill} owed cleanups, all gone ` +
        `after restart; ${totals.sweepKills} restarts killed again during the startup sweep; ` +
        `${totals.uploadsAborted} interrupted uploads aborted; ` +
        `up to ${totals.maxObjects} objects / ${(totals.maxBytes / 2 ** 20).toFixed(1)} MiB`,
    );
  } catch (err) {
    if (err instanceof Error && !err.message.includes("VSTASH_CRASH_SEED")) {
      err.message += `\n(${context()})`;
    }
    throw err;
  } finally {
    await (server as TestServer | null)?.stop({ keepData: true, signal: "SIGKILL" });
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
