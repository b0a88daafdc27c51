/**
 * Bytes on a TCP connection, for requests no HTTP client would send (malformed heads,
 * lying Content-Lengths, garbage framing, slow senders). Never throws for what the server
 * does: a refused write, a reset or silence are results too.
 */
import type { TestServer } from "./server.ts";

export interface Exchange {
  /** The status of the first answer, or null when none came (closed, reset, timed out). */
  status: number | null;
  /** The answer as text (latin1-safe enough for assertions), possibly cut. */
  text: string;
  /** The server closed or reset the connection before we finished writing. */
  writeRefused: boolean;
  /** No answer and no close within the timeout. */
  timedOut: boolean;
  ms: number;
}

export function s3Address(server: TestServer): { hostname: string; port: number } {
  const u = new URL(server.s3Url);
  return { hostname: u.hostname, port: Number(u.port) };
}

/**
 * Sends `request` (head and body as one buffer), half-closes (so the server sees the end of
 * whatever it was promised), and reads until the server closes or `timeoutMs` passes.
 */
export async function exchange(
  server: TestServer,
  request: Uint8Array | string,
  opts: { timeoutMs?: number; halfClose?: boolean } = {},
): Promise<Exchange> {
  const bytes = typeof request === "string" ? latin1(request) : request;
  const started = performance.now();
  const conn = await Deno.connect(s3Address(server));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, opts.timeoutMs ?? 10_000);
  let writeRefused = false;
  const chunks: Uint8Array[] = [];
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      if (opts.halfClose ?? true) await conn.closeWrite();
    } catch {
      writeRefused = true;
    }
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        break;
      }
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer or the server */ }
  }
  let text = fromLatin1(chunks);
  // Interim answers (100 Continue) come first; the status is the final one's.
  while (/^HTTP\/1\.[01] 1\d\d[^\r]*\r\n\r\n/.test(text)) {
    text = text.slice(text.indexOf("\r\n\r\n") + 4);
  }
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
  return {
    status: m ? Number(m[1]) : null,
    text,
    writeRefused,
    timedOut: timedOut && !m,
    ms: performance.now() - started,
  };
}

/** A string as bytes, one byte per UTF-16 unit below 256 (garbage stays garbage). */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes as a string of the same code units (latin1), in pieces small enough to spread. */
export function fromLatin1(chunks: Uint8Array[]): string {
  let s = "";
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 8192) {
      s += String.fromCharCode(...c.subarray(i, i + 8192));
    }
  }
  return s;
}

/** A request head: request line, headers in order (duplicates allowed), blank line. */
export function head(requestLine: string, headers: [string, string][]): string {
  return requestLine + "\r\n" + headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
}

export function concatBytes(...parts: (Uint8Array | string)[]): Uint8Array {
  const bufs = parts.map((p) => typeof p === "string" ? latin1(p) : p);
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of bufs) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/**
 * Sends bytes (e.g. only a head that promises a body) without ending the request, and reads
 * the first complete answer (by its Content-Length) or until the server closes or
 * `timeoutMs` passes: for answers a server must give before it has the whole body.
 */
export async function sendAndAwaitAnswer(
  server: TestServer,
  bytes: Uint8Array | string,
  timeoutMs = 10_000,
): Promise<{ status: number | null; text: string; ms: number }> {
  const started = performance.now();
  const conn = await Deno.connect(s3Address(server));
  try {
    await writeAll(conn, typeof bytes === "string" ? latin1(bytes) : bytes).catch(() => {});
    const text = await readAnswer(conn, timeoutMs);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
    return { status: m ? Number(m[1]) : null, text, ms: performance.now() - started };
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Reads one answer: until its head and Content-Length bytes arrived (interim 1xx answers
 * skipped), the server closes, or `timeoutMs` passes. Never throws.
 */
export async function readAnswer(conn: Deno.Conn, timeoutMs: number): Promise<string> {
  let text = "";
  const deadline = Date.now() + timeoutMs;
  const buf = new Uint8Array(16 * 1024);
  while (Date.now() < deadline) {
    let timeoutId: ReturnType<typeof setTimeout> | undefined;
    const timer = new Promise<null>((r) => {
      timeoutId = setTimeout(() => r(null), Math.max(1, deadline - Date.now()));
    });
    const n = await Promise.race([conn.read(buf).catch(() => null), timer]);
    clearTimeout(timeoutId);
    if (n === null) break;
    text += fromLatin1([buf.subarray(0, n)]);
    while (/^HTTP\/1\.[01] 1\d\d[^\r]*\r\n\r\n/.test(text)) {
      text = text.slice(text.indexOf("\r\n\r\n") + 4);
    }
    const end = text.indexOf("\r\n\r\n");
    const len = end < 0 ? null : /content-length: (\d+)/i.exec(text.slice(0, end));
    if (len && text.length >= end + 4 + Number(len[1])) break;
  }
  return text;
}

/** The S3 error code of an answer, if it carries one. */
export function codeOf(text: string): string | null {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? null;
}

/** A printable, bounded rendering of request bytes for failure messages. */
export function describe(bytes: Uint8Array | string, max = 600): string {
  const s = typeof bytes === "string" ? bytes : fromLatin1([bytes]);
  const shown = s.length > max ? s.slice(0, max) + `… (${s.length} bytes)` : s;
  return JSON.stringify(shown);
}
