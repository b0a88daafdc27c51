/**
 * A running test server seen from the outside, through Linux's /proc: its resident memory
 * and its open file descriptors, sampled while a test drives it.
 */
import { join } from "node:path";

/**
 * The pid of the server that owns `dataDir`, from the `vstash.pid` file it writes once its
 * listeners are up (see src/runtime_files.ts).
 */
export async function serverPid(dataDir: string): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const pid = JSON.parse(await Deno.readTextFile(join(dataDir, "vstash.pid"))).pid;
      if (typeof pid === "number") return pid;
    } catch { /* not written yet */ }
    if (Date.now() > deadline) throw new Error(`no vstash.pid in ${dataDir}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resident set size in bytes (VmRSS). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

/**
 * Where the resident memory is: anonymous (heaps: V8, malloc), file-backed (mapped files:
 * the binary, SQLite's memory-mapped pages) and shared memory (SQLite's WAL index, -shm).
 */
export async function rssBreakdown(
  pid: number,
): Promise<{ anon: number; file: number; shmem: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem") };
}

/** How many file descriptors the process has open. */
export async function openFds(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

/** The kinds of open descriptors, e.g. { socket: 3, file: 5, anon_inode: 4 } (for messages). */
export async function fdKinds(pid: number): Promise<Record<string, number>> {
  const kinds: Record<string, number> = {};
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    const target = await Deno.readLink(`/proc/${pid}/fd/${e.name}`).catch(() => "?");
    const kind = /^(\w+):/.exec(target)?.[1] ?? (target.startsWith("/") ? "file" : target);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

export interface Sample {
  ms: number;
  rss: number;
  /** The anonymous part of rss (heaps). */
  anon: number;
  fds: number;
}

/** Samples RSS and fds every `everyMs` until stopped; returns every sample. */
export function sampleProcess(pid: number, everyMs = 250): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const t0 = performance.now();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      samples.push({
        ms: performance.now() - t0,
        rss: await rssBytes(pid),
        anon: (await rssBreakdown(pid)).anon,
        fds: await openFds(pid),
      });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** Polls until the process has at most `max` descriptors open; returns the last count. */
export async function waitForFds(pid: number, max: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await openFds(pid);
  while (n > max && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = await openFds(pid);
  }
  return n;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
