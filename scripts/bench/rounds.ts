/**
 * Alternating rounds and their medians. Every figure the bench reports is a median of rounds
 * that alternate between vStash and the ceiling (and alternate which goes first), so a burst
 * of outside load hurts both sides alike rather than one.
 */
import type { ServerProc } from "./procs.ts";

export interface Sides<T> {
  vstash: T[];
  ceiling: T[];
}

/** Runs `rounds` rounds of `run` on each server, alternating the order every round. */
export async function alternate<T>(
  servers: { vstash: ServerProc; ceiling: ServerProc },
  rounds: number,
  run: (server: ServerProc, round: number) => Promise<T>,
): Promise<Sides<T>> {
  const out: Sides<T> = { vstash: [], ceiling: [] };
  for (let r = 0; r < rounds; r++) await alternateOnce(servers, r, run, out);
  return out;
}

/**
 * Round `round` of `alternate`: both servers back to back, vStash first in even rounds.
 * The results are appended to `out`.
 */
export async function alternateOnce<T>(
  servers: { vstash: ServerProc; ceiling: ServerProc },
  round: number,
  run: (server: ServerProc, round: number) => Promise<T>,
  out: Sides<T>,
): Promise<void> {
  const order = round % 2 === 0 ? ["vstash", "ceiling"] as const : ["ceiling", "vstash"] as const;
  for (const side of order) out[side].push(await run(servers[side], round));
}

/**
 * The ratio vStash / ceiling of a workload: the median of each round's own ratio. A round's
 * two measurements run back to back, so a drift that moves both between rounds (this VM's
 * disk slows as it fills, its CPU is shared) cancels out, which a ratio of medians would
 * not do when one side's median comes from a slow round and the other's from a fast one.
 */
export function pairedRatio(vstash: number[], ceiling: number[]): number {
  const n = Math.min(vstash.length, ceiling.length);
  return median(Array.from({ length: n }, (_, i) => vstash[i] / ceiling[i]));
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of one field over rounds. */
export function med<T>(rounds: T[], field: (t: T) => number): number {
  return median(rounds.map(field));
}

/** Busy jiffies of one CPU from /proc/stat (everything but idle and iowait). */
export function coreBusySeconds(core: number): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n").find((l) =>
    l.startsWith(`cpu${core} `)
  );
  if (!line) return NaN;
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

export function loadAverage(): number[] {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
}
