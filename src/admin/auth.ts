import { constantTimeEqual } from "../auth/constant_time.ts";
import { sourceOf } from "../auth/failure_limiter.ts";
import type { Context, MiddlewareHandler } from "hono";
import { sha256Hex } from "../bootstrap.ts";
import type { AdminDeps, AdminEnv } from "./deps.ts";
import { ApiError } from "./errors.ts";
import { CSRF_HEADER, csrfMatches, type SessionStore, sessionToken } from "./session.ts";

/** The key a request presents: `X-API-Key`, else `Authorization: Bearer <key>`. */
export function presentedKey(headers: Headers): string | null {
  const apiKey = headers.get("x-api-key");
  if (apiKey !== null && apiKey.trim() !== "") return apiKey.trim();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m ? m[1] : null;
}

/**
 * Whether `key` is the management API key. Only the key's SHA-256 is stored, so the
 * comparison is of two digests of equal length, in constant time.
 */
export async function isAdminKey(deps: AdminDeps, key: string): Promise<boolean> {
  const digest = sha256Hex(key);
  // The running server's cli.token (src/runtime_files.ts) stands in for the key locally.
  if (deps.cliTokenHash !== undefined && constantTimeEqual(digest, deps.cliTokenHash)) return true;
  const stored = await deps.store.adminKeyHash();
  return stored !== null && constantTimeEqual(digest, stored);
}

/**
 * Refuses, with 429 and Retry-After, a source that sent too many wrong keys lately: the
 * admin key guards everything, so guessing it must be slow.
 */
export function refuseRepeatedFailures(deps: AdminDeps): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const source = sourceOf(c.env);
    if (deps.authLimiter?.isBlocked(source)) {
      c.header("retry-after", String(deps.authLimiter.retryAfterSeconds(source)));
      throw new ApiError(429, "too many wrong API keys from your address; try again later");
    }
    await next();
  };
}

/** Methods that change nothing, so a cookie alone may authenticate them. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Admits a request with the management API key (`X-API-Key` or Bearer; scripts) or with the
 * console's session cookie. A cookie-authenticated request that may change something must
 * also carry the session's CSRF token in `X-CSRF-Token` (403 otherwise): the cookie is
 * SameSite=Strict already, the token is the second lock. A presented key always decides on
 * its own, cookie or not. Failures are logged with where they came from, never with what was
 * sent.
 */
export function requireAuth(deps: AdminDeps, sessions: SessionStore): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    if (key !== null) {
      if (!(await isAdminKey(deps, key))) throw authFailure(deps, c, "wrong key");
      return await next();
    }
    const token = sessionToken(c.req.raw.headers);
    if (token === null) throw authFailure(deps, c, "no key presented");
    const session = sessions.get(token);
    if (session === null) throw authFailure(deps, c, "unknown or expired session");
    if (
      !SAFE_METHODS.has(c.req.method) && !csrfMatches(session, c.req.header(CSRF_HEADER) ?? null)
    ) {
      deps.log.warn("management API request without a valid CSRF token", {
        method: c.req.method,
        path: c.req.path,
        remote: remoteHost(c),
      });
      throw new ApiError(
        403,
        "this request is authenticated by the console's session cookie and must carry its " +
          "CSRF token in X-CSRF-Token",
      );
    }
    await next();
  };
}

/** Logs a refused request (without what was sent) and returns the 401 to throw. */
export function authFailure(deps: AdminDeps, c: Context<AdminEnv>, reason: string): ApiError {
  if (reason.startsWith("wrong key")) deps.authLimiter?.recordFailure(sourceOf(c.env));
  deps.log.warn("management API authentication failed", {
    reason,
    method: c.req.method,
    path: c.req.path,
    remote: remoteHost(c),
  });
  switch (reason) {
    case "no key presented":
      return new ApiError(
        401,
        "an API key is required: send X-API-Key: <key> or Authorization: Bearer <key>",
      );
    case "unknown or expired session":
      return new ApiError(401, "the console session has ended; sign in again");
    default:
      return new ApiError(401, "the API key is not valid");
  }
}

function remoteHost(c: Context<AdminEnv>): string | null {
  const remote = c.env?.remoteAddr as Deno.NetAddr | undefined;
  return remote?.hostname ?? null;
}
