import { startTestServer } from "../tests/helpers/server.ts";
const server = await startTestServer();
const { hostname, port } = new URL(server.s3Url);
async function raw(s: string): Promise<string> {
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const data = new TextEncoder().encode(s);
  try {
    let off = 0;
    try { while (off < data.length) off += await conn.write(data.subarray(off)); } catch (e) { return `write failed after ${off}: ${e}`; }
    await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(65536); let out = "";
    while (true) { const n = await conn.read(buf).catch(() => null); if (n === null) break; out += new TextDecoder().decode(buf.subarray(0, n)); }
    return JSON.stringify(out.slice(0, 300));
  } finally { try { conn.close(); } catch {} }
}
const H = `Host: ${hostname}:${port}\r\n`;
for (const kb of [4, 8, 12, 16, 24, 32, 48, 64, 96]) console.log(kb, "KiB:", await raw(`GET /x HTTP/1.1\r\n${H}X-Big: ${"a".repeat(kb*1024)}\r\n\r\n`));
for (const n of [100, 101, 102, 110, 120, 128, 150]) console.log(n, "headers:", (await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: n - 1}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`)).slice(0, 40));
await server.stop();
