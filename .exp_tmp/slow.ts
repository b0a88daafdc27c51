import { startTestServer } from "../tests/helpers/server.ts";
import { openFds, serverPid } from "../tests/helpers/proc.ts";
const server = await startTestServer();
const pid = await serverPid(server.dataDir);
const { hostname, port } = new URL(server.s3Url);
console.log("fds idle", await openFds(pid));
const conns: Deno.Conn[] = [];
const closedAt: (number | null)[] = [];
const t0 = Date.now();
for (let i = 0; i < 3; i++) {
  const c = await Deno.connect({ hostname, port: Number(port) });
  await c.write(new TextEncoder().encode(i === 0 ? "GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: " : i === 1 ? "" : "G"));
  conns.push(c); closedAt.push(null);
  const idx = i;
  (async () => { const buf = new Uint8Array(1000); try { const n = await c.read(buf); closedAt[idx] = Date.now() - t0; console.log("conn", idx, "read", n, n ? new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0] : "", "at", closedAt[idx]); } catch (e) { console.log("conn", idx, "err", String(e), Date.now() - t0); } })();
}
for (let s = 0; s < 8; s++) { await new Promise((r) => setTimeout(r, 5000)); console.log("t", Date.now() - t0, "fds", await openFds(pid), closedAt); }
for (const c of conns) try { c.close(); } catch {}
await new Promise((r) => setTimeout(r, 300));
console.log("fds after close", await openFds(pid));
await server.stop();
