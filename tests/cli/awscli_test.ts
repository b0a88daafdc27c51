/** awscli v2 from Debian (/usr/bin/aws, 2.9), not the `aws` that may come first on PATH. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { createBucket } from "../helpers/multipart.ts";
import { MiB, sha256OfFile, writeGeneratedFile } from "../helpers/data.ts";
import { aws, awsCliEnv, withTempDir } from "../helpers/cli.ts";

Deno.test("aws s3 cp moves a 64 MiB file up in 8 MiB parts and back byte for byte", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "awscli-big");
    await withTempDir(async (dir) => {
      const env = await awsCliEnv(server, dir, { threshold: "8MB", chunksize: "8MB" });
      const src = join(dir, "big.bin");
      const sha256 = await writeGeneratedFile(src, 64 * MiB, 1);

      await t.step("aws s3 cp uploads the file as an 8-part multipart object", async () => {
        await aws(server, env, [
          "s3",
          "cp",
          "--only-show-errors",
          src,
          "s3://awscli-big/data/big.bin",
        ]);
        const head = await server.client().send(
          new HeadObjectCommand({ Bucket: "awscli-big", Key: "data/big.bin" }),
        );
        assert.equal(head.ContentLength, 64 * MiB);
        assert.match(head.ETag ?? "", /^"[0-9a-f]{32}-8"$/);
      });

      await t.step("no multipart upload is left in progress", async () => {
        const listed = await server.client().send(
          new ListMultipartUploadsCommand({ Bucket: "awscli-big" }),
        );
        assert.equal(listed.Uploads, undefined);
      });

      await t.step("aws s3 cp downloads it to the same bytes", async () => {
        const dst = join(dir, "back.bin");
        await aws(server, env, [
          "s3",
          "cp",
          "--only-show-errors",
          "s3://awscli-big/data/big.bin",
          dst,
        ]);
        assert.deepEqual(await sha256OfFile(dst), { sha256, size: 64 * MiB });
      });
    });
  });
});

Deno.test("awscli everyday use: mb, cp, ls, cp back, rm, rb", async (t) => {
  await withServer(async (server) => {
    await withTempDir(async (dir) => {
      const env = await awsCliEnv(server, dir);
      const run = (...args: string[]) => aws(server, env, args);
      const src = join(dir, "hello world.txt");
      await Deno.writeTextFile(src, "hello from awscli\n");
      const small = join(dir, "small.bin");
      const smallSha = await writeGeneratedFile(small, 100_000, 2);

      await t.step("aws s3 mb creates the bucket", async () => {
        const r = await run("s3", "mb", "s3://awscli-smoke");
        assert.match(r.stdout, /make_bucket: awscli-smoke/);
        const head = await rawRequest(server, { method: "HEAD", path: "/awscli-smoke" });
        assert.equal(head.status, 200);
      });

      await t.step("aws s3 cp uploads files, keys with spaces included", async () => {
        await run("s3", "cp", "--only-show-errors", src, "s3://awscli-smoke/docs/hello world.txt");
        await run("s3", "cp", "--only-show-errors", small, "s3://awscli-smoke/docs/bin/small.bin");
        const got = await rawRequest(server, {
          method: "GET",
          path: "/awscli-smoke/docs/hello%20world.txt",
        });
        assert.equal(got.text, "hello from awscli\n");
      });

      await t.step("aws s3 ls lists prefixes and objects with their sizes", async () => {
        const top = await run("s3", "ls", "s3://awscli-smoke/docs/");
        assert.match(top.stdout, /^\s+PRE bin\/$/m);
        assert.match(top.stdout, /^\S+ \S+\s+18 hello world\.txt$/m);
        const all = await run("s3", "ls", "--recursive", "s3://awscli-smoke");
        const keys = all.stdout.trim().split("\n").map((l) => l.replace(/^\S+ \S+\s+\d+ /, ""));
        assert.deepEqual(keys, ["docs/bin/small.bin", "docs/hello world.txt"]);
        const buckets = await run("s3", "ls");
        assert.match(buckets.stdout, /awscli-smoke$/m);
      });

      await t.step("aws s3 cp downloads the same bytes", async () => {
        const dst = join(dir, "small.back");
        await run("s3", "cp", "--only-show-errors", "s3://awscli-smoke/docs/bin/small.bin", dst);
        assert.deepEqual(await sha256OfFile(dst), { sha256: smallSha, size: 100_000 });
        const text = join(dir, "hello.back");
        await run("s3", "cp", "--only-show-errors", "s3://awscli-smoke/docs/hello world.txt", text);
        assert.equal(await Deno.readTextFile(text), "hello from awscli\n");
      });

      await t.step("aws s3 rm deletes objects, one or recursively", async () => {
        const one = await run("s3", "rm", "s3://awscli-smoke/docs/hello world.txt");
        assert.match(one.stdout, /delete: s3:\/\/awscli-smoke\/docs\/hello world\.txt/);
        const head = await rawRequest(server, {
          method: "HEAD",
          path: "/awscli-smoke/docs/hello%20world.txt",
        });
        assert.equal(head.status, 404);
        await run("s3", "rm", "--recursive", "--only-show-errors", "s3://awscli-smoke/docs/");
        const left = await run("s3", "ls", "--recursive", "s3://awscli-smoke");
        assert.equal(left.stdout.trim(), "");
      });

      await t.step("aws s3 rb removes the empty bucket", async () => {
        const r = await run("s3", "rb", "s3://awscli-smoke");
        assert.match(r.stdout, /remove_bucket: awscli-smoke/);
        const head = await rawRequest(server, { method: "HEAD", path: "/awscli-smoke" });
        assert.equal(head.status, 404);
      });

      await t.step("an unknown bucket makes aws s3 ls fail with NoSuchBucket", async () => {
        const r = await aws(server, env, ["s3", "ls", "s3://no-such-bucket-here"], {
          allowFailure: true,
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /NoSuchBucket/);
      });
    });
  });
});
