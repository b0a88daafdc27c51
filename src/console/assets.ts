/**
 * The web console's files, served by the management listener at `/` and `/assets/<name>`.
 * They are plain files in ./assets (no build step), read with `Deno.readFile` relative to
 * this module, which works from source and from a binary compiled with
 * `--include src/console/assets`. They hold no data and need no key: every piece of data
 * the console shows comes from the authenticated API.
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";

/** Every file the console has, with its content type. Nothing else is served. */
export const CONSOLE_ASSETS: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "icon.svg": "image/svg+xml",
  "app.js": "text/javascript; charset=utf-8",
  "api.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "format.js": "text/javascript; charset=utf-8",
  "signin.js": "text/javascript; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "buckets.js": "text/javascript; charset=utf-8",
  "objects.js": "text/javascript; charset=utf-8",
  "object_details.js": "text/javascript; charset=utf-8",
  "uploader.js": "text/javascript; charset=utf-8",
  "credentials.js": "text/javascript; charset=utf-8",
  "presigned.js": "text/javascript; charset=utf-8",
  "uploads.js": "text/javascript; charset=utf-8",
};

/**
 * No inline script or style, nothing from another origin; the page cannot be framed. The
 * console only ever talks to its own origin (downloads included).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  bytes: Uint8Array<ArrayBuffer>;
  etag: string;
}

/** GET `/` (the page) and GET `/assets/{name}` (its scripts, styles and icon). */
export function consoleRoutes(): Hono {
  const cache = new Map<string, Promise<Asset>>();
  const load = (name: string) => {
    let p = cache.get(name);
    if (!p) {
      p = Deno.readFile(new URL(`./assets/${name}`, import.meta.url)).then((bytes) => ({
        bytes: bytes as Uint8Array<ArrayBuffer>,
        etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 22)}"`,
      }));
      // A failed read is not cached, so a later request tries again.
      p.catch(() => cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };

  const serve = async (name: string, ifNoneMatch: string | undefined) => {
    const asset = await load(name);
    const headers = new Headers({
      "content-type": CONSOLE_ASSETS[name],
      // Revalidated on every load (cheap: 304 by ETag), so an upgrade never mixes versions.
      "cache-control": "no-cache",
      "etag": asset.etag,
      "content-security-policy": CONSOLE_CSP,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    });
    if (ifNoneMatch === asset.etag) return new Response(null, { status: 304, headers });
    return new Response(asset.bytes, { status: 200, headers });
  };

  const r = new Hono();
  r.get("/", (c) => serve("index.html", c.req.header("if-none-match")));
  r.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(CONSOLE_ASSETS, name) || name === "index.html") {
      return c.json({ error: `no console asset ${name}` }, 404);
    }
    return serve(name, c.req.header("if-none-match"));
  });
  return r;
}
