/**
 * Summarizes a V8 CPU profile (`deno run --cpu-prof`, or `deno task bench --cpu-prof DIR`):
 * self time by function and by source file, and total (inclusive) time of the functions that
 * matter, so "what dominates" is one command away.
 *
 * deno run --allow-read scripts/bench/profile_summary.ts FILE.cpuprofile [TOP]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = Deno.args;
if (!file) throw new Error("usage: profile_summary.ts FILE.cpuprofile [TOP]");
const top = Number(topArg ?? 25);
const profile = JSON.parse(await Deno.readTextFile(file)) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const sampled = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
  .reduce((a, [, us]) => a + us, 0);
// Percentages are of the busy time: a profile spans the whole process, idle stretches included.
const total = sampled - idleUs;

const short = (url: string) =>
  url.replace(/^file:\/\/.*?\/(src|scripts|main\.ts)/, "$1").replace(/^.*node_modules\//, "npm:")
    .replace(/^ext:/, "ext:");
const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const name = f.functionName || "(anonymous)";
  return f.url ? `${name} ${short(f.url)}:${f.lineNumber + 1}` : name;
};

const selfByLabel = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  selfByLabel.set(label(n), (selfByLabel.get(label(n)) ?? 0) + us);
  const fileKey = n.callFrame.url ? short(n.callFrame.url) : `(${n.callFrame.functionName})`;
  selfByFile.set(fileKey, (selfByFile.get(fileKey) ?? 0) + us);
  // Inclusive: every distinct frame on the stack gets the sample once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}

const pct = (us: number) => `${(us / total * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    if (k !== "(idle)" && k !== "((idle))") console.log(`${pct(us)}  ${k}`);
  }
};
console.log(
  `${file}: ${(sampled / 1e6).toFixed(1)} s sampled, ${(total / 1e6).toFixed(1)} s busy ` +
    `(percentages below are of the busy time)`,
);
print("self time by function", selfByLabel, top);
print("self time by file", selfByFile, top);
const interesting = new Map(
  [...inclusive].filter(([k]) => /\b(src|main\.ts)/.test(k) || /^\((garbage|program)/.test(k)),
);
print("inclusive time, vStash functions", interesting, top);
