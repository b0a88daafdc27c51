/**
 * Load: 64 concurrent clients doing mixed PUT/GET/HEAD/LIST/DELETE for a bounded time.
 * Each client owns its keys, so every answer is known in advance: any other answer is an
 * error, and there must be none. The server's memory (VmRSS) and open descriptors are
 * sampled through /proc before, during and after; descriptors must return to the baseline
 * once the clients hang up, and memory must not keep growing.
 *
 * `VSTASH_LOAD_SECONDS` changes the duration (default 20).
 */
import assert from "node:assert/strict";
import { generatedBytes, sha256Of } from "../helpers/data.ts";
import {
  fdKinds,
  mib,
  openFds,
  rssBreakdown,
  rssBytes,
  sampleProcess,
  serverPid,
  waitForFds,
} from "../helpers/proc.ts";
import { type Prng, prng, seedFromEnv } from "../helpers/prng.ts";
import { awsPath, decodeListingKey, xmlValues } from "../helpers/s3.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { type RawRequest, signRequest } from "../helpers/sign.ts";

const CLIENTS = 64;
const KEYS_PER_CLIENT = 8;
const SECONDS = Number(Deno.env.get("VSTASH_LOAD_SECONDS") ?? 20);
/**
 * Memory bound after the run, over the baseline taken after a 2 s warm-up. Measured here
 * with VSTASH_LOAD_SECONDS=300 (130k requests, 2.8 GiB up): RSS climbs from ~105 MiB to
 * ~190 MiB in the first 30–45 s (V8 sizing its heap to the allocation rate, malloc keeping
 * freed arenas; the growth is all anonymous memory) and then stays between 189 and 206 MiB
 * for the remaining four minutes, rising and falling with GC. A 20 s run ends on that ramp,
 * 70–90 MiB up. 128 MiB leaves room for a slower CI machine; what it excludes is memory that
 * scales with the traffic: keeping request bodies (180+ MiB are uploaded in a 20 s run) or
 * per-request state of even 10 KiB (8k+ requests) would break it.
 */
const RSS_SLACK = 128 * 2 ** 20;
/**
 * In runs of a minute or more, the plateau is reached by half time: the last quarter may not
 * grow more than this over the second quarter's peak (a leak grows linearly with requests).
 */
const RSS_PLATEAU_DRIFT = 24 * 2 ** 20;

interface Counts {
  requests: number;
  byOp: Record<string, number>;
  errors: string[];
  bytesIn: number;
  bytesOut: number;
}

Deno.test(`${CLIENTS} clients of mixed traffic: no errors, flat memory, no descriptor leak`, async () => {
  const seed = seedFromEnv("VSTASH_LOAD_SEED");
  const server = await startTestServer();
  try {
    const pid = await serverPid(server.dataDir);
    const idleFds = await openFds(pid);
    const signed = signedFetcher(server);
    assert.equal((await signed.send({ method: "PUT", path: "/load" })).status, 200);

    // Warm-up: the same traffic for a short while, so JIT, pools and caches are in place
    // before the baseline is taken.
    const warm = await drive(signed, prng(seed ^ 0x5eed), 2, "warm/");
    signed.close();
    assert.deepEqual(warm.errors, [], `warm-up errors (seed ${seed})`);
    const fdsAfterWarmup = await waitForFds(pid, idleFds + 2);
    const baselineRss = await rssBytes(pid);
    const baselineParts = await rssBreakdown(pid);

    const traffic = signedFetcher(server);
    const sampler = sampleProcess(pid, 200);
    const t0 = performance.now();
    const counts = await drive(traffic, prng(seed), SECONDS, "run/");
    const elapsed = (performance.now() - t0) / 1000;
    const samples = await sampler.stop();
    traffic.close();
    const fdsAfter = await waitForFds(pid, idleFds + 2);
    const rssAfter = await rssBytes(pid);
    const afterParts = await rssBreakdown(pid);
    const parts = (p: typeof afterParts) =>
      `anon ${mib(p.anon)} + file ${mib(p.file)} + shmem ${mib(p.shmem)}`;

    const peakRss = Math.max(...samples.map((s) => s.rss));
    const peakFds = Math.max(...samples.map((s) => s.fds));
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const peakOf = (part: typeof samples) => Math.max(...part.map((s) => s.rss));
    const secondQuarter = peakOf(samples.slice(quarter, 2 * quarter));
    const lastQuarter = peakOf(samples.slice(-quarter));
    const timeline = samples.filter((_, i) => i % 25 === 0)
      .map((s) => `${(s.ms / 1000).toFixed(0)}s ${mib(s.rss)} (anon ${mib(s.anon)})`).join(", ");
    console.log(
      `load: ${CLIENTS} clients, ${counts.requests} requests in ${elapsed.toFixed(1)} s ` +
        `(${(counts.requests / elapsed).toFixed(0)} req/s; ${JSON.stringify(counts.byOp)}; ` +
        `${mib(counts.bytesIn)} up, ${mib(counts.bytesOut)} down), seed ${seed}\n` +
        `  RSS: baseline ${mib(baselineRss)}, peak ${mib(peakRss)}, after ${mib(rssAfter)}; ` +
        `${timeline}\n` +
        `  RSS baseline ${parts(baselineParts)}; after ${parts(afterParts)}\n` +
        `  fds: idle ${idleFds}, after warm-up ${fdsAfterWarmup}, peak ${peakFds}, after ${fdsAfter}`,
    );
    assert.deepEqual(counts.errors.slice(0, 20), [], `unexpected answers (seed ${seed})`);
    assert.ok(
      fdsAfter <= idleFds + 2,
      `descriptors leak: ${idleFds} idle, ${fdsAfter} after the clients left ` +
        JSON.stringify(await fdKinds(pid)),
    );
    assert.ok(
      rssAfter <= baselineRss + RSS_SLACK,
      `memory grew from ${mib(baselineRss)} to ${mib(rssAfter)}`,
    );
    if (SECONDS >= 60) {
      assert.ok(
        lastQuarter <= secondQuarter + RSS_PLATEAU_DRIFT,
        `memory keeps growing: ${mib(secondQuarter)} at half time, ${mib(lastQuarter)} at the end`,
      );
    }
  } finally {
    await server.stop();
  }
});

/** Signed requests over one HTTP client, whose connections close with it. */
function signedFetcher(server: TestServer) {
  const client = Deno.createHttpClient({});
  return {
    async send(req: RawRequest): Promise<{ status: number; bytes: Uint8Array; text: string }> {
      const s = await signRequest(server, req);
      const headers = { ...s.headers };
      delete headers.host;
      const res = await fetch(s.url, {
        method: s.method,
        headers,
        body: s.body as BodyInit | undefined,
        client,
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, bytes, text: new TextDecoder().decode(bytes) };
    },
    close: () => client.close(),
  };
}

/**
 * Runs CLIENTS clients for `seconds`; each owns `<prefix>c<i>/k<j>` and knows what each of
 * its keys holds.
 */
async function drive(
  signed: ReturnType<typeof signedFetcher>,
  rng: Prng,
  seconds: number,
  prefix: string,
): Promise<Counts> {
  const counts: Counts = { requests: 0, byOp: {}, errors: [], bytesIn: 0, bytesOut: 0 };
  const deadline = performance.now() + seconds * 1000;
  const client = async (id: number, r: Prng) => {
    const state = new Map<string, { sha256: string; size: number }>();
    const mine = `${prefix}c${id}/`;
    const keys = Array.from({ length: KEYS_PER_CLIENT }, (_, j) => `${mine}k${j}`);
    const fail = (what: string, status: number, text: string) =>
      counts.errors.push(`client ${id} ${what}: ${status} ${text.slice(0, 200)}`);
    while (performance.now() < deadline && counts.errors.length < 20) {
      const key = r.pick(keys);
      const path = `/load/${awsPath(key)}`;
      const op = r.weighted<string>([[40, "put"], [30, "get"], [5, "head"], [10, "list"], [
        15,
        "delete",
      ]]);
      counts.requests++;
      counts.byOp[op] = (counts.byOp[op] ?? 0) + 1;
      try {
        if (op === "put") {
          const size = r.weighted<() => number>([
            [10, () => 0],
            [60, () => r.int(1, 16 * 1024)],
            [28, () => r.int(16 * 1024, 256 * 1024)],
            [2, () => r.int(256 * 1024, 1024 * 1024)],
          ])();
          const body = generatedBytes(size, r.int(1, 2 ** 31));
          const sha256 = sha256Of(body);
          const res = await signed.send({ method: "PUT", path, body, contentSha256: sha256 });
          if (res.status !== 200) fail(`PUT ${key}`, res.status, res.text);
          else state.set(key, { sha256, size });
          counts.bytesIn += size;
        } else if (op === "get" || op === "head") {
          const res = await signed.send({ method: op.toUpperCase(), path });
          const want = state.get(key);
          if (!want) {
            if (res.status !== 404) fail(`${op} ${key} (absent)`, res.status, res.text);
          } else if (res.status !== 200) fail(`${op} ${key}`, res.status, res.text);
          else if (op === "get" && sha256Of(res.bytes) !== want.sha256) {
            fail(`GET ${key} returned other bytes`, res.status, "");
          }
          counts.bytesOut += res.bytes.length;
        } else if (op === "list") {
          const res = await signed.send({
            method: "GET",
            path: `/load?list-type=2&encoding-type=url&prefix=${encodeURIComponent(mine)}`,
          });
          const listed = xmlValues(res.text, "Key").map(decodeListingKey).sort();
          const want = [...state.keys()].sort();
          if (res.status !== 200 || JSON.stringify(listed) !== JSON.stringify(want)) {
            fail(`LIST ${mine} gave ${listed}, expected ${want}`, res.status, res.text);
          }
        } else {
          const res = await signed.send({ method: "DELETE", path });
          if (res.status !== 204) fail(`DELETE ${key}`, res.status, res.text);
          else state.delete(key);
        }
      } catch (err) {
        counts.errors.push(`client ${id} ${op} ${key}: ${err}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, rng.fork())));
  return counts;
}
