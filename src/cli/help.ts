/**
 * `vstash --help` and `vstash <group> --help`, generated from the command definitions and
 * SETTINGS, so that no flag or environment variable can be missing from them.
 */
import { SETTINGS } from "../config.ts";
import { adminKeyCommands } from "./admin_key.ts";
import { bucketCommands } from "./bucket.ts";
import { type CommandGroup, COMMON_OPTIONS, usageLine } from "./command.ts";
import { keyCommands } from "./key.ts";

/** The command groups besides `serve` and `version`, in help order. */
export const COMMAND_GROUPS: CommandGroup[] = [keyCommands, bucketCommands, adminKeyCommands];

/** Variables read only from the environment (no flag), with what they do. */
export const ENV_ONLY = [
  {
    env: "VSTASH_ACCESS_KEY, VSTASH_SECRET_KEY",
    help: "the first credential, used on the first start only (random and printed once if unset)",
  },
  {
    env: "VSTASH_ADMIN_KEY",
    help: "the management API key: when set it is used, replacing the stored one at each " +
      "start; when unset, a random one is printed once on the first start",
  },
] as const;

function settingLines(): string[] {
  return SETTINGS.map((s) =>
    `  --${s.flag.padEnd(14)} ${s.env.padEnd(22)} ${s.help}${
      s.default ? ` (default ${s.default})` : ""
    }`
  );
}

function commandLines(groups: CommandGroup[]): string[] {
  const lines: string[] = [];
  for (const g of groups) {
    for (const [name, c] of Object.entries(g.commands)) {
      lines.push(`  ${usageLine(g, name)}`, `      ${c.summary}`);
      for (const [opt, spec] of Object.entries(c.options)) {
        const flag = spec.type === "boolean" ? `--${opt}` : `--${opt} ${spec.value ?? "VALUE"}`;
        lines.push(`      ${flag.padEnd(26)} ${spec.help}`);
      }
    }
  }
  return lines;
}

const COMMON = Object.entries(COMMON_OPTIONS).map(([name, spec]) =>
  `  --${name.padEnd(14)} ${spec.help}`
);

const MODES = `Commands other than serve work on the data directory directly while no server runs
on it, and through the running server's management API while one does (the server
leaves <data-dir>/vstash.pid and <data-dir>/cli.token for that; run the CLI as the
server's user). Output is a table, or JSON with --json.`;

/** The full help: every command, every flag, every environment variable. */
export function helpText(version: string): string {
  return [
    `vStash ${version}: a self-hosted, S3-compatible object store.`,
    "",
    "Usage:",
    "  vstash serve [flags]",
    "      start the S3 API and the management API + console",
    ...commandLines(COMMAND_GROUPS),
    "  vstash version",
    "      print the version",
    "  vstash --help",
    "      this text (vstash <command> --help: one command group)",
    "",
    MODES,
    "",
    "Flags of serve and of every command (each also an environment variable; the flag wins):",
    ...settingLines(),
    "",
    "Flags of every command but serve:",
    ...COMMON,
    "",
    "Environment only:",
    ...ENV_ONLY.map((e) => `  ${e.env.padEnd(37)} ${e.help}`),
    "",
    "Exit codes: 0 done, 1 the operation failed, 2 usage error.",
  ].join("\n");
}

/** Help for one command group (`vstash key --help`). */
export function groupHelp(group: CommandGroup): string {
  return [
    `vstash ${group.name}: ${group.summary}`,
    "",
    "Usage:",
    ...commandLines([group]),
    "",
    MODES,
    "",
    "Flags (each also an environment variable; the flag wins):",
    ...settingLines(),
    ...COMMON,
  ].join("\n");
}
