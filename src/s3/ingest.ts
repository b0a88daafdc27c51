import { openPayload } from "../auth/payload.ts";
import { MAX_BLOB_BYTES } from "../storage/limits.ts";
import { BodyReadError, ingestBlob } from "../storage/blob_ingest.ts";
import type { StoredChecksum } from "../storage/records.ts";
import {
  type Checksum,
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumAlgorithmFromHeader,
  checksumHeaderName,
  checksumMismatchError,
  contentMd5Check,
  createChecksum,
  createMd5,
  fromBase64Strict,
  invalidChecksumValueError,
  isValidChecksumValue,
  parseChecksumAlgorithm,
} from "./checksums.ts";
import type { S3Context } from "./context.ts";
import { S3Error } from "./errors.ts";

/** A request body that is now a durable blob, with everything S3 derives from its bytes. */
export interface IngestedBody {
  /** null for an empty body (empty objects have no file) and for inline bytes. */
  blobId: string | null;
  /** The bytes, when the body fit in `inlineUpTo` (see ingestBlob). */
  inline: Uint8Array<ArrayBuffer> | null;
  size: number;
  md5Hex: string;
  checksum: StoredChecksum | null;
}

/** The checksum a request asks for: which algorithm, and the value to verify, if any. */
interface ChecksumRequest {
  algorithm: ChecksumAlgorithm;
  /** Base64 value from a header or presigned query; "trailer" when it arrives after the body. */
  expected: string | "trailer" | null;
}

/** How a request's checksum headers relate to its body. */
interface ChecksumRules {
  /** Computed when the request sends no checksum. */
  defaultAlgorithm: ChecksumAlgorithm | null;
  /** A checksum the request sends must be of the default algorithm (multipart parts). */
  requireDefault: boolean;
  /**
   * CompleteMultipartUpload: its `x-amz-checksum-<alg>` headers state the checksum of the
   * object being assembled, not of the XML body, so they are not checked against the body.
   */
  headersDescribeObject: boolean;
}

/** A request body opened for reading, with what it must prove once every byte is in. */
interface OpenedBody {
  chunks: AsyncGenerator<Uint8Array>;
  /** Adds the body's bytes to the running checksum (called for each chunk). */
  tap(chunk: Uint8Array): void;
  /**
   * Checks Content-MD5 and the checksum (header, presigned query or trailer) against the
   * received bytes; returns the checksum to store. Throws before anything is kept.
   */
  verify(md5: Uint8Array): StoredChecksum | null;
}

/**
 * Opens a request body as S3 receives it: declared size within `maxBytes`, a well-formed
 * Content-MD5, the checksum it asks for, and the payload verification of its signature
 * mode (hash, chunk signatures, trailer) in `openPayload`.
 */
function openBody(ctx: S3Context, maxBytes: number, rules: ChecksumRules): OpenedBody {
  const h = ctx.headers;
  const declared = declaredLength(h, ctx.req.body !== null);
  if (declared !== null && declared > maxBytes) {
    throw new S3Error("EntityTooLarge", undefined, {
      ProposedSize: String(declared),
      MaxSizeAllowed: String(maxBytes),
    });
  }
  const contentMd5 = h.get("content-md5");
  if (contentMd5 !== null && fromBase64Strict(contentMd5.trim())?.length !== 16) {
    throw new S3Error("InvalidDigest");
  }
  const wanted = checksumRequest(ctx, rules);
  const contentLength = h.has("content-length") ? Number(h.get("content-length")) : null;
  const payload = openPayload(ctx.req.body, ctx.auth.payload, {
    contentLength,
    maxBytes,
    idleTimeoutMs: ctx.app.config.bodyTimeoutSeconds * 1000,
    expectedTrailer: wanted?.expected === "trailer"
      ? checksumHeaderName(wanted.algorithm)
      : undefined,
  });
  const checksum: Checksum | null = wanted ? createChecksum(wanted.algorithm) : null;
  return {
    chunks: payload.chunks(),
    tap: (chunk) => checksum?.update(chunk),
    verify(md5) {
      ctx.bytesIn += payload.bytesRead;
      contentMd5Check(contentMd5, md5);
      if (!checksum || !wanted) return null;
      const expected = wanted.expected === "trailer"
        ? payload.trailers[checksumHeaderName(wanted.algorithm)]
        : wanted.expected;
      if (wanted.expected === "trailer" && expected === undefined) {
        throw new S3Error(
          "InvalidRequest",
          `The trailer ${checksumHeaderName(wanted.algorithm)} was declared but not sent.`,
        );
      }
      if (expected && expected !== checksum.digestBase64()) {
        throw checksumMismatchError(wanted.algorithm);
      }
      return { algorithm: checksum.algorithm, value: checksum.digestBase64(), type: "FULL_OBJECT" };
    },
  };
}

/**
 * Streams a request body to a new blob, hashing as it goes (MD5 for the ETag, plus the
 * requested `x-amz-checksum-*`), and makes it durable only once Content-MD5, the checksum and
 * the payload signature are verified. On any failure nothing is kept.
 */
export async function ingestBody(
  ctx: S3Context,
  opts: {
    maxBytes?: number;
    /** Computed when the request sends no checksum. */
    defaultAlgorithm?: ChecksumAlgorithm | null;
    /** A checksum the request sends must be of the default algorithm (multipart parts). */
    requireDefault?: boolean;
    /** A body up to this size comes back as inline bytes, without a file (objects only). */
    inlineUpTo?: number;
  } = {},
): Promise<IngestedBody> {
  const maxBytes = opts.maxBytes ?? MAX_BLOB_BYTES;
  const body = openBody(ctx, maxBytes, {
    defaultAlgorithm: opts.defaultAlgorithm ?? null,
    requireDefault: opts.requireDefault ?? false,
    headersDescribeObject: false,
  });
  let checksum: StoredChecksum | null = null;
  try {
    const blob = await ingestBlob(ctx.app.store.blobs, body.chunks, {
      maxBytes,
      inlineUpTo: opts.inlineUpTo,
      tap: body.tap,
      beforeCommit: ({ md5 }) => void (checksum = body.verify(md5)),
    });
    return { ...blob, checksum };
  } catch (err) {
    // openPayload's verdicts (signature, hash, size, timeout) are S3 errors as they are.
    if (err instanceof BodyReadError && err.cause instanceof S3Error) throw err.cause;
    throw err;
  }
}

/**
 * Reads a small request body (an XML document) with a hard cap, verifying its signature,
 * Content-MD5 and checksum like any upload. Bodies over the cap are refused with
 * MaxMessageLengthExceeded without being read. With `checksumHeadersDescribeObject`
 * (CompleteMultipartUpload), `x-amz-checksum-<alg>` headers are left to the caller.
 */
export async function readSmallBody(
  ctx: S3Context,
  maxBytes: number,
  opts: { checksumHeadersDescribeObject?: boolean } = {},
): Promise<string> {
  const parts: Uint8Array[] = [];
  try {
    const body = openBody(ctx, maxBytes, {
      defaultAlgorithm: null,
      requireDefault: false,
      headersDescribeObject: opts.checksumHeadersDescribeObject ?? false,
    });
    const md5 = createMd5();
    for await (const chunk of body.chunks) {
      md5.update(chunk);
      body.tap(chunk);
      parts.push(chunk.slice());
    }
    body.verify(md5.digestRaw());
  } catch (err) {
    if (err instanceof S3Error && err.code === "EntityTooLarge") {
      throw new S3Error("MaxMessageLengthExceeded");
    }
    throw err;
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return new TextDecoder().decode(all);
}

/** Content-Length, or x-amz-decoded-content-length for aws-chunked bodies. */
function declaredLength(h: Headers, hasBody: boolean): number | null {
  const v = h.get("x-amz-decoded-content-length") ?? h.get("content-length");
  if (v === null) {
    // A streamed body of unknown length is accepted (and capped); a missing length on a
    // request without any framing is what S3 refuses.
    if (hasBody && !h.has("transfer-encoding")) throw new S3Error("MissingContentLength");
    return null;
  }
  if (!/^\d{1,16}$/.test(v)) throw new S3Error("InvalidArgument", "Invalid Content-Length.");
  return Number(v);
}

/**
 * Works out which checksum a request carries: an `x-amz-checksum-<alg>` header, a trailer
 * announced by `x-amz-trailer`, an algorithm alone (`x-amz-sdk-checksum-algorithm`: compute
 * and store it), or a checksum query parameter of a presigned URL.
 *
 * Presigned PUT URLs from the current AWS presigner carry `x-amz-checksum-crc32=AAAAAA==`,
 * the CRC of the empty body the URL was signed with, not of the upload to come. That exact
 * placeholder is ignored (the upload's own CRC is stored instead, or, for a part of an
 * upload with another algorithm, that algorithm); any other value in the query was chosen
 * by whoever signed the URL and is enforced like a header.
 */
function checksumRequest(ctx: S3Context, rules: ChecksumRules): ChecksumRequest | null {
  const { defaultAlgorithm, requireDefault, headersDescribeObject } = rules;
  const h = ctx.headers;
  const found: ChecksumRequest[] = [];
  for (const [name, value] of headersDescribeObject ? [] : h) {
    const alg = checksumAlgorithmFromHeader(name);
    if (alg) found.push({ algorithm: alg, expected: value.trim() });
  }
  if (ctx.auth.presigned && !headersDescribeObject) {
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = ctx.query.get(checksumHeaderName(alg));
      if (v === null || found.some((f) => f.algorithm === alg)) continue;
      if (v !== emptyChecksum(alg)) found.push({ algorithm: alg, expected: v });
      // The placeholder names no real checksum: for a part of an upload with its own
      // algorithm it is as if none was sent; otherwise its algorithm is computed and stored.
      else if (!(requireDefault && defaultAlgorithm && defaultAlgorithm !== alg)) {
        found.push({ algorithm: alg, expected: null });
      }
    }
  }
  const trailer = h.get("x-amz-trailer");
  if (trailer) {
    const alg = checksumAlgorithmFromHeader(trailer.trim());
    if (!alg) {
      throw new S3Error("InvalidRequest", `The trailer ${trailer} is not a supported checksum.`);
    }
    found.push({ algorithm: alg, expected: "trailer" });
  }
  if (found.length > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const sdkHeader = h.get("x-amz-sdk-checksum-algorithm") ??
    (headersDescribeObject ? null : h.get("x-amz-checksum-algorithm"));
  const sdkAlg = sdkHeader === null ? null : parseChecksumAlgorithm(sdkHeader);
  if (sdkHeader !== null && !sdkAlg) {
    throw new S3Error(
      "InvalidRequest",
      "Value for x-amz-sdk-checksum-algorithm header is invalid.",
    );
  }
  const request = found[0];
  const required = defaultAlgorithm !== null && requireDefault;
  const sent = request?.algorithm ?? sdkAlg;
  if (required && sent && sent !== defaultAlgorithm) {
    throw new S3Error(
      "InvalidRequest",
      `Checksum Type mismatch occurred, expected checksum Type: ${defaultAlgorithm.toLowerCase()}, actual checksum Type: ${sent.toLowerCase()}`,
    );
  }
  if (request) {
    if (sdkAlg && sdkAlg !== request.algorithm) {
      throw new S3Error(
        "InvalidRequest",
        `Value for x-amz-sdk-checksum-algorithm header is invalid: it names ${sdkAlg} but the checksum sent is ${request.algorithm}.`,
      );
    }
    const { algorithm, expected } = request;
    if (typeof expected === "string" && expected !== "trailer") {
      if (!isValidChecksumValue(algorithm, expected)) {
        throw invalidChecksumValueError(algorithm);
      }
    }
    return request;
  }
  const alg = sdkAlg ?? defaultAlgorithm;
  return alg ? { algorithm: alg, expected: null } : null;
}

const emptyChecksums = new Map<ChecksumAlgorithm, string>();

/** The checksum of zero bytes, which the presigner bakes into PUT URLs. */
function emptyChecksum(alg: ChecksumAlgorithm): string {
  let v = emptyChecksums.get(alg);
  if (v === undefined) {
    v = createChecksum(alg).digestBase64();
    emptyChecksums.set(alg, v);
  }
  return v;
}
