/**
 * Presigned URLs for the bench, made with vStash's own `presignUrl`, and a small fetch-based
 * client for setup (buckets, fills, multipart control requests). Load itself never goes
 * through here: wrk, rawload.ts and curl send it.
 *
 * The ceiling ignores query strings, so the same path files serve both servers: both parse
 * requests of the same size.
 */
import { presignUrl } from "../../src/auth/sigv4.ts";
import type { ServerProc } from "./procs.ts";

/** Long enough for any run; the signature's date is the start of the run. */
const EXPIRES_SECONDS = 6 * 3600;
const runStart = new Date();

/** A presigned URL (full) for vStash. `path` is already percent-encoded. */
export function presigned(
  server: ServerProc,
  method: string,
  path: string,
  query?: Record<string, string>,
): string {
  const url = new URL(path, server.url);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return presignUrl({
    method,
    url,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: "us-east-1",
    expiresIn: EXPIRES_SECONDS,
    now: runStart,
  });
}

/** The path and query of a presigned URL: what wrk puts on its request line. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

/** Writes one presigned path per line; returns the file name. */
export async function writePathsFile(
  file: string,
  server: ServerProc,
  method: string,
  paths: Iterable<string>,
): Promise<string> {
  const lines: string[] = [];
  for (const p of paths) lines.push(pathOf(presigned(server, method, p)));
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return file;
}

/** One request to vStash through a presigned URL; throws unless 2xx. Returns the body text. */
export async function s3Request(
  server: ServerProc,
  method: string,
  path: string,
  opts: { query?: Record<string, string>; body?: BodyInit; headers?: HeadersInit } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(presigned(server, method, path, opts.query), {
    method,
    body: opts.body,
    headers: opts.headers,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, headers: res.headers, text };
}

/** Runs `fn` over `items` with `concurrency` workers. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** PUTs a body of `bytes` to each path (fills for GET, HEAD and listing). */
export async function fillObjects(
  server: ServerProc,
  paths: string[],
  bytes: number,
  concurrency: number,
): Promise<void> {
  const body = new Uint8Array(bytes).fill(0x76);
  if (server.name === "vstash") {
    await pool(paths, concurrency, async (p) => {
      await s3Request(server, "PUT", p, { body });
    });
    return;
  }
  await pool(paths, concurrency, async (p) => {
    const res = await fetch(new URL(p, server.url), { method: "PUT", body });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`ceiling PUT ${p}: ${res.status}`);
  });
}
