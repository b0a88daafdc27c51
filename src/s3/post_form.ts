/**
 * The fields of a browser POST form as S3 reads them: names case-insensitive, only the fields
 * before `file` (capped in size), `${filename}` expanded, and the ones that become object
 * headers, metadata or a checksum. The multipart framing itself is form_data.ts.
 */
import type { FormField } from "../auth/post_policy.ts";
import { CONTENT_HEADERS } from "../storage/records.ts";
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumHeaderName,
  invalidChecksumValueError,
  isValidChecksumValue,
  parseChecksumAlgorithm,
  toBase64,
} from "./checksums.ts";
import { S3Error } from "./errors.ts";
import type { FormDataReader } from "./form_data.ts";

/** Form fields before the file, by lowercase name. */
export type PostFormFields = Map<string, FormField>;

/**
 * S3's cap on everything before the file's bytes: fields, part headers and boundaries.
 * S3 answers 20480 in `MaxPostPreDataLengthBytes` (captures in s3_direct_upload#45 and
 * ember-uploader#45), and its documentation says 20 KB.
 */
export const MAX_POST_PRE_DATA_BYTES = 20 * 1024;

/**
 * Reads the fields before the file part, lowercasing names (S3's form fields are
 * case-insensitive) and joining repeated fields with commas (as S3's policy documentation
 * describes), and expands `${filename}` in every field but the signed ones.
 */
export async function readPostForm(form: FormDataReader): Promise<PostFormFields> {
  const fields: PostFormFields = new Map();
  const tooLarge = () =>
    new S3Error("MaxPostPreDataLengthExceeded", undefined, {
      MaxPostPreDataLengthBytes: String(MAX_POST_PRE_DATA_BYTES),
    });
  for (;;) {
    const part = await form.nextPart();
    if (form.position > MAX_POST_PRE_DATA_BYTES) throw tooLarge();
    if (part === null) {
      throw new S3Error("InvalidArgument", "POST requires exactly one file upload per request.", {
        ArgumentName: "file",
        ArgumentValue: "0",
      });
    }
    // Only a form-data part named "file" is the file; other parts count as (ignored) data.
    const sent = part.name;
    if (sent?.toLowerCase() === "file") return expandFilename(fields, part.filename);
    const decoder = new TextDecoder();
    let value = "";
    for await (const b of form.body()) {
      if (form.position > MAX_POST_PRE_DATA_BYTES) throw tooLarge();
      if (sent !== null) value += decoder.decode(b, { stream: true });
    }
    if (sent === null) continue;
    value += decoder.decode();
    const prev = fields.get(sent.toLowerCase());
    fields.set(
      sent.toLowerCase(),
      prev ? { name: prev.name, value: `${prev.value},${value}` } : { name: sent, value },
    );
  }
}

/**
 * `${filename}` becomes the file's name without any client path (AWS: text after the last
 * `/` or `\`). A file part without a filename parameter leaves it as is, as S3 does.
 */
function expandFilename(fields: PostFormFields, filename: string | null): PostFormFields {
  if (filename === null) return fields;
  const base = filename.slice(Math.max(filename.lastIndexOf("/"), filename.lastIndexOf("\\")) + 1);
  for (const [name, f] of fields) {
    if (name === "policy" || name === "x-amz-signature") continue; // signed as sent
    if (f.value.includes("${filename}")) {
      fields.set(name, { name: f.name, value: f.value.replaceAll("${filename}", base) });
    }
  }
  return fields;
}

/** The content headers and `x-amz-meta-*` of a form, as request headers for storedHeaders(). */
export function postObjectHeaders(fields: PostFormFields): Headers {
  const h = new Headers();
  for (const [name, f] of fields) {
    const stored = (CONTENT_HEADERS as readonly string[]).includes(name) ||
      name.startsWith("x-amz-meta-");
    if (!stored) continue;
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new S3Error(
        "InvalidArgument",
        `The form field name ${f.name} is not a valid header name.`,
      );
    }
    h.set(name, headerSafe(f.value));
  }
  return h;
}

/**
 * Form values are UTF-8, header values are not: S3 stores values that are not printable ASCII
 * as RFC 2047 encoded words (Q, or B when control bytes are present), as LocalStack's
 * validated recordings show ("ÄMÄZÕÑ S3" → "=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=").
 */
function headerSafe(value: string): string {
  if (/^[\x20-\x7e\t]*$/.test(value)) return value;
  const bytes = new TextEncoder().encode(value);
  // deno-lint-ignore no-control-regex -- control characters are what selects B encoding
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return `=?UTF-8?B?${toBase64(bytes)}?=`;
  let q = "";
  for (const b of bytes) {
    if (b === 0x20) q += "_";
    else if (b > 0x20 && b < 0x7f && b !== 0x3d && b !== 0x3f && b !== 0x5f) {
      q += String.fromCharCode(b);
    } else q += "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return `=?UTF-8?Q?${q}?=`;
}

/** The `x-amz-checksum-<alg>` field (verified) or `x-amz-checksum-algorithm` (computed). */
export function postChecksumRequest(
  fields: PostFormFields,
): { algorithm: ChecksumAlgorithm; expected: string | null } | null {
  const sent = CHECKSUM_ALGORITHMS.filter((a) => fields.has(checksumHeaderName(a)));
  if (sent.length > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const named = fields.get("x-amz-checksum-algorithm")?.value;
  const algorithm = named === undefined ? sent[0] : parseChecksumAlgorithm(named);
  if (named !== undefined && (!algorithm || (sent.length === 1 && sent[0] !== algorithm))) {
    throw new S3Error("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.");
  }
  if (!algorithm) return null;
  const expected = fields.get(checksumHeaderName(algorithm))?.value.trim() ?? null;
  if (expected !== null && !isValidChecksumValue(algorithm, expected)) {
    throw invalidChecksumValueError(algorithm);
  }
  return { algorithm, expected };
}
