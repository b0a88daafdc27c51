/**
 * What vStash keeps in Deno KV. These shapes are the on-disk format: change them only with a
 * migration. Times are epoch milliseconds; ETags carry their quotes as S3 sends them.
 */

export interface CredentialRecord {
  id: number;
  accessKey: string;
  secretKey: string;
  userName: string;
  isActive: boolean;
  createdAt: number;
}

export interface BucketRecord {
  name: string;
  /** Id of the credential that owns the bucket. */
  ownerId: number;
  region: string;
  createdAt: number;
}

/** Headers stored with an object and returned verbatim on GET and HEAD. */
export const CONTENT_HEADERS = [
  "content-type",
  "content-encoding",
  "content-disposition",
  "content-language",
  "cache-control",
  "expires",
] as const;
export type ContentHeader = (typeof CONTENT_HEADERS)[number];

export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64 digest; for COMPOSITE checksums followed by `-<part count>` as S3 shows it. */
  value: string;
  type: "FULL_OBJECT" | "COMPOSITE";
}

/**
 * Where an object's bytes are: one blob, or the parts of a completed multipart upload.
 * A completed upload's part records are its manifest; `runs` lists, as inclusive
 * [first, last] part-number ranges, which of them the completion kept.
 */
export type BlobLayout =
  | { kind: "single"; blobId: string | null } // null: an empty object has no file
  | { kind: "parts"; uploadId: string; partCount: number; runs: PartRuns };

/** Part numbers as sorted, inclusive [first, last] runs: 1..10000 is [[1, 10000]]. */
export type PartRuns = [number, number][];

export interface ObjectRecord {
  size: number;
  etag: string;
  lastModified: number;
  /** When this key was first written; kept across overwrites for the management API. */
  createdAt: number;
  headers: Partial<Record<ContentHeader, string>>;
  /** `x-amz-meta-*` values by lowercase suffix. */
  userMeta: Record<string, string>;
  checksum: StoredChecksum | null;
  layout: BlobLayout;
}

/**
 * What a listing shows of an object. Kept beside each object record, in the same commit,
 * as a flat tuple: listings read thousands of them, and deserializing a flat array of
 * primitives costs a fraction of the nested record (measured: a 1000-key page in about
 * two thirds of the time).
 */
export interface ListEntry {
  size: number;
  etag: string;
  lastModified: number;
  createdAt: number;
  contentType: string | null;
  /** 0 for a single-blob object. */
  partCount: number;
  checksumAlgorithm: ChecksumAlgorithm | null;
  checksumType: "FULL_OBJECT" | "COMPOSITE" | null;
}

/** The stored form of a ListEntry (see listEntryTuple). */
export type ListTuple = [
  number,
  string,
  number,
  number,
  string | null,
  number,
  ChecksumAlgorithm | null,
  "FULL_OBJECT" | "COMPOSITE" | null,
];

export function listEntryTuple(r: ObjectRecord): ListTuple {
  return [
    r.size,
    r.etag,
    r.lastModified,
    r.createdAt,
    r.headers["content-type"] ?? null,
    r.layout.kind === "parts" ? r.layout.partCount : 0,
    r.checksum?.algorithm ?? null,
    r.checksum?.type ?? null,
  ];
}

export function listEntryOf(t: ListTuple): ListEntry {
  return {
    size: t[0],
    etag: t[1],
    lastModified: t[2],
    createdAt: t[3],
    contentType: t[4],
    partCount: t[5],
    checksumAlgorithm: t[6],
    checksumType: t[7],
  };
}

/**
 * The record of an object made of one new blob (PUT, POST, copy, console upload): its
 * ETag is the quoted MD5 of the bytes, and it is new as of `now`.
 */
export function singleBlobObject(
  body: { blobId: string | null; size: number; md5Hex: string; checksum: StoredChecksum | null },
  meta: { headers: Partial<Record<ContentHeader, string>>; userMeta: Record<string, string> },
  now = Date.now(),
): ObjectRecord {
  return {
    size: body.size,
    etag: `"${body.md5Hex}"`,
    lastModified: now,
    createdAt: now,
    headers: meta.headers,
    userMeta: meta.userMeta,
    checksum: body.checksum,
    layout: { kind: "single", blobId: body.blobId },
  };
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: number;
  ownerId: number;
  headers: Partial<Record<ContentHeader, string>>;
  userMeta: Record<string, string>;
  checksumAlgorithm: ChecksumAlgorithm | null;
  checksumType: "FULL_OBJECT" | "COMPOSITE" | null;
}

export interface PartRecord {
  partNumber: number;
  blobId: string | null;
  size: number;
  etag: string;
  lastModified: number;
  /** Base64 digest of the part, in `checksumAlgorithm`. */
  checksum: string | null;
  checksumAlgorithm: ChecksumAlgorithm | null;
}
