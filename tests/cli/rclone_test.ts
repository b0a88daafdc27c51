/**
 * rclone (Debian's 1.60) with the remote `vs:` defined in RCLONE_CONFIG_VS_* variables, run
 * without AWS_CA_BUNDLE (see the rclone helper in tests/helpers/cli.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { createBucket } from "../helpers/multipart.ts";
import { MiB, sha256OfFile, writeGeneratedFile } from "../helpers/data.ts";
import { rclone, withTempDir } from "../helpers/cli.ts";

const MULTIPART = ["--s3-upload-cutoff", "8M", "--s3-chunk-size", "8M"];

Deno.test("rclone copy moves a 40 MiB file up in 8 MiB chunks and back", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "rclone-big");
    await withTempDir(async (dir) => {
      const src = join(dir, "up");
      await Deno.mkdir(src);
      const sha256 = await writeGeneratedFile(join(src, "big.bin"), 40 * MiB, 5);

      await t.step("rclone copy uploads the file as a 5-part multipart object", async () => {
        await rclone(server, dir, [
          "copy",
          ...MULTIPART,
          join(src, "big.bin"),
          "vs:rclone-big/data",
        ]);
        const head = await server.client().send(
          new HeadObjectCommand({ Bucket: "rclone-big", Key: "data/big.bin" }),
        );
        assert.equal(head.ContentLength, 40 * MiB);
        assert.match(head.ETag ?? "", /^"[0-9a-f]{32}-5"$/);
        const listed = await server.client().send(
          new ListMultipartUploadsCommand({ Bucket: "rclone-big" }),
        );
        assert.equal(listed.Uploads, undefined);
      });

      await t.step("rclone check finds the uploaded file identical", async () => {
        await rclone(server, dir, ["check", "--one-way", src, "vs:rclone-big/data"]);
      });

      await t.step("rclone copy downloads the same bytes", async () => {
        const down = join(dir, "down");
        await rclone(server, dir, ["copy", "vs:rclone-big/data/big.bin", down]);
        assert.deepEqual(await sha256OfFile(join(down, "big.bin")), { sha256, size: 40 * MiB });
      });
    });
  });
});

Deno.test("rclone everyday use: mkdir, copy, ls, copy back, delete", async (t) => {
  await withServer(async (server) => {
    await withTempDir(async (dir) => {
      const run = (...args: string[]) => rclone(server, dir, args);
      const src = join(dir, "tree");
      await Deno.mkdir(join(src, "sub"), { recursive: true });
      await Deno.writeTextFile(join(src, "a.txt"), "alpha\n");
      await Deno.writeTextFile(join(src, "sub", "b c.txt"), "bravo charlie\n");
      const binSha = await writeGeneratedFile(join(src, "sub", "data.bin"), 300_000, 6);

      await t.step("rclone mkdir creates the bucket", async () => {
        await run("mkdir", "vs:rclone-smoke");
        const head = await rawRequest(server, { method: "HEAD", path: "/rclone-smoke" });
        assert.equal(head.status, 200);
      });

      await t.step("rclone copy uploads a directory tree", async () => {
        await run("copy", src, "vs:rclone-smoke/tree");
        const got = await rawRequest(server, {
          method: "GET",
          path: "/rclone-smoke/tree/sub/b%20c.txt",
        });
        assert.equal(got.text, "bravo charlie\n");
      });

      await t.step("rclone ls lists every object with its size", async () => {
        const r = await run("ls", "vs:rclone-smoke");
        const lines = r.stdout.trim().split("\n").map((l) => l.trim()).sort();
        assert.deepEqual(lines, [
          "14 tree/sub/b c.txt",
          "300000 tree/sub/data.bin",
          "6 tree/a.txt",
        ]);
        const dirs = await run("lsd", "vs:rclone-smoke/tree");
        assert.match(dirs.stdout, /\ssub$/m);
      });

      await t.step("rclone copy downloads the same bytes", async () => {
        const down = join(dir, "down");
        await run("copy", "vs:rclone-smoke/tree", down);
        assert.equal(await Deno.readTextFile(join(down, "a.txt")), "alpha\n");
        assert.equal(await Deno.readTextFile(join(down, "sub", "b c.txt")), "bravo charlie\n");
        assert.deepEqual(await sha256OfFile(join(down, "sub", "data.bin")), {
          sha256: binSha,
          size: 300_000,
        });
      });

      await t.step("rclone delete removes the objects and rmdir the bucket", async () => {
        await run("delete", "vs:rclone-smoke/tree/sub");
        const left = await run("ls", "vs:rclone-smoke");
        assert.equal(left.stdout.trim(), "6 tree/a.txt");
        await run("delete", "vs:rclone-smoke");
        assert.equal((await run("ls", "vs:rclone-smoke")).stdout.trim(), "");
        await run("rmdir", "vs:rclone-smoke");
        const head = await rawRequest(server, { method: "HEAD", path: "/rclone-smoke" });
        assert.equal(head.status, 404);
      });
    });
  });
});
