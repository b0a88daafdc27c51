/**
 * AWS Signature Version 4 as Amazon S3 checks it: verification of header-signed and presigned
 * requests, and creation of presigned URLs. It knows nothing about buckets: it answers "who
 * signed this, and how is the body protected". The canonical form lives in canonical.ts and the
 * reading of auth parameters in sigv4_params.ts; their helpers are re-exported from here.
 */
import { S3Error } from "../s3/errors.ts";
import {
  awsEncode,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  signaturesEqual,
  signedHeaderValue,
  signHex,
  signingKeyFor,
  SIGV4_ALGORITHM,
  stringToSign,
  toAmzDate,
  UNSIGNED_PAYLOAD,
} from "./canonical.ts";
import { BoundedMap } from "../memo.ts";
import { parseQuery, type Query } from "../s3/query.ts";
import { constantTimeEqual } from "./constant_time.ts";
import {
  MAX_PRESIGN_EXPIRES,
  parseHeaderAuth,
  parseQueryAuth,
  type SignedParts,
} from "./sigv4_params.ts";

export {
  awsEncode,
  type CanonicalParts,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  EMPTY_SHA256,
  parseAmzDate,
  sha256Hex,
  signaturesEqual,
  signHex,
  signingKeyFor,
  stringToSign,
  toAmzDate,
  UNSIGNED_PAYLOAD,
} from "./canonical.ts";
export { MAX_PRESIGN_EXPIRES, MAX_SKEW_MS } from "./sigv4_params.ts";

export interface Credential {
  accessKey: string;
  secretKey: string;
  active: boolean;
}
export type CredentialLookup = (
  accessKey: string,
) => Promise<Credential | null> | Credential | null;

export interface SigV4Input {
  method: string;
  /** The path exactly as received, still percent-encoded, e.g. "/bucket/a%20b/c". */
  rawPath: string;
  /** The query string without "?", exactly as received ("" when none). */
  rawQuery: string;
  headers: Headers;
  now: Date;
  /** rawQuery already parsed, when the caller has it (parsing twice showed in profiles). */
  query?: Query;
}

export type PayloadMode =
  | { kind: "unsigned" }
  | { kind: "sha256"; expectedHex: string }
  | {
    kind: "chunked";
    signed: boolean;
    trailer: boolean;
    decodedLength: number | null;
    seedSignature: string;
    signingKey: Uint8Array;
    amzDate: string;
    scope: string;
    /** Lowercased names from the x-amz-trailer header; null when the header is absent. */
    trailerNames: string[] | null;
  };

export interface VerifiedRequest {
  accessKey: string;
  presigned: boolean;
  payload: PayloadMode;
  region: string;
}

const STREAMING: Record<string, { signed: boolean; trailer: boolean }> = {
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": { signed: true, trailer: false },
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": { signed: true, trailer: true },
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER": { signed: false, trailer: true },
};

/** Classifies x-amz-content-sha256 before any signature work, as S3 does. */
function payloadKind(hash: string, presigned: boolean) {
  if (hash === UNSIGNED_PAYLOAD) return { kind: "unsigned" as const };
  if (/^[0-9a-fA-F]{64}$/.test(hash)) return { kind: "sha256" as const };
  const streaming = STREAMING[hash];
  if (streaming !== undefined) {
    if (presigned) {
      throw new S3Error("InvalidRequest", `${hash} needs Authorization header authentication.`);
    }
    return { kind: "chunked" as const, ...streaming };
  }
  if (hash.startsWith("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")) {
    throw new S3Error("NotImplemented", "SigV4a (ECDSA) streaming payloads are not supported.");
  }
  throw new S3Error(
    "InvalidArgument",
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
    { ArgumentName: "x-amz-content-sha256", ArgumentValue: hash.slice(0, 80) },
  );
}

function decodedLength(headers: Headers): number | null {
  const v = headers.get("x-amz-decoded-content-length");
  if (v === null) return null;
  if (!/^\d{1,15}$/.test(v)) {
    throw new S3Error("InvalidArgument", "x-amz-decoded-content-length must be a byte count.", {
      ArgumentName: "x-amz-decoded-content-length",
      ArgumentValue: v.slice(0, 40),
    });
  }
  return Number(v);
}

/**
 * Verifies a SigV4 request (Authorization header or presigned query) and says how its body is
 * protected. Throws S3Error. Anonymous requests are refused.
 *
 * @example
 * const v = await verifySigV4({ method, rawPath, rawQuery, headers, now: new Date() }, lookup);
 * const body = openPayload(req.body, v.payload, { contentLength, maxBytes });
 */
export async function verifySigV4(
  input: SigV4Input,
  lookup: CredentialLookup,
): Promise<VerifiedRequest> {
  const authorization = input.headers.get("authorization");
  const query = input.query ?? parseQuery(input.rawQuery);
  const queryAuth = query.has("X-Amz-Algorithm");
  if (authorization !== null && queryAuth) {
    throw new S3Error(
      "InvalidArgument",
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
      { ArgumentName: "Authorization", ArgumentValue: authorization.slice(0, 64) },
    );
  }
  if (authorization === null && !queryAuth) {
    if (query.has("AWSAccessKeyId") && query.has("Signature")) {
      throw new S3Error(
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
      );
    }
    throw new S3Error("AccessDenied", "Anonymous access is not allowed: sign the request (SigV4).");
  }
  const parts = authorization !== null
    ? parseHeaderAuth(authorization, input)
    : parseQueryAuth(query, input);
  const kind = payloadKind(parts.payloadHash, parts.presigned);
  const length = kind.kind === "chunked" ? decodedLength(input.headers) : null;

  const credential = await lookup(parts.accessKey);
  if (credential === null || !credential.active) {
    throw new S3Error("InvalidAccessKeyId", undefined, { AWSAccessKeyId: parts.accessKey });
  }
  const scope = `${parts.date}/${parts.region}/s3/aws4_request`;
  const identity = parts.presigned ? presignedIdentity(input, parts) : null;
  const remembered = identity === null ? undefined : verifiedPresigned.get(identity);
  const signed = remembered !== undefined && constantTimeEqual(remembered, credential.secretKey)
    ? null
    : checkSignature(input, parts, scope, credential.secretKey);
  if (identity !== null && signed !== null) verifiedPresigned.set(identity, credential.secretKey);

  let payload: PayloadMode;
  if (kind.kind === "chunked") {
    // Only header-signed requests stream chunks (payloadKind refuses presigned ones), and
    // their signature is always checked: `signed` is set.
    const { expected, signingKey } = signed!;
    const trailer = input.headers.get("x-amz-trailer");
    payload = {
      kind: "chunked",
      signed: kind.signed,
      trailer: kind.trailer,
      decodedLength: length,
      seedSignature: expected,
      signingKey,
      amzDate: parts.amzDate,
      scope,
      trailerNames: trailer === null
        ? null
        : trailer.split(",").map((n) => n.trim().toLowerCase()).filter((n) => n !== ""),
    };
  } else if (kind.kind === "sha256") {
    payload = { kind: "sha256", expectedHex: parts.payloadHash.toLowerCase() };
  } else payload = { kind: "unsigned" };
  return {
    accessKey: parts.accessKey,
    presigned: parts.presigned,
    payload,
    region: parts.region,
  };
}

/** Recomputes the request's signature and compares; throws SignatureDoesNotMatch. */
function checkSignature(
  input: SigV4Input,
  parts: SignedParts,
  scope: string,
  secretKey: string,
): { expected: string; signingKey: Uint8Array } {
  const canonical = canonicalRequest({
    method: input.method,
    rawPath: input.rawPath,
    rawQuery: input.rawQuery,
    headers: input.headers,
    signedHeaders: parts.signedHeaders,
    payloadHash: parts.payloadHash,
    presigned: parts.presigned,
  });
  const toSign = stringToSign(parts.amzDate, scope, canonical);
  const signingKey = signingKeyFor(secretKey, parts.date, parts.region, "s3");
  const expected = signHex(signingKey, toSign);
  if (!signaturesEqual(expected, parts.signature)) {
    throw new S3Error("SignatureDoesNotMatch", undefined, {
      AWSAccessKeyId: parts.accessKey,
      StringToSign: toSign,
      SignatureProvided: parts.signature.slice(0, 128),
      CanonicalRequest: canonical,
    });
  }
  return { expected, signingKey };
}

/**
 * Presigned URLs whose signature checked out, by everything the signature covers, with the
 * secret it was checked against. An object served through one presigned URL (a page's
 * images, a video fetched range by range) gets the same URL again and again, and rebuilding
 * its canonical request and HMAC was about a quarter of a small GET's CPU. Only that check is
 * skipped: the validity window, the credential (known and active, same secret) and the
 * presign record are checked on every request as before. Failures are never remembered.
 */
const verifiedPresigned = new BoundedMap<string, string>(4096);

/**
 * The inputs of a presigned request's canonical request, joined: equal identities give equal
 * canonical requests. The query carries the signature, the date, the expiry and the list of
 * signed headers; none of the parts can hold a newline.
 */
function presignedIdentity(input: SigV4Input, parts: SignedParts): string {
  let id = `${input.method}\n${input.rawPath}\n${input.rawQuery}\n${parts.payloadHash}`;
  for (const name of parts.signedHeaders) id += `\n${signedHeaderValue(input.headers, name)}`;
  return id;
}

// ---------------------------------------------------------------- presigning

/**
 * Creates a presigned (query-auth) URL signed over the host header only, with
 * UNSIGNED-PAYLOAD. The path and query are emitted in canonical form, so what is sent is
 * exactly what was signed.
 *
 * @example
 * presignUrl({ method: "GET", url: new URL("http://localhost:9000/b/k"), accessKey, secretKey,
 *   region: "us-east-1", expiresIn: 3600, now: new Date() });
 */
export function presignUrl(opts: {
  method: string;
  url: URL;
  accessKey: string;
  secretKey: string;
  region: string;
  expiresIn: number;
  now: Date;
  extraQuery?: Record<string, string>;
}): string {
  const { url } = opts;
  if (!Number.isInteger(opts.expiresIn) || opts.expiresIn < 1) {
    throw new RangeError("expiresIn must be a whole number of seconds, at least 1");
  }
  if (opts.expiresIn > MAX_PRESIGN_EXPIRES) {
    throw new RangeError(`expiresIn must be at most ${MAX_PRESIGN_EXPIRES} seconds`);
  }
  const amzDate = toAmzDate(opts.now);
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${opts.region}/s3/aws4_request`;
  const added: Record<string, string> = {
    ...opts.extraQuery,
    "X-Amz-Algorithm": SIGV4_ALGORITHM,
    "X-Amz-Credential": `${opts.accessKey}/${scope}`,
    "X-Amz-Date": amzDate,
    "X-Amz-Expires": String(opts.expiresIn),
    "X-Amz-SignedHeaders": "host",
  };
  const existing = url.search.slice(1);
  const extra = Object.entries(added).map(([k, v]) => `${awsEncode(k)}=${awsEncode(v)}`);
  const query = canonicalQuery([existing, ...extra].filter((p) => p !== "").join("&"));
  const path = canonicalUri(url.pathname);
  const canonical = canonicalRequest({
    method: opts.method,
    rawPath: path,
    rawQuery: query,
    headers: new Headers({ host: url.host }),
    signedHeaders: ["host"],
    payloadHash: UNSIGNED_PAYLOAD,
  });
  const key = signingKeyFor(opts.secretKey, date, opts.region, "s3");
  const signature = signHex(key, stringToSign(amzDate, scope, canonical));
  return `${url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}
