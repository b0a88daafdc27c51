/**
 * A child process whose stdout and stderr are collected, with a wait for the lines that say
 * it is ready. The test servers (tests/helpers/server.ts) and the benchmark's servers
 * (scripts/bench/procs.ts) both start vStash this way.
 */
export interface WatchedProcess {
  child: Deno.ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves when stdout and stderr have closed (after the process ended). */
  drained: Promise<void>;
}

/** Spawns `cmd` with piped output; `echo` also copies the output to this process's stderr. */
export function spawnWatched(
  cmd: string,
  options: Omit<Deno.CommandOptions, "stdout" | "stderr">,
  echo = false,
): WatchedProcess {
  const child = new Deno.Command(cmd, { ...options, stdout: "piped", stderr: "piped" }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      if (echo) await Deno.stderr.write(chunk);
    }
  };
  return {
    child,
    output: () => out,
    drained: Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {}),
  };
}

/**
 * Waits until every pattern matched the output, and returns each pattern's first group. If
 * the process exits or `timeoutMs` passes first, it is killed, awaited, and this throws with
 * what it printed.
 */
export async function waitForOutput(
  p: WatchedProcess,
  patterns: RegExp[],
  timeoutMs: number,
  what: string,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const found = patterns.map((re) => re.exec(p.output())?.[1] ?? "");
    if (found.every((v) => v !== "")) return found;
    const exited = await Promise.race([
      p.child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 25)),
    ]);
    if (exited || Date.now() > deadline) {
      if (!exited) p.child.kill("SIGKILL");
      await p.child.status;
      await p.drained;
      throw new Error(`${what} did not start:\n${p.output()}`);
    }
  }
}
