import type { OperationHandler } from "./context.ts";
import { S3Error } from "./errors.ts";
import type { OperationName } from "./router.ts";
import {
  createBucket,
  deleteBucket,
  getAcl,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
} from "./ops/bucket.ts";
import { listObjectsV1, listObjectsV2 } from "./ops/list.ts";
import { copyObject } from "./ops/object_copy.ts";
import { deleteObject, deleteObjects } from "./ops/object_delete.ts";
import { getObject } from "./ops/object_get.ts";
import { putObject } from "./ops/object_put.ts";
import { listBuckets } from "./ops/service.ts";
import {
  abortMultipartUpload,
  createMultipartUpload,
  uploadPart,
  uploadPartCopy,
} from "./ops/multipart.ts";
import { completeMultipartUpload } from "./ops/multipart_complete.ts";
import { listMultipartUploads, listParts } from "./ops/multipart_list.ts";

const notYet: OperationHandler = () => {
  throw new S3Error("NotImplemented", "This operation is not implemented yet.");
};

/** The dispatch table: which function answers each operation. */
export const OPERATIONS: Record<OperationName, OperationHandler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  GetBucketAcl: getAcl,
  GetObjectAcl: getAcl,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: getObject,
  DeleteObject: deleteObject,
  ListMultipartUploads: listMultipartUploads,
  PostObject: notYet,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};
