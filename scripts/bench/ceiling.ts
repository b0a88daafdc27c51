/**
 * The ceiling server: plain `Deno.serve` doing the least work each benchmark job needs, run
 * as its own process with the same runtime as vStash. Whatever vStash does beyond this
 * (SigV4, routing, metadata records, temp file + rename + directory fsync, XML, metrics) is
 * what the ratio to the ceiling measures.
 *
 * Routes (the query string is ignored, so the presigned URLs made for vStash work here too):
 * - `GET /<anything>`: a 4 KiB body from memory; under `/<bucket>/big/` the file is streamed.
 * - `HEAD /<anything>`: the headers of a 4 KiB object.
 * - `PUT /<anything>`: the body streamed to a file, fsync, one KV commit. With the request
 *   header `x-ceiling-md5: 1` the stream is also MD5-hashed (node:crypto), the pipe-with-MD5
 *   rate that S3's ETag forces on any server.
 * - `DELETE /<anything>`: unlink the file and delete its KV entry (one commit).
 *
 * Usage: deno run --allow-all scripts/bench/ceiling.ts --data-dir DIR
 * Prints `ceiling listening on http://127.0.0.1:PORT` once it accepts connections.
 */
import { createHash, type Hash } from "node:crypto";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { "data-dir": { type: "string" }, port: { type: "string", default: "0" } },
});
const dataDir = values["data-dir"];
if (!dataDir) throw new Error("--data-dir is required");
const filesDir = `${dataDir}/files`;
await Deno.mkdir(filesDir, { recursive: true });
const kv = await Deno.openKv(`${dataDir}/kv.sqlite3`);

const SMALL = new Uint8Array(4096).fill(0x61);
const BIG_MARKER = "/big/";

/** The raw path of a request URL, without scheme, host and query. */
function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/** One flat file per path: `/b/k/x` → `b_k_x` (the paths the bench sends are plain). */
function fileOf(path: string): string {
  return `${filesDir}/${path.slice(1).replaceAll("/", "_")}`;
}

async function put(req: Request, path: string): Promise<Response> {
  const md5: Hash | null = req.headers.has("x-ceiling-md5") ? createHash("md5") : null;
  const file = await Deno.open(fileOf(path), { write: true, create: true, truncate: true });
  let size = 0;
  try {
    if (req.body) {
      for await (const chunk of req.body) {
        md5?.update(chunk);
        for (let off = 0; off < chunk.length;) {
          off += await file.write(off === 0 ? chunk : chunk.subarray(off));
        }
        size += chunk.length;
      }
    }
    await file.sync();
  } finally {
    file.close();
  }
  const etag = md5 ? `"${md5.digest("hex")}"` : `"${size}"`;
  await kv.set(["o", path], { size, etag, at: Date.now() });
  return new Response(null, { status: 200, headers: { etag } });
}

async function handler(req: Request): Promise<Response> {
  const path = rawPath(req.url);
  switch (req.method) {
    case "GET": {
      if (!path.includes(BIG_MARKER)) {
        return new Response(SMALL, { headers: { "content-length": "4096" } });
      }
      const file = await Deno.open(fileOf(path), { read: true });
      const { size } = await file.stat();
      return new Response(file.readable, { headers: { "content-length": String(size) } });
    }
    case "HEAD":
      return new Response(null, { headers: { "content-length": "4096" } });
    case "PUT":
      return await put(req, path);
    case "DELETE":
      await Deno.remove(fileOf(path)).catch(() => {});
      await kv.delete(["o", path]);
      return new Response(null, { status: 204 });
    default:
      return new Response(null, { status: 405 });
  }
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  onListen: ({ hostname, port }) => console.log(`ceiling listening on http://${hostname}:${port}`),
  onError: (err) => {
    console.error(`ceiling: ${err}`);
    return new Response("internal error", { status: 500 });
  },
}, handler);

const stop = () => {
  server.shutdown().then(() => {
    kv.close();
    Deno.exit(0);
  });
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
