import type { BlobStore } from "../storage/blobs.ts";
import type { ObjectRecord, PartRecord } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { ByteRange } from "./range.ts";

/**
 * The bytes `range` of an object, whatever its layout. Throws Deno.errors.NotFound when a
 * concurrent overwrite or delete removed the bytes after `record` was read: the caller
 * reads the object again.
 */
export async function objectBody(
  store: Store,
  record: ObjectRecord,
  range: ByteRange,
): Promise<ReadableStream<Uint8Array>> {
  if (record.layout.kind === "inline") {
    return ReadableStream.from([record.layout.bytes.subarray(range.start, range.end + 1)]);
  }
  if (record.layout.kind === "single") {
    if (!record.layout.blobId) throw new Deno.errors.NotFound("empty object has no blob");
    return await blobBody(store.blobs, record.layout.blobId, range, record.size);
  }
  const parts = await store.objects.manifest(record.layout);
  if (parts.length !== record.layout.partCount) throw new Deno.errors.NotFound("manifest gone");
  return partsBody(store.blobs, parts, range);
}

/**
 * The bytes `range` (inclusive) of one blob, streamed from disk. Resolves only once the
 * file is open, so a blob removed by a concurrent overwrite surfaces here as
 * Deno.errors.NotFound and the caller can re-read the object.
 */
export async function blobBody(
  blobs: BlobStore,
  blobId: string,
  range: ByteRange,
  blobSize: number,
): Promise<ReadableStream<Uint8Array>> {
  const file = await blobs.open(blobId);
  // The readable closes the file when it ends or the client goes away.
  if (range.start === 0 && range.end === blobSize - 1) return file.readable;
  if (range.start > 0) await file.seek(range.start, Deno.SeekMode.Start);
  return file.readable.pipeThrough(limitBytes(range.end - range.start + 1));
}

/**
 * The bytes `range` of a multipart object, part after part, opening each part's blob only
 * when the stream reaches it. Completing a multipart upload never copies data; this is
 * where the parts become one object.
 */
export function partsBody(
  blobs: BlobStore,
  parts: PartRecord[],
  range: ByteRange,
): ReadableStream<Uint8Array> {
  async function* generate(): AsyncGenerator<Uint8Array> {
    let offset = 0;
    for (const part of parts) {
      const partStart = offset;
      const partEnd = offset + part.size - 1;
      offset += part.size;
      if (partEnd < range.start || part.size === 0 || !part.blobId) continue;
      if (partStart > range.end) return;
      const from = Math.max(range.start, partStart) - partStart;
      const to = Math.min(range.end, partEnd) - partStart;
      const stream = await blobBody(blobs, part.blobId, { start: from, end: to }, part.size);
      yield* stream;
    }
  }
  return ReadableStream.from(generate());
}

/**
 * Passes the first `n` bytes on and then ends the stream, which cancels the source (and so
 * closes the file) without reading the rest.
 */
function limitBytes(n: number): TransformStream<Uint8Array, Uint8Array> {
  let left = n;
  return new TransformStream({
    start(controller) {
      if (left <= 0) controller.terminate();
    },
    transform(chunk, controller) {
      if (chunk.length >= left) {
        controller.enqueue(chunk.length === left ? chunk : chunk.subarray(0, left));
        left = 0;
        controller.terminate();
        return;
      }
      left -= chunk.length;
      controller.enqueue(chunk);
    },
  });
}
