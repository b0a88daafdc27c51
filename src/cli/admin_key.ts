/** `vstash admin-key rotate`. */
import { type CommandGroup, expectOk } from "./command.ts";
import { fields } from "./output.ts";

export const adminKeyCommands: CommandGroup = {
  name: "admin-key",
  summary: "the management API key (console sign-in)",
  commands: {
    rotate: {
      summary: "replace the admin key with a new random one; prints it once",
      args: [],
      options: {},
      async run(ctx) {
        const body = expectOk(await ctx.target.request("POST", "/admin-key/rotate"));
        ctx.out.result(
          { admin_key: body.admin_key },
          [
            fields([["New admin API key", body.admin_key]]),
            "",
            "Save it now: it will not be shown again. The old key is refused from now on.",
          ].join("\n"),
        );
        ctx.out.note(
          "vstash: if the server's environment sets VSTASH_ADMIN_KEY (e.g. in " +
            "/etc/vstash/vstash.env), that key replaces this one at the next start: set the " +
            "variable to the new key, or remove it.",
        );
      },
    },
  },
};
