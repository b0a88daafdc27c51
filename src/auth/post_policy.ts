/**
 * Browser POST uploads (S3 PostObject) with AWS Signature Version 4: reading the signing
 * fields of a form, checking the policy's signature, decoding the policy and evaluating its
 * conditions against the form. Pure: no I/O, the caller looks up the secret and the bucket.
 *
 * Messages follow what Amazon S3 answers, as recorded against it by LocalStack's validated
 * tests and in client issue trackers; where no S3 answer is recorded the wording is ours.
 */
import { S3Error } from "../s3/errors.ts";
import {
  parseAmzDate,
  signaturesEqual,
  signHex,
  signingKeyFor,
  SIGV4_ALGORITHM,
} from "./canonical.ts";

/** A form field: its value and its name as the form spelled it. Maps key it by lowercase name. */
export interface FormField {
  name: string;
  value: string;
}
export type FormFields = ReadonlyMap<string, FormField>;

/** The SigV4 fields of a POST form, well-formed but not yet verified against a secret. */
export interface PostAuth {
  accessKey: string;
  /** yyyyMMdd of the credential scope: the signing key's date. */
  date: string;
  region: string;
  amzDate: string;
  /** The base64 policy exactly as sent: the string to sign. */
  policy: string;
  signature: string;
}

/** `["eq"|"starts-with", "$field", value]` or `["content-length-range", min, max]`. */
export type PolicyCondition =
  | { op: "eq" | "starts-with"; field: string | null; value: string; text: string }
  | { op: "content-length-range"; min: number | null; max: number | null; text: string };

export interface PostPolicy {
  /** Epoch ms after which the policy no longer authorizes anything. */
  expiration: number;
  conditions: PolicyCondition[];
}

/** Inclusive byte bounds for the file, from the policy's content-length-range conditions. */
export interface ContentLengthRange {
  min: number;
  max: number;
}

// S3 names fields in its messages the way its documentation spells them.
const REQUIRED: [string, string][] = [
  ["x-amz-algorithm", "X-Amz-Algorithm"],
  ["x-amz-credential", "X-Amz-Credential"],
  ["x-amz-date", "X-Amz-Date"],
  ["policy", "policy"],
  ["x-amz-signature", "X-Amz-Signature"],
];

/** S3's answer to a required form field that is absent (or sent after the file). */
export function missingFieldError(display: string): S3Error {
  return new S3Error(
    "InvalidArgument",
    `Bucket POST must contain a field named '${display}'.  If it is specified, please check the order of the fields.`,
    { ArgumentName: display, ArgumentValue: "" },
  );
}

/**
 * Reads and shape-checks the signing fields. A form with none of them is anonymous, which
 * vStash refuses; SigV2 forms (AWSAccessKeyId + signature) are refused as everywhere else.
 */
export function readPostAuth(fields: FormFields): PostAuth {
  const get = (name: string) => fields.get(name)?.value;
  if (["x-amz-algorithm", "x-amz-credential", "x-amz-signature"].every((n) => !fields.has(n))) {
    if (fields.has("awsaccesskeyid") || fields.has("signature")) throw unsupportedAlgorithm();
    throw new S3Error("AccessDenied", "Anonymous access is not allowed: sign the POST policy.");
  }
  for (const [name, display] of REQUIRED) if (!fields.has(name)) throw missingFieldError(display);
  if (get("x-amz-algorithm") !== SIGV4_ALGORITHM) throw unsupportedAlgorithm();
  const credential = get("x-amz-credential")!;
  const fail = (message: string, value = credential, name = "X-Amz-Credential") =>
    new S3Error("InvalidArgument", message, { ArgumentName: name, ArgumentValue: value });
  const parts = credential.split("/");
  if (parts.length !== 5) {
    throw fail(
      'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const [accessKey, date, region, service, terminal] = parts;
  if (accessKey === "") {
    throw fail("a non-empty Access Key (AKID) must be provided in the credential.");
  }
  if (!/^\d{8}$/.test(date)) {
    throw fail(
      `incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`,
    );
  }
  if (service !== "s3") {
    throw fail(`incorrect service "${service}". This endpoint belongs to "s3".`);
  }
  if (terminal !== "aws4_request") {
    throw fail(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  }
  const amzDate = get("x-amz-date")!;
  // "formated" (sic) is how S3 spells it.
  if (parseAmzDate(amzDate) === null) {
    throw fail("X-Amz-Date must be formated via ISO8601 Long format", amzDate, "X-Amz-Date");
  }
  return {
    accessKey,
    date,
    region,
    amzDate,
    policy: get("policy")!,
    signature: get("x-amz-signature")!,
  };
}

function unsupportedAlgorithm(): S3Error {
  return new S3Error(
    "InvalidRequest",
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
  );
}

/**
 * Checks `x-amz-signature`: hex HMAC-SHA256 of the base64 policy text as sent, under the SigV4
 * signing key of the credential's date and region for "s3". Compared in constant time.
 */
export function verifyPolicySignature(auth: PostAuth, secretKey: string): void {
  const key = signingKeyFor(secretKey, auth.date, auth.region, "s3");
  if (!signaturesEqual(signHex(key, auth.policy), auth.signature)) {
    const bytes = Array.from(
      new TextEncoder().encode(auth.policy),
      (b) => b.toString(16).padStart(2, "0"),
    );
    throw new S3Error("SignatureDoesNotMatch", undefined, {
      AWSAccessKeyId: auth.accessKey,
      StringToSign: auth.policy,
      SignatureProvided: auth.signature.slice(0, 128),
      StringToSignBytes: bytes.join(" "),
    });
  }
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// ISO 8601 in UTC only: S3 refuses offsets and a space for the T.
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function invalidPolicy(detail: string): S3Error {
  return new S3Error("InvalidPolicyDocument", `Invalid Policy: ${detail}`);
}

/** Decodes the base64 JSON policy; InvalidPolicyDocument when it is not one. */
export function decodePostPolicy(base64: string): PostPolicy {
  const compact = base64.replace(/\s+/g, ""); // some encoders wrap lines
  if (!STRICT_BASE64.test(compact)) throw invalidPolicy("invalid Base64 encoding.");
  let doc: unknown;
  try {
    const bytes = Uint8Array.from(atob(compact), (c) => c.charCodeAt(0));
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalidPolicy("Invalid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalidPolicy("Invalid JSON.");
  }
  const members = doc as Record<string, unknown>;
  for (const name of Object.keys(members)) {
    if (name !== "expiration" && name !== "conditions") {
      throw invalidPolicy(`Unexpected: '${name.toLowerCase()}'`);
    }
  }
  const { expiration, conditions } = members;
  if (expiration === undefined) throw invalidPolicy("Policy missing expiration.");
  const expires = typeof expiration === "string" && EXPIRATION.test(expiration)
    ? Date.parse(expiration)
    : NaN;
  if (Number.isNaN(expires)) throw invalidPolicy(`Invalid 'expiration' value: '${expiration}'`);
  if (conditions === undefined) throw invalidPolicy("Policy missing conditions.");
  if (!Array.isArray(conditions)) {
    throw invalidPolicy("Invalid 'conditions' value: must be a List.");
  }
  return { expiration: expires, conditions: conditions.map(parseCondition) };
}

function parseCondition(c: unknown): PolicyCondition {
  if (Array.isArray(c)) {
    const text = `[${c.map((v) => JSON.stringify(v)).join(", ")}]`;
    if (typeof c[0] !== "string") {
      throw invalidPolicy("Invalid Condition: missing operation identifier.");
    }
    const op = c[0].toLowerCase();
    if (op !== "eq" && op !== "starts-with" && op !== "content-length-range") {
      throw invalidPolicy(`Invalid Condition: unknown operation '${c[0]}'.`);
    }
    if (c.length !== 3) throw invalidPolicy(`Invalid ${c[0]}: wrong number of arguments.`);
    if (op === "content-length-range") {
      const [min, max] = [bound(c[1]), bound(c[2])];
      return { op, min, max, text };
    }
    if (typeof c[1] !== "string" || typeof c[2] !== "string") throw invalidPolicy("Invalid JSON.");
    // A field must be written "$name"; one without the "$" never matches (as in S3).
    const field = c[1].startsWith("$") ? c[1].slice(1).toLowerCase() : null;
    return { op, field, value: c[2], text };
  }
  if (typeof c === "object" && c !== null) {
    const entries = Object.entries(c);
    if (entries.length !== 1) {
      throw invalidPolicy(
        "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
      );
    }
    const [name, value] = entries[0];
    if (typeof value !== "string") {
      throw invalidPolicy("Invalid Simple-Condition: value must be a string.");
    }
    // S3 reports a failed simple condition as the equivalent "eq" array.
    const text = `[${["eq", `$${name}`, value].map((v) => JSON.stringify(v)).join(", ")}]`;
    return { op: "eq", field: name.toLowerCase(), value, text };
  }
  throw invalidPolicy("Invalid condition test: must be a List or Object.");
}

/** A content-length-range bound: a whole number or a digit string; null if it is neither. */
function bound(v: unknown): number | null {
  const n = typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number") return null;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw invalidPolicy("Invalid content-length-range: the bounds must be whole numbers of bytes.");
  }
  return n;
}

function conditionFailed(c: PolicyCondition): S3Error {
  return new S3Error(
    "AccessDenied",
    `Invalid according to Policy: Policy Condition failed: ${c.text}`,
  );
}

/** Fields a policy need not mention (AWS: "except x-amz-signature, file, policy, x-ignore-*"). */
function exempt(name: string): boolean {
  return name === "x-amz-signature" || name === "policy" || name === "file" ||
    name.startsWith("x-ignore-");
}

/**
 * Applies a decoded policy to a form. Field names compare case-insensitively, values
 * case-sensitively; `$bucket` is the bucket the form was posted to. A condition on a field
 * the form lacks fails, even `starts-with ""`. Every field except the exempt ones must be
 * named by some condition. Returns the content-length-range to enforce while streaming, or
 * null when the policy sets none.
 *
 * @example checkPostPolicy(decodePostPolicy(b64), fields, { bucket: "b", now: Date.now() })
 */
export function checkPostPolicy(
  policy: PostPolicy,
  fields: FormFields,
  opts: { bucket: string; now: number },
): ContentLengthRange | null {
  if (opts.now >= policy.expiration) {
    throw new S3Error("AccessDenied", "Invalid according to Policy: Policy expired.");
  }
  const covered = new Set<string>();
  let range: ContentLengthRange | null = null;
  for (const c of policy.conditions) {
    if (c.op === "content-length-range") {
      if (c.min === null || c.max === null) throw conditionFailed(c);
      range = range === null
        ? { min: c.min, max: c.max }
        : { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) };
      continue;
    }
    if (c.field === null) throw conditionFailed(c);
    covered.add(c.field);
    const value = c.field === "bucket" ? opts.bucket : fields.get(c.field)?.value;
    if (value === undefined || !matches(c.op, c.field, value, c.value)) throw conditionFailed(c);
  }
  const extra = [...fields].filter(([name]) => !exempt(name) && !covered.has(name))
    .map(([, f]) => f.name);
  if (extra.length > 0) {
    throw new S3Error(
      "AccessDenied",
      `Invalid according to Policy: Extra input fields: ${extra.join(", ")}`,
    );
  }
  return range;
}

function matches(op: "eq" | "starts-with", field: string, value: string, expected: string) {
  if (op === "eq") return value === expected;
  // S3 reads a Content-Type with commas as a list; every entry must match.
  if (field === "content-type") return value.split(",").every((v) => v.trim().startsWith(expected));
  return value.startsWith(expected);
}
