import { Hono } from "hono";
import { newAdminKey, sha256Hex } from "../../bootstrap.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import type { SessionStore } from "../session.ts";

/**
 * `POST /admin-key/rotate`: replaces the management API key with a new random one and returns
 * it, once. Only its SHA-256 is stored, and every request reads the stored digest, so the old
 * key is refused from the next request on. A VSTASH_ADMIN_KEY set in the server's environment
 * replaces the stored key again at the next start: change the variable instead in that setup.
 * Console sessions end too: whoever signed in with the old key must sign in with the new one.
 */
export function adminKeyRoutes({ store, log }: AdminDeps, sessions: SessionStore): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();
  r.post("/admin-key/rotate", async (c) => {
    const key = newAdminKey();
    await store.setAdminKeyHash(sha256Hex(key));
    sessions.clear();
    log.info("admin key rotated");
    return c.json({
      message: "The admin key was replaced; the old one is refused from now on.",
      admin_key: key,
    });
  });
  return r;
}
