import type { RecentActivity } from "../activity.ts";
import type { VerifiedRequest } from "../auth/sigv4.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { ServerMetrics } from "../metrics.ts";
import type { BucketEntry } from "../storage/buckets.ts";
import type { CredentialRecord } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { S3Error } from "./errors.ts";
import type { Query } from "./query.ts";
import type { S3Operation } from "./router.ts";

/** What the S3 listener shares between requests. */
export interface S3App {
  store: Store;
  config: Config;
  log: Logger;
  /** Request counters for /metrics; absent in tests that build a handler on their own. */
  metrics?: ServerMetrics;
  /** The recent requests the console's dashboard lists; absent like `metrics`. */
  activity?: RecentActivity;
}

/** One authenticated S3 request on its way to an operation. */
export interface S3Context {
  app: S3App;
  req: Request;
  op: S3Operation;
  /** The bucket and key of the operation; non-null where the operation needs them. */
  bucket: string;
  key: string;
  query: Query;
  headers: Headers;
  requestId: string;
  credential: CredentialRecord;
  auth: VerifiedRequest;
  /** Decoded request-body bytes, for the access log. */
  bytesIn: number;
  /** Body bytes of the answer, set by `respond`, for the access log. */
  bytesOut: number;
}

declare const ANSWER: unique symbol;
/** A Response made by `respond`, so it carries the headers every S3 answer must. */
export type S3Answer = Response & { readonly [ANSWER]: true };

/** What every S3 answer says about the server, errors included. */
export const SERVER_HEADER = "vStash";

export type OperationHandler = (ctx: S3Context) => Promise<S3Answer>;

/**
 * Resolves the request's bucket and checks that the caller owns it. A bucket owned by
 * another credential answers AccessDenied, as Amazon does for a bucket you cannot access.
 */
export async function ownedBucket(ctx: S3Context, name = ctx.bucket): Promise<BucketEntry> {
  const entry = await ctx.app.store.buckets.get(name);
  if (!entry) throw new S3Error("NoSuchBucket", undefined, { BucketName: name });
  if (entry.record.ownerId !== ctx.credential.id) throw new S3Error("AccessDenied");
  return entry;
}

/**
 * The answer to a request, with `x-amz-request-id` and `Server` added to `headers` (taken
 * over, not copied). Adding them here rather than to the finished Response spares turning its
 * headers into a Headers object, which showed up in profiles of small GETs.
 */
export function respond(
  ctx: S3Context,
  body: BodyInit | null,
  status: number,
  headers: Record<string, string> = {},
): S3Answer {
  headers["x-amz-request-id"] = ctx.requestId;
  headers.server = SERVER_HEADER;
  ctx.bytesOut = body === null || ctx.req.method === "HEAD"
    ? 0
    : Number(headers["content-length"] ?? 0);
  return new Response(body, { status, headers }) as S3Answer;
}

/**
 * A prepared answer for `respondFromTemplate`: built once, with `Server` and without a
 * request id, and never sent itself.
 */
export function answerTemplate(
  body: BodyInit | null,
  status: number,
  headers: Record<string, string>,
): Response {
  headers.server = SERVER_HEADER;
  return new Response(body, { status, headers });
}

/**
 * The answer cloned from a template with this request's id added. A clone shares the
 * template's body bytes and validated headers, where a new Response copies the body and
 * checks every header again: 47 against 34 µs of server CPU per 4 KiB GET in a bare
 * Deno.serve, alternated.
 */
export function respondFromTemplate(
  ctx: S3Context,
  template: Response,
  bodyBytes: number,
): S3Answer {
  const answer = template.clone();
  answer.headers.set("x-amz-request-id", ctx.requestId);
  ctx.bytesOut = bodyBytes;
  return answer as S3Answer;
}

/** An XML answer with S3's content type. */
export function xmlResponse(
  ctx: S3Context,
  body: string,
  init: { status?: number; headers?: Record<string, string> } = {},
): S3Answer {
  const bytes = new TextEncoder().encode(body);
  return respond(ctx, bytes, init.status ?? 200, {
    "content-type": "application/xml",
    "content-length": String(bytes.length),
    ...init.headers,
  });
}
