/**
 * Listing response bodies: ListBuckets, ListObjects V1/V2, ListMultipartUploads, ListParts.
 *
 * Element order is Amazon S3's wire order, which differs from the alphabetical "Response
 * Syntax" blocks of the API reference. Sources: S3's own response examples, a measured
 * capture of real S3 (brekkylab/backlot routers/s3.py `_list_objects`, versitygw issue
 * #1985), and MinIO's cmd/api-response.go where S3 examples are silent.
 */
import {
  checksumElements,
  el,
  escapeXml,
  optEl,
  ownerChildren,
  urlEncodeForListing,
  type XmlChildren,
  xmlDoc,
  xmlTimestamp,
} from "./xml.ts";
import type {
  ListAllMyBucketsData,
  ListedObject,
  ListMultipartUploadsData,
  ListObjectsV1Data,
  ListObjectsV2Data,
  ListPartsData,
} from "./xml_types.ts";

type Encode = (s: string) => string;
const identity: Encode = (s) => s;

function encoderFor(encodingType: "url" | undefined): Encode {
  return encodingType === "url" ? urlEncodeForListing : identity;
}

/** ListBuckets: Owner, Buckets/Bucket(Name, CreationDate, BucketRegion?), then paging echoes. */
export function renderListAllMyBucketsResult(r: ListAllMyBucketsData): string {
  return xmlDoc("ListAllMyBucketsResult", [
    el("Owner", ownerChildren(r.owner)),
    el(
      "Buckets",
      r.buckets.map((b) =>
        el("Bucket", [
          el("Name", b.name),
          el("CreationDate", xmlTimestamp(b.creationDate)),
          optEl("BucketRegion", b.bucketRegion),
        ])
      ),
    ),
    optEl("ContinuationToken", r.continuationToken),
    optEl("Prefix", r.prefix),
  ]);
}

// Measured order inside <Contents>: Key, LastModified, ETag, ChecksumAlgorithm*,
// ChecksumType, Size, Owner, StorageClass (versitygw #1985 capture of real S3). Written as
// one template, not through el(): a page has 1000 of these and rendering showed in profiles.
function contentsElement(o: ListedObject, enc: Encode, ownerXml: string): string {
  let checksums = "";
  for (const a of o.checksumAlgorithm ?? []) {
    checksums += `<ChecksumAlgorithm>${escapeXml(a)}</ChecksumAlgorithm>`;
  }
  if (o.checksumType) checksums += `<ChecksumType>${escapeXml(o.checksumType)}</ChecksumType>`;
  return `<Contents><Key>${escapeXml(enc(o.key))}</Key><LastModified>${
    xmlTimestamp(o.lastModified)
  }</LastModified><ETag>${
    etagXml(o.etag)
  }</ETag>${checksums}<Size>${o.size}</Size>${ownerXml}<StorageClass>${
    o.storageClass === undefined ? "STANDARD" : escapeXml(o.storageClass)
  }</StorageClass></Contents>`;
}

/** The ETags vStash makes: an MD5 in hex, for multipart uploads with `-<parts>`, quoted. */
const PLAIN_ETAG = /^"[0-9a-f]*(?:-\d+)?"$/;

/** `escapeXml(etag)`, quicker for the ETags vStash makes (a page escapes 1000 of them). */
function etagXml(etag: string): string {
  return PLAIN_ETAG.test(etag) ? `&quot;${etag.slice(1, -1)}&quot;` : escapeXml(etag);
}

// Every Contents first, then every CommonPrefixes: S3's document order, not key order.
function listingTail(
  r: ListObjectsV1Data | ListObjectsV2Data,
  enc: Encode,
): XmlChildren {
  const ownerXml = r.owner ? el("Owner", ownerChildren(r.owner)) : "";
  return [
    ...r.contents.map((o) => contentsElement(o, enc, ownerXml)),
    ...r.commonPrefixes.map((p) => el("CommonPrefixes", [el("Prefix", enc(p))])),
  ];
}

/**
 * ListObjects (V1): Name, Prefix, Marker, NextMarker?, MaxKeys, Delimiter?, EncodingType?,
 * IsTruncated, Contents*, CommonPrefixes*.
 */
export function renderListObjectsV1Result(r: ListObjectsV1Data): string {
  const enc = encoderFor(r.encodingType);
  return xmlDoc("ListBucketResult", [
    el("Name", r.name),
    el("Prefix", enc(r.prefix)),
    el("Marker", enc(r.marker)),
    r.nextMarker !== undefined ? el("NextMarker", enc(r.nextMarker)) : null,
    el("MaxKeys", r.maxKeys),
    r.delimiter ? el("Delimiter", enc(r.delimiter)) : null,
    optEl("EncodingType", r.encodingType),
    el("IsTruncated", r.isTruncated),
    ...listingTail(r, enc),
  ]);
}

/**
 * ListObjectsV2: Name, Prefix, StartAfter?, ContinuationToken?, NextContinuationToken?,
 * KeyCount, MaxKeys, Delimiter?, EncodingType?, IsTruncated, Contents*, CommonPrefixes*.
 * Continuation tokens are opaque and never URL-encoded.
 */
export function renderListObjectsV2Result(r: ListObjectsV2Data): string {
  const enc = encoderFor(r.encodingType);
  return xmlDoc("ListBucketResult", [
    el("Name", r.name),
    el("Prefix", enc(r.prefix)),
    r.startAfter !== undefined ? el("StartAfter", enc(r.startAfter)) : null,
    optEl("ContinuationToken", r.continuationToken),
    optEl("NextContinuationToken", r.nextContinuationToken),
    el("KeyCount", r.keyCount),
    el("MaxKeys", r.maxKeys),
    r.delimiter ? el("Delimiter", enc(r.delimiter)) : null,
    optEl("EncodingType", r.encodingType),
    el("IsTruncated", r.isTruncated),
    ...listingTail(r, enc),
  ]);
}

/**
 * ListMultipartUploads: Bucket, KeyMarker, UploadIdMarker, NextKeyMarker, NextUploadIdMarker,
 * Delimiter?, Prefix?, MaxUploads, EncodingType?, IsTruncated, Upload*, CommonPrefixes*.
 * The four markers are always present (empty when unset), as measured on S3.
 */
export function renderListMultipartUploadsResult(r: ListMultipartUploadsData): string {
  const enc = encoderFor(r.encodingType);
  return xmlDoc("ListMultipartUploadsResult", [
    el("Bucket", r.bucket),
    el("KeyMarker", enc(r.keyMarker)),
    el("UploadIdMarker", r.uploadIdMarker),
    el("NextKeyMarker", enc(r.nextKeyMarker)),
    el("NextUploadIdMarker", r.nextUploadIdMarker),
    r.delimiter ? el("Delimiter", enc(r.delimiter)) : null,
    r.prefix ? el("Prefix", enc(r.prefix)) : null,
    el("MaxUploads", r.maxUploads),
    optEl("EncodingType", r.encodingType),
    el("IsTruncated", r.isTruncated),
    ...r.uploads.map((u) =>
      el("Upload", [
        el("Key", enc(u.key)),
        el("UploadId", u.uploadId),
        el("Initiator", ownerChildren(u.initiator)),
        el("Owner", ownerChildren(u.owner)),
        el("StorageClass", u.storageClass ?? "STANDARD"),
        el("Initiated", xmlTimestamp(u.initiated)),
        optEl("ChecksumAlgorithm", u.checksumAlgorithm),
        optEl("ChecksumType", u.checksumType),
      ])
    ),
    ...r.commonPrefixes.map((p) => el("CommonPrefixes", [el("Prefix", enc(p))])),
  ]);
}

/**
 * ListParts: Bucket, Key, UploadId, Initiator, Owner, StorageClass, PartNumberMarker,
 * NextPartNumberMarker, MaxParts, IsTruncated, ChecksumAlgorithm?, ChecksumType?, Part*
 * (PartNumber, LastModified, ETag, Size, Checksum*).
 */
export function renderListPartsResult(r: ListPartsData): string {
  return xmlDoc("ListPartsResult", [
    el("Bucket", r.bucket),
    el("Key", r.key),
    el("UploadId", r.uploadId),
    el("Initiator", ownerChildren(r.initiator)),
    el("Owner", ownerChildren(r.owner)),
    el("StorageClass", r.storageClass ?? "STANDARD"),
    el("PartNumberMarker", r.partNumberMarker),
    el("NextPartNumberMarker", r.nextPartNumberMarker),
    el("MaxParts", r.maxParts),
    el("IsTruncated", r.isTruncated),
    optEl("ChecksumAlgorithm", r.checksumAlgorithm),
    optEl("ChecksumType", r.checksumType),
    ...r.parts.map((p) =>
      el("Part", [
        el("PartNumber", p.partNumber),
        el("LastModified", xmlTimestamp(p.lastModified)),
        el("ETag", p.etag),
        el("Size", p.size),
        ...checksumElements(p.checksums),
      ])
    ),
  ]);
}
