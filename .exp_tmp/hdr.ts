import { startTestServer } from "/work/main/tests/helpers/server.ts";
const server = await startTestServer();
const { hostname, port } = new URL(server.s3Url);
async function raw(bytes: Uint8Array | string, halfClose = true, timeoutMs = 5000): Promise<string> {
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  try {
    let off = 0;
    try { while (off < data.length) off += await conn.write(data.subarray(off)); } catch (e) { return `write failed after ${off}: ${e}`; }
    if (halfClose) await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(65536); let out = "";
    const t = setTimeout(() => { try { conn.close(); } catch {} }, timeoutMs);
    try {
      while (true) { const n = await conn.read(buf).catch((e) => { out += `[read err ${e}]`; return null; }); if (n === null) break; out += new TextDecoder().decode(buf.subarray(0, n)); }
    } finally { clearTimeout(t); }
    return out.split("\r\n")[0] + " | " + out.length + " bytes" + (out.includes("<Code>") ? " " + /<Code>([^<]*)/.exec(out)![1] : "");
  } finally { try { conn.close(); } catch {} }
}
const H = `Host: ${hostname}:${port}\r\n`;
console.log("100KiB header:", await raw(`GET /x HTTP/1.1\r\n${H}X-Big: ${"a".repeat(100*1024)}\r\n\r\n`));
console.log("300KiB header:", await raw(`GET /x HTTP/1.1\r\n${H}X-Big: ${"a".repeat(300*1024)}\r\n\r\n`));
console.log("1MiB header:", await raw(`GET /x HTTP/1.1\r\n${H}X-Big: ${"a".repeat(1024*1024)}\r\n\r\n`));
console.log("99 headers:", await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: 98}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`));
console.log("100 headers:", await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: 99}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`));
console.log("101 headers:", await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: 100}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`));
console.log("200 headers:", await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: 199}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`));
console.log("1000 headers:", await raw(`GET /x HTTP/1.1\r\n${H}${Array.from({length: 999}, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`));
console.log("no host:", await raw(`GET /x HTTP/1.1\r\n\r\n`));
console.log("dup CL:", await raw(`PUT /b/x HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`));
console.log("TE+CL:", await raw(`PUT /b/x HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`));
console.log("bad method:", await raw(`G\x01T /x HTTP/1.1\r\n${H}\r\n`));
console.log("long path 100k:", await raw(`GET /${"p".repeat(100000)} HTTP/1.1\r\n${H}\r\n`));
console.log("path %zz:", await raw(`GET /b/%zz HTTP/1.1\r\n${H}\r\n`));
console.log("path space:", await raw(`GET /b/a b HTTP/1.1\r\n${H}\r\n`));
console.log("http/1.0:", await raw(`GET /b/x HTTP/1.0\r\n\r\n`));
console.log("http/2 junk:", await raw(`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`));
console.log("garbage:", await raw(`\x00\x01\x02\xff\xfe garbage\r\n\r\n`));
console.log("absolute uri:", await raw(`GET http://evil.example/b/x HTTP/1.1\r\n${H}\r\n`));
console.log("CL -1:", await raw(`PUT /b/x HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`));
console.log("CL huge:", await raw(`PUT /b/x HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n`));
console.log("non-ascii header:", await raw(new Uint8Array([...new TextEncoder().encode(`GET /x HTTP/1.1\r\n${H}X-A: `), 0xff, 0xfe, 0x80, ...new TextEncoder().encode("\r\n\r\n")])));
console.log("ctl header:", await raw(`GET /x HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`));
console.log(server.output().slice(-2000));
await server.stop();
