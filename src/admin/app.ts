import { type Context, Hono } from "hono";
import { requireApiKey } from "./auth.ts";
import type { AdminDeps, AdminEnv } from "./deps.ts";
import { ApiError, errorBody, toApiError } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { bucketRoutes } from "./routes/buckets.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { objectRoutes } from "./routes/objects.ts";
import { presignedRoutes } from "./routes/presigned.ts";
import { statsRoutes } from "./routes/stats.ts";
import { uploadRoutes } from "./routes/uploads.ts";

export type { AdminDeps } from "./deps.ts";

/**
 * The management listener: health probes, the JSON API under /api/v1 (API key required,
 * except for its OpenAPI document), and, later, the web console at `/`.
 *
 * @example Deno.serve({ port: 9001 }, createAdminApp({ store, config, log, s3Url }).fetch);
 */
export function createAdminApp(deps: AdminDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.get("/health/live", (c) => c.json({ status: "ok" }));
  app.get("/health/ready", async (c) => {
    try {
      await deps.store.adminKeyHash();
      return c.json({ status: "ready" });
    } catch (err) {
      deps.log.error("readiness check failed", { error: String(err) });
      return c.json({ status: "unavailable" }, 503);
    }
  });
  app.get("/api/v1/openapi.json", (c) => c.json(openApiDocument));

  app.use("/api/*", requireApiKey(deps));
  const api = new Hono<AdminEnv>();
  for (
    const routes of [
      statsRoutes,
      credentialRoutes,
      bucketRoutes,
      objectRoutes,
      uploadRoutes,
      presignedRoutes,
    ]
  ) {
    api.route("/", routes(deps));
  }
  app.route("/api/v1", api);

  app.all("/api/*", (c) => unmatched(app, c));
  // The web console will answer here; until then, everything else is a JSON 404 too.
  app.all("*", (c) => c.json({ error: "not found" }, 404));

  app.onError((err, c) => {
    const apiErr = toApiError(err);
    if (apiErr.status === 500) {
      deps.log.error("management API internal error", {
        method: c.req.method,
        path: c.req.path,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    if (apiErr.status === 401) c.header("www-authenticate", 'Bearer realm="vstash"');
    if (apiErr.status === 503) c.header("retry-after", "1");
    return c.json(errorBody(apiErr), apiErr.status);
  });
  return app;
}

/** A path no route answers: 405 with `Allow` when another method would, else 404. */
function unmatched(app: Hono<AdminEnv>, c: Context<AdminEnv>): Response {
  const allowed = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith("/api/")) continue;
    if (routePattern(route.path).test(c.req.path)) allowed.add(route.method);
  }
  if (allowed.size === 0) {
    throw new ApiError(404, `no endpoint ${c.req.method} ${c.req.path}; see /api/v1/openapi.json`);
  }
  if (allowed.has("GET")) allowed.add("HEAD");
  c.header("allow", [...allowed].sort().join(", "));
  throw new ApiError(
    405,
    `${c.req.method} is not allowed here; use ${[...allowed].sort().join(", ")}`,
  );
}

const patterns = new Map<string, RegExp>();

/** A Hono route path (`/a/:id`, `/b/:key{.+}`) as an anchored regular expression. */
function routePattern(path: string): RegExp {
  let re = patterns.get(path);
  if (!re) {
    const source = path.split("/").map((segment) => {
      const param = /^:\w+(?:\{(.+)\})?$/.exec(segment);
      if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("/");
    re = new RegExp(`^${source}$`);
    patterns.set(path, re);
  }
  return re;
}
