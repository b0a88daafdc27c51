/**
 * The two servers under test as child processes, and what the bench reads about them from
 * /proc: CPU time (all threads) and resident memory. Both run pinned to the same core when
 * `taskset` exists, so they get exactly the same hardware while the load generator runs on
 * the other core.
 */
import { spawnWatched, waitForOutput } from "../watched_process.ts";
import { RUNTIME_PERMISSIONS } from "../permissions.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const CEILING = new URL("./ceiling.ts", import.meta.url).pathname;

export interface ServerProc {
  name: "vstash" | "ceiling";
  url: string;
  pid: number;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  output(): string;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** CPU list for `taskset -c` (e.g. "0"), or null to leave the process unpinned. */
  cpus: string | null;
  dataDir: string;
  /** Writes a V8 CPU profile (`--cpu-prof`) into this directory when the process exits. */
  cpuProfDir?: string;
}

/** `taskset -c LIST cmd args…`, or the command itself when unpinned. */
export function pinned(cpus: string | null, cmd: string, args: string[]): [string, string[]] {
  return cpus === null ? [cmd, args] : ["taskset", ["-c", cpus, cmd, ...args]];
}

/** vStash exactly as released (main.ts serve, runtime permissions), request logs off. */
export function startVstash(opts: LaunchOptions): Promise<ServerProc> {
  const accessKey = "AKBENCH0000000000000";
  const secretKey = `bench-${crypto.randomUUID()}`;
  const prof = opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const args = [
    "run",
    ...RUNTIME_PERMISSIONS,
    ...prof,
    MAIN,
    "serve",
    "--data-dir",
    opts.dataDir,
    "--s3-addr",
    "127.0.0.1:0",
    "--admin-addr",
    "127.0.0.1:0",
  ];
  return launch("vstash", opts, args, /S3 API listening on (\S+)/, {
    VSTASH_ACCESS_KEY: accessKey,
    VSTASH_SECRET_KEY: secretKey,
    VSTASH_ADMIN_KEY: `admin-${crypto.randomUUID()}`,
    // "info" writes one JSON line per request; the bench measures the server, not its logs.
    VSTASH_LOG_LEVEL: "error",
  }, { accessKey, secretKey });
}

/** The ceiling server (ceiling.ts) with the same runtime. */
export function startCeiling(opts: LaunchOptions): Promise<ServerProc> {
  const prof = opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const args = ["run", "--allow-all", ...prof, CEILING, "--data-dir", opts.dataDir];
  return launch("ceiling", opts, args, /ceiling listening on (\S+)/, {}, {
    accessKey: "",
    secretKey: "",
  });
}

async function launch(
  name: ServerProc["name"],
  opts: LaunchOptions,
  denoArgs: string[],
  ready: RegExp,
  env: Record<string, string>,
  keys: { accessKey: string; secretKey: string },
): Promise<ServerProc> {
  await Deno.mkdir(opts.dataDir, { recursive: true });
  const [cmd, args] = pinned(opts.cpus, Deno.execPath(), denoArgs);
  const proc = spawnWatched(cmd, { args, cwd: ROOT, env, stdin: "null" });
  const { child } = proc;
  const [url] = await waitForOutput(proc, [ready], 60_000, name);
  let stopped: Promise<void> | null = null;
  return {
    name,
    url,
    // `taskset` execs the command, so the child's pid is the server's.
    pid: child.pid,
    dataDir: opts.dataDir,
    ...keys,
    output: proc.output,
    stop() {
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 20_000);
        await child.status;
        clearTimeout(timer);
        await proc.drained;
      })();
      return stopped;
    },
  };
}

const CLOCK_TICKS = 100;

/** User and system CPU seconds of a process, all its threads included. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/** Thread names of a Deno process, grouped by what they do. */
export const THREAD_GROUPS = {
  js: "JS thread",
  blocking: "blocking pool (file I/O, fsync)",
  kv: "KV SQLite thread",
  v8: "V8 workers (GC, compiler)",
} as const;
export type ThreadGroup = keyof typeof THREAD_GROUPS;

function threadGroup(comm: string): ThreadGroup {
  if (comm.startsWith("tokio-runtime")) return "blocking";
  if (/^sw-\d+$/.test(comm)) return "kv";
  if (comm.startsWith("V8 ")) return "v8";
  return "js";
}

/** CPU seconds (user + system) per thread group, all threads of `pid`. */
export function threadCpu(pid: number): Record<ThreadGroup, number> {
  const out: Record<ThreadGroup, number> = { js: 0, blocking: 0, kv: 0, v8: 0 };
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[threadGroup(comm)] += (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
    } catch { /* the thread ended */ }
  }
  return out;
}

/** Current and peak resident set size in bytes (VmRSS, VmHWM). */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Resets VmHWM to the current RSS, so the next peak belongs to the next job. */
export function resetPeak(pid: number): void {
  Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
}

/**
 * Samples a process's RSS every `everyMs` until `stop()`; the peak is the larger of the
 * samples and the kernel's VmHWM (reset at start), so short spikes are not missed.
 */
export function rssSampler(pid: number, everyMs = 50): { stop(): number } {
  resetPeak(pid);
  let peak = memory(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memory(pid).rss);
    } catch { /* process gone */ }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        const m = memory(pid);
        peak = Math.max(peak, m.rss, m.hwm);
      } catch { /* process gone */ }
      return peak;
    },
  };
}

/** The CPU list to pin to: server on core 0, clients on core 1, when there are two cores. */
export async function pinningPlan(
  disabled: boolean,
): Promise<{ server: string; client: string } | null> {
  if (disabled || navigator.hardwareConcurrency < 2) return null;
  try {
    const { success } = await new Deno.Command("taskset", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success ? { server: "0", client: "1" } : null;
  } catch {
    return null;
  }
}

/** Pins this process (all its threads) to `cpus`, so the bench's own clients stay off the server's core. */
export async function pinSelf(cpus: string): Promise<void> {
  await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", cpus, String(Deno.pid)],
    stdout: "null",
  })
    .output();
}
