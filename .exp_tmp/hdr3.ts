import { startTestServer } from "../tests/helpers/server.ts";
const server = await startTestServer();
const { hostname, port } = new URL(server.s3Url);
async function status(s: string): Promise<number> {
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const data = new TextEncoder().encode(s);
  try {
    let off = 0;
    try { while (off < data.length) off += await conn.write(data.subarray(off)); } catch { return -1; }
    await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(65536); let out = "";
    while (true) { const n = await conn.read(buf).catch(() => null); if (n === null) break; out += new TextDecoder().decode(buf.subarray(0, n)); }
    return Number(out.slice(9, 12));
  } finally { try { conn.close(); } catch {} }
}
const H = `Host: ${hostname}:${port}\r\n`;
const head = (n: number) => `GET /x HTTP/1.1\r\n${H}X-Big: ${"a".repeat(n)}\r\n\r\n`;
let lo = 48 * 1024, hi = 64 * 1024;
while (hi - lo > 1) { const mid = (lo + hi) >> 1; if ((await status(head(mid))) === 400) hi = mid; else lo = mid; }
console.log("max ok value", lo, "total head bytes", head(lo).length);
const many = (n: number) => `GET /x HTTP/1.1\r\n${H}${Array.from({length: n - 1}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`;
let a = 128, b = 150;
while (b - a > 1) { const mid = (a + b) >> 1; if ((await status(many(mid))) === 400) b = mid; else a = mid; }
console.log("max headers ok", a);
await server.stop();
