/**
 * The large workloads: 256 MiB PUT (against the ceiling's plain pipe and its pipe + MD5) and
 * GET, a 1 GiB multipart upload with 8 parts in flight, and the server's peak RSS while a
 * 5 GiB object is uploaded (to freshly started servers). Objects are deleted after each round
 * to keep the disk free.
 */
import type { ServerProc } from "./procs.ts";
import type { BenchResults } from "./report.ts";
import { alternate, alternateOnce, type Sides } from "./rounds.ts";
import { BUCKET } from "./small.ts";
import { s3Request } from "./urls.ts";
import {
  deleteMultipart,
  deleteObject,
  getFile,
  makeRandomFile,
  makeSparseFile,
  MIB,
  multipartUpload,
  putFile,
  type Transfer,
} from "./transfers.ts";

const LARGE = 256 * MIB;
const PART = 16 * MIB;
const PARTS = 64;
const IN_FLIGHT = 8;
/** Space the big upload needs: the object on each server plus room to spare. */
const BIG_UPLOAD_FREE_BYTES = 12 * 2 ** 30;

export interface LargeContext {
  servers: { vstash: ServerProc; ceiling: ServerProc };
  workDir: string;
  cpus: string | null;
  selected: Set<string>;
  largeRounds: number;
  multipartRounds: number;
  bigUploadBytes: number;
  /** Starts a fresh server of that kind (empty data dir), for the memory measurement. */
  fresh: (name: "vstash" | "ceiling") => Promise<ServerProc>;
  log: (msg: string) => void;
}

const mibs = (ts: Transfer[]) => ts.map((t) => t.mibPerSec.toFixed(0)).join(" ");

async function freeBytes(dir: string): Promise<number> {
  const out = await new Deno.Command("df", {
    args: ["-B1", "--output=avail", dir],
    stdout: "piped",
  })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1));
}

export async function runLarge(ctx: LargeContext, results: BenchResults): Promise<void> {
  const { servers, workDir, cpus, log } = ctx;
  const { vstash, ceiling } = servers;

  if (ctx.selected.has("large")) {
    const file = `${workDir}/large.bin`;
    await makeRandomFile(file, LARGE);
    log(
      `large: 256 MiB, ${ctx.largeRounds} rounds of PUT and GET (vStash, ceiling pipe + MD5), ` +
        `then ${ctx.largeRounds} PUTs to the ceiling's plain pipe`,
    );
    // Each round writes, reads back and deletes its two objects before the next starts: the
    // disk here slows as data piles up, and a round must find it as the previous one did.
    const put: Sides<Transfer> = { vstash: [], ceiling: [] };
    const get: Sides<Transfer> = { vstash: [], ceiling: [] };
    const path = (s: ServerProc, r: number) => `/${BUCKET}/big/${s.name}-${r}`;
    for (let r = 0; r < ctx.largeRounds; r++) {
      await alternateOnce(servers, r, (s) => putFile(s, path(s, r), file, LARGE, cpus, true), put);
      await alternateOnce(servers, r, (s) => getFile(s, path(s, r), LARGE, cpus), get);
      for (const s of [vstash, ceiling]) await deleteObject(s, path(s, r));
    }
    // The plain pipe is for reference only: measured on its own, after the paired rounds, so
    // its faster writes do not run right before one side more often than the other.
    const ceilingPipe: Transfer[] = [];
    for (let r = 0; r < ctx.largeRounds; r++) {
      ceilingPipe.push(await putFile(ceiling, `/${BUCKET}/big/pipe-${r}`, file, LARGE, cpus));
      await deleteObject(ceiling, `/${BUCKET}/big/pipe-${r}`);
    }
    results.put256 = { vstash: put.vstash, ceilingMd5: put.ceiling, ceilingPipe };
    results.get256 = get;
    log(
      `  PUT vstash ${mibs(put.vstash)} | ceiling+md5 ${mibs(put.ceiling)} | ceiling ${
        mibs(ceilingPipe)
      } MiB/s`,
    );
    log(`  GET vstash ${mibs(get.vstash)} | ceiling ${mibs(get.ceiling)} MiB/s`);
    await Deno.remove(file);
  }

  if (ctx.selected.has("multipart")) {
    const partFile = `${workDir}/part.bin`;
    await makeRandomFile(partFile, PART);
    log(`multipart: ${PARTS} × 16 MiB, ${IN_FLIGHT} in flight, ${ctx.multipartRounds} rounds`);
    const mp = await alternate(servers, ctx.multipartRounds, async (s, r) => {
      const path = `/${BUCKET}/big/multipart-${r}`;
      const t = await multipartUpload(s, path, partFile, PART, PARTS, IN_FLIGHT, cpus);
      await deleteMultipart(s, path, PARTS);
      return t;
    });
    results.multipart = { ...mp, parts: PARTS, partBytes: PART, inFlight: IN_FLIGHT };
    log(`  vstash ${mibs(mp.vstash)} | ceiling ${mibs(mp.ceiling)} MiB/s`);
    await Deno.remove(partFile);
  }

  if (ctx.selected.has("big-upload")) {
    const bytes = ctx.bigUploadBytes;
    const free = await freeBytes(workDir);
    const needed = Math.max(BIG_UPLOAD_FREE_BYTES * bytes / (5 * 2 ** 30), 2 * bytes + 2 ** 30);
    if (free < needed) {
      const skipped = `skipped: ${(free / 2 ** 30).toFixed(1)} GiB free, ${
        (needed / 2 ** 30).toFixed(0)
      } GiB needed`;
      log(`big upload ${skipped}`);
      results.bigUpload = { skipped };
      return;
    }
    const file = `${workDir}/big-upload.bin`;
    await makeSparseFile(file, bytes);
    log(`big upload: ${bytes / 2 ** 30} GiB PUT to freshly started servers, sampling their RSS`);
    const upload = async (name: "vstash" | "ceiling") => {
      // A fresh process: its peak is the upload's, not the heap left by earlier workloads.
      const server = await ctx.fresh(name);
      try {
        if (name === "vstash") await s3Request(server, "PUT", `/${BUCKET}`);
        return await putFile(server, `/${BUCKET}/big/huge`, file, bytes, cpus, true);
      } finally {
        await server.stop();
        await Deno.remove(server.dataDir, { recursive: true });
      }
    };
    const v = await upload("vstash");
    const c = await upload("ceiling");
    results.bigUpload = { bytes, vstash: v, ceiling: c };
    const mb = (x: number) => (x / 1e6).toFixed(0);
    log(
      `  vstash ${mb(v.startRssBytes)} → ${mb(v.peakRssBytes)} MB, ${
        v.mibPerSec.toFixed(0)
      } MiB/s | ceiling ${mb(c.startRssBytes)} → ${mb(c.peakRssBytes)} MB, ${
        c.mibPerSec.toFixed(0)
      } MiB/s`,
    );
    await Deno.remove(file);
  }
}
