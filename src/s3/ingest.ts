import { openPayload } from "../auth/payload.ts";
import { MAX_BLOB_BYTES } from "../storage/limits.ts";
import type { BlobWriter } from "../storage/blobs.ts";
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
  /** null for an empty body: empty objects have no file. */
  blobId: string | null;
  size: number;
  md5Hex: string;
  checksum: StoredChecksum | null;
  /** The raw checksum digest (for multipart composite checksums). */
  checksumRaw: Uint8Array | null;
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

/** What was received and verified, whatever the bytes were written to. */
interface ReceivedBody {
  size: number;
  md5Hex: string;
  checksum: StoredChecksum | null;
  checksumRaw: Uint8Array | null;
}

/**
 * Streams a request body into `sink`, hashing as it goes (MD5 for the ETag, plus the
 * requested `x-amz-checksum-*`), and verifies Content-MD5, the checksum and the payload
 * signature. Returns only when every check passed; the caller keeps nothing otherwise.
 */
async function receiveBody(
  ctx: S3Context,
  maxBytes: number,
  rules: ChecksumRules,
  sink: (chunk: Uint8Array) => Promise<void> | void,
): Promise<ReceivedBody> {
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
  const md5 = createMd5();
  const checksum: Checksum | null = wanted ? createChecksum(wanted.algorithm) : null;
  for await (const chunk of payload.chunks()) {
    if (chunk.length === 0) continue;
    md5.update(chunk);
    checksum?.update(chunk);
    await sink(chunk);
  }
  ctx.bytesIn += payload.bytesRead;
  contentMd5Check(contentMd5, md5.digestRaw());
  if (checksum && wanted) {
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
  }
  return {
    size: payload.bytesRead,
    md5Hex: md5.digestHex(),
    checksum: checksum
      ? { algorithm: checksum.algorithm, value: checksum.digestBase64(), type: "FULL_OBJECT" }
      : null,
    checksumRaw: checksum?.digestRaw() ?? null,
  };
}

/**
 * Streams a request body to a new blob and makes it durable once every check passed
 * (see receiveBody). On any failure the temp file is removed and nothing is kept.
 */
export async function ingestBody(
  ctx: S3Context,
  opts: {
    maxBytes?: number;
    /** Computed when the request sends no checksum. */
    defaultAlgorithm?: ChecksumAlgorithm | null;
    /** A checksum the request sends must be of the default algorithm (multipart parts). */
    requireDefault?: boolean;
  } = {},
): Promise<IngestedBody> {
  let blob: BlobWriter | null = null;
  try {
    const received = await receiveBody(
      ctx,
      opts.maxBytes ?? MAX_BLOB_BYTES,
      {
        defaultAlgorithm: opts.defaultAlgorithm ?? null,
        requireDefault: opts.requireDefault ?? false,
        headersDescribeObject: false,
      },
      async (chunk) => {
        blob ??= await ctx.app.store.blobs.create();
        await blob.write(chunk);
      },
    );
    const blobId = blob ? await (blob as BlobWriter).commit() : null;
    return { blobId, ...received };
  } catch (err) {
    await (blob as BlobWriter | null)?.abort();
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
  let received: ReceivedBody;
  try {
    received = await receiveBody(
      ctx,
      maxBytes,
      {
        defaultAlgorithm: null,
        requireDefault: false,
        headersDescribeObject: opts.checksumHeadersDescribeObject ?? false,
      },
      (chunk) => void parts.push(chunk.slice()),
    );
  } catch (err) {
    if (err instanceof S3Error && err.code === "EntityTooLarge") {
      throw new S3Error("MaxMessageLengthExceeded");
    }
    throw err;
  }
  const all = new Uint8Array(received.size);
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
