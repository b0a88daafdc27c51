/**
 * restic (Debian's 0.14, minio-go inside) backs up to and restores from vStash, as in the
 * README's first steps. Run without AWS_CA_BUNDLE: with it set, restic fails against a
 * plain-HTTP endpoint (LoadCustomCABundleError).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { MiB, sha256OfFile, writeGeneratedFile } from "../helpers/data.ts";
import { run, type RunResult, withTempDir } from "../helpers/cli.ts";
import { type TestServer, withServer } from "../helpers/server.ts";

const RESTIC = "restic";

function restic(
  server: TestServer,
  dir: string,
  args: string[],
  opts: { allowFailure?: boolean } = {},
): Promise<RunResult> {
  return run(RESTIC, ["--repo", `s3:${server.s3Url}/restic-backups/host1`, ...args], {
    allowFailure: opts.allowFailure,
    env: {
      AWS_ACCESS_KEY_ID: server.accessKey,
      AWS_SECRET_ACCESS_KEY: server.secretKey,
      AWS_DEFAULT_REGION: "us-east-1",
      RESTIC_PASSWORD: "correct horse battery staple",
      RESTIC_CACHE_DIR: join(dir, "cache"),
      HOME: dir,
    },
    unsetEnv: ["AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_SESSION_TOKEN", "RESTIC_REPOSITORY"],
  });
}

Deno.test("restic init, backup, check, restore and forget against vStash", async (t) => {
  await withServer(async (server) => {
    await withTempDir(async (dir) => {
      const src = join(dir, "data");
      await Deno.mkdir(join(src, "docs"), { recursive: true });
      await Deno.writeTextFile(join(src, "docs", "notes.txt"), "first version\n");
      const bigSha = await writeGeneratedFile(join(src, "big.bin"), 12 * MiB, 11);

      await t.step("restic init creates the bucket and the repository", async () => {
        const r = await restic(server, dir, ["init"]);
        assert.match(r.stdout, /created restic repository/);
        await server.client().send(new HeadBucketCommand({ Bucket: "restic-backups" }));
      });

      await t.step("two backups make two snapshots", async () => {
        await restic(server, dir, ["backup", "--host", "host1", src]);
        await Deno.writeTextFile(join(src, "docs", "notes.txt"), "second version\n");
        await restic(server, dir, ["backup", "--host", "host1", src]);
        const r = await restic(server, dir, ["snapshots", "--json"]);
        assert.equal(JSON.parse(r.stdout).length, 2);
      });

      await t.step("restic check reads every pack back and finds no error", async () => {
        const r = await restic(server, dir, ["check", "--read-data"]);
        assert.match(r.stdout, /no errors were found/);
      });

      await t.step("restore brings back the latest files byte for byte", async () => {
        const target = join(dir, "restored");
        await restic(server, dir, ["restore", "latest", "--target", target]);
        const root = join(target, src);
        assert.equal(await Deno.readTextFile(join(root, "docs", "notes.txt")), "second version\n");
        assert.deepEqual(await sha256OfFile(join(root, "big.bin")), {
          sha256: bigSha,
          size: 12 * MiB,
        });
      });

      await t.step("forget --prune removes the older snapshot's data", async () => {
        await restic(server, dir, ["forget", "--keep-last", "1", "--prune"]);
        const r = await restic(server, dir, ["snapshots", "--json"]);
        assert.equal(JSON.parse(r.stdout).length, 1);
        await restic(server, dir, ["check"]);
      });
    });
  });
});
