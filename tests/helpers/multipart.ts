/** Raw-request helpers for multipart uploads, and a look at the blob files on disk. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { awsPath, xmlValue } from "./s3.ts";
import type { TestServer } from "./server.ts";
import { rawRequest, type RawResponse } from "./sign.ts";

/** S3's multipart ETag, computed here: the MD5 of the parts' binary MD5s, then `-<count>`. */
export function expectedMultipartEtag(parts: Uint8Array[]): string {
  const h = createHash("md5");
  for (const p of parts) h.update(createHash("md5").update(p).digest());
  return `"${h.digest("hex")}-${parts.length}"`;
}

export interface UploadedPart {
  partNumber: number;
  /** With quotes, as the server sent it. */
  etag: string;
}

/** CreateMultipartUpload; returns the upload id. */
export async function createUpload(
  server: TestServer,
  bucket: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const r = await rawRequest(server, {
    method: "POST",
    path: `/${bucket}/${awsPath(key)}?uploads`,
    headers,
  });
  assert.equal(r.status, 200, `CreateMultipartUpload ${key}: ${r.text}`);
  const uploadId = xmlValue(r.text, "UploadId");
  assert.ok(uploadId, r.text);
  return uploadId;
}

/** UploadPart as a raw signed request; the raw response. */
export function sendPart(
  server: TestServer,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number | string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(server, {
    method: "PUT",
    path: `/${bucket}/${awsPath(key)}?partNumber=${partNumber}&uploadId=${
      encodeURIComponent(uploadId)
    }`,
    body,
    headers,
  });
}

/** UploadPart that must succeed; returns the part number and ETag. */
export async function uploadPart(
  server: TestServer,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Uint8Array | string,
): Promise<UploadedPart> {
  const r = await sendPart(server, bucket, key, uploadId, partNumber, body);
  assert.equal(r.status, 200, `UploadPart ${partNumber}: ${r.text}`);
  const etag = r.headers.get("etag");
  assert.ok(etag, "UploadPart answers an ETag");
  return { partNumber, etag };
}

/** A CompleteMultipartUpload body listing these parts in the given order. */
export function completeXml(
  parts: { partNumber: number; etag: string; extra?: string }[],
): string {
  return `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
    parts.map((p) =>
      `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag>${p.extra ?? ""}</Part>`
    ).join("")
  }</CompleteMultipartUpload>`;
}

/** CompleteMultipartUpload with these parts; the raw response. */
export function sendComplete(
  server: TestServer,
  bucket: string,
  key: string,
  uploadId: string,
  parts: { partNumber: number; etag: string; extra?: string }[],
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(server, {
    method: "POST",
    path: `/${bucket}/${awsPath(key)}?uploadId=${encodeURIComponent(uploadId)}`,
    body: completeXml(parts),
    headers,
  });
}

/** AbortMultipartUpload; the raw response. */
export function sendAbort(
  server: TestServer,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<RawResponse> {
  return rawRequest(server, {
    method: "DELETE",
    path: `/${bucket}/${awsPath(key)}?uploadId=${encodeURIComponent(uploadId)}`,
  });
}

/** ListParts with extra query parameters; the raw response. */
export function sendListParts(
  server: TestServer,
  bucket: string,
  key: string,
  uploadId: string,
  query = "",
): Promise<RawResponse> {
  return rawRequest(server, {
    method: "GET",
    path: `/${bucket}/${awsPath(key)}?uploadId=${encodeURIComponent(uploadId)}${
      query ? `&${query}` : ""
    }`,
  });
}

/** Creates a bucket with a raw request. */
export async function createBucket(server: TestServer, bucket: string): Promise<void> {
  const r = await rawRequest(server, { method: "PUT", path: `/${bucket}` });
  assert.equal(r.status, 200, `CreateBucket ${bucket}: ${r.text}`);
}

/**
 * How many blob files the server keeps under `<dataDir>/blobs/`, and how many temp files
 * under `<dataDir>/tmp/`. The wire cannot show whether parts were deleted; this can.
 */
export async function countBlobFiles(dataDir: string): Promise<{ blobs: number; tmp: number }> {
  return {
    blobs: await countFiles(join(dataDir, "blobs")),
    tmp: await countFiles(join(dataDir, "tmp")),
  };
}

/** Blob files of a server, asserting that no temp file is left over. */
export async function blobCount(server: TestServer): Promise<number> {
  const { blobs, tmp } = await countBlobFiles(server.dataDir);
  assert.equal(tmp, 0, "no temp file is left over");
  return blobs;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) n += await countFiles(join(dir, e.name));
      else if (e.isFile) n++;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return n;
}

/**
 * Polls `check` until it returns true or `timeoutMs` passes (cleanup that runs right after
 * a response, or a sweep that runs at startup, finishes a moment later).
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new assert.AssertionError({ message: `timed out: ${what}` });
    await new Promise((r) => setTimeout(r, 50));
  }
}
