import type { ObjectRecord } from "../../storage/records.ts";
import { checkConditionals } from "../conditionals.ts";
import {
  answerTemplate,
  ownedBucket,
  respond,
  respondFromTemplate,
  type S3Answer,
  type S3Context,
} from "../context.ts";
import { S3Error } from "../errors.ts";
import { objectBody } from "../object_body.ts";
import { hasResponseOverrides, objectHeaders } from "../object_headers.ts";
import { type ByteRange, contentRange, parseRange } from "../range.ts";

/** How often a GET re-reads an object whose blob was replaced while it was being opened. */
const OPEN_ATTEMPTS = 5;

/** GetObject and HeadObject: headers, conditionals, Range and partNumber, then the bytes. */
export async function getObject(ctx: S3Context): Promise<S3Answer> {
  await ownedBucket(ctx);
  const isHead = ctx.req.method === "HEAD";
  const partNumber = parsePartNumber(ctx.query.get("partNumber"));
  if (partNumber !== null && ctx.headers.has("range")) {
    throw new S3Error(
      "InvalidRequest",
      "Cannot specify both Range header and partNumber query parameter",
    );
  }
  for (let attempt = 1;; attempt++) {
    const record = await ctx.app.store.objects.get(ctx.bucket, ctx.key);
    if (!record) throw new S3Error("NoSuchKey", undefined, { Key: ctx.key });
    checkConditionals(ctx.headers, {
      etag: record.etag,
      lastModified: new Date(record.lastModified),
    }, "read");
    if (
      !isHead && partNumber === null && record.layout.kind === "inline" && record.size > 0 &&
      !ctx.headers.has("range") && ctx.headers.get("x-amz-checksum-mode") !== "ENABLED" &&
      !hasResponseOverrides(ctx.query)
    ) {
      return respondFromTemplate(ctx, wholeInlineAnswer(record, record.layout.bytes), record.size);
    }

    const selection = partNumber !== null
      ? await selectPart(ctx, record, partNumber)
      : { range: parseRange(ctx.headers.get("range"), record.size), partsCount: null };
    const range = selection.range ?? { start: 0, end: record.size - 1 };
    const partial = selection.range !== null;
    const headers = objectHeaders(record, {
      query: ctx.query,
      withChecksum: !partial && ctx.headers.get("x-amz-checksum-mode") === "ENABLED",
    });
    const length = record.size === 0 ? 0 : range.end - range.start + 1;
    headers["content-length"] = String(length);
    if (partial) headers["content-range"] = contentRange(range, record.size);
    if (selection.partsCount !== null) {
      headers["x-amz-mp-parts-count"] = String(selection.partsCount);
    }
    const status = partial ? 206 : 200;
    if (isHead || length === 0) return respond(ctx, null, status, headers);

    try {
      return respond(ctx, await responseBody(ctx, record, range), status, headers);
    } catch (err) {
      // The blob went away between reading the record and opening the file: the object
      // was overwritten or deleted just now. Read it again.
      if (!(err instanceof Deno.errors.NotFound) || attempt >= OPEN_ATTEMPTS) throw err;
    }
  }
}

/**
 * The answers to plain whole-object GETs of inline objects, one per record: a hot small
 * object is answered by cloning its template (context.ts respondFromTemplate). Keyed weakly
 * by the record the record cache holds, so a template lives as long as its record, and an
 * overwritten object, which has a new record, never answers from the old template.
 */
const wholeInlineAnswers = new WeakMap<ObjectRecord, Response>();

function wholeInlineAnswer(record: ObjectRecord, bytes: Uint8Array<ArrayBuffer>): Response {
  let template = wholeInlineAnswers.get(record);
  if (template === undefined) {
    const headers = objectHeaders(record);
    headers["content-length"] = String(record.size);
    template = answerTemplate(bytes, 200, headers);
    wholeInlineAnswers.set(record, template);
  }
  return template;
}

/**
 * Below this size a whole single-blob object is read in one call and sent as bytes: opening
 * a file and streaming it costs several runtime operations per request, which dominated the
 * CPU profile of small GETs. Larger objects and ranges stream, so memory stays flat.
 */
const READ_WHOLE_BELOW = 64 * 1024;

function responseBody(
  ctx: S3Context,
  record: ObjectRecord,
  range: ByteRange,
): Promise<BodyInit> {
  const layout = record.layout;
  if (layout.kind === "inline") {
    return Promise.resolve(layout.bytes.subarray(range.start, range.end + 1));
  }
  if (
    layout.kind === "single" && layout.blobId && record.size <= READ_WHOLE_BELOW &&
    range.start === 0 && range.end === record.size - 1
  ) {
    return ctx.app.store.blobs.read(layout.blobId);
  }
  return objectBody(ctx.app.store, record, range);
}

/** `?partNumber=N`: the byte range of that part, as a ranged GET. */
async function selectPart(
  ctx: S3Context,
  record: ObjectRecord,
  partNumber: number,
): Promise<{ range: ByteRange | null; partsCount: number | null }> {
  if (record.layout.kind !== "parts") {
    if (partNumber !== 1) throw new S3Error("InvalidPartNumber");
    return { range: record.size > 0 ? { start: 0, end: record.size - 1 } : null, partsCount: null };
  }
  if (partNumber > record.layout.partCount) throw new S3Error("InvalidPartNumber");
  // Part N is the N-th part of the completed object, whatever number it was uploaded as.
  const parts = await ctx.app.store.objects.manifest(record.layout);
  const part = parts[partNumber - 1];
  if (!part) throw new S3Error("InvalidPartNumber");
  const start = parts.slice(0, partNumber - 1).reduce((sum, p) => sum + p.size, 0);
  return {
    range: part.size > 0 ? { start, end: start + part.size - 1 } : null,
    partsCount: record.layout.partCount,
  };
}

function parsePartNumber(v: string | null): number | null {
  if (v === null) return null;
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n < 1 || n > 10000) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
      {
        ArgumentName: "partNumber",
        ArgumentValue: v,
      },
    );
  }
  return n;
}
