import { createHash } from "node:crypto";
import { hex } from "../hex.ts";
import type { BlobStore, BlobWriter } from "./blobs.ts";

/** A body that is now a durable blob, with its MD5 (the ETag S3 derives from the bytes). */
export interface IngestedBlob {
  /** null for an empty body (empty objects and parts have no file) and for inline bytes. */
  blobId: string | null;
  /** The whole body, when it fit in `inlineUpTo`: it goes into the record, not a file. */
  inline: Uint8Array<ArrayBuffer> | null;
  size: number;
  md5Hex: string;
}

export interface IngestOptions {
  /** More bytes than this and the blob is dropped with BlobTooLarge. */
  maxBytes: number;
  /**
   * A non-empty body of at most this many bytes is returned as `inline` bytes and no file is
   * written (see INLINE_MAX_BYTES). Absent or 0: every non-empty body becomes a file.
   */
  inlineUpTo?: number;
  /** Sees every chunk before it is written: extra digests (a CRC, a SHA-256). */
  tap?: (chunk: Uint8Array) => void;
  /**
   * A body that sends nothing for this long is cut off with BodyIdleTimeout, so a stalled
   * client cannot hold a temp file and a request open forever. 0 or absent: no limit.
   */
  idleTimeoutMs?: number;
  /**
   * Runs once every byte is in, before the blob is made durable; throwing drops the blob.
   * For checks that need the whole body: Content-MD5, a trailing checksum.
   */
  beforeCommit?: (digest: { size: number; md5: Uint8Array }) => void;
}

/** The body was longer than `maxBytes`; nothing was kept. */
export class BlobTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`body is larger than ${maxBytes} bytes`);
    this.name = "BlobTooLarge";
  }
}

/** The body sent nothing for `idleTimeoutMs`; nothing was kept. */
export class BodyIdleTimeout extends Error {
  constructor(readonly idleTimeoutMs: number) {
    super(`the body sent nothing for ${idleTimeoutMs} ms`);
    this.name = "BodyIdleTimeout";
  }
}

/**
 * Reading the body failed (the client went away, the connection broke). The cause is kept;
 * callers answer "interrupted upload" rather than "internal error".
 */
export class BodyReadError extends Error {
  constructor(cause: unknown) {
    super(`the request body could not be read: ${String(cause)}`, { cause });
    this.name = "BodyReadError";
  }
}

/**
 * Streams a body into a new blob, chunk by chunk (never the whole body in memory), hashing
 * MD5 as it goes, and makes the blob durable only once every byte arrived within the cap.
 * On any failure the temp file is removed and the error thrown: nothing is kept. The first
 * `inlineUpTo` bytes are held in memory before any file is made; a body that ends within
 * them comes back as `inline` bytes and never touches the disk here.
 *
 * @example const { blobId, size, md5Hex } = await ingestBlob(store.blobs, req.body, { maxBytes: MAX_BLOB_BYTES });
 */
export async function ingestBlob(
  blobs: BlobStore,
  source: AsyncIterable<Uint8Array> | null,
  opts: IngestOptions,
): Promise<IngestedBlob> {
  const md5 = createHash("md5");
  const inlineUpTo = opts.inlineUpTo ?? 0;
  let blob: BlobWriter | null = null;
  let held: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  try {
    if (source !== null) {
      const chunks = source[Symbol.asyncIterator]();
      while (true) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await nextWithin(chunks, opts.idleTimeoutMs ?? 0);
        } catch (err) {
          if (err instanceof BodyIdleTimeout) {
            // Let go of the body without waiting for the read that never ends.
            Promise.resolve(chunks.return?.()).catch(() => {});
            throw err;
          }
          throw new BodyReadError(err);
        }
        if (next.done) break;
        const chunk = next.value;
        if (chunk.length === 0) continue;
        size += chunk.length;
        if (size > opts.maxBytes) {
          // Stop reading: the rest of the body is the client's problem, not the disk's.
          await Promise.resolve(chunks.return?.()).catch(() => {});
          throw new BlobTooLarge(opts.maxBytes);
        }
        if (blob === null && size <= inlineUpTo) {
          md5.update(chunk);
          opts.tap?.(chunk);
          // A copy: the source may reuse its buffer for the next chunk.
          held.push(chunk.slice());
          continue;
        }
        if (blob === null) {
          blob = await blobs.create();
          for (const early of held) await blob.write(early);
          held = [];
        }
        // The write runs on the runtime's file thread while MD5 (the slowest step of a
        // large PUT) runs here: the two overlap instead of taking turns.
        const written = blob.write(chunk);
        md5.update(chunk);
        opts.tap?.(chunk);
        await written;
      }
    }
    const md5Raw = new Uint8Array(md5.digest());
    opts.beforeCommit?.({ size, md5: md5Raw });
    const blobId = blob ? await (blob as BlobWriter).commit() : null;
    const inline = blob === null && size > 0 ? concat(held, size) : null;
    return { blobId, inline, size, md5Hex: hex(md5Raw) };
  } catch (err) {
    await (blob as BlobWriter | null)?.abort();
    throw err;
  }
}

/** The next chunk, or BodyIdleTimeout when none arrives within `ms` (0: wait as long as it takes). */
async function nextWithin(
  chunks: AsyncIterator<Uint8Array>,
  ms: number,
): Promise<IteratorResult<Uint8Array>> {
  if (ms <= 0) return await chunks.next();
  const read = chunks.next();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyIdleTimeout(ms)), ms);
  });
  try {
    return await Promise.race([read, idle]);
  } finally {
    clearTimeout(timer);
    // A read still pending after a timeout may fail later; nobody waits for it any more.
    read.catch(() => {});
  }
}

function concat(chunks: Uint8Array<ArrayBuffer>[], size: number): Uint8Array<ArrayBuffer> {
  // One chunk (the usual small body) is already a private copy.
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
