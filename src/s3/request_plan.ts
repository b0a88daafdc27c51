import { BoundedMap } from "../memo.ts";
import { parseAddress, type S3Address } from "./address.ts";
import { parseQuery, type Query } from "./query.ts";
import { resolveOperation, type S3Operation } from "./router.ts";

/** What a request's method and URL decide before it is authenticated. */
export interface RequestPlan {
  addr: S3Address;
  query: Query;
  op: S3Operation;
}

/**
 * Plans of recent GET and HEAD requests, by URL, with the Host header they were made for.
 * Shared between requests: nothing may modify them. Failed parses are not kept. By URL
 * alone, not a key joined from method, Host and URL: joining copies and hashes a new string
 * on every request.
 */
const recentPlans = {
  GET: new BoundedMap<string, { host: string | null; plan: RequestPlan }>(4096),
  HEAD: new BoundedMap<string, { host: string | null; plan: RequestPlan }>(4096),
};

/**
 * Where a request points (address.ts), its parsed query and its S3 operation (router.ts).
 * For GET and HEAD these depend on the method, the Host header and the URL alone, so they
 * are remembered: an object or presigned URL fetched again and again skips the parsing,
 * about a tenth of a small GET's CPU. Other methods' operations also depend on headers
 * (x-amz-copy-source, a form's content type), and their URLs rarely repeat.
 */
export function planRequest(req: Request, domain: string | null): RequestPlan {
  const method = req.method;
  const url = req.url;
  const host = req.headers.get("host");
  const recent = method === "GET" || method === "HEAD" ? recentPlans[method] : null;
  const known = recent?.get(url);
  // The URL usually carries the Host header's value already, but not when the request line
  // holds an absolute URL of its own.
  if (known !== undefined && known.host === host) return known.plan;
  const addr = parseAddress(url, host, domain);
  const query = parseQuery(addr.rawQuery);
  const op = resolveOperation(method, addr.bucket, addr.key, query, req.headers);
  const plan = { addr, query, op };
  recent?.set(url, { host, plan });
  return plan;
}
