/**
 * Runs `vstash <group> <command> ...` (key, bucket, admin-key) and returns the exit code:
 * 0 done, 1 the operation failed, 2 usage error.
 */
import { parseCommand } from "./command.ts";
import { COMMAND_GROUPS, groupHelp } from "./help.ts";
import { CommandError, consoleOutput, UsageError } from "./output.ts";
import { openTarget } from "./target.ts";

/** Whether `name` is a command group this module runs. */
export function isCommandGroup(name: string): boolean {
  return COMMAND_GROUPS.some((g) => g.name === name);
}

/**
 * @example Deno.exit(await runCommandGroup("key", ["list", "--json"], (n) => Deno.env.get(n)))
 */
export async function runCommandGroup(
  groupName: string,
  argv: string[],
  env: (name: string) => string | undefined,
): Promise<number> {
  const group = COMMAND_GROUPS.find((g) => g.name === groupName);
  if (!group) throw new Error(`no command group ${groupName}`);
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(groupHelp(group));
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(group.commands, name) ? group.commands[name] : undefined;
  if (!command) {
    console.error(
      `vstash: unknown command "${group.name} ${name}"; one of: ${
        Object.keys(group.commands).join(", ")
      } (see vstash ${group.name} --help)`,
    );
    return 2;
  }
  try {
    const parsed = parseCommand(command, rest, env);
    if (parsed.help) {
      console.log(groupHelp(group));
      return 0;
    }
    const target = await openTarget(parsed.config, parsed.adminAddrGiven);
    try {
      await command.run({
        target,
        out: consoleOutput(parsed.json),
        options: parsed.options,
        args: parsed.args,
      });
    } finally {
      await target.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommandError) {
      console.error(`vstash: ${err.message}`);
      if (err instanceof UsageError) console.error(`usage: see vstash ${group.name} --help`);
      return err.exitCode;
    }
    throw err;
  }
}
