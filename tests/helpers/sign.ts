import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "node:crypto";
import type { TestServer } from "./server.ts";

/** The hash constructor @smithy/signature-v4 expects, backed by node:crypto. */
class Sha256 {
  #h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

function toBytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === "string") return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawRequest {
  method: string;
  /** Path with the query, already URL-encoded as it should go on the wire: `/b/k?uploads`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Defaults to the hex SHA-256 of the body. */
  contentSha256?: string;
  credentials?: Credentials;
  /** Signing time; defaults to now. */
  date?: Date;
  /** Leave the request unsigned (anonymous). */
  anonymous?: boolean;
  /**
   * A Host header to sign and send instead of the server's address, for virtual-hosted-style
   * requests (`bucket.domain:port`). fetch() replaces Host, so these go over a raw socket.
   */
  host?: string;
  /** Send over a raw socket even without `host` (paths with `.`/`..` segments always are). */
  socket?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The body decoded as UTF-8. */
  text: string;
  bytes: Uint8Array;
}

/** A request ready for the wire: every header (Host included) and the body bytes. */
export interface SignedRequest {
  method: string;
  url: URL;
  /** The request target exactly as given (path and query), dot segments and all. */
  target: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

/**
 * Signs a request with AWS's own signer (@smithy/signature-v4). The returned headers include
 * `host`, `x-amz-date`, `x-amz-content-sha256` and `authorization` (unless anonymous).
 */
export async function signRequest(server: TestServer, req: RawRequest): Promise<SignedRequest> {
  const url = new URL(server.s3Url + req.path);
  const q = req.path.indexOf("?");
  const rawPath = q < 0 ? req.path : req.path.slice(0, q);
  const body = typeof req.body === "string" ? new TextEncoder().encode(req.body) : req.body;
  const host = req.host ?? url.host;
  const headers: Record<string, string> = { host, ...req.headers };
  if (!req.anonymous) {
    headers["x-amz-content-sha256"] ??= req.contentSha256 ?? sha256Hex(body ?? new Uint8Array());
    const signer = new SignatureV4({
      service: "s3",
      region: "us-east-1",
      credentials: req.credentials ?? serverCredentials(server),
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const [hostname, port] = host.split(":");
    const signed = await signer.sign({
      method: req.method,
      protocol: url.protocol,
      hostname,
      port: Number(port),
      path: canonicalPath(rawPath),
      query,
      headers,
      body,
    }, { signingDate: req.date ?? new Date() });
    Object.assign(headers, signed.headers);
  }
  return { method: req.method, url, target: req.path, headers, body };
}

/**
 * The path as SigV4 signs it for S3: percent-escapes decoded to bytes once, then every byte
 * except A-Z a-z 0-9 - _ . ~ and "/" encoded as %XX. A correct client signs this form however
 * it chose to escape the path on the wire (`%2e%2e` signs as `..`, `%2F` as `/`).
 */
function canonicalPath(rawPath: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    if (rawPath[i] === "%" && /^[0-9a-fA-F]{2}$/.test(rawPath.slice(i + 1, i + 3))) {
      bytes.push(parseInt(rawPath.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = rawPath.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...new TextEncoder().encode(String.fromCodePoint(cp)));
    }
  }
  return bytes.map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~/]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }).join("");
}

/**
 * Sends a request signed by AWS's own signer (@smithy/signature-v4), for edge cases the
 * SDK will not produce. Returns the response with its body read.
 */
export async function rawRequest(server: TestServer, req: RawRequest): Promise<RawResponse> {
  const signed = await signRequest(server, req);
  const viaSocket = req.host !== undefined || req.socket || DOT_SEGMENT.test(req.path);
  return viaSocket ? await socketRequest(server, signed) : await sendSigned(signed);
}

/** fetch() resolves `.` and `..` (also `%2e`) path segments, which in S3 are parts of keys. */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i;

/** Sends an already signed request with fetch() and reads the whole answer. */
export async function sendSigned(signed: SignedRequest): Promise<RawResponse> {
  const headers = { ...signed.headers };
  delete headers.host;
  const res = await fetch(signed.url, {
    method: signed.method,
    headers,
    body: signed.body as BodyInit | undefined,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: new TextDecoder().decode(bytes), bytes };
}

export function serverCredentials(server: TestServer): Credentials {
  return { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
}

/** The `<Code>` of an S3 XML error body. */
export function errorCode(text: string): string | null {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? null;
}

// ---------------------------------------------------------------- raw HTTP/1.1 over TCP

export interface SocketOptions {
  /**
   * Send only the first `n` body bytes, then end the request early: `"half-close"` shuts the
   * write side and still reads the answer, `"close"` drops the connection at once.
   */
  truncate?: { sendBytes: number; then: "half-close" | "close" };
}

/**
 * Sends a signed request over a plain TCP connection, byte for byte as given (Host and
 * Content-Length included), and reads the answer until the server closes. With
 * `truncate.then === "close"` the connection is dropped and an empty response (status 0)
 * is returned.
 */
export async function socketRequest(
  server: TestServer,
  req: SignedRequest,
  opts: SocketOptions = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(server.s3Url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const headers: Record<string, string> = { ...req.headers, connection: "close" };
    if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-length")) {
      headers["content-length"] = String(req.body?.length ?? 0);
    }
    const head = `${req.method} ${req.target} HTTP/1.1\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    await writeAll(conn, new TextEncoder().encode(head));
    const body = req.body ?? new Uint8Array();
    if (opts.truncate) {
      await writeAll(conn, body.subarray(0, opts.truncate.sendBytes));
      if (opts.truncate.then === "close") {
        return { status: 0, headers: new Headers(), text: "", bytes: new Uint8Array() };
      }
      await conn.closeWrite();
    } else {
      await writeAll(conn, body);
    }
    return parseResponse(await readAll(conn), req.method === "HEAD");
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break; // connection reset after the answer: what we have is all there is
    }
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return concat(parts);
}

function parseResponse(raw: Uint8Array, isHead: boolean): RawResponse {
  const sep = indexOf(raw, [13, 10, 13, 10]);
  if (sep < 0) throw new Error(`no HTTP response (got ${raw.length} bytes)`);
  const head = new TextDecoder().decode(raw.subarray(0, sep)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1]);
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let bytes = raw.subarray(sep + 4);
  if (isHead) bytes = new Uint8Array();
  else if (headers.get("transfer-encoding")?.includes("chunked")) bytes = dechunk(bytes);
  return { status, headers, text: new TextDecoder().decode(bytes), bytes };
}

function dechunk(b: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = indexOf(b, [13, 10], i);
    const size = parseInt(new TextDecoder().decode(b.subarray(i, eol)), 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return concat(out);
}

function indexOf(hay: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- aws-chunked bodies

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export type StreamingMode =
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
  | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
  | "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

export interface ChunkedUpload {
  method: string;
  path: string;
  mode: StreamingMode;
  /** The decoded object bytes. */
  data: Uint8Array;
  chunkSize: number;
  /** Trailer headers sent after the final chunk, e.g. `{ "x-amz-checksum-crc32": "…" }`. */
  trailers?: Record<string, string>;
  headers?: Record<string, string>;
  credentials?: Credentials;
  /** Changes one byte of chunk `index` after it was signed. */
  tamperChunk?: number;
}

/**
 * Builds and signs an aws-chunked upload as AWS documents it ("Signature Calculations for
 * the Authorization Header: Transferring Payload in Multiple Chunks"): the seed signature
 * comes from signing the headers, each chunk is signed over the previous signature and the
 * SHA-256 of its data, and a trailer is signed over the last chunk signature. Returns the
 * signed request with the encoded body, for `sendSigned` or `socketRequest`.
 */
export async function buildChunkedUpload(
  server: TestServer,
  up: ChunkedUpload,
): Promise<SignedRequest & { body: Uint8Array }> {
  const creds = up.credentials ?? serverCredentials(server);
  const date = new Date();
  const trailerNames = Object.keys(up.trailers ?? {});
  const headers: Record<string, string> = {
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": String(up.data.length),
    "x-amz-content-sha256": up.mode,
    ...(trailerNames.length ? { "x-amz-trailer": trailerNames.join(",") } : {}),
    ...up.headers,
  };
  const signed = await signRequest(server, {
    method: up.method,
    path: up.path,
    headers,
    credentials: creds,
    date,
  });
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)![1];
  const amzDate = signed.headers["x-amz-date"];
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const key = signingKey(creds.secretAccessKey, amzDate.slice(0, 8));
  const hmac = (s: string) => createHmac("sha256", key).update(s).digest("hex");
  const signed_ = up.mode !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let previous = seed;
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < up.data.length; off += up.chunkSize) {
    chunks.push(up.data.subarray(off, off + up.chunkSize));
  }
  chunks.push(new Uint8Array());
  chunks.forEach((chunk, i) => {
    let ext = "";
    if (signed_) {
      previous = hmac(
        `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${
          sha256Hex(chunk)
        }`,
      );
      ext = `;chunk-signature=${previous}`;
    }
    let data = chunk;
    if (up.tamperChunk === i) {
      data = chunk.slice();
      data[0] ^= 0xff;
    }
    parts.push(enc.encode(`${chunk.length.toString(16)}${ext}\r\n`));
    if (chunk.length > 0) parts.push(data, enc.encode("\r\n"));
  });
  if (trailerNames.length) {
    const canonical = trailerNames.sort().map((n) => `${n}:${up.trailers![n]}\n`).join("");
    let text = trailerNames.map((n) => `${n}:${up.trailers![n]}\r\n`).join("");
    if (signed_) {
      const sig = hmac(
        `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha256Hex(canonical)}`,
      );
      text += `x-amz-trailer-signature:${sig}\r\n`;
    }
    parts.push(enc.encode(text + "\r\n"));
  } else {
    parts.push(enc.encode("\r\n"));
  }
  return { ...signed, body: concat(parts) };
}

/** The SigV4 signing key for s3 in us-east-1 on `date` (YYYYMMDD). */
export function signingKey(secret: string, date: string): Uint8Array {
  const mac = (k: string | Uint8Array, d: string) => createHmac("sha256", k).update(d).digest();
  return new Uint8Array(
    mac(mac(mac(mac("AWS4" + secret, date), "us-east-1"), "s3"), "aws4_request"),
  );
}
