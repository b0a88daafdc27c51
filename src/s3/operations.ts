import type { OperationHandler } from "./context.ts";
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

/**
 * The dispatch table: which function answers each operation. PostObject is not here: its
 * request carries no SigV4 signature, so the handler gives it to postObject()
 * (ops/post_object.ts), which authenticates from the form's signed policy.
 */
export const OPERATIONS: Record<Exclude<OperationName, "PostObject">, OperationHandler> = {
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
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};
