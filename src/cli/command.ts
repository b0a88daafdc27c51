/**
 * What a CLI command is (its options, arguments and action), and the argument parsing every
 * command shares: the settings of `vstash serve` (SETTINGS, so `--data-dir` and
 * `--admin-addr` work everywhere and the environment variables too), `--json` and `--help`.
 */
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig, SETTINGS } from "../config.ts";
import { CommandError, type Output, UsageError } from "./output.ts";
import type { ApiAnswer, Target } from "./target.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  /** How the value is shown in usage lines (`NAME`); booleans have none. */
  value?: string;
  help: string;
}

/** What a command's action gets. */
export interface CommandContext {
  target: Target;
  out: Output;
  /** The command's own options, by name. */
  options: Record<string, string | boolean | undefined>;
  /** Positional arguments, checked against `args`. */
  args: string[];
}

export interface Command {
  summary: string;
  /** Positional argument names, all required (`ID|ACCESS_KEY`). */
  args: string[];
  options: Record<string, OptionSpec>;
  run(ctx: CommandContext): Promise<void>;
}

/** `vstash <group> <command>`: key, bucket, admin-key. */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Record<string, Command>;
}

/** Options every subcommand takes besides SETTINGS. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print JSON instead of tables" },
  help: { type: "boolean", help: "show help for the command" },
};

/** The usage line of a command: `vstash key create [--user NAME] ...`. */
export function usageLine(group: CommandGroup, name: string): string {
  const c = group.commands[name];
  const options = Object.entries(c.options).map(([opt, spec]) =>
    spec.type === "boolean" ? `[--${opt}]` : `[--${opt} ${spec.value ?? "VALUE"}]`
  );
  return ["vstash", group.name, name, ...c.args, ...options].join(" ");
}

export interface ParsedCommand {
  config: Config;
  /** Whether `--admin-addr` was given as a flag (the environment does not count). */
  adminAddrGiven: boolean;
  json: boolean;
  help: boolean;
  options: Record<string, string | boolean | undefined>;
  args: string[];
}

/**
 * Parses a command's arguments: its own options, COMMON_OPTIONS and every SETTINGS flag
 * (merged with the environment by loadConfig, exactly as `serve` does).
 */
export function parseCommand(
  command: Command,
  argv: string[],
  env: (name: string) => string | undefined,
): ParsedCommand {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const s of SETTINGS) options[s.flag] = { type: "string" };
  for (const [name, spec] of Object.entries({ ...COMMON_OPTIONS, ...command.options })) {
    options[name] = { type: spec.type };
  }
  options.help.short = "h";
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  if (!help && parsed.positionals.length !== command.args.length) {
    throw new UsageError(
      command.args.length === 0
        ? `unexpected argument "${parsed.positionals[0]}"`
        : `expected ${command.args.join(" ")}, got ${parsed.positionals.length} argument(s)`,
    );
  }
  const settingArgs = SETTINGS.flatMap((s) => {
    const v = values[s.flag];
    return typeof v === "string" ? [`--${s.flag}`, v] : [];
  });
  let config: Config;
  try {
    config = loadConfig(settingArgs, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  return {
    config,
    adminAddrGiven: typeof values["admin-addr"] === "string",
    json: values.json === true,
    help,
    options: Object.fromEntries(Object.keys(command.options).map((k) => [k, values[k]])),
    args: parsed.positionals,
  };
}

/**
 * A management API answer as the CLI needs it: the body of a 2xx, or an error with the API's
 * message. 400 (the arguments were not acceptable) is a usage error; anything else failed.
 */
export function expectOk(answer: ApiAnswer, hint = ""): ApiAnswer["body"] {
  if (answer.status >= 200 && answer.status < 300) return answer.body;
  const message = (typeof answer.body?.error === "string" ? answer.body.error : "") ||
    `the management API answered ${answer.status}`;
  if (answer.status === 400) throw new UsageError(message);
  throw new CommandError(message + hint);
}

/**
 * Every item of a paged management API list (`next_cursor`), as one array.
 *
 * @example await listAll(target, "/credentials", "credentials")
 */
export async function listAll(
  target: Target,
  path: string,
  field: string,
): Promise<ApiAnswer["body"][]> {
  const items: ApiAnswer["body"][] = [];
  let cursor: string | null = null;
  do {
    const q: string = `?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = expectOk(await target.request("GET", path + q));
    items.push(...body[field]);
    cursor = body.next_cursor;
  } while (cursor);
  return items;
}
