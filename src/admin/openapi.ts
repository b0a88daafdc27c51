/**
 * The OpenAPI 3.1 description of the management API, served at /api/v1/openapi.json.
 * tests/admin/openapi_test.ts checks it against the routes the app registers and against
 * real responses, so it cannot drift from the code unnoticed.
 */
import { errors, json, ok, param, ref, schemas } from "./openapi_schemas.ts";
import { DEFAULT_LIMIT, MAX_LIMIT } from "./pagination.ts";

const errorResponse = (description: string) => ({ description, ...json(ref("Error")) });

const tags = {
  health: ["Health"],
  stats: ["Management - Stats"],
  credentials: ["Management - Credentials"],
  buckets: ["Management - Buckets"],
  objects: ["Management - Objects"],
  uploads: ["Management - Multipart uploads"],
  presigned: ["Management - Presigned URLs"],
};

const updateCredential = (operationId: string) => ({
  tags: tags.credentials,
  operationId,
  summary: "Update credential",
  description: "Changes `user_name` and/or `is_active`. Deactivation refuses the credential's " +
    "S3 requests from the next request on.",
  parameters: [param("CredentialId")],
  requestBody: { required: true, ...json(ref("UpdateCredentialRequest")) },
  responses: { "200": ok("Updated", "CredentialUpdated"), ...errors(400, 401, 404, 413) },
});

const paths = {
  "/health/live": {
    get: {
      tags: tags.health,
      operationId: "healthLive",
      summary: "Liveness probe",
      security: [],
      responses: { "200": ok("The process is serving", "Health") },
    },
  },
  "/health/ready": {
    get: {
      tags: tags.health,
      operationId: "healthReady",
      summary: "Readiness probe",
      security: [],
      responses: {
        "200": ok("Storage answers", "Health"),
        "503": { description: "Storage does not answer", ...json(ref("Health")) },
      },
    },
  },
  "/api/v1/openapi.json": {
    get: {
      tags: tags.health,
      operationId: "openApiDocument",
      summary: "This document",
      security: [],
      responses: { "200": { description: "OpenAPI 3.1 document", ...json({ type: "object" }) } },
    },
  },
  "/api/v1/stats": {
    get: {
      tags: tags.stats,
      operationId: "getStats",
      summary: "Get system statistics",
      description: "Totals come from counters kept up to date by every object write.",
      responses: { "200": ok("Statistics", "Stats"), ...errors(401) },
    },
  },
  "/api/v1/credentials": {
    get: {
      tags: tags.credentials,
      operationId: "listCredentials",
      summary: "List credentials",
      description: "Secrets are never listed.",
      parameters: [param("Limit"), param("Cursor")],
      responses: {
        "200": ok("One page of credentials, by id", "CredentialList"),
        ...errors(400, 401),
      },
    },
    post: {
      tags: tags.credentials,
      operationId: "createCredential",
      summary: "Create credential",
      description: "Keys not given are generated (AWS-style); no body at all makes a random " +
        "credential without a user name. The secret is returned once, here.",
      requestBody: { required: false, ...json(ref("CreateCredentialRequest")) },
      responses: { "201": ok("Created", "CredentialCreated"), ...errors(400, 401, 409, 413) },
    },
  },
  "/api/v1/credentials/{id}": {
    get: {
      tags: tags.credentials,
      operationId: "getCredential",
      summary: "Get credential details",
      parameters: [param("CredentialId")],
      responses: {
        "200": ok("The credential and its buckets", "CredentialDetails"),
        ...errors(400, 401, 404),
      },
    },
    put: updateCredential("updateCredential"),
    patch: updateCredential("patchCredential"),
    delete: {
      tags: tags.credentials,
      operationId: "deleteCredential",
      summary: "Delete credential",
      description: "Refused (409, naming them) while the credential owns buckets: data is never " +
        "orphaned or deleted as a side effect. Deactivate it to lock it out instead.",
      parameters: [param("CredentialId")],
      responses: { "200": ok("Deleted", "Message"), ...errors(400, 401, 404, 409) },
    },
  },
  "/api/v1/buckets": {
    get: {
      tags: tags.buckets,
      operationId: "listBuckets",
      summary: "List all buckets",
      parameters: [param("Limit"), param("Cursor")],
      responses: { "200": ok("One page of buckets, by name", "BucketList"), ...errors(400, 401) },
    },
    post: {
      tags: tags.buckets,
      operationId: "createBucket",
      summary: "Create bucket",
      requestBody: { required: true, ...json(ref("CreateBucketRequest")) },
      responses: { "201": ok("Created", "BucketDetails"), ...errors(400, 401, 404, 409, 413) },
    },
  },
  "/api/v1/buckets/{bucket}": {
    get: {
      tags: tags.buckets,
      operationId: "getBucket",
      summary: "Get bucket details",
      description: "Counters and one page of objects (`prefix`, `limit`, `cursor` apply to them).",
      parameters: [param("Bucket"), param("Prefix"), param("Limit"), param("Cursor")],
      responses: { "200": ok("The bucket", "BucketDetails"), ...errors(400, 401, 404) },
    },
    delete: {
      tags: tags.buckets,
      operationId: "deleteBucket",
      summary: "Delete bucket",
      description: "Only an empty bucket, unless `force=true`, which deletes its objects too. " +
        "Incomplete multipart uploads are aborted with the bucket.",
      parameters: [param("Bucket"), {
        name: "force",
        in: "query",
        description: "Delete the bucket's objects too",
        schema: { type: "boolean", default: false },
      }],
      responses: { "200": ok("Deleted", "BucketDeleted"), ...errors(400, 401, 404, 409) },
    },
  },
  "/api/v1/buckets/{bucket}/objects": {
    get: {
      tags: tags.objects,
      operationId: "listObjects",
      summary: "List objects in bucket",
      parameters: [param("Bucket"), param("Prefix"), param("Limit"), param("Cursor")],
      responses: {
        "200": ok("One page of objects, in key order", "ObjectList"),
        ...errors(400, 401, 404),
      },
    },
  },
  "/api/v1/buckets/{bucket}/objects/delete": {
    post: {
      tags: tags.objects,
      operationId: "deleteObjects",
      summary: "Delete multiple objects",
      requestBody: { required: true, ...json(ref("DeleteObjectsRequest")) },
      parameters: [param("Bucket")],
      responses: {
        "200": ok("What was deleted, and per-key errors", "DeleteObjectsResult"),
        ...errors(400, 401, 404, 413),
      },
    },
  },
  "/api/v1/buckets/{bucket}/objects/{key}": {
    get: {
      tags: tags.objects,
      operationId: "getObject",
      summary: "Get object details",
      parameters: [param("Bucket"), param("Key")],
      responses: { "200": ok("The object", "ObjectDetails"), ...errors(400, 401, 404) },
    },
    delete: {
      tags: tags.objects,
      operationId: "deleteObject",
      summary: "Delete object",
      parameters: [param("Bucket"), param("Key")],
      responses: { "200": ok("Deleted", "Message"), ...errors(400, 401, 404) },
    },
  },
  "/api/v1/buckets/{bucket}/uploads": {
    get: {
      tags: tags.uploads,
      operationId: "listUploads",
      summary: "List multipart uploads",
      description: "In-progress uploads of the bucket, by key then initiation.",
      parameters: [param("Bucket"), param("Prefix"), param("Limit"), param("Cursor")],
      responses: { "200": ok("One page of uploads", "UploadList"), ...errors(400, 401, 404) },
    },
  },
  "/api/v1/presigned-urls": {
    get: {
      tags: tags.presigned,
      operationId: "listPresignedUrls",
      summary: "List presigned URLs",
      description: "Active ones only: neither expired nor revoked. Oldest first.",
      parameters: [param("Limit"), param("Cursor")],
      responses: {
        "200": ok("One page of presigned URLs", "PresignedUrlList"),
        ...errors(400, 401),
      },
    },
    post: {
      tags: tags.presigned,
      operationId: "createPresignedUrl",
      summary: "Create presigned URL",
      description: "Signs a URL for the S3 API with the owner's secret. The URL carries its " +
        "record id (`x-vstash-presign-id`) under the signature, so revoking it takes effect at once.",
      requestBody: { required: true, ...json(ref("PresignRequest")) },
      responses: { "201": ok("Created", "PresignedUrl"), ...errors(400, 401, 404, 413) },
    },
  },
  "/api/v1/presigned-urls/{id}": {
    delete: {
      tags: tags.presigned,
      operationId: "revokePresignedUrl",
      summary: "Revoke presigned URL",
      description: "The URL is refused by the S3 API from the next request on.",
      parameters: [{
        name: "id",
        in: "path",
        required: true,
        description: "Presigned URL id",
        schema: { type: "string" },
      }],
      responses: { "200": ok("Revoked", "Message"), ...errors(401, 404) },
    },
  },
};

/** The document, as served. */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "vStash management API",
    version: "1.0.0",
    description: "Credentials, buckets, objects, multipart uploads, presigned URLs and " +
      'statistics of a vStash server. JSON; errors are `{"error": "..."}`. Long lists ' +
      `take \`limit\` (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}) and \`cursor\`, and return ` +
      "`next_cursor`.",
  },
  servers: [{ url: "/" }],
  security: [{ ApiKey: [] }, { Bearer: [] }],
  tags: Object.values(tags).map(([name]) => ({ name })),
  paths,
  components: {
    securitySchemes: {
      ApiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      Bearer: { type: "http", scheme: "bearer" },
    },
    parameters: {
      Limit: {
        name: "limit",
        in: "query",
        description: "Page size",
        schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
      },
      Cursor: {
        name: "cursor",
        in: "query",
        description: "`next_cursor` of the previous page",
        schema: { type: "string" },
      },
      Prefix: {
        name: "prefix",
        in: "query",
        description: "Only keys that begin with this",
        schema: { type: "string" },
      },
      Bucket: {
        name: "bucket",
        in: "path",
        required: true,
        description: "Bucket name",
        schema: { type: "string", minLength: 3, maxLength: 63, pattern: "^[a-z0-9.-]+$" },
      },
      Key: {
        name: "key",
        in: "path",
        required: true,
        description: "Object key; may contain `/`. Encode it with encodeURIComponent so that " +
          "'.' and '..' segments survive URL normalization.",
        schema: { type: "string" },
      },
      CredentialId: {
        name: "id",
        in: "path",
        required: true,
        description: "Credential id",
        schema: { type: "integer", minimum: 1 },
      },
    },
    responses: {
      E400: errorResponse("Invalid input; `field` names what to fix"),
      E401: errorResponse("Missing or wrong API key"),
      E404: errorResponse("No such credential, bucket, object or presigned URL"),
      E409: errorResponse("Conflict with the current state (exists, not empty, owns buckets)"),
      E413: errorResponse("Body larger than 2 MiB"),
    },
    schemas,
  },
};
