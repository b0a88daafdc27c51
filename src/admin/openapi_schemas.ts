/**
 * The schemas of the management API's OpenAPI document (see openapi.ts), and the small
 * builders both files use. Field names follow the rendered API document's samples.
 */
import { MAX_PRESIGN_EXPIRES } from "../auth/sigv4.ts";

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Schema) => ({ content: { "application/json": { schema } } });
export const ok = (description: string, schema: string) => ({ description, ...json(ref(schema)) });
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
export const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** An object schema whose listed properties are all required (unless named in `optional`). */
function object(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: "object",
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}

const str = (description?: string, extra: Schema = {}): Schema => ({
  type: "string",
  ...(description ? { description } : {}),
  ...extra,
});
const int = (description?: string, extra: Schema = {}): Schema => ({
  type: "integer",
  ...(description ? { description } : {}),
  ...extra,
});
const time = (description: string): Schema => str(description, { format: "date-time" });
const cursor: Schema = {
  type: ["string", "null"],
  description: "Pass as `cursor` to get the next page; null on the last page.",
};

const prefixes: Schema = {
  type: "array",
  items: str(),
  description: "With `delimiter` only: the common prefixes (folders), each ending in it",
};

const credential = {
  id: int("Numeric id, assigned in creation order", { minimum: 1, examples: [1] }),
  access_key: str("Access key id for SigV4", { examples: ["AKIAIOSFODNN7EXAMPLE"] }),
  user_name: str("Display name; empty when none was given", { examples: ["john-doe"] }),
  is_active: { type: "boolean", description: "Inactive credentials are refused by the S3 API" },
  created_at: time("Creation time"),
};
const bucket = {
  name: str("Bucket name", { examples: ["my-bucket"] }),
  region: str("Region", { examples: ["us-east-1"] }),
  owner: {
    type: ["string", "null"],
    description: "The owner's user name (its access key when it has none)",
    examples: ["john-doe"],
  },
  owner_id: int("Id of the owning credential"),
  created_at: time("Creation time"),
  object_count: int("Objects in the bucket (kept up to date by every write)"),
  total_size: int("Bytes stored in the bucket"),
  total_size_human: str("total_size for people", { examples: ["1.0 GB"] }),
};
const objectSummary = {
  key: str("Object key", { examples: ["photos/vacation.jpg"] }),
  size: int("Size in bytes"),
  size_human: str("size for people", { examples: ["1.0 MB"] }),
  content_type: str("Content-Type stored with the object"),
  etag: str("ETag, without the quotes S3 puts around it"),
  is_multipart: { type: "boolean", description: "Completed from a multipart upload" },
  part_count: int("Parts of a multipart object; 0 otherwise"),
  created_at: time("When the key was first written"),
  updated_at: time("Last modification"),
};
const presign = {
  id: str("Record id; revoke with DELETE /api/v1/presigned-urls/{id}"),
  url: str("The full URL, usable as is (curl, a browser)"),
  bucket_name: str("Bucket"),
  object_key: str("Object key"),
  method: str("HTTP method the URL is signed for", { enum: ["GET", "PUT", "DELETE", "HEAD"] }),
  access_key: str("Credential that signed the URL"),
  expires_in: int("Lifetime in seconds"),
  created_at: time("Creation time"),
  expires_at: time("Expiry time"),
};

export const schemas: Record<string, Schema> = {
  Error: object({
    error: str("What went wrong"),
    field: str("The request field, query or path parameter at fault"),
  }, ["field"]),
  Message: object({ message: str(undefined, { examples: ["Operation completed successfully"] }) }),
  Health: object({ status: str() }),
  AdminKeyRotated: object({
    message: str(),
    admin_key: str("The new management API key: shown here once and never again"),
  }),
  Stats: object({
    credentials: int("Credentials"),
    buckets: int("Buckets"),
    objects: int("Objects in all buckets"),
    total_storage: int("Bytes in all buckets"),
    total_storage_human: str("total_storage for people", { examples: ["1.0 GB"] }),
    active_multipart_uploads: int("Multipart uploads in progress"),
    active_presigned_urls: int("Presigned URLs neither expired nor revoked"),
  }),
  ActivityEntry: object({
    time: time("When the response was handed over (with milliseconds)"),
    operation: {
      type: ["string", "null"],
      description: "S3 operation; null when the request could not be parsed",
      examples: ["PutObject"],
    },
    method: str("HTTP method", { examples: ["PUT"] }),
    bucket: { type: ["string", "null"], description: "Bucket; null for ListBuckets" },
    key: { type: ["string", "null"], description: "Object key; null for bucket operations" },
    status: int("HTTP status of the answer", { examples: [200] }),
    bytes_in: int("Request body bytes received (decoded)"),
    bytes_out: int("Response body bytes by its Content-Length; 0 for HEAD and answers without one"),
    ms: { type: "number", description: "Milliseconds until the response was handed over" },
    access_key: {
      type: ["string", "null"],
      description: "The verified access key; null when the request was not authenticated",
    },
    request_id: str("The answer's x-amz-request-id, as in the access log"),
  }),
  ActivityList: object({
    activity: { type: "array", items: ref("ActivityEntry"), description: "Newest first" },
  }),
  Credential: object(credential),
  CredentialListItem: object({ ...credential, bucket_count: int("Buckets owned") }),
  CredentialList: object({
    credentials: { type: "array", items: ref("CredentialListItem") },
    next_cursor: cursor,
  }),
  CredentialCreated: object({
    ...credential,
    secret_key: str("Secret key: shown here once and never again"),
  }),
  CredentialDetails: object({
    ...credential,
    bucket_count: int("Buckets owned"),
    buckets: { type: "array", items: str(), description: "Names of the buckets owned" },
  }),
  CredentialUpdated: object({ message: str(), credential: ref("Credential") }),
  CreateCredentialRequest: {
    type: "object",
    additionalProperties: false,
    properties: {
      user_name: str("Optional user name", { maxLength: 128 }),
      access_key: str("Optional custom access key (generated when absent)", {
        minLength: 3,
        maxLength: 128,
        pattern: "^[A-Za-z0-9_.-]+$",
      }),
      secret_key: str("Optional custom secret key (generated when absent)", {
        minLength: 8,
        maxLength: 128,
        pattern: "^[\\x21-\\x7e]+$",
      }),
    },
  },
  UpdateCredentialRequest: {
    type: "object",
    additionalProperties: false,
    minProperties: 1,
    properties: {
      user_name: str(undefined, { maxLength: 128 }),
      is_active: {
        type: "boolean",
        description: "false refuses the credential's S3 requests at once",
      },
    },
  },
  Bucket: object(bucket),
  BucketList: object({ buckets: { type: "array", items: ref("Bucket") }, next_cursor: cursor }),
  BucketDetails: object({
    ...bucket,
    objects: { type: "array", items: ref("ObjectSummary") },
    prefixes,
    next_cursor: cursor,
  }, ["prefixes"]),
  CreateBucketRequest: {
    type: "object",
    additionalProperties: false,
    required: ["name", "owner_id"],
    properties: {
      name: str("Bucket name (S3 rules)", {
        minLength: 3,
        maxLength: 63,
        pattern: "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
      }),
      owner_id: int("Id of an existing credential", { minimum: 1 }),
      region: str("Must be the server's region (its default)", { default: "us-east-1" }),
    },
  },
  BucketDeleted: object({
    message: str(),
    deleted_objects: int("Objects deleted with the bucket (force only)"),
    aborted_uploads: int("Incomplete multipart uploads aborted with the bucket"),
  }),
  ObjectSummary: object(objectSummary),
  ObjectList: object({
    objects: { type: "array", items: ref("ObjectSummary") },
    prefixes,
    next_cursor: cursor,
  }, ["prefixes"]),
  ObjectDetails: object({
    ...objectSummary,
    metadata: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "User metadata (x-amz-meta-*), by lowercase name without the prefix",
    },
    checksum: {
      type: ["object", "null"],
      description: "The stored x-amz-checksum-*, or null when the object has none",
      required: ["algorithm", "value", "type"],
      properties: {
        algorithm: str(undefined, { enum: ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] }),
        value: str("Base64 digest; a COMPOSITE one ends in -<part count>"),
        type: str(undefined, { enum: ["FULL_OBJECT", "COMPOSITE"] }),
      },
    },
    parts: {
      type: "array",
      items: ref("Part"),
      description: "The parts of a multipart object, in order; empty otherwise",
    },
    storage_path: {
      type: ["string", "null"],
      description: "Blob file relative to the data directory; for a multipart object its " +
        "first part's file; null for an empty object (no file)",
      examples: ["blobs/ab/cd/abcd0123456789abcdef0123456789ab"],
    },
  }),
  DeleteObjectsRequest: {
    type: "object",
    additionalProperties: false,
    required: ["keys"],
    properties: {
      keys: { type: "array", minItems: 1, maxItems: 1000, items: str(undefined, { minLength: 1 }) },
    },
  },
  DeleteObjectsResult: object({
    deleted: { type: "array", items: str(), description: "Keys deleted" },
    errors: {
      type: "array",
      description: "Keys not deleted, with the reason (no such object, invalid key)",
      items: object({ key: str(), error: str() }),
    },
  }),
  Part: object({
    part_number: int("Part number", { minimum: 1 }),
    size: int("Bytes"),
    etag: str("The part's ETag (MD5 of its bytes), without quotes"),
    last_modified: time("When the part was uploaded"),
  }),
  CreateUploadRequest: {
    type: "object",
    additionalProperties: false,
    required: ["key"],
    properties: {
      key: str("Object key (1-1024 bytes of UTF-8)"),
      content_type: str("Content-Type stored with the object"),
    },
  },
  UploadCreated: object({
    bucket: str("Bucket"),
    key: str("Object key"),
    upload_id: str("Upload id; name it with the key in the calls that follow"),
    min_part_size: int("Every part but the last must have at least this many bytes"),
  }),
  UploadedPart: object({
    part_number: int("Part number", { minimum: 1 }),
    etag: str("The part's ETag, to list in the completion"),
    size: int("Bytes received"),
  }),
  CompleteUploadRequest: {
    type: "object",
    additionalProperties: false,
    required: ["parts"],
    properties: {
      parts: {
        type: "array",
        minItems: 1,
        maxItems: 10000,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["part_number", "etag"],
          properties: { part_number: int(undefined, { minimum: 1 }), etag: str() },
        },
      },
    },
  },
  CreateSessionRequest: {
    type: "object",
    additionalProperties: false,
    required: ["key"],
    properties: { key: str("The management API key") },
  },
  Session: object({
    csrf_token: str("Send as X-CSRF-Token with every request but GET and HEAD"),
    expires_at: time("When the session ends"),
  }),
  Upload: object({
    key: str("Object key"),
    upload_id: str("Upload id"),
    initiated: time("When the upload was created"),
    part_count: int("Parts received so far"),
    size: int("Bytes received so far"),
    size_human: str("size for people"),
  }),
  UploadList: object({ uploads: { type: "array", items: ref("Upload") }, next_cursor: cursor }),
  PresignRequest: {
    type: "object",
    additionalProperties: false,
    required: ["bucket_name", "object_key", "access_key"],
    properties: {
      bucket_name: str("An existing bucket"),
      object_key: str("Object key (1-1024 bytes; no '.' or '..' segment)"),
      method: str("POST is refused: no single S3 request on a key is a POST", {
        enum: ["GET", "PUT", "DELETE", "HEAD"],
        default: "GET",
      }),
      expires_in: int("Lifetime in seconds (max 7 days)", {
        minimum: 1,
        maximum: MAX_PRESIGN_EXPIRES,
        default: 3600,
      }),
      access_key: str("An active credential that owns the bucket; the URL acts as it"),
    },
  },
  PresignedUrl: object(presign),
  PresignedUrlList: object({
    urls: { type: "array", items: ref("PresignedUrl") },
    next_cursor: cursor,
  }),
};
