/**
 * The small-object workloads: 4 KiB GET, HEAD and durable PUT at several concurrencies, a
 * 64 KiB PUT (above the inline limit, so a file per object), and DELETE.
 * Each runs as alternating timed rounds against vStash and the ceiling, after one short
 * warm-up per server. PUTs and DELETEs walk through pools of distinct keys; each server
 * keeps its own position so no round rewrites a key the previous one wrote.
 */
import type { ServerProc } from "./procs.ts";
import { alternate, type Sides } from "./rounds.ts";
import { fillObjects, writePathsFile } from "./urls.ts";
import { runLoad, type WrkResult } from "./wrk.ts";

export const SMALL = 4096;
/** Objects the GET and HEAD workloads cycle through. */
const READ_SET = 1000;
export const BUCKET = "bench";

export interface SmallSpec {
  id: string;
  method: "GET" | "HEAD" | "PUT" | "DELETE";
  connections: number;
  /** PUT body size; SMALL unless given. */
  bodyBytes?: number;
}

export interface SmallContext {
  servers: { vstash: ServerProc; ceiling: ServerProc };
  workDir: string;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  clientCpus: string | null;
  serverCore: number | null;
  clientCore: number | null;
  /** Distinct keys in the PUT pool. */
  putPool: number;
}

export interface SmallResult extends SmallSpec {
  rounds: Sides<WrkResult>;
}

/** Path files and pool positions, shared by all small workloads of one run. */
export class SmallState {
  #files = new Map<string, string>();
  /** Next PUT (and DELETE) pool index per server. */
  putNext = { vstash: 0, ceiling: 0 };
  deleteNext = { vstash: 0, ceiling: 0 };
  #readSetReady = false;

  constructor(readonly ctx: SmallContext) {}

  readKey = (i: number) => `/${BUCKET}/s/o${String(i).padStart(5, "0")}`;
  poolKey = (i: number) => `/${BUCKET}/p/k${String(i).padStart(7, "0")}`;

  /** The presigned path file for a method (signed for vStash; the ceiling ignores it). */
  async pathsFor(method: SmallSpec["method"]): Promise<string> {
    let file = this.#files.get(method);
    if (file) return file;
    const v = this.ctx.servers.vstash;
    // DELETE walks the keys PUT wrote (the pool, or as much of it as was used).
    const written = Math.max(this.putNext.vstash, this.putNext.ceiling);
    const count = method === "GET" || method === "HEAD"
      ? READ_SET
      : method === "DELETE"
      ? Math.min(this.ctx.putPool, Math.max(written, 1))
      : this.ctx.putPool;
    const key = method === "GET" || method === "HEAD" ? this.readKey : this.poolKey;
    const keys = Array.from({ length: count }, (_, i) => key(i));
    file = await writePathsFile(`${this.ctx.workDir}/paths-${method}.txt`, v, method, keys);
    this.#files.set(method, file);
    return file;
  }

  /** Writes the 1000 objects GET and HEAD read, on both servers (the ceiling ignores them). */
  async ensureReadSet(): Promise<void> {
    if (this.#readSetReady) return;
    const keys = Array.from({ length: READ_SET }, (_, i) => this.readKey(i));
    await fillObjects(this.ctx.servers.vstash, keys, SMALL, 16);
    this.#readSetReady = true;
  }

  /**
   * DELETE needs keys to delete: when no PUT workload ran, fill the pool on both servers
   * for as long as the DELETE rounds will take.
   */
  async ensureDeletable(): Promise<void> {
    const { ctx } = this;
    for (const server of [ctx.servers.vstash, ctx.servers.ceiling]) {
      if (this.putNext[server.name] > 0) continue;
      await this.#load(
        server,
        { id: "fill", method: "PUT", connections: 64 },
        ctx.rounds * ctx.seconds + ctx.warmupSeconds,
      );
    }
  }

  async #load(server: ServerProc, spec: SmallSpec, seconds: number): Promise<WrkResult> {
    const { ctx } = this;
    const positions = spec.method === "PUT"
      ? this.putNext
      : spec.method === "DELETE"
      ? this.deleteNext
      : null;
    const result = await runLoad({
      url: server.url,
      pathsFile: await this.pathsFor(spec.method),
      method: spec.method,
      bodyBytes: spec.method === "PUT" ? spec.bodyBytes ?? SMALL : 0,
      connections: spec.connections,
      seconds,
      offset: positions?.[server.name] ?? 0,
      cpus: ctx.clientCpus,
      serverPid: server.pid,
      serverCore: ctx.serverCore,
      clientCore: ctx.clientCore,
    });
    // wrk asks its Lua script for one request before the run, and up to `connections` are
    // in flight when it stops: skip past all of them.
    if (positions) positions[server.name] += result.requests + spec.connections + 1;
    return result;
  }

  /** Warm-up on each server, then alternating timed rounds. */
  async run(spec: SmallSpec): Promise<SmallResult> {
    const { ctx } = this;
    if (spec.method === "GET" || spec.method === "HEAD") await this.ensureReadSet();
    if (spec.method === "DELETE") await this.ensureDeletable();
    for (const server of [ctx.servers.vstash, ctx.servers.ceiling]) {
      await this.#load(server, spec, ctx.warmupSeconds);
    }
    const rounds = await alternate(
      ctx.servers,
      ctx.rounds,
      (server) => this.#load(server, spec, ctx.seconds),
    );
    return { ...spec, rounds };
  }

  /** PUTs that went to a key already used (the pool wrapped): reported, not hidden. */
  poolWraps(): { vstash: number; ceiling: number } {
    const w = (n: number) => Math.max(0, n - this.ctx.putPool);
    return { vstash: w(this.putNext.vstash), ceiling: w(this.putNext.ceiling) };
  }

  /** DELETEs that found no object (the DELETE position passed the last key PUT wrote). */
  deletesOfMissingKeys(): { vstash: number; ceiling: number } {
    const m = (name: "vstash" | "ceiling") =>
      Math.max(0, this.deleteNext[name] - Math.min(this.putNext[name], this.ctx.putPool));
    return { vstash: m("vstash"), ceiling: m("ceiling") };
  }
}
