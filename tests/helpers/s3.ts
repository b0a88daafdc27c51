/** Small wire-level helpers shared by the S3 end-to-end tests. */
import assert from "node:assert/strict";
import type { TestServer } from "./server.ts";
import { type RawRequest, rawRequest, type RawResponse } from "./sign.ts";

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A key or bucket as a SigV4-canonical path segment: every byte except A-Z a-z 0-9 - _ . ~
 * percent-encoded, `/` kept. (encodeURIComponent leaves `!'()*`, which S3 signs encoded.)
 */
export function awsPath(key: string): string {
  return key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
    )
  ).join("/");
}

/** Every text value of `<tag>` in an XML body, entity-decoded. */
export function xmlValues(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`, "g");
  return [...xml.matchAll(re)].map((m) => decodeXml(m[1]));
}

export function xmlValue(xml: string, tag: string): string | undefined {
  return xmlValues(xml, tag)[0];
}

function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number(e.slice(1)));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!;
  });
}

/**
 * Asserts an S3 error answer: the status, then (except for HEAD, which has no body) the XML
 * `<Error>` with this Code, a Message, a Resource and the RequestId that the
 * `x-amz-request-id` header carries.
 */
export function assertS3Error(
  r: RawResponse,
  status: number,
  code: string,
  opts: { head?: boolean } = {},
): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  const requestId = r.headers.get("x-amz-request-id");
  assert.ok(requestId, "x-amz-request-id header is missing");
  if (opts.head) {
    assert.equal(r.bytes.length, 0, "a HEAD answer has no body");
    return;
  }
  assert.match(r.headers.get("content-type") ?? "", /xml/);
  assert.match(r.text, /^<\?xml [^>]*\?>\s*<Error>/);
  assert.equal(xmlValue(r.text, "Code"), code, r.text);
  assert.ok(xmlValue(r.text, "Message"), "the error has a Message");
  assert.ok(xmlValue(r.text, "Resource"), "the error has a Resource");
  assert.equal(xmlValue(r.text, "RequestId"), requestId, "RequestId matches x-amz-request-id");
}

/** Awaits an SDK call that must fail; returns the S3 error code and HTTP status. */
export async function sdkError(
  p: Promise<unknown>,
): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new assert.AssertionError({ message: "the call was expected to fail but succeeded" });
}

/** PUTs each key (body: the key itself unless given) with a few requests in flight. */
export async function putObjects(
  server: TestServer,
  bucket: string,
  keys: string[],
  body: (key: string) => string | Uint8Array = (k) => k,
  concurrency = 8,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const r = await rawRequest(server, {
        method: "PUT",
        path: `/${bucket}/${awsPath(key)}`,
        body: body(key),
      });
      assert.equal(r.status, 200, `PUT ${key}: ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** GET an object with a raw signed request. */
export function getObject(
  server: TestServer,
  bucket: string,
  key: string,
  extra: Partial<RawRequest> = {},
): Promise<RawResponse> {
  return rawRequest(server, { method: "GET", path: `/${bucket}/${awsPath(key)}`, ...extra });
}

/** Asserts that GET of `key` answers 200 with exactly `expected`. */
export async function assertObject(
  server: TestServer,
  bucket: string,
  key: string,
  expected: string | Uint8Array,
): Promise<void> {
  const r = await getObject(server, bucket, key);
  assert.equal(r.status, 200, `GET ${bucket}/${key}: ${r.text}`);
  assertBytes(r.bytes, typeof expected === "string" ? utf8(expected) : expected, key);
}

/**
 * Byte equality with a short message: node's deepEqual diff of a large Uint8Array takes
 * many seconds to render.
 */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, label = "body"): void {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  if (i === actual.length && i === expected.length) return;
  const show = (b: Uint8Array) => JSON.stringify(new TextDecoder().decode(b.subarray(i, i + 24)));
  assert.fail(
    `${label}: got ${actual.length} bytes, expected ${expected.length}; they differ from ` +
      `byte ${i}: ${show(actual)} vs ${show(expected)}`,
  );
}

/** Asserts that `key` does not exist (HEAD 404). */
export async function assertNoObject(server: TestServer, bucket: string, key: string) {
  const r = await rawRequest(server, { method: "HEAD", path: `/${bucket}/${awsPath(key)}` });
  assert.equal(r.status, 404, `expected ${bucket}/${key} to be absent, got ${r.status}`);
}

/** Every key of a bucket, through ListObjectsV2 pages, in the order the server sends them. */
export async function listAllKeys(server: TestServer, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const q = `list-type=2&encoding-type=url${
      token ? `&continuation-token=${encodeURIComponent(token)}` : ""
    }`;
    const r = await rawRequest(server, { method: "GET", path: `/${bucket}?${q}` });
    assert.equal(r.status, 200, r.text);
    keys.push(...xmlValues(r.text, "Key").map(decodeListingKey));
    token = xmlValue(r.text, "NextContinuationToken");
  } while (token);
  return keys;
}

/** Escapes text for an XML request body (keys may hold any character, CR included). */
export function escapeXml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("\r", "&#13;");
}

/** Compares keys as S3 orders them: by their UTF-8 bytes (not JavaScript's UTF-16 order). */
export function compareUtf8Bytes(a: string, b: string): number {
  const x = utf8(a);
  const y = utf8(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Decodes a key from a listing with `encoding-type=url` (`+` is a space). */
export function decodeListingKey(s: string): string {
  return decodeURIComponent(s.replaceAll("+", " "));
}
