import type { Handler, MiddlewareHandler } from "hono";
import { ServerMetrics } from "../metrics.ts";
import { authFailure, isAdminKey, presentedKey } from "./auth.ts";
import type { AdminDeps, AdminEnv } from "./deps.ts";

/**
 * `GET /metrics`: Prometheus text format. It tells bucket and traffic sizes, so it wants the
 * admin key like the API (Prometheus sends it with `authorization: {credentials: ...}`, which
 * is a Bearer header). No cookie: a scraper has none, and the console has its own stats.
 *
 * @example app.get("/metrics", ...metricsRoute(deps));
 */
export function metricsRoute(deps: AdminDeps): [MiddlewareHandler<AdminEnv>, Handler<AdminEnv>] {
  let metrics = deps.metrics;
  const requireKey: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    if (key === null) throw authFailure(deps, c, "no key presented");
    if (!(await isAdminKey(deps, key))) throw authFailure(deps, c, "wrong key");
    await next();
  };
  const serve: Handler<AdminEnv> = async (c) => {
    metrics ??= new ServerMetrics(deps.store);
    return c.body(await metrics.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
      "cache-control": "no-store",
    });
  };
  return [requireKey, serve];
}
