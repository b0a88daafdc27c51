/** Request-header checks shared by the management API's upload routes. */
import type { Context } from "hono";
import { ApiError } from "../errors.ts";

/** Content-Type as stored with an object: printable ASCII, at most 256 characters. */
const CONTENT_TYPE = /^[\x20-\x7e]{1,256}$/;

/** The declared Content-Length, or null for a chunked body. */
export function declaredLength(c: Context): number | null {
  const v = c.req.header("content-length");
  if (v === undefined) return null;
  if (!/^\d{1,16}$/.test(v)) throw new ApiError(400, "Content-Length is not a number");
  return Number(v);
}

/** The request's Content-Type to store with the object, or null when none was sent. */
export function contentTypeOf(c: Context): string | null {
  return checkContentType(c.req.header("content-type") ?? null, "content-type");
}

/** A content type given in a header or a JSON field; empty means none. */
export function checkContentType(v: string | null, field: string): string | null {
  if (v === null || v.trim() === "") return null;
  if (!CONTENT_TYPE.test(v)) {
    throw new ApiError(400, `${field} must be 1-256 printable ASCII characters`, field);
  }
  return v.trim();
}
