/**
 * `deno task bench`: vStash against a ceiling server on this machine, in one run.
 *
 * Both servers run on loopback with fresh data directories, pinned to core 0; the load
 * generators (wrk, rawload.ts, curl, this process) run on core 1. Every workload alternates
 * rounds between the two servers; medians, and the median of each round's own ratio, are
 * printed as a Markdown table and written with all rounds to a JSON file.
 *
 * Flags: --quick (short rounds, smaller sets), --only get,head,put,delete,list,large,
 * multipart,big-upload, --out FILE (default bench-results/latest.json), --no-pin,
 * --cpu-prof DIR (V8 CPU profiles of both servers, written when they stop).
 */
import { parseArgs } from "node:util";
import { fillBucket, listKeys, measureListing } from "./listing.ts";
import { pinningPlan, pinSelf, type ServerProc, startCeiling, startVstash } from "./procs.ts";
import {
  type BenchResults,
  buildRows,
  generatorCost,
  generatorTable,
  markdownTable,
  memoryTable,
  threadTable,
} from "./report.ts";
import { loadAverage } from "./rounds.ts";
import { BUCKET, type SmallSpec, SmallState } from "./small.ts";
import { runLarge } from "./large.ts";
import { s3Request } from "./urls.ts";

const WORKLOADS = ["get", "head", "put", "delete", "list", "large", "multipart", "big-upload"];

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: "bench-results/latest.json" },
    "no-pin": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
  },
});
const selected = new Set(flags.only ? flags.only.split(",").map((s) => s.trim()) : WORKLOADS);
for (const w of selected) {
  if (!WORKLOADS.includes(w)) {
    throw new Error(`--only: unknown workload "${w}" (${WORKLOADS.join(", ")})`);
  }
}

const quick = flags.quick;
const config = {
  rounds: 3,
  seconds: quick ? 3 : 10,
  warmupSeconds: quick ? 1 : 2,
  putPool: quick ? 40_000 : 150_000,
  listKeys: quick ? 10_000 : 100_000,
  listFolders: 1000,
  listPasses: quick ? 5 : 2,
  delimitedPages: quick ? 20 : 50,
  /** Delimited pages stop early (after at least 3) once they took this long. */
  delimitedBudgetMs: quick ? 15_000 : 60_000,
  largeRounds: quick ? 3 : 5,
  multipartRounds: quick ? 1 : 3,
  bigUploadBytes: (quick ? 1 : 5) * 2 ** 30,
};

const log = (msg: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function text(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

async function machine() {
  const cpu = /model name\s*:\s*(.+)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1];
  const status = await text("git", ["status", "--porcelain", "--untracked-files=no"]);
  return {
    date: new Date().toISOString(),
    gitCommit: await text("git", ["rev-parse", "--short", "HEAD"]),
    gitDirty: status !== "",
    deno: Deno.version.deno,
    nproc: Number(await text("nproc", [])),
    cpu,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    kernel: Deno.osRelease(),
    wrk: (await text("bash", ["-c", "wrk -v 2>&1 | head -1"])).split(" [")[0],
    curl: (await text("curl", ["--version"])).split("\n")[0].split(" (")[0],
  };
}

const info = await machine();
const plan = await pinningPlan(flags["no-pin"]);
if (plan) await pinSelf(plan.client);
const workDir = await Deno.makeTempDir({ prefix: "vstash-bench-" });
const loadStart = loadAverage();
log(
  `${quick ? "quick" : "full"} run, work dir ${workDir}, pinning ${
    plan ? `server cpu ${plan.server}, clients cpu ${plan.client}` : "off"
  }, load ${loadStart.join(" ")}`,
);

let vstash: ServerProc | null = null;
let ceiling: ServerProc | null = null;
const results: BenchResults = { small: [] };
const t0 = performance.now();
try {
  const launch = { cpus: plan?.server ?? null, cpuProfDir: flags["cpu-prof"] };
  vstash = await startVstash({ ...launch, dataDir: `${workDir}/vstash` });
  ceiling = await startCeiling({ ...launch, dataDir: `${workDir}/ceiling` });
  const servers = { vstash, ceiling };
  await s3Request(vstash, "PUT", `/${BUCKET}`);

  const small = new SmallState({
    servers,
    workDir,
    rounds: config.rounds,
    seconds: config.seconds,
    warmupSeconds: config.warmupSeconds,
    clientCpus: plan?.client ?? null,
    serverCore: plan ? Number(plan.server) : null,
    clientCore: plan ? Number(plan.client) : null,
    putPool: config.putPool,
  });
  const specs: (SmallSpec & { workload: string })[] = [];
  for (const method of ["GET", "HEAD", "PUT"] as const) {
    for (const c of [1, 16, 64]) {
      specs.push({
        workload: method.toLowerCase(),
        id: `${method.toLowerCase()}-4k-c${c}`,
        method,
        connections: c,
      });
    }
  }
  // 4 KiB objects live in their KV record (INLINE_MAX_BYTES); 64 KiB ones are files, so
  // this row shows the file path (temp file, fsync, rename, directory fsync) on its own.
  specs.push({
    workload: "put",
    id: "put-64k-c16",
    method: "PUT",
    connections: 16,
    bodyBytes: 64 * 1024,
  });
  specs.push({ workload: "delete", id: "delete-c16", method: "DELETE", connections: 16 });
  for (const spec of specs.filter((s) => selected.has(s.workload))) {
    log(`${spec.id}: ${config.rounds} rounds × ${config.seconds} s per server`);
    const r = await small.run(spec);
    results.small.push(r);
    const [v, c] = [r.rounds.vstash, r.rounds.ceiling].map((xs) =>
      xs.map((x) => Math.round(x.opsPerSec)).join(" ")
    );
    log(
      `  vstash ${v} | ceiling ${c} ops/s; errors ${
        [...r.rounds.vstash, ...r.rounds.ceiling].reduce((s, x) => s + x.errors, 0)
      }`,
    );
  }

  if (selected.has("list")) {
    const names = listKeys(config.listKeys, config.listFolders);
    log(`list: filling bucket "list" with ${names.length} empty objects`);
    const fillSeconds = await fillBucket(vstash, "list", names, 64);
    log(`  filled in ${fillSeconds.toFixed(1)} s; listing`);
    const m = await measureListing(
      vstash,
      "list",
      names.length,
      config.listPasses,
      config.delimitedPages,
      config.delimitedBudgetMs,
    );
    results.listing = {
      keys: names.length,
      fillSeconds,
      fillPutsPerSec: names.length / fillSeconds,
      ...m,
    };
    log(
      `  flat p50 ${m.flat.p50Ms.toFixed(1)} ms, delimiter p50 ${m.delimited.p50Ms.toFixed(1)} ms`,
    );
  }

  await runLarge({
    servers,
    workDir,
    cpus: plan?.client ?? null,
    selected,
    largeRounds: config.largeRounds,
    multipartRounds: config.multipartRounds,
    bigUploadBytes: config.bigUploadBytes,
    fresh: (name) => {
      const dataDir = `${workDir}/${name}-fresh`;
      return name === "vstash"
        ? startVstash({ ...launch, dataDir })
        : startCeiling({ ...launch, dataDir });
    },
    log,
  }, results);

  const wraps = small.poolWraps();
  const missing = small.deletesOfMissingKeys();
  Object.assign(results, { putPoolWraps: wraps, deletesOfMissingKeys: missing });
  if (wraps.vstash || wraps.ceiling || missing.vstash || missing.ceiling) {
    log(
      `note: PUTs to reused keys ${JSON.stringify(wraps)}, DELETEs of missing keys ${
        JSON.stringify(missing)
      }`,
    );
  }
} finally {
  await vstash?.stop();
  await ceiling?.stop();
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
}

const minutes = (performance.now() - t0) / 60_000;
const rows = buildRows(results);
const table = markdownTable(rows);
const memory = memoryTable(results);
const threads = threadTable(results);
const generators = generatorTable(results);
const generator = generatorCost(results);
const loadEnd = loadAverage();
console.log(
  `\nvStash benchmark, ${info.date.slice(0, 10)}, commit ${info.gitCommit}${
    info.gitDirty ? " (with uncommitted changes)" : ""
  }, ${quick ? "--quick" : "full run"}, ${minutes.toFixed(1)} min\n`,
);
console.log(table);
if (memory) console.log(`\n${memory}`);
if (threads) console.log(`\nServer CPU per request by thread, µs:\n\n${threads}`);
if (generators) console.log(`\nLoad generator cost (it runs on the other core):\n\n${generators}`);
console.log(`\nLoad average at start ${loadStart.join(" ")}, at end ${loadEnd.join(" ")}.`);
if (flags["cpu-prof"]) console.log(`CPU profiles: ${flags["cpu-prof"]}`);

const out = flags.out!;
await Deno.mkdir(out.replace(/\/[^/]*$/, "") || ".", { recursive: true });
await Deno.writeTextFile(
  out,
  JSON.stringify(
    {
      machine: info,
      run: {
        quick,
        minutes,
        config,
        pinning: plan,
        loadAverageStart: loadStart,
        loadAverageEnd: loadEnd,
        requestLogging: false,
        vstashLogLevel: "error",
      },
      rows,
      generatorCost: generator,
      results,
    },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(
  out.replace(/\.json$/, "") + ".md",
  [table, memory, threads, generators].filter((t) => t !== "").join("\n\n") + "\n",
);
log(`wrote ${out}`);
