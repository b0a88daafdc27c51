import type { Store } from "../storage/store.ts";

const PROBES = new Set(["/health/live", "/health/ready"]);

/** A cheap first look, so other requests skip the (async) probe check. */
export function mayBeHealthProbe(req: Request): boolean {
  return (req.method === "GET" || req.method === "HEAD") && req.url.includes("/health/");
}

/**
 * Health probes on the S3 listener, for load balancers that only reach that port. They must
 * not shadow a bucket called `health`: only an anonymous GET or HEAD of exactly
 * `/health/live` or `/health/ready` is a probe. A signed request (Authorization header or
 * presigned query) still reaches the bucket, and an anonymous request to the bucket would be
 * refused anyway.
 *
 * @example const probe = await healthProbe(req, store); if (probe) return probe;
 */
export async function healthProbe(req: Request, store: Store): Promise<Response | null> {
  if (!mayBeHealthProbe(req)) return null;
  if (req.headers.has("authorization")) return null;
  // The raw path, as in address.ts: `new URL()` would resolve `/health/x/../live`.
  const target = req.url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  if (!PROBES.has(path)) return null;
  if (q >= 0 && /(?:^|&)x-amz-algorithm=/i.test(target.slice(q + 1))) return null;
  let status = 200;
  let body = { status: "ok" };
  if (path === "/health/ready") {
    try {
      // A KV read: the probe fails when the metadata store does not answer.
      await store.adminKeyHash();
      body = { status: "ready" };
    } catch {
      status = 503;
      body = { status: "unavailable" };
    }
  }
  const text = JSON.stringify(body);
  return new Response(req.method === "HEAD" ? null : text, {
    status,
    headers: {
      "content-type": "application/json",
      "content-length": String(text.length),
      "cache-control": "no-store",
    },
  });
}
