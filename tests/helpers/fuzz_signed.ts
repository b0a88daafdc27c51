/**
 * Signed requests with something hostile in them, for the fuzz test: they pass Signature V4
 * and so reach what lies behind it (XML parsing, the aws-chunked decoder, header handling,
 * multipart rules), which unsigned garbage never does.
 */
import { generatedBytes } from "./data.ts";
import { damageChunked, hostileXml, randomTarget } from "./fuzz.ts";
import type { Prng } from "./prng.ts";
import { concatBytes, head, latin1 } from "./raw_http.ts";
import type { TestServer } from "./server.ts";
import { buildChunkedUpload, type SignedRequest, signRequest, type StreamingMode } from "./sign.ts";

/** One signed request of a random kind with something hostile in it; `key` if it may store one. */
export async function signedHostileRequest(
  server: TestServer,
  r: Prng,
  i: number,
  uploadId: string,
  host: string,
  /** The bytes of /fuzz/precious, which a copy may take. */
  precious: Uint8Array,
): Promise<{ bytes: Uint8Array; key: string | null; contents: Uint8Array[] | null }> {
  const encode = (s: string) => r.chance(0.8) ? new TextEncoder().encode(s) : latin1(s);
  const kind = r.weighted<string>([
    [20, "delete"],
    [15, "complete"],
    [8, "create-bucket"],
    [15, "put-headers"],
    [20, "chunked"],
    [12, "read"],
    [10, "part"],
  ]);
  const key = `fuzz-put-${i}`;
  if (kind === "chunked") {
    const data = generatedBytes(r.int(0, 40_000), i);
    const mode = r.pick<StreamingMode>([
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
      "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    ]);
    const req = await buildChunkedUpload(server, {
      method: "PUT",
      path: `/fuzz/${key}`,
      mode,
      data,
      chunkSize: r.int(1, 9000),
      trailers: mode === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        ? undefined
        : { "x-amz-checksum-crc32": "AAAAAA==" },
    });
    const damaged = damageChunked(r, req.body);
    const length = r.chance(0.8) ? damaged.length : r.int(0, damaged.length * 2);
    return { bytes: concatBytes(rawHead(req, length), damaged), key, contents: [data] };
  }
  let method = "GET";
  let path = "/fuzz";
  let body: Uint8Array | undefined;
  const headers: Record<string, string> = {};
  let storesKey: string | null = null;
  let contents: Uint8Array[] | null = null;
  switch (kind) {
    case "delete":
      method = "POST";
      path = "/fuzz?delete";
      body = encode(hostileXml(r, "Delete"));
      break;
    case "complete":
      method = "POST";
      path = `/fuzz/fuzz-mp?uploadId=${encodeURIComponent(uploadId)}`;
      body = encode(hostileXml(r, "CompleteMultipartUpload"));
      storesKey = "fuzz-mp";
      break;
    case "create-bucket":
      method = "PUT";
      path = `/fuzzb-${i}`;
      body = encode(hostileXml(r, "CreateBucketConfiguration"));
      break;
    case "put-headers":
      method = "PUT";
      path = `/fuzz/${key}`;
      body = r.bytes(r.int(0, 3000));
      Object.assign(headers, signableHeaders(r));
      storesKey = key;
      break;
    case "read": {
      method = r.pick(["GET", "HEAD"]);
      path = r.chance(0.5) ? "/fuzz/precious" : "/fuzz" + randomTarget(r).replace(/^[^?]*/, "");
      Object.assign(headers, signableHeaders(r));
      break;
    }
    case "part":
      method = "PUT";
      path = `/fuzz/fuzz-mp?partNumber=${
        encodeURIComponent(r.pick(["0", "1", "10001", "-1", "1.5", "", "99999999999"]))
      }&uploadId=${encodeURIComponent(r.chance(0.8) ? uploadId : "bogus")}`;
      body = r.bytes(r.int(0, 2000));
      break;
  }
  let signed: SignedRequest;
  try {
    signed = await signRequest(server, {
      method,
      path,
      headers,
      body,
      contentSha256: r.chance(0.2) ? "UNSIGNED-PAYLOAD" : undefined,
    });
  } catch {
    // The signer refused the input: send it unsigned instead.
    return {
      bytes: latin1(head(`${method} ${path} HTTP/1.1`, [["host", host]])),
      key: null,
      contents: null,
    };
  }
  const sent = body ?? new Uint8Array();
  const length = r.chance(0.9) ? sent.length : r.int(0, sent.length + 10);
  if (kind === "put-headers") {
    // A copy takes the source's bytes; a PUT the body's (all of it when the hash is signed,
    // the declared Content-Length's worth with an unsigned payload).
    contents = headers["x-amz-copy-source"] === "/fuzz/precious"
      ? [precious]
      : [sent, sent.subarray(0, length)];
  }
  return { bytes: concatBytes(rawHead(signed, length), sent), key: storesKey, contents };
}

/** Random hostile headers that are still legal to put on the wire and to sign. */
function signableHeaders(r: Prng): Record<string, string> {
  const pool: [string, () => string][] = [
    [
      "range",
      () => r.pick(["bytes=-", "bytes=5-1", "bytes=0-0,2-3", "bytes=99999999999-", "pages=1"]),
    ],
    ["if-match", () => r.pick(["*", '"nope"', ""])],
    ["if-none-match", () => r.pick(["*", '"x"'])],
    ["if-modified-since", () => r.pick(["garbage", "Thu, 01 Jan 2099 00:00:00 GMT"])],
    ["content-md5", () => r.pick(["x", "AAAAAAAAAAAAAAAAAAAAAA==", "!!"])],
    ["x-amz-checksum-crc32", () => r.pick(["!!!", "AAAAAA==", ""])],
    ["x-amz-checksum-sha256", () => "A".repeat(r.int(0, 100))],
    ["x-amz-sdk-checksum-algorithm", () => r.pick(["MD4", "crc32", ""])],
    [
      "x-amz-copy-source",
      () => r.pick(["/fuzz/precious", "%", "/nope/x", "/fuzz/" + "k".repeat(1100)]),
    ],
    ["x-amz-copy-source-range", () => r.pick(["bytes=0-5", "bytes=9-1", "x"])],
    ["x-amz-metadata-directive", () => r.pick(["COPY", "REPLACE", "MAYBE"])],
    ["x-amz-meta-big", () => "m".repeat(r.int(1, 3000))],
    ["x-amz-storage-class", () => r.pick(["STANDARD", "WARM"])],
    ["content-type", () => r.pick(["", "a/b; c=d", "x".repeat(2000)])],
    ["expect", () => "100-continue"],
    ["x-amz-trailer", () => r.pick(["x-amz-checksum-crc32", "x-nope"])],
  ];
  const out: Record<string, string> = {};
  for (let n = r.int(1, 4); n > 0; n--) {
    const [name, value] = r.pick(pool);
    out[name] = value();
  }
  return out;
}

/** The head of a signed request with `length` as its Content-Length (which is not signed). */
export function rawHead(req: SignedRequest, length: number): string {
  const headers = Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== "content-length");
  headers.push(["content-length", String(length)]);
  return head(`${req.method} ${req.target} HTTP/1.1`, headers);
}

/** A signed head for `body` (its hash signed, or UNSIGNED-PAYLOAD), Content-Length given. */
export async function signedHead(
  server: TestServer,
  method: string,
  path: string,
  body: Uint8Array,
  opts: { sha: boolean; length?: number },
): Promise<{ head: string }> {
  const signed = await signRequest(server, {
    method,
    path,
    body,
    contentSha256: opts.sha ? undefined : "UNSIGNED-PAYLOAD",
  });
  return { head: rawHead(signed, opts.length ?? body.length) };
}
