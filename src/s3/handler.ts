import { FailureLimiter, sourceOf } from "../auth/failure_limiter.ts";
import { randomHex } from "../hex.ts";
import { isDiskFull, StorageError } from "../storage/errors.ts";
import { authenticate } from "./authenticate.ts";
import { healthProbe, mayBeHealthProbe } from "./health.ts";
import { type S3App, type S3Context, SERVER_HEADER } from "./context.ts";
import { S3Error } from "./errors.ts";
import { OPERATIONS } from "./operations.ts";
import { postObject } from "./ops/post_object.ts";
import type { Query } from "./query.ts";
import { planRequest } from "./request_plan.ts";
import type { S3Operation } from "./router.ts";
import { renderError } from "./xml.ts";

/**
 * S3's limit on a request's header section ("name: value" lines with their CRLFs). It is
 * enforced on writes, whose content headers and metadata are stored and sent back on every
 * GET; reads are spared the walk over their headers.
 */
const MAX_HEADER_SECTION_BYTES = 8192;

/** Signature failures that count against a source address and the access key it claims. */
const AUTH_FAILURES = new Set(["SignatureDoesNotMatch", "InvalidAccessKeyId"]);

/**
 * The access key a request claims (Authorization header or X-Amz-Credential), unverified.
 * Failures are counted per address and claimed key, so one client retrying with a wrong
 * secret behind a reverse proxy (every client then shares the proxy's address) locks out
 * only that key, not everyone; guessing a key's secret is still throttled.
 */
function claimedAccessKey(headers: Headers, query: Query): string {
  const authorization = headers.get("authorization");
  const fromHeader = authorization === null
    ? undefined
    : /Credential=([^/,\s]+)/.exec(authorization)?.[1];
  if (fromHeader !== undefined) return fromHeader;
  const credential = query.get("X-Amz-Credential");
  if (credential === null) return "-";
  const slash = credential.indexOf("/");
  return (slash < 0 ? credential : credential.slice(0, slash)) || "-";
}

function checkHeaderSection(headers: Headers): void {
  let bytes = 0;
  // Header names and values are byte strings: one character per byte.
  for (const [name, value] of headers) bytes += name.length + value.length + 4;
  if (bytes > MAX_HEADER_SECTION_BYTES) {
    throw new S3Error("RequestHeaderSectionTooLarge", undefined, {
      MaxSizeAllowed: String(MAX_HEADER_SECTION_BYTES),
    });
  }
}

/**
 * The S3 listener: one entry point for every request. It parses the address, decides the
 * operation, authenticates (authenticate.ts; PostObject authenticates from its form) and
 * dispatches; every failure becomes S3's XML error here and nowhere else, and every request
 * leaves one log line. A source that keeps failing signature checks is refused for a while.
 */
export function createS3Handler(
  app: S3App,
): (req: Request, info?: Deno.ServeHandlerInfo) => Promise<Response> {
  const limiter = new FailureLimiter({ maxFailures: 100, windowMs: 60_000 });

  return async (req: Request, info?: Deno.ServeHandlerInfo): Promise<Response> => {
    // Probes are answered before anything else and leave no log line (they come every second).
    if (mayBeHealthProbe(req)) {
      const probe = await healthProbe(req, app.store);
      if (probe) return probe;
    }
    const started = performance.now();
    const requestId = newRequestId();
    let query: Query | null = null;
    // Worked out only while failures are being counted (limiter.watching) or for a failure.
    const source = () =>
      `${sourceOf(info)} ${query === null ? "-" : claimedAccessKey(req.headers, query)}`;
    let op: S3Operation | null = null;
    let ctx: S3Context | null = null;
    let response: Response;
    let bytesOut = 0;
    try {
      if (req.method === "PUT" || req.method === "POST") checkHeaderSection(req.headers);
      const plan = planRequest(req, app.config.domain);
      const addr = plan.addr;
      query = plan.query;
      op = plan.op;
      if (limiter.watching && limiter.isBlocked(source())) {
        throw new S3Error(
          "SlowDown",
          "Too many failed authentication attempts from your address; try again later.",
          {},
          { "retry-after": String(limiter.retryAfterSeconds(source())) },
        );
      }
      if (op.name === "PostObject") {
        // A browser upload is signed by a policy inside its form, not by the request: the
        // operation reads the fields and authenticates itself.
        response = await postObject({ app, req, op, query, requestId }, (c) => (ctx = c));
      } else {
        ctx = await authenticate(app, req, addr, op, query, requestId);
        response = await OPERATIONS[op.name](ctx);
      }
      // Set by authenticate() or by postObject's callback (which TypeScript does not follow).
      bytesOut = (ctx as S3Context | null)?.bytesOut ?? 0;
    } catch (err) {
      if (err instanceof S3Error && AUTH_FAILURES.has(err.code)) limiter.recordFailure(source());
      const error = errorResponse(app, req, op, requestId, err);
      response = error.response;
      bytesOut = error.bytes;
    }
    const bytesIn = ctx?.bytesIn ?? 0;
    const ms = performance.now() - started;
    app.metrics?.observeS3Request({
      operation: op?.name ?? null,
      status: response.status,
      bytesIn,
      bytesOut,
      seconds: ms / 1000,
    });
    // Stored as is and formatted only when read: this runs on every request.
    app.activity?.record({
      at: Date.now(),
      operation: op?.name ?? null,
      method: req.method,
      bucket: op?.bucket ?? null,
      key: op?.key ?? null,
      status: response.status,
      bytesIn,
      bytesOut,
      ms,
      accessKey: ctx?.credential.accessKey ?? null,
      requestId,
    });
    if (app.log.enabled("info")) {
      app.log.info("request", {
        method: req.method,
        bucket: op?.bucket ?? null,
        key: op?.key ?? null,
        op: op?.name ?? null,
        status: response.status,
        bytes_in: bytesIn,
        bytes_out: bytesOut,
        ms: Math.round(ms * 10) / 10,
        request_id: requestId,
        access_key: ctx?.credential.accessKey ?? null,
        remote: sourceOf(info),
      });
    }
    return response;
  };
}

/**
 * Maps any failure to S3's XML error (with its body size, for the log); unexpected ones are
 * logged and answer InternalError.
 */
function errorResponse(
  app: S3App,
  req: Request,
  op: S3Operation | null,
  requestId: string,
  err: unknown,
): { response: Response; bytes: number } {
  const s3err = toS3Error(err);
  if (s3err.code === "InternalError") {
    app.log.error("internal error", {
      request_id: requestId,
      op: op?.name ?? null,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
  const resource = op?.bucket ? `/${op.bucket}${op.key !== null ? "/" + op.key : ""}` : "/";
  const headers = new Headers(s3err.headers);
  headers.set("x-amz-request-id", requestId);
  headers.set("server", SERVER_HEADER);
  if (s3err.status === 304 || req.method === "HEAD") {
    return { response: new Response(null, { status: s3err.status, headers }), bytes: 0 };
  }
  headers.set("content-type", "application/xml");
  const body = new TextEncoder().encode(renderError({
    code: s3err.code,
    message: s3err.message,
    resource,
    requestId,
    extra: s3err.extra,
  }));
  return { response: new Response(body, { status: s3err.status, headers }), bytes: body.length };
}

function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof StorageError) {
    switch (err.kind) {
      case "BucketNotFound":
        return new S3Error("NoSuchBucket", undefined, { BucketName: err.message });
      case "UploadNotFound":
        return new S3Error("NoSuchUpload");
      case "Contention":
        return new S3Error("SlowDown", err.message);
      default:
        break;
    }
  }
  if (isDiskFull(err)) return new S3Error("InsufficientStorage");
  return new S3Error("InternalError");
}

/** 16 hex characters, like Amazon's request ids. */
function newRequestId(): string {
  requestCounter = (requestCounter + 1) % 0x100000000;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(8, "0");
}

/**
 * Request ids need to be unique, not secret: a random per-process prefix and a counter
 * (random bytes per request showed up in profiles of small GETs).
 */
const REQUEST_ID_PREFIX = randomHex(4).toUpperCase();
let requestCounter = 0;
