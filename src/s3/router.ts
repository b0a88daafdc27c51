import type { Query } from "./query.ts";
import { S3Error } from "./errors.ts";

/** Every S3 operation vStash answers, by its name in the S3 API reference. */
export type OperationName =
  | "ListBuckets"
  | "CreateBucket"
  | "HeadBucket"
  | "DeleteBucket"
  | "GetBucketLocation"
  | "GetBucketVersioning"
  | "GetBucketAcl"
  | "ListObjects"
  | "ListObjectsV2"
  | "ListMultipartUploads"
  | "DeleteObjects"
  | "PostObject"
  | "PutObject"
  | "CopyObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "GetObjectAcl"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts";

export interface S3Operation {
  name: OperationName;
  bucket: string | null;
  key: string | null;
}

/**
 * Bucket and object sub-resources S3 has but vStash does not implement: asking for them is a
 * clear 501 instead of being mistaken for a plain GET or PUT of the bucket or object.
 */
const UNSUPPORTED_SUBRESOURCES = new Set([
  "accelerate",
  "analytics",
  "cors",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "logging",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "tagging",
  "torrent",
  "versionId",
  "versions",
  "website",
  "attributes",
]);

/**
 * Decides the S3 operation of a request. S3 selects operations by method, by whether the
 * path names a bucket and a key, by query words (`?uploads`, `?uploadId=`, `?delete`,
 * `?list-type=2`) and by headers (`x-amz-copy-source`), which a path router cannot express.
 * Pure: no I/O, tested with a table.
 */
export function resolveOperation(
  method: string,
  bucket: string | null,
  key: string | null,
  query: Query,
  headers: Headers,
): S3Operation {
  const has = (word: string) => query.has(word);
  const op = (name: OperationName): S3Operation => ({ name, bucket, key });
  let unsupported: string | undefined;
  for (const word of query.keys()) {
    if (UNSUPPORTED_SUBRESOURCES.has(word)) {
      unsupported = word;
      break;
    }
  }

  if (bucket === null) {
    if (method === "GET") return op("ListBuckets");
    throw notAllowed(method);
  }

  if (key === null) {
    if (has("acl") && method === "GET") return op("GetBucketAcl");
    if (has("versioning") && method === "GET") return op("GetBucketVersioning");
    if (unsupported || has("acl") || has("versioning")) throw notImplemented(unsupported);
    switch (method) {
      case "GET":
        if (has("location")) return op("GetBucketLocation");
        if (has("uploads")) return op("ListMultipartUploads");
        if (query.get("list-type") === "2") return op("ListObjectsV2");
        return op("ListObjects");
      case "HEAD":
        return op("HeadBucket");
      case "PUT":
        return op("CreateBucket");
      case "DELETE":
        return op("DeleteBucket");
      case "POST":
        if (has("delete")) return op("DeleteObjects");
        if ((headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
          return op("PostObject");
        }
        throw notAllowed(method);
    }
    throw notAllowed(method);
  }

  if (has("acl") && method === "GET") return op("GetObjectAcl");
  if (unsupported || has("acl")) throw notImplemented(unsupported);
  const uploadId = query.has("uploadId");
  switch (method) {
    case "GET":
      return op(uploadId ? "ListParts" : "GetObject");
    case "HEAD":
      return op("HeadObject");
    case "PUT":
      if (uploadId || query.has("partNumber")) {
        return op(headers.has("x-amz-copy-source") ? "UploadPartCopy" : "UploadPart");
      }
      return op(headers.has("x-amz-copy-source") ? "CopyObject" : "PutObject");
    case "POST":
      if (has("uploads")) return op("CreateMultipartUpload");
      if (uploadId) return op("CompleteMultipartUpload");
      throw notAllowed(method);
    case "DELETE":
      return op(uploadId ? "AbortMultipartUpload" : "DeleteObject");
  }
  throw notAllowed(method);
}

function notAllowed(method: string): S3Error {
  return new S3Error(
    "MethodNotAllowed",
    undefined,
    { Method: method, ResourceType: "OBJECT" },
  );
}

function notImplemented(word: string | undefined): S3Error {
  return new S3Error(
    "NotImplemented",
    word
      ? `vStash does not implement the ?${word} sub-resource.`
      : "vStash does not implement this operation.",
  );
}
