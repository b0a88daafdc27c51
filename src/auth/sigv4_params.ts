/**
 * Reads the SigV4 parameters of a request, from the Authorization header or from a presigned
 * URL's query, and applies S3's checks that need no secret: shape, scope, clock skew, expiry.
 */
import { S3Error } from "../s3/errors.ts";
import type { Query } from "../s3/query.ts";
import {
  EMPTY_SHA256,
  isoSeconds,
  parseAmzDate,
  SIGV4_ALGORITHM as ALGORITHM,
  UNSIGNED_PAYLOAD,
} from "./canonical.ts";
import type { SigV4Input } from "./sigv4.ts";

/** Amazon S3 refuses requests whose clock is more than 15 minutes off. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest presigned URL lifetime S3 accepts: seven days. */
export const MAX_PRESIGN_EXPIRES = 604800;

/** What a request claims; nothing here is verified against a secret yet. */
export interface SignedParts {
  accessKey: string;
  date: string;
  region: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

type Fail = (detail: string) => S3Error;
const headerFail: Fail = (detail) =>
  new S3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${detail}`);
const queryFail: Fail = (detail) => new S3Error("AuthorizationQueryParametersError", detail);
const credentialFail: Fail = (detail) =>
  queryFail(`Error parsing the X-Amz-Credential parameter; ${detail}`);
const signedHeadersFail: Fail = (detail) => queryFail(`X-Amz-SignedHeaders is invalid; ${detail}`);

function parseCredential(value: string, fail: Fail) {
  const parts = value.split("/");
  if (parts.length !== 5 || parts.some((p) => p === "") || !/^\d{8}$/.test(parts[1])) {
    throw fail(
      'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const [accessKey, date, region, service, terminal] = parts;
  if (service !== "s3") {
    throw fail(`incorrect service "${service}". This endpoint belongs to "s3".`);
  }
  if (terminal !== "aws4_request") {
    throw fail(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  }
  return { accessKey, date, region };
}

function parseSignedHeaders(value: string, fail: Fail): string[] {
  const names = value.split(";").map((n) => n.trim().toLowerCase());
  if (names.some((n) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n))) {
    throw fail(`the SignedHeaders list "${value}" is mal-formed.`);
  }
  if (!names.includes("host")) throw fail("the host header must be signed.");
  return [...new Set(names)].sort();
}

/** Reads `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export function parseHeaderAuth(authorization: string, input: SigV4Input): SignedParts {
  if (!authorization.startsWith(ALGORITHM)) {
    if (/^AWS4?[- ]/.test(authorization)) {
      throw new S3Error(
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
      );
    }
    throw new S3Error("InvalidArgument", "Unsupported Authorization Type", {
      ArgumentName: "Authorization",
      ArgumentValue: authorization.slice(0, 64),
    });
  }
  const rest = authorization.slice(ALGORITHM.length);
  if (!/^\s/.test(rest)) throw headerFail(`expected "${ALGORITHM} Credential=...".`);
  const fields = new Map<string, string>();
  for (const part of rest.split(",")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, Math.max(eq, 0)).trim();
    if (!["Credential", "SignedHeaders", "Signature"].includes(name) || fields.has(name)) {
      throw headerFail(`unexpected component "${part.trim().slice(0, 40)}".`);
    }
    fields.set(name, part.slice(eq + 1).trim());
  }
  const [credential, signed, signature] = ["Credential", "SignedHeaders", "Signature"].map((k) => {
    const v = fields.get(k);
    if (v === undefined) throw headerFail(`the ${k} component is missing.`);
    return v;
  });
  const { accessKey, date, region } = parseCredential(credential, headerFail);
  const signedHeaders = parseSignedHeaders(signed, headerFail);

  const xAmzDate = input.headers.get("x-amz-date");
  const dateName = xAmzDate !== null ? "x-amz-date" : "date";
  const amzDate = xAmzDate ?? input.headers.get("date") ?? "";
  const time = parseAmzDate(amzDate);
  if (time === null) {
    throw new S3Error(
      "AccessDenied",
      "AWS authentication requires a valid Date or x-amz-date header",
    );
  }
  if (!signedHeaders.includes(dateName)) throw headerFail(`the ${dateName} header must be signed.`);
  if (Math.abs(input.now.getTime() - time) > MAX_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, {
      RequestTime: amzDate,
      ServerTime: isoSeconds(input.now.getTime()),
      MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  if (date !== amzDate.slice(0, 8)) {
    throw headerFail("Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  // MinIO's rule: a header-signed request without x-amz-content-sha256 promises an empty body.
  const payloadHash = input.headers.get("x-amz-content-sha256") ?? EMPTY_SHA256;
  return {
    accessKey,
    date,
    region,
    signedHeaders,
    signature,
    amzDate,
    payloadHash,
    presigned: false,
  };
}

/** What a presigned URL's X-Amz-* parameters say, apart from the time of the request. */
interface QueryAuth {
  parts: Omit<SignedParts, "payloadHash">;
  /** X-Amz-Content-Sha256 from the query, if any. */
  payloadHash: string | null;
  time: number;
  expires: number;
  expiresText: string;
}

/**
 * Presigned queries already read, by parsed query. The S3 handler hands the same Query to
 * requests for the same GET or HEAD URL (request_plan.ts), so a URL fetched again and again
 * (a page's images, a video read range by range) skips reading its parameters; the validity
 * window is checked against the clock on every request. Only queries that parsed are kept,
 * for as long as their Query lives.
 */
const parsedQueryAuth = new WeakMap<Query, QueryAuth>();

/** Reads the X-Amz-* parameters of a presigned URL and checks its validity window. */
export function parseQueryAuth(query: Query, input: SigV4Input): SignedParts {
  let q = parsedQueryAuth.get(query);
  if (q === undefined) {
    q = readQueryAuth(query);
    parsedQueryAuth.set(query, q);
  }
  const { time, expires, expiresText } = q;
  const now = input.now.getTime();
  if (time - now > MAX_SKEW_MS) throw new S3Error("AccessDenied", "Request is not valid yet");
  if (now > time + expires * 1000) {
    throw new S3Error("AccessDenied", "Request has expired", {
      "X-Amz-Expires": expiresText,
      Expires: isoSeconds(time + expires * 1000),
      ServerTime: isoSeconds(now),
    });
  }
  const payloadHash = q.payloadHash ?? input.headers.get("x-amz-content-sha256") ??
    UNSIGNED_PAYLOAD;
  return { ...q.parts, payloadHash };
}

function readQueryAuth(query: Query): QueryAuth {
  const param = (name: string): string => {
    const all = query.getAll(name);
    if (all.length > 1) throw queryFail(`${name} may appear only once.`);
    if (all.length === 0) {
      throw queryFail(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    }
    return all[0];
  };
  if (param("X-Amz-Algorithm") !== ALGORITHM) {
    throw queryFail(`X-Amz-Algorithm only supports "${ALGORITHM}".`);
  }
  const [credential, amzDate, expiresText, signed, signature] = [
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
  ].map(param);
  const { accessKey, date, region } = parseCredential(credential, credentialFail);
  const time = parseAmzDate(amzDate);
  if (time === null) {
    throw queryFail(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  }
  if (!/^-?\d+$/.test(expiresText)) throw queryFail("X-Amz-Expires should be a number");
  const expires = Number(expiresText);
  if (expires < 0) throw queryFail("X-Amz-Expires must be non-negative");
  if (expires < 1) throw queryFail("X-Amz-Expires must be at least 1 second");
  if (expires > MAX_PRESIGN_EXPIRES) {
    throw queryFail(
      "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds",
    );
  }
  const signedHeaders = parseSignedHeaders(signed, signedHeadersFail);
  if (date !== amzDate.slice(0, 8)) {
    throw credentialFail("Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  return {
    parts: { accessKey, date, region, signedHeaders, signature, amzDate, presigned: true },
    payloadHash: query.get("X-Amz-Content-Sha256"),
    time,
    expires,
    expiresText,
  };
}
