import { ConfigError, loadConfig } from "./src/config.ts";
import { helpText } from "./src/cli/help.ts";
import { isCommandGroup, runCommandGroup } from "./src/cli/run.ts";
import { type RunningServer, startServer } from "./src/server.ts";

const VERSION = "0.1.0";

const HELP = helpText(VERSION);

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === "version" || command === "--version") {
    console.log(`vstash ${VERSION}`);
    return 0;
  }
  if (isCommandGroup(command)) {
    return await runCommandGroup(command, rest, (name) => Deno.env.get(name));
  }
  if (command !== "serve") {
    console.error(`vstash: unknown command "${command}"; see vstash --help`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  let config;
  try {
    config = loadConfig(rest, (name) => Deno.env.get(name));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vstash: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // Listen for signals before the server announces itself: a supervisor (or a test) may stop
  // it the moment it reads the "listening" lines, and a signal nobody listens for yet would
  // kill the process without the clean shutdown (its pid file and CLI token stay behind).
  let server: RunningServer | undefined;
  let stopRequested = false;
  const stop = () => {
    if (server) server.shutdown().then(() => Deno.exit(0));
    else stopRequested = true;
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  try {
    server = await startServer(config, (name) => Deno.env.get(name));
  } catch (err) {
    // Refusals a user can act on get one clear line, not a stack trace.
    if (err instanceof ConfigError || err instanceof Deno.errors.AddrInUse) {
      console.error(`vstash: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (stopRequested) stop();
  await server.finished;
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
