/**
 * The OpenAPI 3.1 description of the management API, served at /api/v1/openapi.json.
 * tests/admin/openapi_test.ts checks it against the routes the app registers and against
 * real responses, so it cannot drift from the code unnoticed.
 */
import { ACTIVITY_CAPACITY } from "../activity.ts";
import { MAX_PARTS } from "../storage/limits.ts";
import { errors, json, ok, param, ref, schemas } from "./openapi_schemas.ts";
import { DEFAULT_LIMIT, MAX_LIMIT } from "./pagination.ts";
import { DEFAULT_ACTIVITY_LIMIT } from "./routes/activity.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const errorResponse = (description: string) => ({ description, ...json(ref("Error")) });

const tags = {
  health: ["Health"],
  console: ["Console"],
  session: ["Console - Session"],
  stats: ["Management - Stats"],
  activity: ["Management - Activity"],
  credentials: ["Management - Credentials"],
  buckets: ["Management - Buckets"],
  objects: ["Management - Objects"],
  uploads: ["Management - Multipart uploads"],
  presigned: ["Management - Presigned URLs"],
  adminKey: ["Management - Admin key"],
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

const paths: Record<string, Record<string, Json>> = {
  "/": {
    get: {
      tags: tags.console,
      operationId: "consolePage",
      summary: "The web console",
      description: "An HTML page; its scripts sign in with the API key (POST /api/v1/session).",
      security: [],
      responses: { "200": { description: "The page", content: { "text/html": {} } } },
    },
  },
  "/assets/{name}": {
    get: {
      tags: tags.console,
      operationId: "consoleAsset",
      summary: "A script, style sheet or icon of the console",
      security: [],
      parameters: [{
        name: "name",
        in: "path",
        required: true,
        description: "File name, e.g. `app.js`",
        schema: { type: "string" },
      }],
      responses: {
        "200": {
          description: "The file",
          content: { "text/javascript": {}, "text/css": {}, "image/svg+xml": {} },
        },
        "404": errorResponse("No such file"),
      },
    },
  },
  "/api/v1/session": {
    post: {
      tags: tags.session,
      operationId: "createSession",
      summary: "Sign in (console)",
      description: "Trades the API key, sent in the body (never in a URL), for an HttpOnly, " +
        "SameSite=Strict session cookie (`vstash_session`, 12 hours, kept in server memory) " +
        "and a CSRF token. Requests authenticated by the cookie must send the token as " +
        "`X-CSRF-Token` unless they are GET or HEAD.",
      security: [{}],
      requestBody: { required: true, ...json(ref("CreateSessionRequest")) },
      responses: { "201": ok("Signed in", "Session"), ...errors(400, 401, 413) },
    },
    get: {
      tags: tags.session,
      operationId: "getSession",
      summary: "Current session (console)",
      description: "For a page reloaded with a live session cookie: its CSRF token again.",
      security: [{ SessionCookie: [] }],
      responses: { "200": ok("Signed in", "Session"), ...errors(401) },
    },
    delete: {
      tags: tags.session,
      operationId: "deleteSession",
      summary: "Sign out (console)",
      description: "Ends the session at once and clears the cookie.",
      security: [{ SessionCookie: [] }],
      responses: { "200": ok("Signed out", "Message"), ...errors(401) },
    },
  },
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
  "/metrics": {
    get: {
      tags: tags.health,
      operationId: "metrics",
      summary: "Prometheus metrics",
      description: "Prometheus text format (0.0.4): S3 requests by operation and status, " +
        "request latency histogram, bytes received and sent, and objects, bytes, buckets, " +
        "credentials and multipart uploads stored. Needs the admin key (Bearer works with " +
        "Prometheus' `authorization` setting).",
      responses: {
        "200": {
          description: "Metrics",
          content: { "text/plain": { schema: { type: "string" } } },
        },
        ...errors(401),
      },
    },
  },
  "/api/v1/admin-key/rotate": {
    post: {
      tags: tags.adminKey,
      operationId: "rotateAdminKey",
      summary: "Rotate the admin key",
      description: "Replaces the management API key with a new random one, returned once, here. " +
        "The old key is refused from the next request on. " +
        "When the server's environment sets VSTASH_ADMIN_KEY, that key replaces this one at " +
        "the next start: change the variable instead.",
      responses: { "200": ok("The new key", "AdminKeyRotated"), ...errors(401) },
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
  "/api/v1/activity": {
    get: {
      tags: tags.activity,
      operationId: "listActivity",
      summary: "Recent S3 requests",
      description: `The S3 listener's last ${ACTIVITY_CAPACITY} requests (health probes ` +
        "excepted), newest first, as the access log shows them: no secrets, query strings or " +
        "signatures. Kept in memory only, so the list starts empty at every start.",
      parameters: [param("ActivityLimit")],
      responses: { "200": ok("Newest first", "ActivityList"), ...errors(400, 401) },
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
      description: "Counters and one page of objects (`prefix`, `delimiter`, `limit`, `cursor` " +
        "apply to them).",
      parameters: [
        param("Bucket"),
        param("Prefix"),
        param("Delimiter"),
        param("Limit"),
        param("Cursor"),
      ],
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
      description: "With `delimiter` (the console uses `/`), keys that continue past it after " +
        "the prefix roll up into `prefixes`, as S3's CommonPrefixes: the folders.",
      parameters: [
        param("Bucket"),
        param("Prefix"),
        param("Delimiter"),
        param("Limit"),
        param("Cursor"),
      ],
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
      description: "Metadata, checksum, and for a multipart object its parts.",
      parameters: [param("Bucket"), param("Key")],
      responses: { "200": ok("The object", "ObjectDetails"), ...errors(400, 401, 404) },
    },
    put: {
      tags: tags.objects,
      operationId: "putObject",
      summary: "Upload object",
      description: "The raw request body becomes the object (up to 5 GiB; larger objects need " +
        "a multipart upload). It is streamed to disk, never held in memory. `Content-Type` is " +
        "stored with the object; a CRC32 checksum is computed and stored. An existing object " +
        "is replaced.",
      parameters: [param("Bucket"), param("Key")],
      requestBody: {
        required: true,
        content: { "*/*": { schema: { type: "string", format: "binary" } } },
      },
      responses: {
        "200": ok("Stored", "ObjectDetails"),
        ...errors(400, 401, 404, 408, 413),
      },
    },
    delete: {
      tags: tags.objects,
      operationId: "deleteObject",
      summary: "Delete object",
      parameters: [param("Bucket"), param("Key")],
      responses: { "200": ok("Deleted", "Message"), ...errors(400, 401, 404) },
    },
  },
  "/api/v1/buckets/{bucket}/download/{key}": {
    get: {
      tags: tags.objects,
      operationId: "downloadObject",
      summary: "Download object",
      description: "The object's bytes as an attachment (`Content-Disposition`), streamed. " +
        "Served with `nosniff` and a sandboxing Content-Security-Policy so that no stored " +
        "file ever renders in the console's origin.",
      parameters: [param("Bucket"), param("Key")],
      responses: {
        "200": {
          description: "The object's bytes, with its stored Content-Type",
          content: { "*/*": { schema: { type: "string", format: "binary" } } },
        },
        ...errors(400, 401, 404),
      },
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
    post: {
      tags: tags.uploads,
      operationId: "createUpload",
      summary: "Start a multipart upload",
      description: "For objects over 5 GiB, or to send a large file as parallel parts. Parts " +
        "get CRC32 checksums and the object a FULL_OBJECT CRC32. Then upload parts, and " +
        "complete or abort the upload; those calls name the key as the `key` query parameter.",
      parameters: [param("Bucket")],
      requestBody: { required: true, ...json(ref("CreateUploadRequest")) },
      responses: {
        "201": ok("Started", "UploadCreated"),
        ...errors(400, 401, 404, 413),
      },
    },
  },
  "/api/v1/buckets/{bucket}/uploads/{upload_id}": {
    delete: {
      tags: tags.uploads,
      operationId: "abortUpload",
      summary: "Abort a multipart upload",
      description: "The upload disappears at once; its parts are deleted.",
      parameters: [param("Bucket"), param("UploadId"), param("UploadKey")],
      responses: { "200": ok("Aborted", "Message"), ...errors(400, 401, 404) },
    },
  },
  "/api/v1/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}": {
    put: {
      tags: tags.uploads,
      operationId: "uploadPart",
      summary: "Upload a part",
      description: "The raw request body is the part (up to 5 GiB), streamed to disk. Every " +
        "part but the last must be at least 5 MiB when the upload completes. Uploading a part " +
        "number again replaces the part.",
      parameters: [param("Bucket"), param("UploadId"), {
        name: "part_number",
        in: "path",
        required: true,
        description: "Part number",
        schema: { type: "integer", minimum: 1, maximum: MAX_PARTS },
      }, param("UploadKey")],
      requestBody: {
        required: true,
        content: { "*/*": { schema: { type: "string", format: "binary" } } },
      },
      responses: { "200": ok("Stored", "UploadedPart"), ...errors(400, 401, 404, 408, 413) },
    },
  },
  "/api/v1/buckets/{bucket}/uploads/{upload_id}/complete": {
    post: {
      tags: tags.uploads,
      operationId: "completeUpload",
      summary: "Complete a multipart upload",
      description: "Makes the listed parts the object, in one metadata commit (no data is " +
        "copied). S3's rules apply: ascending part numbers, each with the ETag its upload " +
        "answered, every part but the last at least 5 MiB.",
      parameters: [param("Bucket"), param("UploadId"), param("UploadKey")],
      requestBody: { required: true, ...json(ref("CompleteUploadRequest")) },
      responses: { "200": ok("The object", "ObjectDetails"), ...errors(400, 401, 404, 413) },
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

/**
 * Every operation that may change something and accepts the session cookie answers 403 to
 * a cookie without its CSRF token; sign-in itself has no session yet.
 */
for (const item of Object.values(paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (method === "get" || op.operationId === "createSession" || !("401" in op.responses)) {
      continue;
    }
    op.responses = { ...op.responses, ...errors(403) };
  }
}

/** The document, as served. */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "vStash management API",
    version: "1.0.0",
    description: "Credentials, buckets, objects, multipart uploads, presigned URLs and " +
      "statistics of a vStash server, and the web console's sign-in. Authenticate with the " +
      "API key (`X-API-Key` or Bearer) or, from the console, the session cookie plus " +
      '`X-CSRF-Token`. JSON; errors are `{"error": "..."}`. Long lists ' +
      `take \`limit\` (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}) and \`cursor\`, and return ` +
      "`next_cursor`.",
  },
  servers: [{ url: "/" }],
  security: [{ ApiKey: [] }, { Bearer: [] }, { SessionCookie: [] }],
  tags: Object.values(tags).map(([name]) => ({ name })),
  paths,
  components: {
    securitySchemes: {
      ApiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      Bearer: { type: "http", scheme: "bearer" },
      SessionCookie: {
        type: "apiKey",
        in: "cookie",
        name: "vstash_session",
        description: "The console's session (POST /api/v1/session). Requests other than GET " +
          "and HEAD must also send its CSRF token as `X-CSRF-Token`.",
      },
    },
    parameters: {
      Limit: {
        name: "limit",
        in: "query",
        description: "Page size",
        schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
      },
      ActivityLimit: {
        name: "limit",
        in: "query",
        description: "How many requests to list",
        schema: {
          type: "integer",
          minimum: 1,
          maximum: ACTIVITY_CAPACITY,
          default: DEFAULT_ACTIVITY_LIMIT,
        },
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
      Delimiter: {
        name: "delimiter",
        in: "query",
        description: "Roll keys up into `prefixes` at the first delimiter after the prefix",
        schema: { type: "string", minLength: 1, maxLength: 64, examples: ["/"] },
      },
      UploadId: {
        name: "upload_id",
        in: "path",
        required: true,
        description: "Upload id",
        schema: { type: "string", maxLength: 128 },
      },
      UploadKey: {
        name: "key",
        in: "query",
        required: true,
        description: "The object key of the upload (uploads are stored by bucket, key and id)",
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
      E401: errorResponse("Missing or wrong API key, or no live console session"),
      E403: errorResponse("Console session request without its X-CSRF-Token"),
      E404: errorResponse("No such credential, bucket, object or presigned URL"),
      E408: errorResponse("The upload sent nothing for the body timeout (--body-timeout)"),
      E409: errorResponse("Conflict with the current state (exists, not empty, owns buckets)"),
      E413: errorResponse("Body too large: JSON over 2 MiB, an upload or part over 5 GiB"),
    },
    schemas,
  },
};
