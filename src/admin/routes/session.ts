import { type Context, Hono } from "hono";
import { authFailure, isAdminKey } from "../auth.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { isoTime } from "../format.ts";
import { type Session, sessionCookie, type SessionStore, sessionToken } from "../session.ts";
import { readJsonObject, reqString } from "../validate.ts";
import { done } from "../views.ts";

/**
 * Console sign-in: `POST /session` trades the API key (in the JSON body, never in a URL)
 * for an HttpOnly, SameSite=Strict session cookie and a CSRF token. `GET /session` hands the
 * token again to a reloaded page whose cookie is still good. These two need no prior
 * authentication, so app.ts mounts them before the auth middleware.
 */
export function sessionSignInRoutes(
  deps: AdminDeps,
  sessions: SessionStore,
): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  r.post("/session", async (c) => {
    const body = await readJsonObject(c, ["key"]);
    const key = reqString(body, "key", { min: 1, max: 1024 });
    if (!(await isAdminKey(deps, key))) throw authFailure(deps, c, "wrong key (console sign-in)");
    const { token, session } = sessions.create();
    c.header("set-cookie", sessionCookie(token, isHttps(c)));
    c.header("cache-control", "no-store");
    deps.log.info("console signed in", { remote: remoteOf(c) });
    return c.json(sessionView(session), 201);
  });

  r.get("/session", (c) => {
    const token = sessionToken(c.req.raw.headers);
    const session = token === null ? null : sessions.get(token);
    if (session === null) throw new ApiError(401, "not signed in");
    c.header("cache-control", "no-store");
    return c.json(sessionView(session));
  });

  return r;
}

/** `DELETE /session`: signs out. Behind the auth middleware, so it needs the CSRF token. */
export function sessionSignOutRoutes(deps: AdminDeps, sessions: SessionStore): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();
  r.delete("/session", (c) => {
    const token = sessionToken(c.req.raw.headers);
    if (token !== null) sessions.delete(token);
    c.header("set-cookie", sessionCookie(null, isHttps(c)));
    deps.log.info("console signed out", { remote: remoteOf(c) });
    return c.json(done("Signed out"));
  });
  return r;
}

function sessionView(s: Session) {
  return { csrf_token: s.csrfToken, expires_at: isoTime(s.expiresAt) };
}

/** Reached over HTTPS, directly or through a proxy that says so: the cookie gets `Secure`. */
function isHttps(c: Context<AdminEnv>): boolean {
  return new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

function remoteOf(c: Context<AdminEnv>): string | null {
  return (c.env?.remoteAddr as Deno.NetAddr | undefined)?.hostname ?? null;
}
