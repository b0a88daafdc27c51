/**
 * Paging for long lists: `?limit=` (1-1000, default 100) and `?cursor=`, answered with
 * `next_cursor` (null on the last page). A cursor is opaque to clients: base64url of the JSON
 * position the next page starts after (a bucket name, an object key, a credential id...).
 */
import type { Context } from "hono";
import { ApiError } from "./errors.ts";
import { queryInteger } from "./validate.ts";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface PageRequest<T> {
  limit: number;
  /** Where the previous page ended; null for the first page. */
  after: T | null;
}

/**
 * Reads `limit` and `cursor`. `isPosition` checks the decoded cursor, so a cursor from another
 * list (or a hand-made one) is a 400 rather than a confusing page.
 */
export function pageRequest<T>(
  c: Context,
  isPosition: (v: unknown) => v is T,
): PageRequest<T> {
  const limit = queryInteger(c, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
  const cursor = c.req.query("cursor");
  if (cursor === undefined || cursor === "") return { limit, after: null };
  const bad = new ApiError(400, "cursor is not a next_cursor returned by this list", "cursor");
  let value: unknown;
  try {
    const bin = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (ch) => ch.charCodeAt(0)),
    ));
  } catch {
    throw bad;
  }
  if (!isPosition(value)) throw bad;
  return { limit, after: value };
}

/** The `next_cursor` for a page that ended at `position`; null when nothing follows. */
export function nextCursor(position: unknown, more: boolean): string | null {
  if (!more) return null;
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

export const isString = (v: unknown): v is string => typeof v === "string";
export const isPositiveInteger = (v: unknown): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0;
