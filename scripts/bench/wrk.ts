/**
 * Small-request load with Debian's `wrk` and lua/cycle.lua: one wrk thread, pinned to the
 * client core, cycling through a file of presigned paths. HEAD, which wrk 4.1 cannot parse,
 * goes through rawload.ts instead. The generator's own CPU time is read from the shell's
 * `times` builtin after it exits (what it costs the machine), and the server's from /proc
 * (what each request costs the server).
 */
import { cpuTimes, threadCpu, type ThreadGroup } from "./procs.ts";
import { coreBusySeconds } from "./rounds.ts";

const CYCLE_LUA = new URL("./lua/cycle.lua", import.meta.url).pathname;
const RAWLOAD = new URL("./rawload.ts", import.meta.url).pathname;

/** Which generator a method uses. */
export function generatorFor(method: string): "wrk" | "rawload" {
  return method === "HEAD" ? "rawload" : "wrk";
}

export interface WrkJob {
  /** Base URL of the server (`http://127.0.0.1:PORT`); paths come from `pathsFile`. */
  url: string;
  pathsFile: string;
  method: "GET" | "HEAD" | "PUT" | "DELETE";
  bodyBytes: number;
  connections: number;
  seconds: number;
  /** Index of the first path to use. */
  offset: number;
  /** CPU list for the generator (`taskset -c`), or null. */
  cpus: string | null;
  /** The server process, for its CPU time. */
  serverPid: number;
  /** The core the server is pinned to (to see how busy others kept it), or null. */
  serverCore: number | null;
  /** The core the generator is pinned to, or null. */
  clientCore: number | null;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 2xx/3xx plus socket errors and timeouts. */
  errors: number;
  /** Server CPU seconds used per wall second (1.0 = one core busy). */
  serverCores: number;
  /** Server CPU time per request, µs. */
  serverCpuUsPerOp: number;
  /** The part of it spent in the kernel (system time): file and socket calls, fsync. */
  serverSysShare: number;
  /** Server CPU per request by thread group, µs (threads that ended mid-round are missed). */
  serverThreadsUsPerOp: Record<ThreadGroup, number>;
  /** The generator's own CPU seconds per wall second. */
  genCores: number;
  /** The generator's CPU time per request, µs. */
  genCpuUsPerOp: number;
  /** CPU time other processes took on the server's core, per wall second. */
  otherLoadCores: number;
  /** CPU time other processes took on the generator's core, per wall second. */
  otherLoadClientCores: number;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  errors_connect: number;
  errors_read: number;
  errors_write: number;
  errors_status: number;
  errors_timeout: number;
}

/** Runs the generator once and returns throughput, latency and CPU costs. */
export async function runLoad(job: WrkJob): Promise<WrkResult> {
  const wrk = generatorFor(job.method) === "rawload" ? rawloadArgs(job) : wrkArgs(job);
  const pin = job.cpus === null ? [] : ["taskset", "-c", job.cpus];
  // `times` prints the shell's and then its children's user/system time.
  const script = `${[...pin, ...wrk].map(shellQuote).join(" ")}; rc=$?; times; exit $rc`;
  const cpu0 = cpuTimes(job.serverPid);
  const threads0 = threadCpu(job.serverPid);
  const core0 = job.serverCore === null ? NaN : coreBusySeconds(job.serverCore);
  const client0 = job.clientCore === null ? NaN : coreBusySeconds(job.clientCore);
  const t0 = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = cpuTimes(job.serverPid);
  const threads1 = threadCpu(job.serverPid);
  const serverSys = cpu1.system - cpu0.system;
  const serverCpu = cpu1.user - cpu0.user + serverSys;
  const coreBusy = job.serverCore === null ? NaN : coreBusySeconds(job.serverCore) - core0;
  const clientBusy = job.clientCore === null ? NaN : coreBusySeconds(job.clientCore) - client0;
  const stdout = new TextDecoder().decode(out.stdout);
  const line = /^BENCHJSON (\{.*\})$/m.exec(stdout)?.[1];
  if (!out.success || !line) {
    throw new Error(`${wrk[0]} failed:\n${stdout}\n${new TextDecoder().decode(out.stderr)}`);
  }
  const j = JSON.parse(line) as WrkJson;
  const times = [...stdout.matchAll(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/g)];
  const child = times.at(-1);
  const genCpu = child
    ? Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4])
    : NaN;
  const seconds = j.duration_us / 1e6;
  const requests = Math.max(j.requests, 1);
  return {
    requests: j.requests,
    seconds,
    opsPerSec: j.requests / seconds,
    p50Ms: j.p50_us / 1000,
    p99Ms: j.p99_us / 1000,
    errors: j.errors_status + j.errors_connect + j.errors_read + j.errors_write +
      j.errors_timeout,
    serverCores: serverCpu / wall,
    serverCpuUsPerOp: serverCpu / requests * 1e6,
    serverSysShare: serverCpu > 0 ? serverSys / serverCpu : 0,
    serverThreadsUsPerOp: Object.fromEntries(
      Object.entries(threads1).map((
        [k, v],
      ) => [k, (v - threads0[k as ThreadGroup]) / requests * 1e6]),
    ) as Record<ThreadGroup, number>,
    genCores: genCpu / wall,
    genCpuUsPerOp: genCpu / requests * 1e6,
    otherLoadCores: Math.max(0, (coreBusy - serverCpu) / wall),
    // The bench process itself sits on the client core too, idle while the generator runs.
    otherLoadClientCores: Math.max(0, (clientBusy - genCpu) / wall),
  };
}

function wrkArgs(job: WrkJob): string[] {
  return [
    "wrk",
    "-t1",
    `-c${job.connections}`,
    `-d${job.seconds}s`,
    "--timeout",
    "30s",
    "-s",
    CYCLE_LUA,
    job.url,
    "--",
    job.pathsFile,
    job.method,
    String(job.bodyBytes),
    String(job.offset),
  ];
}

function rawloadArgs(job: WrkJob): string[] {
  return [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-read",
    RAWLOAD,
    job.url,
    job.pathsFile,
    job.method,
    String(job.connections),
    String(job.seconds),
    String(job.offset),
  ];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
