/**
 * Hand-written checks for request bodies, query and path parameters. Each failure is a 400
 * ApiError whose message starts with the field's name, so a client sees what to fix.
 */
import type { Context } from "hono";
import { isValidBucketName, utf8Length } from "../s3/address.ts";
import { ApiError } from "./errors.ts";

/** A JSON body larger than this is refused: the largest real one (1000 keys) is ~1 MiB. */
export const MAX_JSON_BODY = 2 * 1024 * 1024;

export type JsonObject = Record<string, unknown>;

/**
 * Reads the request body as a JSON object, refusing a body over MAX_JSON_BODY (413), invalid
 * JSON and anything but an object (400), and fields outside `allowed` (400: a misspelt field
 * would otherwise be ignored silently). With `emptyIsObject`, no body at all means `{}`.
 */
export async function readJsonObject(
  c: Context,
  allowed: readonly string[],
  opts: { emptyIsObject?: boolean } = {},
): Promise<JsonObject> {
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > MAX_JSON_BODY) throw tooLarge();
  const text = await readCapped(c.req.raw.body);
  if (opts.emptyIsObject && text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      text.trim() === "" ? "a JSON body is required" : "body is not valid JSON",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "body must be a JSON object");
  }
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      throw new ApiError(
        400,
        `${name} is not a field of this request (expected ${allowed.join(", ")})`,
        name,
      );
    }
  }
  return value as JsonObject;
}

function tooLarge(): ApiError {
  return new ApiError(413, `body is larger than ${MAX_JSON_BODY} bytes`);
}

async function readCapped(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw tooLarge();
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const ch of chunks) {
    all.set(ch, off);
    off += ch.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new ApiError(400, "body is not valid UTF-8");
  }
}

export interface StringRules {
  /** Minimum and maximum length in characters (code units). */
  min?: number;
  max?: number;
  /** Maximum length in UTF-8 bytes. */
  maxBytes?: number;
  pattern?: RegExp;
  /** Says in words what `pattern` wants, for the error message. */
  patternHint?: string;
}

/** An optional string field; undefined when absent (null is refused: send nothing instead). */
export function optString(
  o: JsonObject,
  name: string,
  rules: StringRules = {},
): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ApiError(400, `${name} must be a string`, name);
  return checkString(name, v, rules);
}

export function reqString(o: JsonObject, name: string, rules: StringRules = {}): string {
  const v = optString(o, name, rules);
  if (v === undefined) throw new ApiError(400, `${name} is required`, name);
  return v;
}

export function checkString(name: string, v: string, rules: StringRules): string {
  const { min = 0, max = Infinity, maxBytes = Infinity } = rules;
  if (v.length < min) {
    throw new ApiError(
      400,
      min === 1 ? `${name} must not be empty` : `${name} must be at least ${min} characters`,
      name,
    );
  }
  if (v.length > max) throw new ApiError(400, `${name} must be at most ${max} characters`, name);
  if (maxBytes !== Infinity && utf8Length(v) > maxBytes) {
    throw new ApiError(400, `${name} must be at most ${maxBytes} bytes of UTF-8`, name);
  }
  if (rules.pattern && !rules.pattern.test(v)) {
    throw new ApiError(
      400,
      `${name} ${rules.patternHint ?? "has characters that are not allowed"}`,
      name,
    );
  }
  return v;
}

export function optBoolean(o: JsonObject, name: string): boolean | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new ApiError(400, `${name} must be true or false`, name);
  return v;
}

/** An optional whole number within [min, max]. */
export function optInteger(
  o: JsonObject,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ApiError(400, `${name} must be a whole number from ${min} to ${max}`, name);
  }
  return v;
}

export function reqInteger(o: JsonObject, name: string, min: number, max: number): number {
  const v = optInteger(o, name, min, max);
  if (v === undefined) throw new ApiError(400, `${name} is required`, name);
  return v;
}

/** A whole-number query parameter within [min, max], or `fallback` when absent. */
export function queryInteger(
  c: Context,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const v = c.req.query(name);
  if (v === undefined) return fallback;
  if (!/^\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ApiError(400, `${name} must be a whole number from ${min} to ${max}`, name);
  }
  return Number(v);
}

/** A flag query parameter: absent is false; `true`/`1`/empty is true; `false`/`0` is false. */
export function queryFlag(c: Context, name: string): boolean {
  const v = c.req.query(name);
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "" || v === "true" || v === "1") return true;
  throw new ApiError(400, `${name} must be true or false`, name);
}

/** An optional string query parameter with the same rules as a body field. */
export function queryString(c: Context, name: string, rules: StringRules = {}): string | undefined {
  const v = c.req.query(name);
  return v === undefined ? undefined : checkString(name, v, rules);
}

/** A numeric id path parameter (credential ids start at 1). */
export function pathId(c: Context, name = "id"): number {
  const v = c.req.param(name) ?? "";
  if (!/^[1-9]\d{0,15}$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new ApiError(400, `${name} must be a positive whole number`, name);
  }
  return Number(v);
}

export const BUCKET_NAME_HINT =
  "must be 3-63 characters of a-z, 0-9, '.' and '-', start and end with a letter or digit, " +
  "have no '..', and not look like an IP address";

/** Checks a bucket name against S3's rules; `name` is the field it came from. */
export function checkBucketName(field: string, v: string): string {
  if (!isValidBucketName(v)) {
    throw new ApiError(400, `${field} "${v.slice(0, 80)}" ${BUCKET_NAME_HINT}`, field);
  }
  return v;
}

/** The bucket path parameter. */
export function pathBucket(c: Context): string {
  return checkBucketName("bucket", c.req.param("bucket") ?? "");
}

/** S3's key limit: 1 to 1024 bytes of UTF-8. */
export const OBJECT_KEY_RULES: StringRules = { min: 1, maxBytes: 1024 };
