/**
 * Management API helpers for tests: authenticated JSON requests against a TestServer, and
 * shortcuts to create credentials and buckets. Every answer is checked against the served
 * OpenAPI document (status documented, body matching its schema), so any test that uses
 * adminFetch also keeps the document true.
 */
import assert from "node:assert/strict";
import type { S3Client } from "@aws-sdk/client-s3";
import { responseProblems } from "./openapi_check.ts";
import type { TestServer } from "./server.ts";

/** Parsed JSON: tests read fields freely and assert on them. */
// deno-lint-ignore no-explicit-any
export type Json = any;

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: Json;
}

export interface AdminFetchOptions {
  /** The API key to send; defaults to the server's. null sends none. */
  key?: string | null;
  /** Send the key as `Authorization: Bearer` instead of `X-API-Key`. */
  bearer?: boolean;
  headers?: Record<string, string>;
  /** A raw body (sent as is: text, bytes or a stream) instead of JSON-encoding `body`. */
  rawBody?: BodyInit | Uint8Array;
}

/**
 * Sends `method path` (path under the admin URL, e.g. `/api/v1/stats?x=1`) with the admin key
 * and a JSON body, and returns the status, headers and parsed JSON. Throws when the answer
 * contradicts the OpenAPI document.
 */
export async function adminFetch(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  opts: AdminFetchOptions = {},
): Promise<AdminResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? server.adminKey : opts.key;
  if (key !== null) {
    if (opts.bearer) headers["authorization"] = `Bearer ${key}`;
    else headers["x-api-key"] = key;
  }
  let payload = opts.rawBody;
  if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
  if (typeof payload === "string") headers["content-type"] ??= "application/json";
  const res = await fetch(server.adminUrl + path, {
    method,
    headers,
    body: payload as BodyInit | undefined,
  });
  const text = await res.text();
  let parsed: Json = null;
  if (text !== "") {
    assert.match(res.headers.get("content-type") ?? "", /application\/json/, text);
    parsed = JSON.parse(text);
  }
  const problems = responseProblems(method, path, res.status, parsed);
  assert.deepEqual(problems, [], `answer contradicts the OpenAPI document:\n${text}`);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts a JSON error answer: status, an `error` message and, when given, the field. */
export function assertApiError(
  r: AdminResponse,
  status: number,
  field?: string,
  message?: RegExp,
): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body?.error, "string", "the error body has an error message");
  if (field !== undefined) assert.equal(r.body.field, field, JSON.stringify(r.body));
  if (message !== undefined) assert.match(r.body.error, message);
}

export interface CreatedCredential {
  id: number;
  access_key: string;
  secret_key: string;
  user_name: string;
  is_active: boolean;
  created_at: string;
}

/** Creates a credential through the API (201 expected) and returns it with its secret. */
export async function createCredential(
  server: TestServer,
  input: { user_name?: string; access_key?: string; secret_key?: string } = {},
): Promise<CreatedCredential> {
  const r = await adminFetch(server, "POST", "/api/v1/credentials", input);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Creates a bucket owned by credential `ownerId` through the API (201 expected). */
export async function createBucketFor(
  server: TestServer,
  name: string,
  ownerId: number,
): Promise<Json> {
  const r = await adminFetch(server, "POST", "/api/v1/buckets", { name, owner_id: ownerId });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** An SDK client signing as `cred`; the server destroys it when it stops. */
export function clientFor(
  server: TestServer,
  cred: { access_key: string; secret_key: string },
): S3Client {
  return server.client({
    credentials: { accessKeyId: cred.access_key, secretAccessKey: cred.secret_key },
  });
}

/** The id (1) of the credential every TestServer starts with. */
export const FIRST_CREDENTIAL_ID = 1;
