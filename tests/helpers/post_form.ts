/**
 * Browser POST uploads for tests: forms with a POST policy signed here with node:crypto
 * (independently of the server's code), sent with fetch() as a browser would.
 */
import { createHmac } from "node:crypto";
import type { Credentials } from "./sign.ts";
import type { TestServer } from "./server.ts";

const REGION = "us-east-1";

export interface PostOptions {
  /** Fields before the file, in order; policy conditions are derived from them unless given. */
  fields?: [string, string][];
  /** Conditions besides bucket and the signing fields; default: one `eq` per field. */
  conditions?: unknown[];
  file?: Blob | string;
  filename?: string;
  /** Fields after the file (S3 ignores them). */
  after?: [string, string][];
  policyBucket?: string;
  expiresInMs?: number;
  credentials?: Credentials;
  /** Changes the policy after it was signed. */
  tamper?: (policy: string) => string;
  signature?: string;
}

function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Hex HMAC-SHA256 of the base64 policy under the SigV4 signing key, written out with node:crypto. */
export function signPolicy(secret: string, date: string, policy: string): string {
  const mac = (key: string | Uint8Array, data: string) =>
    new Uint8Array(createHmac("sha256", key).update(data).digest());
  const key = mac(mac(mac(mac(`AWS4${secret}`, date), REGION), "s3"), "aws4_request");
  return createHmac("sha256", key).update(policy).digest("hex");
}

/** A signed browser form for `bucket`, as an HTML page with a POST policy would send it. */
export function postForm(server: TestServer, bucket: string, o: PostOptions = {}): FormData {
  const creds = o.credentials ??
    { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  const now = new Date();
  const date = amzDate(now);
  const signing: [string, string][] = [
    ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
    ["x-amz-credential", `${creds.accessKeyId}/${date.slice(0, 8)}/${REGION}/s3/aws4_request`],
    ["x-amz-date", date],
  ];
  const fields = o.fields ?? [["key", "k"]];
  const conditions = [
    { bucket: o.policyBucket ?? bucket },
    ...(o.conditions ?? fields.map(([n, v]) => ["eq", `$${n}`, v])),
    ...signing.map(([n, v]) => ({ [n]: v })),
  ];
  const expiration = new Date(now.getTime() + (o.expiresInMs ?? 3600_000)).toISOString();
  // "The form and policy must be UTF-8 encoded": base64 of the UTF-8 bytes.
  const json = new TextEncoder().encode(JSON.stringify({ expiration, conditions }));
  const policy = btoa(String.fromCharCode(...json));
  const form = new FormData();
  for (const [n, v] of [...fields, ...signing]) form.append(n, v);
  form.append("Policy", o.tamper ? o.tamper(policy) : policy);
  form.append(
    "X-Amz-Signature",
    o.signature ?? signPolicy(creds.secretAccessKey, date.slice(0, 8), policy),
  );
  const file = o.file ?? "hello";
  form.append("file", typeof file === "string" ? new Blob([file]) : file, o.filename ?? "f.txt");
  for (const [n, v] of o.after ?? []) form.append(n, v);
  return form;
}

/** An answer with its body read (the shape assertS3Error takes). */
export interface PostAnswer {
  status: number;
  headers: Headers;
  text: string;
  bytes: Uint8Array;
}

/**
 * POSTs a form (or a prepared Request's body and headers) to the bucket URL, path-style, without
 * following a 303.
 */
export async function post(
  server: TestServer,
  bucket: string,
  body: FormData | Request,
): Promise<PostAnswer> {
  const res = await fetch(`${server.s3Url}/${bucket}`, {
    method: "POST",
    body: body instanceof Request ? body.body : body,
    headers: body instanceof Request ? body.headers : undefined,
    redirect: "manual",
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: new TextDecoder().decode(bytes), bytes };
}
