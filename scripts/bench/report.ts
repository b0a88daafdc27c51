/**
 * Turns the bench's measurements into one table (Markdown, printed and pasted into the
 * README) and a JSON file with every round, the machine and the targets.
 */
import type { ListResult } from "./listing.ts";
import { THREAD_GROUPS, type ThreadGroup } from "./procs.ts";
import { med, pairedRatio, type Sides } from "./rounds.ts";
import { SMALL, type SmallResult } from "./small.ts";
import type { Transfer } from "./transfers.ts";

export interface BenchResults {
  small: SmallResult[];
  put256?: { vstash: Transfer[]; ceilingMd5: Transfer[]; ceilingPipe: Transfer[] };
  get256?: Sides<Transfer>;
  multipart?: Sides<Transfer> & { parts: number; partBytes: number; inFlight: number };
  bigUpload?: { bytes: number; vstash: Transfer; ceiling: Transfer } | { skipped: string };
  listing?: ListResult;
}

export interface Row {
  id: string;
  workload: string;
  unit: "ops/s" | "MiB/s" | "ms" | "MB";
  vstash: number;
  ceiling: number | null;
  /** Median of the rounds' own vStash / ceiling ratios (see pairedRatio). */
  ratio: number | null;
  /** Median vStash / median ceiling, for comparison with runs before the paired ratio. */
  ratioOfMedians?: number;
  p50Ms?: [number, number | null];
  p99Ms?: [number, number | null];
  /** Server CPU per request, µs: [vStash, ceiling]. */
  cpuUsPerOp?: [number, number];
  target?: string;
  pass?: boolean;
}

const MB = 1e6;

/** What the issue asks for, by row id. */
const RATIO_TARGETS: Record<string, number> = {
  "get-4k-c64": 0.5,
  "put-4k-c16": 0.8,
  "put-256m": 0.9,
  "get-256m": 0.8,
};
const LIST_TARGET_MS = 15;
const RSS_TARGET_MB = 150;

function withTarget(row: Row): Row {
  const min = RATIO_TARGETS[row.id];
  if (min !== undefined && row.ratio !== null) {
    return { ...row, target: `ratio ≥ ${min}`, pass: row.ratio >= min };
  }
  return row;
}

function smallRow(r: SmallResult): Row {
  const v = r.rounds.vstash;
  const c = r.rounds.ceiling;
  const vOps = med(v, (x) => x.opsPerSec);
  const cOps = med(c, (x) => x.opsPerSec);
  const label = r.method === "DELETE"
    ? "DELETE"
    : `${r.method} ${(r.bodyBytes ?? SMALL) / 1024} KiB`;
  const errors = [...v, ...c].reduce((sum, x) => sum + x.errors, 0);
  return withTarget({
    id: r.id,
    workload: `${label}, c=${r.connections}${errors ? ` (${errors} failed requests)` : ""}`,
    unit: "ops/s",
    vstash: vOps,
    ceiling: cOps,
    ratio: pairedRatio(v.map((x) => x.opsPerSec), c.map((x) => x.opsPerSec)),
    ratioOfMedians: vOps / cOps,
    p50Ms: [med(v, (x) => x.p50Ms), med(c, (x) => x.p50Ms)],
    p99Ms: [med(v, (x) => x.p99Ms), med(c, (x) => x.p99Ms)],
    cpuUsPerOp: [med(v, (x) => x.serverCpuUsPerOp), med(c, (x) => x.serverCpuUsPerOp)],
  });
}

function transferRow(
  id: string,
  workload: string,
  v: Transfer[],
  c: Transfer[],
): Row {
  const vs = med(v, (x) => x.mibPerSec);
  const cs = med(c, (x) => x.mibPerSec);
  const ratio = pairedRatio(v.map((x) => x.mibPerSec), c.map((x) => x.mibPerSec));
  return withTarget({
    id,
    workload,
    unit: "MiB/s",
    vstash: vs,
    ceiling: cs,
    ratio,
    ratioOfMedians: vs / cs,
  });
}

export function buildRows(res: BenchResults): Row[] {
  const rows = res.small.map(smallRow);
  if (res.put256) {
    const p = res.put256;
    rows.push(transferRow("put-256m", "PUT 256 MiB (ceiling: pipe + MD5)", p.vstash, p.ceilingMd5));
    rows.push(
      transferRow("put-256m-pipe", "PUT 256 MiB (ceiling: plain pipe)", p.vstash, p.ceilingPipe),
    );
  }
  if (res.get256) {
    rows.push(transferRow("get-256m", "GET 256 MiB", res.get256.vstash, res.get256.ceiling));
  }
  if (res.multipart) {
    const m = res.multipart;
    const size = m.parts * m.partBytes / 2 ** 30;
    rows.push(transferRow(
      "multipart-1g",
      `Multipart ${size} GiB, ${m.parts} × ${m.partBytes / 2 ** 20} MiB, ${m.inFlight} in flight`,
      m.vstash,
      m.ceiling,
    ));
  }
  if (res.listing) {
    const l = res.listing;
    for (
      const [id, label, t] of [
        ["list-flat", `ListObjectsV2, page of ${l.flat.entriesPerPage} keys of ${l.keys}`, l.flat],
        [
          "list-delimiter",
          `ListObjectsV2 delimiter "/", page of ${l.delimited.entriesPerPage} prefixes of ${l.keys} keys`,
          l.delimited,
        ],
      ] as const
    ) {
      rows.push({
        id,
        workload: label,
        unit: "ms",
        vstash: t.p50Ms,
        ceiling: null,
        ratio: null,
        p50Ms: [t.p50Ms, null],
        p99Ms: [t.p99Ms, null],
        target: `median ≤ ${LIST_TARGET_MS} ms`,
        pass: t.p50Ms <= LIST_TARGET_MS,
      });
    }
    rows.push({
      id: "list-fill",
      workload: `PUT 0 B (filling the listing bucket, fetch client, c=64)`,
      unit: "ops/s",
      vstash: l.fillPutsPerSec,
      ceiling: null,
      ratio: null,
    });
  }
  if (res.bigUpload && "vstash" in res.bigUpload) {
    const b = res.bigUpload;
    const gib = b.bytes / 2 ** 30;
    rows.push({
      id: "rss-big-upload",
      workload: `Peak server RSS during a ${gib} GiB PUT (fresh server: ${
        num(b.vstash.startRssBytes / MB)
      } / ${num(b.ceiling.startRssBytes / MB)} MB before)`,
      unit: "MB",
      vstash: b.vstash.peakRssBytes / MB,
      ceiling: b.ceiling.peakRssBytes / MB,
      ratio: null,
      target: `≤ ${RSS_TARGET_MB} MB${gib < 5 ? " (at 5 GiB)" : ""}`,
      pass: b.vstash.peakRssBytes / MB <= RSS_TARGET_MB,
    });
    rows.push({
      id: "put-big",
      workload: `PUT ${gib} GiB (ceiling: pipe + MD5)`,
      unit: "MiB/s",
      vstash: b.vstash.mibPerSec,
      ceiling: b.ceiling.mibPerSec,
      ratio: b.vstash.mibPerSec / b.ceiling.mibPerSec,
    });
  }
  return rows;
}

function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (x >= 1000) return Math.round(x).toLocaleString("en-US");
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const pair = (p?: [number | null, number | null]) => p ? `${num(p[0])} / ${num(p[1])}` : "";

/** The table, in Markdown. */
export function markdownTable(rows: Row[]): string {
  const lines = [
    "| workload | unit | vStash | ceiling | ratio | target | p50 ms (v / c) | p99 ms (v / c) | server CPU µs/op (v / c) |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const target = r.target ? `${r.target}: **${r.pass ? "PASS" : "FAIL"}**` : "";
    lines.push(
      `| ${r.workload} | ${r.unit} | ${num(r.vstash)} | ${num(r.ceiling)} | ${
        r.ratio === null ? "" : r.ratio.toFixed(2)
      } | ${target} | ${pair(r.p50Ms)} | ${pair(r.p99Ms)} | ${pair(r.cpuUsPerOp)} |`,
    );
  }
  return lines.join("\n");
}

/** Server RSS before and at the peak of each large workload (medians of rounds), MB. */
export function memoryTable(res: BenchResults): string {
  const lines = [
    "| workload | vStash RSS before → peak, MB | ceiling RSS before → peak, MB |",
    "| --- | ---: | ---: |",
  ];
  const cell = (ts: Transfer[]) =>
    `${num(med(ts, (x) => x.startRssBytes) / MB)} → ${num(med(ts, (x) => x.peakRssBytes) / MB)}`;
  const add = (label: string, v: Transfer[], c: Transfer[]) =>
    lines.push(`| ${label} | ${cell(v)} | ${cell(c)} |`);
  if (res.put256) add("PUT 256 MiB", res.put256.vstash, res.put256.ceilingMd5);
  if (res.get256) add("GET 256 MiB", res.get256.vstash, res.get256.ceiling);
  if (res.multipart) add("Multipart upload", res.multipart.vstash, res.multipart.ceiling);
  if (res.bigUpload && "vstash" in res.bigUpload) {
    add(`PUT ${res.bigUpload.bytes / 2 ** 30} GiB`, [res.bigUpload.vstash], [
      res.bigUpload.ceiling,
    ]);
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

/** Where each server's CPU goes per request, by thread group (medians of rounds). */
export function threadTable(res: BenchResults): string {
  const groups = Object.keys(THREAD_GROUPS) as ThreadGroup[];
  const lines = [
    `| workload | server | ${
      groups.map((g) => THREAD_GROUPS[g]).join(" | ")
    } | total µs/op | of it kernel |`,
    `| --- | --- | ${groups.map(() => "---:").join(" | ")} | ---: | ---: |`,
  ];
  for (const r of res.small) {
    for (const side of ["vstash", "ceiling"] as const) {
      const rounds = r.rounds[side];
      const cells = groups.map((g) => num(med(rounds, (x) => x.serverThreadsUsPerOp[g])));
      lines.push(
        `| ${r.id} | ${side} | ${cells.join(" | ")} | ${
          num(med(rounds, (x) => x.serverCpuUsPerOp))
        } | ${(med(rounds, (x) => x.serverSysShare) * 100).toFixed(0)}% |`,
      );
    }
  }
  return res.small.length ? lines.join("\n") : "";
}

/** The load generator's own cost, from the small workloads. */
export function generatorCost(res: BenchResults) {
  return res.small.map((r) => {
    const all = [...r.rounds.vstash, ...r.rounds.ceiling];
    return {
      workload: r.id,
      generator: r.method === "HEAD" ? "rawload.ts (Deno)" : "wrk + lua/cycle.lua",
      cpuUsPerRequest: med(all, (x) => x.genCpuUsPerOp),
      maxCoresUsed: Math.max(...all.map((x) => x.genCores)),
      serverCoresVstash: med(r.rounds.vstash, (x) => x.serverCores),
      serverCoresCeiling: med(r.rounds.ceiling, (x) => x.serverCores),
      serverSysShareVstash: med(r.rounds.vstash, (x) => x.serverSysShare),
      serverSysShareCeiling: med(r.rounds.ceiling, (x) => x.serverSysShare),
      otherLoadOnServerCore: med(all, (x) => x.otherLoadCores),
      otherLoadOnClientCore: med(all, (x) => x.otherLoadClientCores),
    };
  });
}

/** The generator's cost and the outside load on the server's core, as a table. */
export function generatorTable(res: BenchResults): string {
  const rows = generatorCost(res);
  if (rows.length === 0) return "";
  const lines = [
    "| workload | generator | generator CPU µs/request | generator cores (max) | server cores v / c | other load on server / client core |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.generator} | ${num(r.cpuUsPerRequest)} | ${num(r.maxCoresUsed)} | ${
        num(r.serverCoresVstash)
      } / ${num(r.serverCoresCeiling)} | ${num(r.otherLoadOnServerCore)} / ${
        num(r.otherLoadOnClientCore)
      } |`,
    );
  }
  return lines.join("\n");
}
