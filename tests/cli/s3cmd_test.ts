/** s3cmd (Debian's 2.3) with a config file: plain HTTP, SigV4, path-style addressing. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { MiB, sha256OfFile, writeGeneratedFile } from "../helpers/data.ts";
import { s3cmd, s3cmdConfig, withTempDir } from "../helpers/cli.ts";

Deno.test("s3cmd everyday use: mb, put, ls, get, del, rb", async (t) => {
  await withServer(async (server) => {
    await withTempDir(async (dir) => {
      const config = await s3cmdConfig(server, dir);
      const run = (...args: string[]) => s3cmd(config, args);
      const text = join(dir, "notes.txt");
      await Deno.writeTextFile(text, "written by s3cmd\n");
      const small = join(dir, "small.bin");
      const smallSha = await writeGeneratedFile(small, 250_000, 3);

      await t.step("s3cmd mb creates the bucket", async () => {
        await run("mb", "s3://s3cmd-smoke");
        const head = await rawRequest(server, { method: "HEAD", path: "/s3cmd-smoke" });
        assert.equal(head.status, 200);
      });

      await t.step("s3cmd put uploads files under their keys", async () => {
        await run("put", "--no-progress", text, "s3://s3cmd-smoke/docs/notes.txt");
        await run("put", "--no-progress", small, "s3://s3cmd-smoke/docs/bin/small.bin");
        const got = await rawRequest(server, {
          method: "GET",
          path: "/s3cmd-smoke/docs/notes.txt",
        });
        assert.equal(got.text, "written by s3cmd\n");
      });

      await t.step("s3cmd ls lists directories, objects and sizes", async () => {
        const top = await run("ls", "s3://s3cmd-smoke/docs/");
        assert.match(top.stdout, /DIR\s+s3:\/\/s3cmd-smoke\/docs\/bin\/$/m);
        assert.match(top.stdout, /\s17\s+s3:\/\/s3cmd-smoke\/docs\/notes\.txt$/m);
        const all = await run("ls", "--recursive", "s3://s3cmd-smoke");
        const keys = [...all.stdout.matchAll(/(s3:\/\/\S+)$/gm)].map((m) => m[1]);
        assert.deepEqual(keys, [
          "s3://s3cmd-smoke/docs/bin/small.bin",
          "s3://s3cmd-smoke/docs/notes.txt",
        ]);
        const buckets = await run("ls");
        assert.match(buckets.stdout, /s3:\/\/s3cmd-smoke$/m);
      });

      await t.step("s3cmd get downloads the same bytes", async () => {
        const dst = join(dir, "small.back");
        await run("get", "--no-progress", "s3://s3cmd-smoke/docs/bin/small.bin", dst);
        assert.deepEqual(await sha256OfFile(dst), { sha256: smallSha, size: 250_000 });
      });

      await t.step("s3cmd del deletes objects and rb removes the empty bucket", async () => {
        const r = await run("del", "s3://s3cmd-smoke/docs/notes.txt");
        assert.match(r.stdout, /delete: 's3:\/\/s3cmd-smoke\/docs\/notes\.txt'/);
        await run("del", "--recursive", "--force", "s3://s3cmd-smoke/docs/");
        const left = await run("ls", "--recursive", "s3://s3cmd-smoke");
        assert.equal(left.stdout.trim(), "");
        await run("rb", "s3://s3cmd-smoke");
        const head = await rawRequest(server, { method: "HEAD", path: "/s3cmd-smoke" });
        assert.equal(head.status, 404);
      });
    });
  });
});

Deno.test("s3cmd put splits a 20 MiB file into 5 MiB parts and get reads it back", async (t) => {
  await withServer(async (server) => {
    await withTempDir(async (dir) => {
      const config = await s3cmdConfig(server, dir);
      const src = join(dir, "big.bin");
      const sha256 = await writeGeneratedFile(src, 20 * MiB, 4);
      await s3cmd(config, ["mb", "s3://s3cmd-big"]);

      await t.step("s3cmd put --multipart-chunk-size-mb=5 makes a 4-part object", async () => {
        await s3cmd(config, [
          "put",
          "--no-progress",
          "--multipart-chunk-size-mb=5",
          src,
          "s3://s3cmd-big/big.bin",
        ]);
        const head = await server.client().send(
          new HeadObjectCommand({ Bucket: "s3cmd-big", Key: "big.bin" }),
        );
        assert.equal(head.ContentLength, 20 * MiB);
        assert.match(head.ETag ?? "", /^"[0-9a-f]{32}-4"$/);
      });

      await t.step("s3cmd get reads back the same bytes", async () => {
        const dst = join(dir, "big.back");
        await s3cmd(config, ["get", "--no-progress", "s3://s3cmd-big/big.bin", dst]);
        assert.deepEqual(await sha256OfFile(dst), { sha256, size: 20 * MiB });
      });
    });
  });
});
