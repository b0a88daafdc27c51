/**
 * Plain data the S3 XML renderers take (`xml.ts`, `xml_list.ts`). Keys, prefixes and
 * markers are raw (unencoded) strings: the renderer applies `encoding-type=url` itself.
 * ETags carry their quotes (`"abc…"`, `"abc…-3"`), as S3 puts them in XML.
 */
import type { ChecksumAlgorithm } from "./checksums.ts";

/** An S3 principal: canonical ID, optional DisplayName (S3 is phasing DisplayName out). */
export interface OwnerData {
  id: string;
  displayName?: string;
}

/** `COMPOSITE` (checksum of part checksums, "-N") or `FULL_OBJECT` (whole-object CRC). */
export type ChecksumType = "COMPOSITE" | "FULL_OBJECT";

/** Base64 checksum values by algorithm, rendered as `Checksum<ALG>` elements. */
export interface ChecksumFields {
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

/** Input to `renderError`. `extra` elements go between Message and Resource. */
export interface ErrorData {
  code: string;
  message: string;
  resource?: string;
  requestId: string;
  hostId?: string;
  extra?: Record<string, string>;
}

export interface BucketEntry {
  name: string;
  creationDate: Date;
  /** Sent by S3 since the 2024 ListBuckets pagination update; omitted when unset. */
  bucketRegion?: string;
}

/** ListBuckets (`ListAllMyBucketsResult`). */
export interface ListAllMyBucketsData {
  owner: OwnerData;
  buckets: BucketEntry[];
  continuationToken?: string;
  prefix?: string;
}

/** One `<Contents>` of a listing. */
export interface ListedObject {
  key: string;
  lastModified: Date;
  etag: string;
  size: number;
  storageClass?: string;
  /** S3 writes one `ChecksumAlgorithm` element per algorithm the object carries. */
  checksumAlgorithm?: ChecksumAlgorithm[];
  checksumType?: ChecksumType;
}

interface ListBucketCommon {
  name: string;
  prefix: string;
  maxKeys: number;
  /** Omitted from the body when empty or unset. */
  delimiter?: string;
  encodingType?: "url";
  isTruncated: boolean;
  contents: ListedObject[];
  commonPrefixes: string[];
  /** Written into every `<Contents>` when set (V1 always; V2 only with fetch-owner=true). */
  owner?: OwnerData;
}

/** ListObjects (V1). `marker` is always echoed, empty when none was sent, as S3 does. */
export interface ListObjectsV1Data extends ListBucketCommon {
  marker: string;
  /** S3 sends it only with a delimiter and a truncated page. */
  nextMarker?: string;
}

/** ListObjectsV2. Optional strings are rendered when defined, including the empty string. */
export interface ListObjectsV2Data extends ListBucketCommon {
  keyCount: number;
  startAfter?: string;
  continuationToken?: string;
  nextContinuationToken?: string;
}

export interface UploadEntry {
  key: string;
  uploadId: string;
  initiator: OwnerData;
  owner: OwnerData;
  storageClass?: string;
  initiated: Date;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
}

/** ListMultipartUploads. */
export interface ListMultipartUploadsData {
  bucket: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
  /** Omitted when empty or unset, like `prefix`. */
  delimiter?: string;
  prefix?: string;
  maxUploads: number;
  encodingType?: "url";
  isTruncated: boolean;
  uploads: UploadEntry[];
  commonPrefixes: string[];
}

export interface PartEntry extends ChecksumFields {
  partNumber: number;
  lastModified: Date;
  etag: string;
  size: number;
}

/** ListParts. */
export interface ListPartsData {
  bucket: string;
  key: string;
  uploadId: string;
  initiator: OwnerData;
  owner: OwnerData;
  storageClass?: string;
  partNumberMarker: number;
  nextPartNumberMarker: number;
  maxParts: number;
  isTruncated: boolean;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  parts: PartEntry[];
}

/** CopyObject and UploadPartCopy. */
export interface CopyResultData extends ChecksumFields {
  lastModified: Date;
  etag: string;
  checksumType?: ChecksumType;
}

export interface InitiateMultipartUploadData {
  bucket: string;
  key: string;
  uploadId: string;
}

export interface CompleteMultipartUploadData extends ChecksumFields {
  location: string;
  bucket: string;
  key: string;
  etag: string;
  checksumType?: ChecksumType;
}

export interface DeleteResultData {
  deleted: { key: string; versionId?: string }[];
  errors: { key: string; versionId?: string; code: string; message: string }[];
}

export interface AccessControlPolicyData {
  owner: OwnerData;
}
