/**
 * A minimal HTTP/1.1 keep-alive load generator over raw TCP, for HEAD: Debian's wrk 4.1
 * cannot run HEAD (its parser waits for the Content-Length body a HEAD response announces
 * but never sends), and h2load, curl --parallel and ab stall at about 4k requests/s on
 * loopback here. It prints the same `BENCHJSON {...}` line as lua/cycle.lua, and runs as
 * its own process (pinned to the client core like wrk) so its CPU time is measured alike.
 *
 * Only what the bench needs: requests without a body, responses with Content-Length (or
 * none for HEAD), no chunked responses.
 *
 * deno run --allow-net --allow-read scripts/bench/rawload.ts URL PATHS METHOD CONNS SECONDS OFFSET
 */
const [base, pathsFile, method, conns, seconds, offset] = Deno.args;
const url = new URL(base);
const paths = (await Deno.readTextFile(pathsFile)).split("\n").filter((l) => l !== "");
const encoder = new TextEncoder();
const requests = paths.map((p) =>
  encoder.encode(`${method} ${p} HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`)
);
const isHead = method === "HEAD";
const deadline = performance.now() + Number(seconds) * 1000;
let next = Number(offset) % requests.length;
const latenciesUs: number[] = [];
let statusErrors = 0;
let readErrors = 0;
let bytes = 0;

/** Index of "\r\n\r\n" in buf[0..len), or -1. */
function headerEnd(buf: Uint8Array, len: number): number {
  for (let i = 3; i < len; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

const decoder = new TextDecoder();

async function connection(): Promise<void> {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  conn.setNoDelay(true);
  let buf = new Uint8Array(64 * 1024);
  try {
    while (performance.now() < deadline) {
      const req = requests[next];
      next = (next + 1) % requests.length;
      const t0 = performance.now();
      await conn.write(req);
      let len = 0;
      let need = -1;
      while (need < 0 || len < need) {
        if (len === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) throw new Error("connection closed");
        len += n;
        if (need < 0) {
          const end = headerEnd(buf, len);
          if (end < 0) continue;
          const head = decoder.decode(buf.subarray(0, end)).toLowerCase();
          const length = /\r\ncontent-length:\s*(\d+)/.exec(head)?.[1];
          need = end + (isHead || length === undefined ? 0 : Number(length));
          if (!/^http\/1\.1 [23]/.test(head)) statusErrors++;
        }
      }
      // Each response is read whole before the next request: nothing is left over.
      bytes += len;
      latenciesUs.push((performance.now() - t0) * 1000);
    }
  } catch {
    readErrors++;
  } finally {
    conn.close();
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(conns) }, connection));
const durationUs = (performance.now() - started) * 1000;
latenciesUs.sort((a, b) => a - b);
const pct = (p: number) =>
  latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(latenciesUs.length * p / 100))] ?? 0;
const mean = latenciesUs.reduce((s, x) => s + x, 0) / Math.max(latenciesUs.length, 1);
console.log(`BENCHJSON ${
  JSON.stringify({
    requests: latenciesUs.length,
    duration_us: Math.round(durationUs),
    bytes,
    p50_us: Math.round(pct(50)),
    p90_us: Math.round(pct(90)),
    p99_us: Math.round(pct(99)),
    max_us: Math.round(latenciesUs.at(-1) ?? 0),
    mean_us: Math.round(mean * 10) / 10,
    errors_connect: 0,
    errors_read: readErrors,
    errors_write: 0,
    errors_status: statusErrors,
    errors_timeout: 0,
  })
}`);
