import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BlobStore } from "../../src/storage/blobs.ts";
import {
  BlobTooLarge,
  BodyIdleTimeout,
  BodyReadError,
  ingestBlob,
} from "../../src/storage/blob_ingest.ts";

async function withBlobs(fn: (blobs: BlobStore, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "vstash-ingest-" });
  try {
    const blobs = new BlobStore(dir);
    await blobs.init();
    try {
      await fn(blobs, dir);
    } finally {
      blobs.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

const tmpFiles = (dir: string) => [...Deno.readDirSync(`${dir}/tmp`)].map((e) => e.name);

Deno.test("ingestBlob() writes every chunk to a durable blob with its MD5", async () => {
  await withBlobs(async (blobs) => {
    const a = new Uint8Array(70_000).fill(1);
    const b = new Uint8Array(5).fill(2);
    const seen: number[] = [];
    const r = await ingestBlob(blobs, chunks(a, new Uint8Array(), b), {
      maxBytes: 1 << 20,
      tap: (c) => seen.push(c.length),
    });
    assert.equal(r.size, 70_005);
    assert.deepEqual(seen, [70_000, 5], "empty chunks are skipped");
    assert.equal(r.md5Hex, createHash("md5").update(a).update(b).digest("hex"));
    const stored = await Deno.readFile(blobs.path(r.blobId!));
    assert.equal(stored.length, 70_005);
  });
});

Deno.test("ingestBlob() makes no file for an empty or absent body", async () => {
  await withBlobs(async (blobs, dir) => {
    for (const source of [null, chunks()]) {
      const r = await ingestBlob(blobs, source, { maxBytes: 10 });
      assert.deepEqual(r, {
        blobId: null,
        inline: null,
        size: 0,
        md5Hex: "d41d8cd98f00b204e9800998ecf8427e",
      });
    }
    assert.deepEqual(tmpFiles(dir), []);
  });
});

/** A source that hands out the same buffer every time, refilled, as some streams do. */
async function* reusedBuffer(count: number, size: number): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    buf.fill(i + 1);
    yield buf;
  }
}

const expectedReused = (count: number, size: number) => {
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) out.fill(i + 1, i * size, (i + 1) * size);
  return out;
};

Deno.test("ingestBlob() returns a body within inlineUpTo as bytes and writes no file", async () => {
  await withBlobs(async (blobs, dir) => {
    // Exactly at the limit, in chunks whose buffer the source reuses.
    const r = await ingestBlob(blobs, reusedBuffer(4, 1000), {
      maxBytes: 10_000,
      inlineUpTo: 4000,
    });
    const want = expectedReused(4, 1000);
    assert.equal(r.blobId, null);
    assert.deepEqual(r.inline, want);
    assert.equal(r.size, 4000);
    assert.equal(r.md5Hex, createHash("md5").update(want).digest("hex"));
    assert.deepEqual(tmpFiles(dir), []);
    assert.deepEqual([...Deno.readDirSync(`${dir}/blobs`)], [], "no blob directory either");
  });
});

Deno.test("ingestBlob() writes a body that outgrows inlineUpTo to a file, early chunks first", async () => {
  await withBlobs(async (blobs) => {
    const seen: number[] = [];
    const r = await ingestBlob(blobs, reusedBuffer(5, 1000), {
      maxBytes: 10_000,
      inlineUpTo: 4000,
      tap: (c) => seen.push(c[0]),
    });
    const want = expectedReused(5, 1000);
    assert.equal(r.inline, null);
    assert.equal(r.size, 5000);
    assert.deepEqual(seen, [1, 2, 3, 4, 5], "every chunk is tapped once, in order");
    assert.deepEqual(await Deno.readFile(blobs.path(r.blobId!)), want);
    assert.equal(r.md5Hex, createHash("md5").update(want).digest("hex"));
  });
});

Deno.test("ingestBlob() stops at the byte cap and keeps nothing", async () => {
  await withBlobs(async (blobs, dir) => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      while (true) {
        pulled++;
        yield new Uint8Array(1000);
      }
    }
    await assert.rejects(ingestBlob(blobs, endless(), { maxBytes: 2500 }), BlobTooLarge);
    assert.equal(pulled, 3, "reading stops at the chunk that crosses the cap");
    assert.deepEqual(tmpFiles(dir), []);
  });
});

Deno.test("ingestBlob() reports a failing body as BodyReadError and keeps nothing", async () => {
  await withBlobs(async (blobs, dir) => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error("connection reset");
    }
    const err = await ingestBlob(blobs, broken(), { maxBytes: 100 }).catch((e) => e);
    assert.ok(err instanceof BodyReadError);
    assert.deepEqual(tmpFiles(dir), []);
  });
});

Deno.test("ingestBlob() cuts off a body that stalls longer than the idle timeout", async () => {
  await withBlobs(async (blobs, dir) => {
    let release: () => void = () => {};
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(100));
      },
      pull() {
        // Never delivers a second chunk until cancelled.
        return new Promise<void>((res) => (release = res));
      },
      cancel() {
        release();
      },
    });
    const err = await ingestBlob(blobs, stalled, { maxBytes: 1000, idleTimeoutMs: 50 })
      .catch((e) => e);
    assert.ok(err instanceof BodyIdleTimeout, String(err));
    assert.equal(err.idleTimeoutMs, 50);
    assert.deepEqual(tmpFiles(dir), []);
    release();
  });
});
