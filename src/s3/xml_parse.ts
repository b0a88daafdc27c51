/**
 * S3 request bodies: DeleteObjects, CompleteMultipartUpload, CreateBucketConfiguration.
 *
 * fast-xml-parser accepts malformed XML silently and EXPANDS internal DOCTYPE entities
 * (checked with 5.12.1), so: any DOCTYPE is refused outright (XXE and entity-bomb safety),
 * `XMLValidator.validate()` runs first, and entity references are decoded here rather than
 * by the parser, which leaves numeric references such as `&#13;` undecoded — and S3 tells
 * clients to send a CR in a key exactly that way. Every failure is `MalformedXML`.
 * Callers cap the body size (the constants below) before parsing.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { S3Error } from "./errors.ts";
import { type ChecksumAlgorithm, parseChecksumAlgorithm } from "./checksums.ts";

// 1000 keys × (1024-byte key, every byte escaped as 6-byte `&quot;`, + a 1024-byte VersionId
// + ~100 bytes of tags and indentation) ≈ 7.3 MB; 8 MiB leaves room for odd whitespace.
/** Body cap for DeleteObjects. */
export const MAX_DELETE_XML_BYTES = 8 * 1024 * 1024;

// 10,000 parts × (PartNumber + quoted ETag + all five checksum elements + indentation)
// ≈ 10,000 × 430 bytes ≈ 4.3 MB; 8 MiB leaves room for pretty-printers.
/** Body cap for CompleteMultipartUpload. */
export const MAX_COMPLETE_XML_BYTES = 8 * 1024 * 1024;

/** S3's limit on keys per DeleteObjects request; more is MalformedXML. */
export const MAX_DELETE_OBJECTS = 1000;

const ARRAY_PATHS = new Set(["Delete.Object", "CompleteMultipartUpload.Part"]);

const parser = new XMLParser({
  ignoreAttributes: true, // xmlns and friends carry nothing S3 reads
  removeNSPrefix: true, // <s3:Delete xmlns:s3="…"> reads like <Delete>
  parseTagValue: false, // keep "01" and ETags as strings
  trimValues: false, // keys may begin or end with spaces
  processEntities: false, // decoded by decodeEntities below
  isArray: (_name: string, jpath: unknown) => ARRAY_PATHS.has(String(jpath)),
});

type Node = Record<string, unknown>;

function malformed(message?: string): S3Error {
  return new S3Error("MalformedXML", message);
}

// CDATA content is literal; escape it so the one entity decoding pass restores it exactly.
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

/** Validate, refuse DOCTYPE, parse, and return the single root element's content. */
function parseRoot(xml: string, rootName: string): Node {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw malformed();
  if (XMLValidator.validate(xml) !== true) throw malformed();
  const prepared = xml.replace(
    CDATA,
    (_, text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
  );
  let doc: Node;
  try {
    doc = parser.parse(prepared) as Node;
  } catch {
    throw malformed();
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith("?") && k !== "#text");
  if (roots.length !== 1 || roots[0] !== rootName) throw malformed();
  const root = doc[rootName];
  if (isBlank(root)) return {};
  if (typeof root !== "object" || root === null || Array.isArray(root)) throw malformed();
  return root as Node;
}

// An element holding only whitespace comes back as that whitespace (trimValues is off).
function isBlank(v: unknown): boolean {
  return typeof v === "string" && v.trim() === "";
}

const ENTITY = /&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|([A-Za-z]+));|&/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decode the five XML entities and numeric references; anything else is malformed. */
function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY, (_, hex?: string, dec?: string, name?: string) => {
    if (name !== undefined) {
      const v = NAMED[name];
      if (v === undefined) throw malformed();
      return v;
    }
    if (hex === undefined && dec === undefined) throw malformed(); // bare "&"
    const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
    if (!(cp <= 0x10FFFF) || (cp >= 0xD800 && cp <= 0xDFFF)) throw malformed();
    return String.fromCodePoint(cp);
  });
}

/** A leaf element's text, entity-decoded; undefined when absent; malformed when nested. */
function text(node: Node, name: string): string | undefined {
  const v = node[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw malformed();
  return decodeEntities(v);
}

function objectList(node: Node, name: string): Node[] {
  const v = node[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw malformed();
  return v.map((item) => {
    if (isBlank(item)) return {};
    if (typeof item !== "object" || item === null) throw malformed();
    return item as Node;
  });
}

/** A parsed DeleteObjects body. */
export interface DeleteObjectsRequest {
  quiet: boolean;
  objects: { key: string; versionId?: string }[];
}

/**
 * Parse a DeleteObjects body. Keys are returned exactly (no trimming; may be empty, which
 * the caller reports per key). MalformedXML: broken XML, DOCTYPE, wrong root, an Object
 * without Key, no objects, more than 1000 objects, a Quiet that is not true/false.
 */
export function parseDeleteObjects(xml: string): DeleteObjectsRequest {
  const root = parseRoot(xml, "Delete");
  const quietText = text(root, "Quiet")?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== "true" && quietText !== "false") {
    throw malformed();
  }
  const objects = objectList(root, "Object").map((o) => {
    const key = text(o, "Key");
    if (key === undefined) throw malformed();
    const versionId = text(o, "VersionId")?.trim();
    return versionId ? { key, versionId } : { key };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) throw malformed();
  return { quiet: quietText === "true", objects };
}

/** One `<Part>` of a CompleteMultipartUpload body. */
export interface CompletedPart {
  partNumber: number;
  /** The part ETag without quotes. */
  etag: string;
  /** Base64 checksum values sent for the part, by algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/**
 * Parse a CompleteMultipartUpload body. Order and range of part numbers are the caller's
 * to check (S3 answers InvalidPartOrder / InvalidPart). ETags come back without quotes,
 * whether the client sent `"abc"`, `&quot;abc&quot;` or `abc`.
 * MalformedXML: broken XML, DOCTYPE, wrong root, no parts, a PartNumber that is not
 * decimal digits, a Part without ETag.
 */
export function parseCompleteMultipartUpload(xml: string): { parts: CompletedPart[] } {
  const root = parseRoot(xml, "CompleteMultipartUpload");
  const parts = objectList(root, "Part").map((p): CompletedPart => {
    const num = text(p, "PartNumber")?.trim();
    const etag = text(p, "ETag")?.trim();
    if (num === undefined || !/^\d{1,9}$/.test(num) || etag === undefined) throw malformed();
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const name of Object.keys(p)) {
      if (!name.startsWith("Checksum")) continue;
      const alg = parseChecksumAlgorithm(name.slice("Checksum".length));
      const value = text(p, name)?.trim();
      if (alg && value) checksums[alg] = value;
    }
    return { partNumber: Number(num), etag: etag.replace(/^"|"$/g, ""), checksums };
  });
  if (parts.length === 0) throw malformed();
  return { parts };
}

/**
 * Parse a CreateBucketConfiguration body (the caller treats an empty body as "no
 * configuration"). An absent or empty LocationConstraint is null, which S3 reads as
 * us-east-1. MalformedXML for broken XML, DOCTYPE or a wrong root.
 */
export function parseCreateBucketConfiguration(xml: string): { locationConstraint: string | null } {
  const root = parseRoot(xml, "CreateBucketConfiguration");
  const lc = text(root, "LocationConstraint")?.trim();
  return { locationConstraint: lc ? lc : null };
}
