import { BlobTooLarge, BodyIdleTimeout, BodyReadError } from "../storage/blob_ingest.ts";
import { isDiskFull, StorageError } from "../storage/errors.ts";

/**
 * A management API failure with its HTTP status. `field` names the body field, query or
 * path parameter at fault, so a client (and the console) can point at it.
 */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 415 | 429 | 500 | 503 | 507,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The JSON error body: `{"error": "<message>"}`, plus `field` when one is at fault. */
export interface ErrorBody {
  error: string;
  field?: string;
}

/**
 * Every failure becomes an ApiError here and nowhere else. Storage errors map by kind; routes
 * that can say more (which bucket, which credential) catch them first and throw ApiErrors.
 * Anything else is a bug and answers 500 without details.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BlobTooLarge) {
    return new ApiError(413, `the body is larger than ${err.maxBytes} bytes (S3's limit)`);
  }
  if (err instanceof BodyIdleTimeout) {
    return new ApiError(
      408,
      `the upload stalled: nothing arrived for ${err.idleTimeoutMs / 1000} s`,
    );
  }
  if (err instanceof BodyReadError) {
    return new ApiError(400, "the upload was interrupted before the whole body arrived");
  }
  if (err instanceof StorageError) {
    switch (err.kind) {
      case "BucketNotFound":
        return new ApiError(404, `bucket ${err.message} not found`, "bucket");
      case "BucketExists":
        return new ApiError(409, "a bucket with this name already exists", "name");
      case "BucketNotEmpty":
        return new ApiError(409, `bucket ${err.message} is not empty`, "bucket");
      case "CredentialNotFound":
        return new ApiError(404, "credential not found", "id");
      case "CredentialExists":
        return new ApiError(409, err.message, "access_key");
      case "UploadNotFound":
        return new ApiError(404, `multipart upload ${err.message} not found`);
      case "Contention":
        return new ApiError(503, err.message);
    }
  }
  if (isDiskFull(err)) {
    return new ApiError(507, "the data directory's disk is full; free space and try again");
  }
  return new ApiError(500, "internal error");
}

/** The response body of an error. */
export function errorBody(err: ApiError): ErrorBody {
  return err.field === undefined
    ? { error: err.message }
    : { error: err.message, field: err.field };
}
