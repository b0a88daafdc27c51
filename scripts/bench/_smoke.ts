import { startCeiling, pinSelf } from "./procs.ts";
import { runLoad } from "./wrk.ts";
await pinSelf("1");
const dir = await Deno.makeTempDir();
const c = await startCeiling({ cpus: "0", dataDir: dir + "/c" });
const paths = Array.from({ length: 1000 }, (_, i) => `/bench/s/o${i}?X-Amz-Foo=bar`);
await Deno.writeTextFile(dir + "/p.txt", paths.join("\n") + "\n");
const only = Deno.args[0];
for (const [method, body, conns] of [["GET", 0, 64], ["HEAD", 0, 64], ["HEAD", 0, 1], ["GET", 0, 1], ["HEAD", 0, 16]] as const) {
  const r = await runLoad({ url: c.url, pathsFile: dir + "/p.txt", method, bodyBytes: body, connections: conns, seconds: 3, offset: 0, cpus: "1", serverPid: c.pid });
  console.log(method, conns, JSON.stringify(r));
}
await c.stop();
await Deno.remove(dir, { recursive: true });
