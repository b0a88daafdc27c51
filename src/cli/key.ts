/** `vstash key create|list|disable|enable|delete`: S3 credentials. */
import { type CommandContext, type CommandGroup, expectOk, listAll } from "./command.ts";
import { CommandError, fields, table } from "./output.ts";
import type { ApiAnswer, Target } from "./target.ts";

type Credential = ApiAnswer["body"];

/**
 * A credential named on the command line by id (`3`) or access key (`VS...`); a missing one
 * is an operation failure (exit 1), as the API's 404 is.
 */
export async function findCredential(target: Target, ref: string): Promise<Credential> {
  if (/^\d+$/.test(ref)) {
    const r = await target.request("GET", `/credentials/${ref}`);
    if (r.status === 404) throw new CommandError(`no credential with id ${ref}`);
    return expectOk(r);
  }
  const all = await listAll(target, "/credentials", "credentials");
  const found = all.find((c) => c.access_key === ref);
  if (!found) throw new CommandError(`no credential with access key ${ref}`);
  return found;
}

function described(c: Credential): string {
  return `credential ${c.id} (${c.access_key}${c.user_name ? `, ${c.user_name}` : ""})`;
}

async function setActive(ctx: CommandContext, active: boolean): Promise<void> {
  const cred = await findCredential(ctx.target, ctx.args[0]);
  const body = expectOk(
    await ctx.target.request("PATCH", `/credentials/${cred.id}`, { is_active: active }),
  );
  ctx.out.result(
    body.credential,
    `${described(body.credential)} ${active ? "enabled" : "disabled"}: its S3 requests are ` +
      (active ? "accepted" : "refused from now on"),
  );
}

export const keyCommands: CommandGroup = {
  name: "key",
  summary: "S3 credentials (access key pairs)",
  commands: {
    create: {
      summary: "create a credential; prints its secret key once",
      args: [],
      options: {
        user: { type: "string", value: "NAME", help: "a name for the credential's user" },
        "access-key": {
          type: "string",
          value: "KEY",
          help: "a chosen access key (generated when absent)",
        },
        "secret-key": {
          type: "string",
          value: "SECRET",
          help: "a chosen secret key (generated when absent; prefer that)",
        },
      },
      async run(ctx) {
        const input: Record<string, string> = {};
        if (typeof ctx.options.user === "string") input.user_name = ctx.options.user;
        if (typeof ctx.options["access-key"] === "string") {
          input.access_key = ctx.options["access-key"];
        }
        if (typeof ctx.options["secret-key"] === "string") {
          input.secret_key = ctx.options["secret-key"];
        }
        const c = expectOk(await ctx.target.request("POST", "/credentials", input));
        ctx.out.result(
          c,
          [
            `Created ${described(c)}.`,
            "",
            fields([["Access key", c.access_key], ["Secret key", c.secret_key]]),
            "",
            "Save the secret key now: it will not be shown again.",
          ].join("\n"),
        );
      },
    },
    list: {
      summary: "list credentials (never their secret keys)",
      args: [],
      options: {},
      async run(ctx) {
        const all = await listAll(ctx.target, "/credentials", "credentials");
        ctx.out.result(
          all,
          table(all, [
            { heading: "id", value: (c) => c.id, right: true },
            { heading: "access key", value: (c) => c.access_key },
            { heading: "user", value: (c) => c.user_name || null },
            { heading: "active", value: (c) => c.is_active },
            { heading: "buckets", value: (c) => c.bucket_count, right: true },
            { heading: "created", value: (c) => c.created_at },
          ], "No credentials."),
        );
      },
    },
    disable: {
      summary: "refuse a credential's S3 requests (its buckets stay)",
      args: ["ID|ACCESS_KEY"],
      options: {},
      run: (ctx) => setActive(ctx, false),
    },
    enable: {
      summary: "accept a disabled credential's S3 requests again",
      args: ["ID|ACCESS_KEY"],
      options: {},
      run: (ctx) => setActive(ctx, true),
    },
    delete: {
      summary: "delete a credential; refused while it owns buckets",
      args: ["ID|ACCESS_KEY"],
      options: {},
      async run(ctx) {
        const cred = await findCredential(ctx.target, ctx.args[0]);
        const body = expectOk(
          await ctx.target.request("DELETE", `/credentials/${cred.id}`),
          " (with the CLI: vstash bucket delete NAME, or vstash key disable to keep the data)",
        );
        ctx.out.result(
          { ...body, id: cred.id, access_key: cred.access_key },
          `Deleted ${described(cred)}.`,
        );
      },
    },
  },
};
