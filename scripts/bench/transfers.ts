/**
 * Large transfers with curl (pinned to the client core): it streams a file from the page
 * cache or a sparse file, so the client holds nothing in memory and costs little CPU. The
 * server's peak RSS is sampled from /proc during each transfer.
 */
import { memory, rssSampler, type ServerProc } from "./procs.ts";
import { pool, presigned, s3Request } from "./urls.ts";

export const MIB = 1024 * 1024;

export interface Transfer {
  seconds: number;
  bytes: number;
  mibPerSec: number;
  /** The server's RSS when the transfer started, and its peak during it. */
  startRssBytes: number;
  peakRssBytes: number;
}

interface CurlResult {
  status: number;
  seconds: number;
  etag: string;
}

/** Writes `bytes` of random data (a few MiB at a time) to `path`. */
export async function makeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(4 * MIB);
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      for (let off = 0; off < chunk.length; off += 65536) {
        crypto.getRandomValues(chunk.subarray(off, off + 65536));
      }
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      for (let off = 0; off < part.length;) off += await file.write(part.subarray(off));
    }
  } finally {
    file.close();
  }
}

/** A sparse file of zeros: reading it costs neither disk nor memory. */
export async function makeSparseFile(path: string, bytes: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await file.truncate(bytes);
  file.close();
}

async function curl(args: string[], cpus: string | null): Promise<CurlResult> {
  const curlArgs = [
    "-sS",
    "-o",
    "/dev/null",
    // Deno answers 100-continue itself; curl's wait for it would only add a round trip.
    "-H",
    "Expect:",
    "-w",
    "%{http_code} %{time_total} %header{etag}",
    ...args,
  ];
  const [cmd, all] = cpus === null
    ? ["curl", curlArgs]
    : ["taskset", ["-c", cpus, "curl", ...curlArgs]];
  const out = await new Deno.Command(cmd, { args: all, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const [status, seconds, etag] = text.split(" ");
  if (!out.success || !/^2/.test(status)) {
    throw new Error(`curl ${args.join(" ")}: ${text} ${new TextDecoder().decode(out.stderr)}`);
  }
  return { status: Number(status), seconds: Number(seconds), etag: etag ?? "" };
}

/** The URL a server is sent `method path` on: presigned for vStash, plain for the ceiling. */
export function urlFor(
  server: ServerProc,
  method: string,
  path: string,
  query?: Record<string, string>,
): string {
  if (server.name === "vstash") return presigned(server, method, path, query);
  const u = new URL(path, server.url);
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
  return u.href;
}

/** Times `fn` and samples the server's peak RSS while it runs. */
async function measured(
  server: ServerProc,
  bytes: number,
  fn: () => Promise<void>,
): Promise<Transfer> {
  const startRssBytes = memory(server.pid).rss;
  const sampler = rssSampler(server.pid);
  const t0 = performance.now();
  let peakRssBytes = 0;
  try {
    await fn();
  } finally {
    peakRssBytes = sampler.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, bytes, mibPerSec: bytes / MIB / seconds, startRssBytes, peakRssBytes };
}

/** PUTs a file with curl; `md5` asks the ceiling for its pipe-with-MD5 variant. */
export function putFile(
  server: ServerProc,
  path: string,
  file: string,
  bytes: number,
  cpus: string | null,
  md5 = false,
): Promise<Transfer> {
  const extra = md5 && server.name === "ceiling" ? ["-H", "x-ceiling-md5: 1"] : [];
  return measured(server, bytes, async () => {
    await curl([...extra, "-T", file, urlFor(server, "PUT", path)], cpus);
  });
}

/** GETs an object with curl into /dev/null. */
export function getFile(
  server: ServerProc,
  path: string,
  bytes: number,
  cpus: string | null,
): Promise<Transfer> {
  return measured(server, bytes, async () => {
    await curl([urlFor(server, "GET", path)], cpus);
  });
}

/** Deletes an object (frees the disk between large rounds). */
export async function deleteObject(server: ServerProc, path: string): Promise<void> {
  if (server.name === "vstash") {
    await s3Request(server, "DELETE", path);
    return;
  }
  const res = await fetch(new URL(path, server.url), { method: "DELETE" });
  await res.body?.cancel();
}

/**
 * A multipart upload of `parts` copies of `partFile` with `inFlight` UploadPart requests at
 * once, timed from CreateMultipartUpload to the end of CompleteMultipartUpload. The ceiling
 * does the same part PUTs (with MD5, each part's ETag) and has nothing to create or complete.
 */
export function multipartUpload(
  server: ServerProc,
  path: string,
  partFile: string,
  partBytes: number,
  parts: number,
  inFlight: number,
  cpus: string | null,
): Promise<Transfer> {
  const numbers = Array.from({ length: parts }, (_, i) => i + 1);
  return measured(server, partBytes * parts, async () => {
    if (server.name === "ceiling") {
      await pool(numbers, inFlight, async (n) => {
        await curl([
          "-H",
          "x-ceiling-md5: 1",
          "-T",
          partFile,
          urlFor(server, "PUT", `${path}.part${n}`),
        ], cpus);
      });
    } else {
      const created = await s3Request(server, "POST", path, { query: { uploads: "" } });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1];
      if (!uploadId) throw new Error(`no UploadId in ${created.text}`);
      const etags: string[] = [];
      await pool(numbers, inFlight, async (n) => {
        const url = urlFor(server, "PUT", path, { partNumber: String(n), uploadId });
        etags[n - 1] = (await curl(["-T", partFile, url], cpus)).etag;
      });
      const xml = `<CompleteMultipartUpload>${
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join("")
      }</CompleteMultipartUpload>`;
      const done = await s3Request(server, "POST", path, { query: { uploadId }, body: xml });
      if (!done.text.includes("<CompleteMultipartUploadResult")) {
        throw new Error(`CompleteMultipartUpload: ${done.text.slice(0, 300)}`);
      }
    }
  });
}

/** Deletes the ceiling's part files or vStash's completed object. */
export async function deleteMultipart(
  server: ServerProc,
  path: string,
  parts: number,
): Promise<void> {
  if (server.name === "vstash") return await deleteObject(server, path);
  await pool(
    Array.from({ length: parts }, (_, i) => i + 1),
    8,
    (n) => deleteObject(server, `${path}.part${n}`),
  );
}
