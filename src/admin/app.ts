import { type Context, Hono } from "hono";
import { consoleRoutes } from "../console/assets.ts";
import { FailureLimiter } from "../auth/failure_limiter.ts";
import { refuseRepeatedFailures, requireAuth } from "./auth.ts";
import type { AdminDeps, AdminEnv } from "./deps.ts";
import { ApiError, errorBody, toApiError } from "./errors.ts";
import { metricsRoute } from "./metrics_route.ts";
import { openApiDocument } from "./openapi.ts";
import { activityRoutes } from "./routes/activity.ts";
import { adminKeyRoutes } from "./routes/admin_key.ts";
import { bucketRoutes } from "./routes/buckets.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { objectBytesRoutes } from "./routes/object_bytes.ts";
import { objectRoutes } from "./routes/objects.ts";
import { presignedRoutes } from "./routes/presigned.ts";
import { sessionSignInRoutes, sessionSignOutRoutes } from "./routes/session.ts";
import { statsRoutes } from "./routes/stats.ts";
import { uploadRoutes } from "./routes/uploads.ts";
import { SessionStore } from "./session.ts";

export type { AdminDeps } from "./deps.ts";

/**
 * The management listener: health probes, the JSON API under /api/v1 (API key or console
 * session required, except for its OpenAPI document and sign-in), and the web console at `/`.
 *
 * @example Deno.serve({ port: 9001 }, createAdminApp({ store, config, log, s3Url }).fetch);
 */
export function createAdminApp(given: AdminDeps): Hono<AdminEnv> {
  const deps: AdminDeps = {
    ...given,
    authLimiter: given.authLimiter ?? new FailureLimiter({ maxFailures: 20, windowMs: 60_000 }),
  };
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
  app.use("/api/*", refuseRepeatedFailures(deps));
  app.use("/metrics", refuseRepeatedFailures(deps));
  app.get("/metrics", ...metricsRoute(deps));
  const sessions = new SessionStore();
  // Sign-in is how a session starts, so it runs before the auth middleware.
  app.route("/api/v1", sessionSignInRoutes(deps, sessions));

  app.use("/api/*", requireAuth(deps, sessions));
  const api = new Hono<AdminEnv>();
  api.route("/", sessionSignOutRoutes(deps, sessions));
  for (
    const routes of [
      statsRoutes,
      activityRoutes,
      credentialRoutes,
      bucketRoutes,
      objectRoutes,
      objectBytesRoutes,
      uploadRoutes,
      presignedRoutes,
    ]
  ) {
    api.route("/", routes(deps));
  }
  api.route("/", adminKeyRoutes(deps, sessions));
  app.route("/api/v1", api);

  app.all("/api/*", (c) => unmatched(app, c));
  app.route("/", consoleRoutes());
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
