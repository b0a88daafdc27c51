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
}

export type OperationHandler = (ctx: S3Context) => Promise<Response>;

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

/** An XML response body with S3's content type. */
export function xmlResponse(
  body: string,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const bytes = new TextEncoder().encode(body);
  return new Response(bytes, {
    status: init.status ?? 200,
    headers: {
      "content-type": "application/xml",
      "content-length": String(bytes.length),
      ...init.headers,
    },
  });
}
