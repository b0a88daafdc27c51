/**
 * A small, private filesystem for tests that must run out of space: a tmpfs of a given
 * size mounted on a fresh temporary directory, and a filler file to use up its space.
 * Mounting needs root with CAP_SYS_ADMIN (in Docker: a --privileged container); when it is
 * not possible the test FAILS with the reason, it is never skipped silently.
 */

export interface Tmpfs {
  path: string;
  /** Unmounts (lazily if something still holds it open) and removes the mount point. */
  unmount(): Promise<void>;
}

export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs> {
  const path = await Deno.makeTempDir({ prefix: "vstash-tmpfs-" });
  const out = await run("mount", [
    "-t",
    "tmpfs",
    "-o",
    `size=${sizeBytes},mode=0755`,
    "tmpfs",
    path,
  ]);
  if (!out.ok) {
    await Deno.remove(path).catch(() => {});
    throw new Error(
      `this test mounts a ${sizeBytes}-byte tmpfs to run out of disk space and could not: ` +
        `"mount" said: ${out.text.trim() || "(nothing)"}. It needs root with CAP_SYS_ADMIN ` +
        `(in a Docker container, e.g. a GitHub Actions job container: --privileged).`,
    );
  }
  return {
    path,
    async unmount() {
      const res = await run("umount", [path]);
      if (!res.ok) await run("umount", ["-l", path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Writes `path` until the filesystem is full (ENOSPC), then gives back `leaveFree` bytes by
 * truncating it. Returns the filler's final size.
 */
export async function fillDisk(path: string, leaveFree = 0): Promise<number> {
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  let size = 0;
  {
    using file = await Deno.open(path, { write: true, create: true, append: true });
    size = (await file.stat()).size;
    for (;;) {
      try {
        const n = await file.write(chunk);
        size += n;
        if (n < chunk.length) break;
      } catch {
        break; // ENOSPC: full
      }
    }
    // A small tail may still fit after the last full chunk failed.
    for (let small = 4096; small >= 1;) {
      try {
        size += await file.write(chunk.subarray(0, small));
      } catch {
        small = Math.floor(small / 2);
      }
    }
  }
  if (leaveFree > 0) {
    size = Math.max(0, size - leaveFree);
    await Deno.truncate(path, size);
  }
  return size;
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: out.success, text: dec.decode(out.stderr) + dec.decode(out.stdout) };
  } catch (err) {
    return { ok: false, text: String(err) };
  }
}
