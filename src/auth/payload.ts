/**
 * Turns a request body and its verified payload mode into decoded bytes, checking everything
 * the signature promised (sha256, chunk signatures, trailer) before the iterator completes. A
 * caller that commits only after `chunks()` finishes never stores an unverified body.
 */
import { createHash } from "node:crypto";
import { S3Error } from "../s3/errors.ts";
import { AwsChunkedDecoder } from "./chunked.ts";
import type { PayloadMode } from "./sigv4.ts";

export interface Payload {
  /** Decoded body bytes, streamed; verification errors are thrown from the iterator (S3Error). */
  chunks(): AsyncGenerator<Uint8Array>;
  /** Trailer headers (lowercased names) once chunks() has finished; {} when none. */
  readonly trailers: Record<string, string>;
  /** Decoded bytes delivered so far. */
  readonly bytesRead: number;
}

export interface PayloadOptions {
  /** Content-Length of the body as sent (aws-chunked: the encoded length); null if unknown. */
  contentLength: number | null;
  /** Decoded bytes allowed; more is EntityTooLarge. */
  maxBytes: number;
  /** Overrides the x-amz-trailer names recorded in the payload mode (comma-separated). */
  expectedTrailer?: string;
  /**
   * A client that sends no body bytes for this long gets RequestTimeout, so a stalled or
   * malicious upload cannot hold a connection, a temp file and memory forever.
   */
  idleTimeoutMs?: number;
}

/** S3 gives up on an idle upload after about 20 s; vStash is more patient by default. */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000;

/**
 * Opens a verified body for streaming.
 *
 * @example
 * const payload = openPayload(req.body, verified.payload, { contentLength, maxBytes });
 * for await (const bytes of payload.chunks()) await file.write(bytes);
 * // only now: commit, using payload.trailers (e.g. x-amz-checksum-crc32)
 */
export function openPayload(
  body: ReadableStream<Uint8Array> | null,
  mode: PayloadMode,
  opts: PayloadOptions,
): Payload {
  return new VerifiedPayload(body, mode, opts);
}

class VerifiedPayload implements Payload {
  #trailers: Record<string, string> = {};
  #bytesRead = 0;
  #opened = false;

  constructor(
    private readonly body: ReadableStream<Uint8Array> | null,
    private readonly mode: PayloadMode,
    private readonly opts: PayloadOptions,
  ) {}

  get trailers(): Record<string, string> {
    return this.#trailers;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  chunks(): AsyncGenerator<Uint8Array> {
    if (this.#opened) throw new Error("openPayload(): chunks() can be iterated only once");
    this.#opened = true;
    return this.mode.kind === "chunked" ? this.#chunked() : this.#plain();
  }

  /** UNSIGNED-PAYLOAD and hex x-amz-content-sha256 bodies: the bytes pass through as read. */
  async *#plain(): AsyncGenerator<Uint8Array> {
    const { contentLength, maxBytes } = this.opts;
    if (contentLength !== null && contentLength > maxBytes) throw new S3Error("EntityTooLarge");
    const hash = this.mode.kind === "sha256" ? createHash("sha256") : null;
    for await (const bytes of this.#raw()) {
      if (this.#bytesRead + bytes.length > maxBytes) throw new S3Error("EntityTooLarge");
      hash?.update(bytes);
      this.#bytesRead += bytes.length;
      yield bytes;
    }
    if (hash !== null && this.mode.kind === "sha256") {
      const computed = hash.digest("hex");
      if (computed !== this.mode.expectedHex) {
        throw new S3Error("XAmzContentSHA256Mismatch", undefined, {
          ClientComputedContentSHA256: this.mode.expectedHex,
          S3ComputedContentSHA256: computed,
        });
      }
    }
  }

  async *#chunked(): AsyncGenerator<Uint8Array> {
    const mode = this.mode;
    if (mode.kind !== "chunked") throw new Error("unreachable");
    const { maxBytes, expectedTrailer } = this.opts;
    if (mode.decodedLength !== null && mode.decodedLength > maxBytes) {
      throw new S3Error("EntityTooLarge");
    }
    const decoder = new AwsChunkedDecoder({
      signing: mode.signed
        ? {
          signingKey: mode.signingKey,
          amzDate: mode.amzDate,
          scope: mode.scope,
          seedSignature: mode.seedSignature,
        }
        : null,
      trailer: mode.trailer,
      decodedLength: mode.decodedLength,
      maxBytes,
      trailerNames: expectedTrailer !== undefined
        ? expectedTrailer.split(",").map((n) => n.trim().toLowerCase()).filter((n) => n !== "")
        : mode.trailerNames,
    });
    for await (const raw of this.#raw()) {
      for (const bytes of decoder.push(raw)) {
        this.#bytesRead += bytes.length;
        yield bytes;
      }
    }
    decoder.finish();
    if (mode.decodedLength !== null && decoder.decodedBytes !== mode.decodedLength) {
      throw new S3Error(
        "IncompleteBody",
        `The chunks hold ${decoder.decodedBytes} bytes; x-amz-decoded-content-length says ${mode.decodedLength}.`,
      );
    }
    this.#trailers = decoder.trailers;
  }

  /**
   * The body as sent, held to Content-Length. Cancels the stream if iteration stops early.
   * A watchdog that checks a few times per idle period cuts off a body that stops arriving
   * (RequestTimeout); a timer per read showed up in the profile of large uploads.
   */
  async *#raw(): AsyncGenerator<Uint8Array> {
    const { contentLength } = this.opts;
    const reader = this.body?.getReader();
    const idleMs = this.opts.idleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
    let received = 0;
    let done = reader === undefined;
    let lastRead = Date.now();
    let stalled = false;
    const watchdog = reader === undefined ? null : setInterval(() => {
      if (Date.now() - lastRead < idleMs) return;
      stalled = true;
      reader.cancel().catch(() => {});
    }, Math.max(50, Math.min(idleMs / 4, 5000)));
    try {
      while (!done) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader!.read();
        } catch {
          // The runtime's own error text (resource ids, internals) is not the client's business.
          throw stalled ? new S3Error("RequestTimeout") : new S3Error(
            "IncompleteBody",
            "The request body could not be read: the connection closed before it ended.",
          );
        }
        if (stalled) throw new S3Error("RequestTimeout");
        lastRead = Date.now();
        if (result.done) {
          done = true;
          break;
        }
        received += result.value.length;
        if (contentLength !== null && received > contentLength) {
          throw new S3Error("InvalidRequest", "The request body is longer than Content-Length.");
        }
        if (result.value.length > 0) yield result.value;
      }
    } finally {
      if (watchdog !== null) clearInterval(watchdog);
      // A body read to its end is left locked: releasing the reader makes a TypeError (with
      // its stack) for the closed promise, 3% of a small PUT's CPU, and nothing reads it again.
      if (!done) await reader!.cancel().catch(() => {});
    }
    if (contentLength !== null && received < contentLength) {
      throw new S3Error(
        "IncompleteBody",
        `The request body ended after ${received} of ${contentLength} bytes.`,
      );
    }
  }
}
