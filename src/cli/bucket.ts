/** `vstash bucket create|list|delete`. */
import { type CommandGroup, expectOk, listAll } from "./command.ts";
import { findCredential } from "./key.ts";
import { table, UsageError } from "./output.ts";
import type { Target } from "./target.ts";

/**
 * The owner of a new bucket: `--owner` (id or access key), or the only credential there is.
 * With several credentials the choice is the user's: guessing would hand a bucket to the
 * wrong one, and buckets cannot change owner.
 */
async function ownerFor(target: Target, owner: string | undefined) {
  if (owner !== undefined) return await findCredential(target, owner);
  const all = await listAll(target, "/credentials", "credentials");
  if (all.length === 1) return all[0];
  throw new UsageError(
    `there are ${all.length} credentials: pass --owner ID|ACCESS_KEY (see vstash key list)`,
  );
}

export const bucketCommands: CommandGroup = {
  name: "bucket",
  summary: "buckets",
  commands: {
    create: {
      summary: "create a bucket owned by a credential",
      args: ["NAME"],
      options: {
        owner: {
          type: "string",
          value: "ID|ACCESS_KEY",
          help: "the owning credential (needed when there is more than one)",
        },
      },
      async run(ctx) {
        const owner = await ownerFor(ctx.target, ctx.options.owner as string | undefined);
        const b = expectOk(
          await ctx.target.request("POST", "/buckets", { name: ctx.args[0], owner_id: owner.id }),
        );
        delete b.objects;
        delete b.next_cursor;
        ctx.out.result(
          b,
          `Created bucket ${b.name} (${b.region}), owned by credential ${owner.id} ` +
            `(${owner.access_key}).`,
        );
      },
    },
    list: {
      summary: "list buckets with their owners and sizes",
      args: [],
      options: {},
      async run(ctx) {
        const all = await listAll(ctx.target, "/buckets", "buckets");
        ctx.out.result(
          all,
          table(all, [
            { heading: "name", value: (b) => b.name },
            { heading: "owner", value: (b) => `${b.owner_id} (${b.owner ?? "?"})` },
            { heading: "objects", value: (b) => b.object_count, right: true },
            { heading: "size", value: (b) => b.total_size_human, right: true },
            { heading: "created", value: (b) => b.created_at },
          ], "No buckets."),
        );
      },
    },
    delete: {
      summary: "delete an empty bucket; --force deletes its objects too",
      args: ["NAME"],
      options: {
        force: { type: "boolean", help: "delete the bucket's objects with it" },
      },
      async run(ctx) {
        const name = ctx.args[0];
        const force = ctx.options.force === true;
        const path = `/buckets/${encodeURIComponent(name)}${force ? "?force=true" : ""}`;
        const r = await ctx.target.request("DELETE", path);
        const hint = r.status === 409 && !force
          ? " (vstash bucket delete --force deletes them too)"
          : "";
        const body = expectOk(r, hint);
        ctx.out.result(
          { ...body, name },
          `Deleted bucket ${name}` +
            (force ? ` with ${body.deleted_objects} object(s)` : "") +
            (body.aborted_uploads ? `; aborted ${body.aborted_uploads} upload(s)` : "") + ".",
        );
      },
    },
  },
};
