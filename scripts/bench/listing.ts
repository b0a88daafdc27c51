/**
 * ListObjectsV2 over a bucket of many keys: `folders` folders (`f0000/`) of equal size
 * (`o00000`), filled with empty objects through the S3 API, then listed page by page by a
 * plain client (one request at a time, presigned like any other request, signed before the
 * clock starts). No ceiling: the target is absolute.
 */
import type { ServerProc } from "./procs.ts";
import { pool, presigned, s3Request } from "./urls.ts";

export interface ListResult {
  keys: number;
  fillSeconds: number;
  fillPutsPerSec: number;
  flat: PageTimes;
  delimited: PageTimes;
}

export interface PageTimes {
  pages: number;
  /** Entries (keys or common prefixes) in the first page. */
  entriesPerPage: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The key names: `keys` spread over `folders` folders. */
export function listKeys(keys: number, folders: number): string[] {
  const per = Math.ceil(keys / folders);
  return Array.from({ length: keys }, (_, i) => {
    const f = String(Math.floor(i / per)).padStart(4, "0");
    return `f${f}/o${String(i % per).padStart(5, "0")}`;
  });
}

/** Creates `bucket` on vStash and fills it with `keys` empty objects, `concurrency` at a time. */
export async function fillBucket(
  server: ServerProc,
  bucket: string,
  names: string[],
  concurrency: number,
): Promise<number> {
  await s3Request(server, "PUT", `/${bucket}`);
  const t0 = performance.now();
  const empty = new Uint8Array(0);
  await pool(names, concurrency, async (name) => {
    await s3Request(server, "PUT", `/${bucket}/${name}`, { body: empty });
  });
  return (performance.now() - t0) / 1000;
}

async function timedList(
  server: ServerProc,
  bucket: string,
  query: Record<string, string>,
): Promise<{ ms: number; text: string }> {
  const url = presigned(server, "GET", `/${bucket}`, query);
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`ListObjectsV2: ${res.status} ${text.slice(0, 300)}`);
  return { ms, text };
}

function summarize(times: number[], entriesPerPage: number): PageTimes {
  const s = [...times].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p / 100))];
  return { pages: s.length, entriesPerPage, p50Ms: at(50), p99Ms: at(99), maxMs: s.at(-1)! };
}

const count = (text: string, tag: string) => text.split(`<${tag}>`).length - 1;

/**
 * Walks the whole bucket in pages of 1000 (continuation tokens) `passes` times, then lists
 * the root with delimiter "/" (one page of up to 1000 common prefixes) `delimitedPages` times,
 * or fewer (at least 3) when that takes longer than `delimitedBudgetMs`.
 */
export async function measureListing(
  server: ServerProc,
  bucket: string,
  expectedKeys: number,
  passes: number,
  delimitedPages: number,
  delimitedBudgetMs: number,
): Promise<{ flat: PageTimes; delimited: PageTimes }> {
  const flat: number[] = [];
  let flatEntries = 0;
  for (let pass = 0; pass < passes; pass++) {
    let token: string | null = null;
    let seen = 0;
    do {
      const query: Record<string, string> = { "list-type": "2", "max-keys": "1000" };
      if (token !== null) query["continuation-token"] = token;
      const { ms, text } = await timedList(server, bucket, query);
      flat.push(ms);
      const n = count(text, "Contents");
      flatEntries ||= n;
      seen += n;
      token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(text)?.[1] ?? null;
    } while (token !== null);
    if (seen !== expectedKeys) {
      throw new Error(`listing saw ${seen} keys, expected ${expectedKeys}`);
    }
  }
  const delimited: number[] = [];
  let prefixes = 0;
  const started = performance.now();
  for (let i = 0; i < delimitedPages; i++) {
    if (i >= 3 && performance.now() - started > delimitedBudgetMs) break;
    const query = { "list-type": "2", "max-keys": "1000", delimiter: "/" };
    const { ms, text } = await timedList(server, bucket, query);
    delimited.push(ms);
    prefixes = count(text, "CommonPrefixes");
  }
  return { flat: summarize(flat, flatEntries), delimited: summarize(delimited, prefixes) };
}
