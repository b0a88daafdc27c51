/**
 * Deterministic test data, generated rather than stored: the same (size, seed) always gives
 * the same bytes, so a big upload can be streamed from a generator and checked by hash
 * without keeping it in memory or in the repository.
 */
import { createHash } from "node:crypto";

const CHUNK = 1024 * 1024;

/**
 * `size` pseudo-random bytes (xorshift32) in chunks of at most 1 MiB. The stream never
 * repeats a chunk, so parts served in the wrong order change the hash.
 */
export function* generatedChunks(
  size: number,
  seed = 1,
  chunkSize = CHUNK,
): Generator<Uint8Array> {
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let done = 0; done < size; done += chunkSize) {
    const n = Math.min(chunkSize, size - done);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>>= 0;
    }
    yield new Uint8Array(words.buffer, 0, n);
  }
}

/** The bytes of `generatedChunks(size, seed)` in one buffer (for sizes that fit easily). */
export function generatedBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const chunk of generatedChunks(size, seed)) {
    out.set(chunk, off);
    off += chunk.length;
  }
  return out;
}

export function sha256Of(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex SHA-256 of everything a stream yields (consumes it). */
export async function sha256OfStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest("hex"), size };
}

/** Hex SHA-256 and size of a file, read in chunks. */
export async function sha256OfFile(path: string): Promise<{ sha256: string; size: number }> {
  using file = await Deno.open(path, { read: true });
  return await sha256OfStream(file.readable);
}

/** Writes `generatedChunks(size, seed)` to `path`; returns the file's SHA-256. */
export async function writeGeneratedFile(path: string, size: number, seed = 1): Promise<string> {
  const h = createHash("sha256");
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (const chunk of generatedChunks(size, seed)) {
    h.update(chunk);
    let off = 0;
    while (off < chunk.length) off += await file.write(chunk.subarray(off));
  }
  return h.digest("hex");
}

export const MiB = 1024 * 1024;
