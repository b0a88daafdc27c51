import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { sha256Hex } from "../bootstrap.ts";
import type { AdminDeps, AdminEnv } from "./deps.ts";
import { ApiError } from "./errors.ts";

/** The key a request presents: `X-API-Key`, else `Authorization: Bearer <key>`. */
export function presentedKey(headers: Headers): string | null {
  const apiKey = headers.get("x-api-key");
  if (apiKey !== null && apiKey.trim() !== "") return apiKey.trim();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return m ? m[1] : null;
}

/**
 * Refuses requests without the management API key (401). Only the key's SHA-256 is stored, so
 * the comparison is of two digests of equal length, in constant time. Failures are logged
 * with where they came from, never with what was sent.
 */
export function requireApiKey(deps: AdminDeps): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    const stored = await deps.store.adminKeyHash();
    const ok = key !== null && stored !== null && digestsEqual(sha256Hex(key), stored);
    if (!ok) {
      const remote = c.env?.remoteAddr as Deno.NetAddr | undefined;
      deps.log.warn("management API authentication failed", {
        reason: key === null ? "no key presented" : "wrong key",
        method: c.req.method,
        path: c.req.path,
        remote: remote?.hostname ?? null,
      });
      throw new ApiError(
        401,
        key === null
          ? "an API key is required: send X-API-Key: <key> or Authorization: Bearer <key>"
          : "the API key is not valid",
      );
    }
    await next();
  };
}

function digestsEqual(aHex: string, bHex: string): boolean {
  const a = new TextEncoder().encode(aHex);
  const b = new TextEncoder().encode(bHex);
  return a.length === b.length && timingSafeEqual(a, b);
}
