/**
 * Every S3 error vStash can answer, with the status Amazon S3 uses for it.
 * Operations throw `S3Error`; `renderS3Error` (in xml.ts) turns it into the wire form.
 */
export const S3_ERRORS = {
  AccessDenied: [403, "Access Denied"],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [400, "Error parsing the X-Amz-Credential parameter."],
  BadDigest: [400, "The Content-MD5 or checksum you specified did not match what we received."],
  BucketAlreadyExists: [
    409,
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
  ],
  BucketAlreadyOwnedByYou: [
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
  ],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty"],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed object size."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IncompleteBody: [
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  ],
  /** Not an Amazon code (S3 never fills up); MinIO answers a full disk with 507 too. */
  InsufficientStorage: [
    507,
    "There is not enough free space in the data directory to store this object.",
  ],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [
    403,
    "The AWS Access Key Id you provided does not exist in our records.",
  ],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidLocationConstraint: [400, "The specified location-constraint is not valid."],
  InvalidObjectState: [403, "The operation is not valid for the current state of the object."],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartOrder: [
    400,
    "The list of parts was not in ascending order. Parts must be ordered by part number.",
  ],
  InvalidPartNumber: [416, "The requested partnumber is not satisfiable"],
  InvalidPolicyDocument: [
    400,
    "The content of the form does not meet the conditions specified in the policy document.",
  ],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  InvalidStorageClass: [400, "The storage class you specified is not valid."],
  KeyTooLongError: [400, "Your key is too long."],
  MalformedXML: [
    400,
    "The XML you provided was not well-formed or did not validate against our published schema.",
  ],
  MalformedPOSTRequest: [
    400,
    "The body of your POST request is not well-formed multipart/form-data.",
  ],
  MaxMessageLengthExceeded: [400, "Your request was too big."],
  // Code and message (typos included) as S3 sends them, not as its error table lists them.
  MaxPostPreDataLengthExceeded: [
    400,
    "Your POST request fields preceeding the upload file was too large.",
  ],
  MetadataTooLarge: [
    400,
    "Your metadata headers exceed the maximum allowed metadata size.",
  ],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [
    404,
    "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
  ],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented."],
  NotModified: [304, "Not Modified"],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold"],
  RequestHeaderSectionTooLarge: [
    400,
    "Your request header section exceeds the maximum allowed size.",
  ],
  RequestTimeTooSkewed: [
    403,
    "The difference between the request time and the server's time is too large.",
  ],
  RequestTimeout: [
    400,
    "Your socket connection to the server was not read from or written to within the timeout period.",
  ],
  ServiceUnavailable: [503, "Service is unable to handle request."],
  SlowDown: [503, "Please reduce your request rate."],
  SignatureDoesNotMatch: [
    403,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  ],
  XAmzContentSHA256Mismatch: [
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

/**
 * A typed S3 failure. `extra` adds elements to the XML body (for example
 * `BucketName` or `Key`), as Amazon does for some codes; `headers` are added to
 * the response (for example `Last-Modified` on a 304).
 */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly extra: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(
    code: S3ErrorCode,
    message?: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    const [status, defaultMessage] = S3_ERRORS[code];
    super(message ?? defaultMessage);
    this.name = "S3Error";
    this.code = code;
    this.status = status;
    this.extra = extra;
    this.headers = headers;
  }
}
