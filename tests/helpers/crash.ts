/**
 * The crash harness's workload and its ledger. Workers issue PUTs, overwrites, deletes,
 * DeleteObjects, CopyObject and multipart uploads against keys they own (so every
 * expectation is exact), and the ledger records what the server acknowledged: a key's last
 * acknowledged version, or absent. A request whose answer never came because the server was
 * killed leaves its key "old or new": both are acceptable after the restart, nothing else.
 */
import { generatedBytes, sha256Of } from "./data.ts";
import type { Prng } from "./prng.ts";
import { awsPath, escapeXml, listAllKeys, xmlValue, xmlValues } from "./s3.ts";
import type { TestServer } from "./server.ts";
import { concat, type RawRequest, rawRequest, type RawResponse } from "./sign.ts";

/** A version of a key: its bytes' SHA-256 and size; null is "no object". */
export type Version = { sha256: string; size: number } | null;

const sameVersion = (a: Version, b: Version) =>
  a === null || b === null ? a === b : a.sha256 === b.sha256 && a.size === b.size;

const show = (v: Version) => v === null ? "absent" : `${v.size} B sha256 ${v.sha256.slice(0, 12)}`;

/** Acceptable versions per key: one when settled, two while a write's fate is unknown. */
export class Ledger {
  readonly #states = new Map<string, Version[]>();

  constructor(keys: string[]) {
    for (const k of keys) this.#states.set(k, [null]);
  }

  keys(): string[] {
    return [...this.#states.keys()];
  }

  /** The one version a key has; only for keys without a write of unknown fate. */
  settled(key: string): Version {
    const s = this.#states.get(key)!;
    if (s.length !== 1) throw new Error(`${key} is not settled`);
    return s[0];
  }

  acceptable(key: string): Version[] {
    return this.#states.get(key)!;
  }

  /** The server answered a write: this is now the key's only version. */
  ack(key: string, v: Version): void {
    this.#states.set(key, [v]);
  }

  /** A write was in flight when the server died: its version becomes acceptable too. */
  inFlight(key: string, v: Version): void {
    const s = this.#states.get(key)!;
    if (!s.some((x) => sameVersion(x, v))) s.push(v);
  }

  /** After a restart: what the server holds, if acceptable; returns a problem otherwise. */
  resolve(key: string, observed: Version): string | null {
    const s = this.#states.get(key)!;
    if (!s.some((x) => sameVersion(x, observed))) {
      return `${JSON.stringify(key)}: server has ${show(observed)}, acceptable: ${
        s.map(show).join(" or ")
      }`;
    }
    this.#states.set(key, [observed]);
    return null;
  }

  /** Keys whose settled version is an object. */
  present(): string[] {
    return this.keys().filter((k) => this.#states.get(k)!.some((v) => v !== null));
  }
}

export interface WorkloadStats {
  acked: Record<string, number>;
  /** Writes whose answer never came (the kill cut them off). */
  inFlight: number;
  /** Requests that failed while the server was alive, or answered wrongly: must be none. */
  errors: string[];
}

export interface Workload {
  /** Marks the workload as being killed: from now on, lost requests are expected. */
  markKilled(): void;
  /** Resolves once every worker noticed the kill and stopped. */
  done: Promise<WorkloadStats>;
}

/** Key names per worker: spaces, non-ASCII, `/`, `+` and `%` all travel through the path. */
const KEY_NAMES = ["k0", "k 1", "ü2", "d/k3", "k4+", "k5%"];

export function workerKeys(worker: number): string[] {
  return KEY_NAMES.map((n) => `w${worker}/${n}`);
}

/** Body sizes from 0 B to 3 MiB, mostly small, so that a run holds many commits. */
function pickSize(rng: Prng): number {
  return rng.weighted<() => number>([
    [3, () => 0],
    [20, () => rng.int(1, 4096)],
    [25, () => rng.int(4097, 64 * 1024)],
    [25, () => rng.int(64 * 1024 + 1, 1024 * 1024)],
    [10, () => rng.int(1024 * 1024 + 1, 3 * 1024 * 1024)],
  ])();
}

/**
 * Starts `workers` workers against `bucket`; each owns `workerKeys(i)`. They run until
 * `markKilled()` and the server's death make their requests fail.
 */
export function startWorkload(
  server: TestServer,
  bucket: string,
  ledger: Ledger,
  rng: Prng,
  opts: { workers: number; minPartSize: number },
): Workload {
  let killed = false;
  const stats: WorkloadStats = { acked: {}, inFlight: 0, errors: [] };
  const count = (op: string) => stats.acked[op] = (stats.acked[op] ?? 0) + 1;

  /** Sends a request; null when the answer was lost to the kill (then `lost` runs). */
  const send = async (req: RawRequest, lost: () => void): Promise<RawResponse | null> => {
    try {
      return await rawRequest(server, req);
    } catch (err) {
      if (killed) {
        lost();
        return null;
      }
      stats.errors.push(`${req.method} ${req.path}: ${err} (server alive)`);
      return null;
    }
  };
  const expect = (r: RawResponse | null, status: number, what: string, body?: RegExp) => {
    if (r === null) return false;
    if (r.status !== status || (body && !body.test(r.text))) {
      stats.errors.push(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
      return false;
    }
    return true;
  };
  const path = (key: string, query = "") => `/${bucket}/${awsPath(key)}${query}`;

  const put = async (w: Prng, key: string) => {
    const data = generatedBytes(pickSize(w), w.int(1, 2 ** 31));
    const v = { sha256: sha256Of(data), size: data.length };
    const r = await send(
      {
        method: "PUT",
        path: path(key),
        body: data,
        contentSha256: v.sha256,
        // Stored with the record and in the listing entry, which the consistency check compares.
        headers: { "content-type": `application/x-crash-${data.length % 7}` },
      },
      () => {
        stats.inFlight++;
        ledger.inFlight(key, v);
      },
    );
    if (expect(r, 200, `PUT ${key}`)) {
      ledger.ack(key, v);
      count("put");
    }
  };

  const get = async (key: string) => {
    const want = ledger.settled(key);
    const r = await send({ method: "GET", path: path(key) }, () => {});
    if (r === null) return;
    if (want === null) {
      if (expect(r, 404, `GET ${key} (deleted)`, /<Code>NoSuchKey<\/Code>/)) count("get");
      return;
    }
    if (!expect(r, 200, `GET ${key}`)) return;
    const got = { sha256: sha256Of(r.bytes), size: r.bytes.length };
    if (!sameVersion(got, want)) {
      stats.errors.push(`GET ${key}: got ${show(got)}, acknowledged ${show(want)}`);
    } else count("get");
  };

  const del = async (key: string) => {
    const r = await send({ method: "DELETE", path: path(key) }, () => {
      stats.inFlight++;
      ledger.inFlight(key, null);
    });
    if (expect(r, 204, `DELETE ${key}`)) {
      ledger.ack(key, null);
      count("delete");
    }
  };

  const deleteMany = async (keys: string[]) => {
    const body = `<Delete><Quiet>false</Quiet>${
      keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("")
    }</Delete>`;
    const r = await send({ method: "POST", path: `/${bucket}?delete`, body }, () => {
      stats.inFlight++;
      for (const k of keys) ledger.inFlight(k, null);
    });
    if (!expect(r, 200, `DeleteObjects ${keys}`, /<DeleteResult/)) return;
    if (r!.text.includes("<Error>")) {
      stats.errors.push(`DeleteObjects ${keys}: ${r!.text.slice(0, 300)}`);
      return;
    }
    for (const k of keys) ledger.ack(k, null);
    count("deleteObjects");
  };

  const copy = async (src: string, dst: string) => {
    const v = ledger.settled(src);
    const r = await send({
      method: "PUT",
      path: path(dst),
      headers: { "x-amz-copy-source": `/${bucket}/${awsPath(src)}` },
    }, () => {
      stats.inFlight++;
      ledger.inFlight(dst, v);
    });
    if (expect(r, 200, `CopyObject ${src} → ${dst}`, /<CopyObjectResult/)) {
      ledger.ack(dst, v);
      count("copy");
    }
  };

  const multipart = async (w: Prng, key: string) => {
    const created = await send({ method: "POST", path: path(key, "?uploads") }, () => {});
    if (!expect(created, 200, `CreateMultipartUpload ${key}`)) return;
    const uploadId = xmlValue(created!.text, "UploadId")!;
    const q = (extra: string) => `?uploadId=${encodeURIComponent(uploadId)}${extra}`;
    const count_ = w.int(2, 3);
    const parts: { n: number; data: Uint8Array; etag: string }[] = [];
    for (let n = 1; n <= count_; n++) {
      // Sometimes a part is sent twice: the second replaces the first (and its blob).
      for (let attempt = w.chance(0.15) ? 2 : 1; attempt > 0; attempt--) {
        const size = n < count_
          ? w.int(opts.minPartSize, 4 * opts.minPartSize)
          : w.int(0, 2 * opts.minPartSize);
        const data = generatedBytes(size, w.int(1, 2 ** 31));
        const r = await send(
          { method: "PUT", path: path(key, q(`&partNumber=${n}`)), body: data },
          () => {},
        );
        if (!expect(r, 200, `UploadPart ${key} #${n}`)) return;
        parts[n - 1] = { n, data, etag: r!.headers.get("etag")! };
      }
    }
    if (w.chance(0.1)) {
      const r = await send({ method: "DELETE", path: path(key, q("")) }, () => {});
      if (expect(r, 204, `AbortMultipartUpload ${key}`)) count("abort");
      return;
    }
    // Sometimes the middle part is left out: the completion keeps parts 1 and 3 only.
    const kept = count_ === 3 && w.chance(0.25) ? [parts[0], parts[2]] : parts;
    const whole = concat(kept.map((p) => p.data));
    const v = { sha256: sha256Of(whole), size: whole.length };
    const body = `<CompleteMultipartUpload>${
      kept.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`)
        .join("")
    }</CompleteMultipartUpload>`;
    const r = await send({ method: "POST", path: path(key, q("")), body }, () => {
      stats.inFlight++;
      ledger.inFlight(key, v);
    });
    if (expect(r, 200, `CompleteMultipartUpload ${key}`, /<CompleteMultipartUploadResult/)) {
      ledger.ack(key, v);
      count("multipart");
    }
  };

  const worker = async (w: Prng, keys: string[]) => {
    while (!killed && stats.errors.length === 0) {
      const key = w.pick(keys);
      const op = w.weighted<string>([
        [35, "put"],
        [15, "get"],
        [10, "delete"],
        [7, "deleteObjects"],
        [10, "copy"],
        [13, "multipart"],
      ]);
      if (op === "put") await put(w, key);
      else if (op === "get") await get(key);
      else if (op === "delete") await del(key);
      else if (op === "deleteObjects") {
        await deleteMany(keys.filter((k) => k === key || w.chance(0.4)));
      } else if (op === "copy") {
        const sources = keys.filter((k) => k !== key && ledger.settled(k) !== null);
        if (sources.length) await copy(w.pick(sources), key);
        else await put(w, key);
      } else await multipart(w, key);
    }
  };

  const done = Promise.all(
    Array.from({ length: opts.workers }, (_, i) => worker(rng.fork(), workerKeys(i))),
  ).then(() => stats);
  return {
    markKilled: () => {
      killed = true;
    },
    done,
  };
}

export interface VerifyReport {
  checked: number;
  /** Keys whose write was in flight at the kill, by what the server kept. */
  inFlightKeptNew: number;
  inFlightKeptOld: number;
  uploadsAborted: number;
  problems: string[];
}

/**
 * Reads back every ledger key (GET + SHA-256) and the bucket listing, settles the ledger on
 * what the server holds (when acceptable), and aborts multipart uploads the kill left
 * behind.
 */
export async function verifyLedger(
  server: TestServer,
  bucket: string,
  ledger: Ledger,
): Promise<VerifyReport> {
  const report: VerifyReport = {
    checked: 0,
    inFlightKeptNew: 0,
    inFlightKeptOld: 0,
    uploadsAborted: 0,
    problems: [],
  };
  for (const key of ledger.keys()) {
    const acceptable = ledger.acceptable(key);
    const r = await rawRequest(server, { method: "GET", path: `/${bucket}/${awsPath(key)}` });
    let observed: Version;
    if (r.status === 200) observed = { sha256: sha256Of(r.bytes), size: r.bytes.length };
    else if (r.status === 404 && r.text.includes("<Code>NoSuchKey</Code>")) observed = null;
    else {
      report.problems.push(`GET ${key}: ${r.status} ${r.text.slice(0, 200)}`);
      continue;
    }
    const problem = ledger.resolve(key, observed);
    if (problem) report.problems.push(problem);
    else if (acceptable.length > 1) {
      if (sameVersion(observed, acceptable[0])) report.inFlightKeptOld++;
      else report.inFlightKeptNew++;
    }
    report.checked++;
  }
  const listed = await listAllKeys(server, bucket);
  const expected = ledger.present().sort();
  if (JSON.stringify(listed.slice().sort()) !== JSON.stringify(expected)) {
    report.problems.push(`listing ${JSON.stringify(listed)} != ledger ${JSON.stringify(expected)}`);
  }
  const uploads = await rawRequest(server, { method: "GET", path: `/${bucket}?uploads` });
  if (uploads.status !== 200) report.problems.push(`ListMultipartUploads: ${uploads.status}`);
  const keys = xmlValues(uploads.text, "Key");
  const ids = xmlValues(uploads.text, "UploadId");
  for (let i = 0; i < ids.length; i++) {
    const r = await rawRequest(server, {
      method: "DELETE",
      path: `/${bucket}/${awsPath(keys[i])}?uploadId=${encodeURIComponent(ids[i])}`,
    });
    if (r.status !== 204) report.problems.push(`abort ${keys[i]}: ${r.status} ${r.text}`);
    else report.uploadsAborted++;
  }
  return report;
}
