import { ConfigError, loadConfig, SETTINGS } from "./src/config.ts";
import { startServer } from "./src/server.ts";

const VERSION = "0.1.0";

const HELP = `vStash ${VERSION}: a self-hosted, S3-compatible object store.

Usage:
  vstash serve [flags]     start the S3 API and the management API + console
  vstash version           print the version
  vstash --help            this text

Flags of serve (each also an environment variable; the flag wins):
${
  SETTINGS.map((s) =>
    `  --${s.flag.padEnd(14)} ${s.env.padEnd(22)} ${s.help}${
      s.default ? ` (default ${s.default})` : ""
    }`
  ).join("\n")
}

First start only:
  VSTASH_ACCESS_KEY, VSTASH_SECRET_KEY   the first credential (random and printed once if unset)
  VSTASH_ADMIN_KEY                       the management API key (random and printed once if unset)
`;

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
  const server = await startServer(config, (name) => Deno.env.get(name));
  const stop = () => {
    server.shutdown().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
