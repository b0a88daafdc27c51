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

export interface RawRequest {
  method: string;
  /** Path with the query, already URL-encoded as it should go on the wire: `/b/k?uploads`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Defaults to the hex SHA-256 of the body. */
  contentSha256?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Signing time; defaults to now. */
  date?: Date;
  /** Leave the request unsigned (anonymous). */
  anonymous?: boolean;
}

/**
 * Sends a request signed by AWS's own signer (@smithy/signature-v4), for edge cases the
 * SDK will not produce. Returns the response with its body read as text.
 */
export async function rawRequest(
  server: TestServer,
  req: RawRequest,
): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(server.s3Url + req.path);
  const body = typeof req.body === "string" ? new TextEncoder().encode(req.body) : req.body;
  const headers: Record<string, string> = {
    host: url.host,
    ...req.headers,
  };
  if (!req.anonymous) {
    headers["x-amz-content-sha256"] ??= req.contentSha256 ?? sha256Hex(body ?? new Uint8Array());
    const signer = new SignatureV4({
      service: "s3",
      region: "us-east-1",
      credentials: req.credentials ??
        { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await signer.sign({
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      body,
    }, { signingDate: req.date ?? new Date() });
    Object.assign(headers, signed.headers);
  }
  delete headers.host;
  const res = await fetch(url, { method: req.method, headers, body: body as BodyInit | undefined });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The `<Code>` of an S3 XML error body. */
export function errorCode(text: string): string | null {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? null;
}
