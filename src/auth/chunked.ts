/**
 * Push decoder for the aws-chunked body encoding (STREAMING-* payloads):
 *
 *   <hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n ... 0[;chunk-signature=..]\r\n
 *   [trailer lines "name:value\r\n" ... ["x-amz-trailer-signature:<64 hex>\r\n"]] \r\n
 *
 * Data comes back as views of the input buffers (no copies); only header lines split across
 * reads and the short trailer section are buffered. Every chunk signature is checked as its
 * chunk ends; errors are S3Error.
 */
import { createHash, createHmac, type Hash } from "node:crypto";
import { S3Error } from "../s3/errors.ts";
import { EMPTY_SHA256, signaturesEqual } from "./canonical.ts";

/** What verifySigV4 established about a streaming upload, needed to check its chunks. */
export interface ChunkSigning {
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export interface AwsChunkedOptions {
  /** null for STREAMING-UNSIGNED-PAYLOAD-TRAILER (chunks carry no signature). */
  signing: ChunkSigning | null;
  trailer: boolean;
  /** x-amz-decoded-content-length, when sent: the decoded total must not exceed it. */
  decodedLength: number | null;
  /** Decoded bytes allowed before EntityTooLarge. */
  maxBytes: number;
  /** Trailer names the request announced (x-amz-trailer); null accepts whatever comes. */
  trailerNames: readonly string[] | null;
}

/** A header line is about 90 bytes; MinIO rejects lines past 4 KiB. */
export const MAX_CHUNK_LINE = 4096;
/** MinIO's limit. Data is streamed, never buffered, so this only stops nonsense sizes. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** Checksum trailers plus their signature fit in a few hundred bytes. */
export const MAX_TRAILER_BYTES = 16 * 1024;

const HEADER = 0, DATA = 1, DATA_END = 2, TAIL = 3;

function malformed(detail: string): S3Error {
  return new S3Error("InvalidRequest", `Malformed aws-chunked body: ${detail}`);
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Decodes an aws-chunked body fed in pieces of any size. */
export class AwsChunkedDecoder {
  readonly #opts: AwsChunkedOptions;
  #state = HEADER;
  #line = new Uint8Array(MAX_CHUNK_LINE);
  #lineLength = 0;
  #remaining = 0;
  #crlfSeen = 0;
  #hash: Hash | null = null;
  #chunkSignature = "";
  #previousSignature: string;
  #chunkIndex = 0;
  #decoded = 0;
  #tail: Uint8Array[] = [];
  #tailLength = 0;
  #trailers: Record<string, string> = {};

  constructor(opts: AwsChunkedOptions) {
    this.#opts = opts;
    this.#previousSignature = opts.signing?.seedSignature ?? "";
  }

  /** Decoded bytes produced so far. */
  get decodedBytes(): number {
    return this.#decoded;
  }

  /** Trailer headers (lowercased names), complete once finish() has returned. */
  get trailers(): Record<string, string> {
    return this.#trailers;
  }

  /** Feeds raw body bytes; returns the decoded data they contained, as views of `input`. */
  push(input: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < input.length) {
      if (this.#state === HEADER) i = this.#readHeader(input, i);
      else if (this.#state === DATA) {
        const n = Math.min(this.#remaining, input.length - i);
        const view = input.subarray(i, i + n);
        this.#hash?.update(view);
        out.push(view);
        this.#remaining -= n;
        this.#decoded += n;
        i += n;
        if (this.#remaining === 0) this.#state = DATA_END;
      } else if (this.#state === DATA_END) {
        if (input[i++] !== (this.#crlfSeen === 0 ? 0x0d : 0x0a)) {
          throw malformed(`chunk ${this.#chunkIndex} data is not followed by CRLF.`);
        }
        if (++this.#crlfSeen === 2) {
          this.#crlfSeen = 0;
          this.#verifyChunk();
          this.#state = HEADER;
        }
      } else {
        this.#keepTail(input.subarray(i));
        i = input.length;
      }
    }
    return out;
  }

  /** Call at the end of the body: checks the framing completed and verifies the trailer. */
  finish(): void {
    if (this.#state !== TAIL) {
      throw new S3Error(
        "IncompleteBody",
        "The aws-chunked body ended before its final zero-length chunk.",
      );
    }
    const tail = new Uint8Array(this.#tailLength);
    let at = 0;
    for (const part of this.#tail) {
      tail.set(part, at);
      at += part.length;
    }
    if (this.#opts.trailer) this.#readTrailers(latin1(tail));
    // Without trailers only the final chunk's empty-data CRLF may follow (some clients omit it).
    else if (tail.length !== 0 && latin1(tail) !== "\r\n") {
      throw malformed("data follows the final zero-length chunk.");
    }
  }

  #readHeader(input: Uint8Array, start: number): number {
    const lf = input.indexOf(0x0a, start);
    const end = lf < 0 ? input.length : lf + 1;
    if (this.#lineLength + end - start > MAX_CHUNK_LINE) {
      throw malformed(
        `chunk ${this.#chunkIndex} header line is longer than ${MAX_CHUNK_LINE} bytes.`,
      );
    }
    if (lf < 0) {
      this.#line.set(input.subarray(start), this.#lineLength);
      this.#lineLength += input.length - start;
      return input.length;
    }
    let line = input.subarray(start, end);
    if (this.#lineLength > 0) {
      this.#line.set(line, this.#lineLength);
      line = this.#line.subarray(0, this.#lineLength + line.length);
      this.#lineLength = 0;
    }
    this.#startChunk(line);
    return end;
  }

  #startChunk(line: Uint8Array): void {
    const index = this.#chunkIndex;
    if (line.length < 2 || line[line.length - 2] !== 0x0d) {
      throw malformed(`chunk ${index} header does not end with CRLF.`);
    }
    const text = latin1(line.subarray(0, line.length - 2));
    const semi = text.indexOf(";");
    const sizeText = semi < 0 ? text : text.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) {
      throw malformed(`chunk ${index} size "${sizeText.slice(0, 20)}" is not hexadecimal.`);
    }
    const size = parseInt(sizeText, 16);
    if (size > MAX_CHUNK_SIZE) {
      throw malformed(`chunk ${index} is larger than ${MAX_CHUNK_SIZE} bytes.`);
    }
    const extension = semi < 0 ? null : text.slice(semi + 1);
    if (this.#opts.signing !== null) {
      if (extension === null || !extension.startsWith("chunk-signature=")) {
        throw malformed(`chunk ${index} has no chunk-signature, which a signed payload requires.`);
      }
      this.#chunkSignature = extension.slice("chunk-signature=".length);
    } else if (extension !== null) {
      throw malformed(`chunk ${index} carries an extension; an unsigned payload has none.`);
    }
    if (this.#decoded + size > this.#opts.maxBytes) throw new S3Error("EntityTooLarge");
    const declared = this.#opts.decodedLength;
    if (declared !== null && this.#decoded + size > declared) {
      throw malformed(
        `the chunks hold more than x-amz-decoded-content-length (${declared}) bytes.`,
      );
    }
    if (size === 0) {
      this.#hash = null;
      this.#verifyChunk();
      this.#state = TAIL;
    } else {
      this.#hash = this.#opts.signing !== null ? createHash("sha256") : null;
      this.#remaining = size;
      this.#state = DATA;
    }
  }

  #verifyChunk(): void {
    const signing = this.#opts.signing;
    const index = this.#chunkIndex++;
    if (signing === null) return;
    const dataHash = this.#hash?.digest("hex") ?? EMPTY_SHA256;
    const expected = this.#sign(
      `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n` +
        `${this.#previousSignature}\n${EMPTY_SHA256}\n${dataHash}`,
    );
    if (!signaturesEqual(expected, this.#chunkSignature)) {
      throw new S3Error(
        "SignatureDoesNotMatch",
        `The chunk-signature of chunk ${index} does not match the data.`,
      );
    }
    this.#previousSignature = expected;
  }

  #sign(data: string): string {
    return createHmac("sha256", this.#opts.signing!.signingKey).update(data).digest("hex");
  }

  #keepTail(bytes: Uint8Array): void {
    const limit = this.#opts.trailer ? MAX_TRAILER_BYTES : 2;
    if (this.#tailLength + bytes.length > limit) {
      throw malformed(
        this.#opts.trailer
          ? `the trailer section is larger than ${MAX_TRAILER_BYTES} bytes.`
          : "data follows the final zero-length chunk.",
      );
    }
    // Copied: the caller may reuse its buffers, and this is at most a few hundred bytes.
    this.#tail.push(bytes.slice());
    this.#tailLength += bytes.length;
  }

  /**
   * Trailer lines end in CRLF; bare LF and blank lines are tolerated because clients differ
   * (some put a CRLF between the final chunk and the trailers, some end without a blank line).
   */
  #readTrailers(text: string): void {
    const entries: [string, string][] = [];
    let signature: string | null = null;
    for (const raw of text.split("\n")) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.trim() === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) throw malformed(`trailer line "${line.slice(0, 40)}" is not "name:value".`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (!/^[a-z0-9-]+$/.test(name)) {
        throw malformed(`trailer name "${name.slice(0, 40)}" is invalid.`);
      }
      if (
        Object.hasOwn(this.#trailers, name) ||
        (name === "x-amz-trailer-signature" && signature !== null)
      ) {
        throw malformed(`trailer ${name} appears twice.`);
      }
      if (name === "x-amz-trailer-signature") signature = value;
      else {
        entries.push([name, value]);
        this.#trailers[name] = value;
      }
    }
    const announced = this.#opts.trailerNames;
    const sent = entries.map(([n]) => n).sort();
    if (announced !== null && sent.join(",") !== [...announced].sort().join(",")) {
      throw new S3Error(
        "InvalidRequest",
        `The trailer sent (${sent.join(", ") || "none"}) differs from x-amz-trailer (${
          announced.join(", ") || "none"
        }).`,
      );
    }
    if (this.#opts.signing === null) {
      if (signature !== null) throw malformed("an unsigned payload's trailer carries a signature.");
      return;
    }
    if (entries.length === 0 && signature === null) return;
    if (signature === null) throw malformed("the trailer has no x-amz-trailer-signature.");
    // Canonical trailer: "name:value\n" per header, sorted by name (as the AWS SDKs sign it).
    const canonical = entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([n, v]) => `${n}:${v}\n`).join("");
    const { amzDate, scope } = this.#opts.signing;
    const expected = this.#sign(
      `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${this.#previousSignature}\n` +
        createHash("sha256").update(canonical, "latin1").digest("hex"),
    );
    if (!signaturesEqual(expected, signature)) {
      throw new S3Error("SignatureDoesNotMatch", "The x-amz-trailer-signature does not match.");
    }
  }
}
