import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { withServer } from "../helpers/server.ts";
import { buildChunkedUpload, concat, rawRequest, sendSigned } from "../helpers/sign.ts";
import { assertS3Error, decodeListingKey, sdkError, xmlValue, xmlValues } from "../helpers/s3.ts";
import { b64, crc32, crc64nvme, md5Hex } from "../helpers/checksums.ts";
import { generatedBytes, generatedChunks, MiB, sha256Of, sha256OfStream } from "../helpers/data.ts";
import {
  createUpload,
  expectedMultipartEtag,
  sendAbort,
  sendComplete,
  sendListParts,
  uploadPart,
} from "../helpers/multipart.ts";

function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

async function bodyBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return await got.Body!.transformToByteArray();
}

Deno.test("a multipart upload becomes one object made of its parts", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "multi" }));
    const key = "dir/video file.bin";
    const parts = [generatedBytes(5 * MiB, 1), generatedBytes(5 * MiB, 2), generatedBytes(1000, 3)];
    const whole = concat(parts);
    let uploadId = "";
    const etags: string[] = [];

    await t.step("CreateMultipartUpload answers an upload id for the bucket and key", async () => {
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: "multi",
          Key: key,
          ContentType: "video/mp4",
          CacheControl: "max-age=60",
          ContentDisposition: 'attachment; filename="video.mp4"',
          ContentLanguage: "fr",
          Metadata: { color: "blue", "two-words": "a b" },
        }),
      );
      assert.equal(created.Bucket, "multi");
      assert.equal(created.Key, key);
      assert.ok(created.UploadId);
      uploadId = created.UploadId;
    });

    // Part 2 goes up first with other bytes, to be replaced in the next step.
    const draft = generatedBytes(5 * MiB + 7, 99);
    await t.step("UploadPart answers the MD5 of the part as its ETag", async () => {
      for (const [i, body] of [parts[0], draft, parts[2]].entries()) {
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: "multi",
            Key: key,
            UploadId: uploadId,
            PartNumber: i + 1,
            Body: body,
          }),
        );
        assert.equal(r.ETag, `"${md5Hex(body)}"`);
        etags.push(r.ETag!);
      }
    });

    await t.step("uploading a part number again replaces the earlier part", async () => {
      const before = await s3.send(
        new ListPartsCommand({ Bucket: "multi", Key: key, UploadId: uploadId }),
      );
      assert.equal(before.Parts![1].Size, 5 * MiB + 7);
      const r = await s3.send(
        new UploadPartCommand({
          Bucket: "multi",
          Key: key,
          UploadId: uploadId,
          PartNumber: 2,
          Body: parts[1],
        }),
      );
      assert.equal(r.ETag, `"${md5Hex(parts[1])}"`);
      etags[1] = r.ETag!;
      const after = await s3.send(
        new ListPartsCommand({ Bucket: "multi", Key: key, UploadId: uploadId }),
      );
      assert.deepEqual(after.Parts!.map((p) => p.PartNumber), [1, 2, 3]);
      assert.equal(after.Parts![1].ETag, etags[1]);
      assert.equal(after.Parts![1].Size, 5 * MiB);
    });

    await t.step("ListParts shows every part with its number, ETag and size", async () => {
      const listed = await s3.send(
        new ListPartsCommand({ Bucket: "multi", Key: key, UploadId: uploadId }),
      );
      assert.equal(listed.Bucket, "multi");
      assert.equal(listed.Key, key);
      assert.equal(listed.UploadId, uploadId);
      assert.equal(listed.IsTruncated, false);
      assert.deepEqual(
        listed.Parts!.map((p) => [p.PartNumber, p.ETag, p.Size]),
        parts.map((p, i) => [i + 1, etags[i], p.length]),
      );
      for (const p of listed.Parts!) assert.ok(p.LastModified instanceof Date);
    });

    await t.step("ListMultipartUploads shows the upload in progress", async () => {
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "multi" }));
      assert.deepEqual(listed.Uploads!.map((u) => [u.Key, u.UploadId]), [[key, uploadId]]);
      assert.ok(listed.Uploads![0].Initiated instanceof Date);
    });

    await t.step("CompleteMultipartUpload answers the ETag MD5-of-part-MD5s-N", async () => {
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "multi",
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
        }),
      );
      assert.equal(done.ETag, expectedMultipartEtag(parts));
      assert.equal(done.Bucket, "multi");
      assert.equal(done.Key, key);
      assert.equal(done.Location, `${server.s3Url}/multi/dir/video%20file.bin`);
    });

    await t.step(
      "the object is its parts in order, with the upload's content headers and metadata",
      async () => {
        const got = await s3.send(new GetObjectCommand({ Bucket: "multi", Key: key }));
        assert.equal(got.ContentLength, whole.length);
        assert.equal(got.ETag, expectedMultipartEtag(parts));
        assert.equal(got.ContentType, "video/mp4");
        assert.equal(got.CacheControl, "max-age=60");
        assert.equal(got.ContentDisposition, 'attachment; filename="video.mp4"');
        assert.equal(got.ContentLanguage, "fr");
        assert.deepEqual(got.Metadata, { color: "blue", "two-words": "a b" });
        assert.equal(sha256Of(await got.Body!.transformToByteArray()), sha256Of(whole));
      },
    );

    const path = "/multi/dir/video%20file.bin";
    await t.step(
      "a Range across part boundaries returns the bytes of each part it covers",
      async () => {
        const cases: [number, number][] = [
          [5 * MiB - 100, 5 * MiB + 99], // parts 1 and 2
          [5 * MiB - 10, 10 * MiB + 10], // all three parts
          [10 * MiB - 1, 10 * MiB], // the last byte of part 2 and the first of part 3
          [0, 0],
          [10 * MiB + 999, 10 * MiB + 999], // the very last byte
        ];
        for (const [start, end] of cases) {
          const r = await rawRequest(server, {
            method: "GET",
            path,
            headers: { range: `bytes=${start}-${end}` },
          });
          assert.equal(r.status, 206, r.text);
          assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/${whole.length}`);
          assert.deepEqual(r.bytes, whole.subarray(start, end + 1), `bytes=${start}-${end}`);
        }
        const suffix = await rawRequest(server, {
          method: "GET",
          path,
          headers: { range: "bytes=-1500" },
        });
        assert.equal(suffix.status, 206);
        assert.deepEqual(suffix.bytes, whole.subarray(whole.length - 1500));
        const open = await rawRequest(server, {
          method: "GET",
          path,
          headers: { range: `bytes=${5 * MiB + 1}-` },
        });
        assert.equal(open.status, 206);
        assert.equal(sha256Of(open.bytes), sha256Of(whole.subarray(5 * MiB + 1)));
      },
    );

    await t.step(
      "GET and HEAD with ?partNumber=N answer that part, its range and the part count",
      async () => {
        let start = 0;
        for (const [i, part] of parts.entries()) {
          const end = start + part.length - 1;
          const get = await rawRequest(server, {
            method: "GET",
            path: `${path}?partNumber=${i + 1}`,
          });
          assert.equal(get.status, 206, get.text);
          assert.equal(get.headers.get("content-range"), `bytes ${start}-${end}/${whole.length}`);
          assert.equal(get.headers.get("x-amz-mp-parts-count"), "3");
          assert.equal(get.headers.get("content-length"), String(part.length));
          assert.equal(get.headers.get("etag"), expectedMultipartEtag(parts));
          assert.equal(sha256Of(get.bytes), sha256Of(part));
          const head = await rawRequest(server, {
            method: "HEAD",
            path: `${path}?partNumber=${i + 1}`,
          });
          assert.equal(head.status, 206);
          assert.equal(head.headers.get("content-range"), `bytes ${start}-${end}/${whole.length}`);
          assert.equal(head.headers.get("x-amz-mp-parts-count"), "3");
          assert.equal(head.headers.get("content-length"), String(part.length));
          start = end + 1;
        }
        const sdk = await s3.send(
          new HeadObjectCommand({ Bucket: "multi", Key: key, PartNumber: 2 }),
        );
        assert.equal(sdk.PartsCount, 3);
        assert.equal(sdk.ContentLength, 5 * MiB);
      },
    );

    await t.step("?partNumber past the last part answers 416 InvalidPartNumber", async () => {
      const r = await rawRequest(server, { method: "GET", path: `${path}?partNumber=4` });
      assertS3Error(r, 416, "InvalidPartNumber");
    });

    await t.step(
      "a completed upload is gone: ListParts answers NoSuchUpload and no upload is listed",
      async () => {
        const err = await sdkError(
          s3.send(new ListPartsCommand({ Bucket: "multi", Key: key, UploadId: uploadId })),
        );
        assert.deepEqual(err, { code: "NoSuchUpload", status: 404 });
        const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "multi" }));
        assert.equal(listed.Uploads, undefined);
      },
    );

    await t.step("AbortMultipartUpload answers 204 and the upload is gone", async () => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: "multi", Key: "aborted" }),
      );
      await s3.send(
        new UploadPartCommand({
          Bucket: "multi",
          Key: "aborted",
          UploadId,
          PartNumber: 1,
          Body: "x",
        }),
      );
      const r = await rawRequest(server, {
        method: "DELETE",
        path: `/multi/aborted?uploadId=${UploadId}`,
      });
      assert.equal(r.status, 204, r.text);
      const err = await sdkError(
        s3.send(new ListPartsCommand({ Bucket: "multi", Key: "aborted", UploadId })),
      );
      assert.deepEqual(err, { code: "NoSuchUpload", status: 404 });
      const again = await sdkError(
        s3.send(new AbortMultipartUploadCommand({ Bucket: "multi", Key: "aborted", UploadId })),
      );
      assert.deepEqual(again, { code: "NoSuchUpload", status: 404 });
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "multi" }));
      assert.equal(listed.Uploads, undefined);
    });

    await t.step(
      "part numbers 1 and 10000 are accepted, 0 and 10001 are InvalidArgument",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({ Bucket: "multi", Key: "edges" }),
        );
        for (const n of [1, 10000]) {
          const r = await rawRequest(server, {
            method: "PUT",
            path: `/multi/edges?partNumber=${n}&uploadId=${UploadId}`,
            body: "part",
          });
          assert.equal(r.status, 200, `part ${n}: ${r.text}`);
        }
        for (const n of ["0", "10001", "-1", "1.5", "x"]) {
          const r = await rawRequest(server, {
            method: "PUT",
            path: `/multi/edges?partNumber=${n}&uploadId=${UploadId}`,
            body: "part",
          });
          assertS3Error(r, 400, "InvalidArgument");
        }
        const listed = await s3.send(
          new ListPartsCommand({ Bucket: "multi", Key: "edges", UploadId }),
        );
        assert.deepEqual(listed.Parts!.map((p) => p.PartNumber), [1, 10000]);
        await s3.send(new AbortMultipartUploadCommand({ Bucket: "multi", Key: "edges", UploadId }));
      },
    );
  });
});

Deno.test("UploadPartCopy makes parts from existing objects and their ranges", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "src" }));
    await s3.send(new CreateBucketCommand({ Bucket: "dst" }));
    const single = generatedBytes(6 * MiB, 11);
    await s3.send(new PutObjectCommand({ Bucket: "src", Key: "single one.bin", Body: single }));
    // A multipart source: a copy range over it crosses its part boundary.
    const mpParts = [generatedBytes(5 * MiB, 12), generatedBytes(100_000, 13)];
    const mpWhole = concat(mpParts);
    {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: "src", Key: "multi" }),
      );
      const done = [];
      for (const [i, Body] of mpParts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({ Bucket: "src", Key: "multi", UploadId, PartNumber: i + 1, Body }),
        );
        done.push({ PartNumber: i + 1, ETag: r.ETag });
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "src",
          Key: "multi",
          UploadId,
          MultipartUpload: { Parts: done },
        }),
      );
    }
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "dst", Key: "assembled" }),
    );
    const expected: Uint8Array[] = [];
    const completed: { PartNumber: number; ETag: string }[] = [];

    await t.step(
      "UploadPartCopy of a whole object answers a CopyPartResult with its MD5",
      async () => {
        const r = await s3.send(
          new UploadPartCopyCommand({
            Bucket: "dst",
            Key: "assembled",
            UploadId,
            PartNumber: 1,
            CopySource: "src/single%20one.bin",
          }),
        );
        assert.equal(r.CopyPartResult!.ETag, `"${md5Hex(single)}"`);
        assert.ok(r.CopyPartResult!.LastModified instanceof Date);
        expected.push(single);
        completed.push({ PartNumber: 1, ETag: r.CopyPartResult!.ETag! });
      },
    );

    await t.step(
      "x-amz-copy-source-range copies only those bytes, across a source's parts",
      async () => {
        const start = 5 * MiB - 50_000;
        const end = 5 * MiB + 49_999;
        const r = await s3.send(
          new UploadPartCopyCommand({
            Bucket: "dst",
            Key: "assembled",
            UploadId,
            PartNumber: 2,
            CopySource: "/src/multi",
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        const bytes = mpWhole.subarray(start, end + 1);
        assert.equal(r.CopyPartResult!.ETag, `"${md5Hex(bytes)}"`);
        expected.push(bytes);
        completed.push({ PartNumber: 2, ETag: r.CopyPartResult!.ETag! });
      },
    );

    await t.step("a part copied with a raw request answers CopyPartResult XML", async () => {
      const r = await rawRequest(server, {
        method: "PUT",
        path: `/dst/assembled?partNumber=3&uploadId=${UploadId}`,
        headers: {
          "x-amz-copy-source": "/src/single%20one.bin",
          "x-amz-copy-source-range": "bytes=0-9",
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<CopyPartResult[^>]*>.*<ETag>.*<\/ETag>.*<\/CopyPartResult>/s);
      assert.match(
        r.text,
        new RegExp(`<ETag>(&quot;|")${md5Hex(single.subarray(0, 10))}(&quot;|")</ETag>`),
      );
    });

    await t.step("ListParts shows copied parts with their sizes", async () => {
      const listed = await s3.send(
        new ListPartsCommand({ Bucket: "dst", Key: "assembled", UploadId }),
      );
      assert.deepEqual(listed.Parts!.map((p) => [p.PartNumber, p.Size]), [[1, 6 * MiB], [
        2,
        100_000,
      ], [3, 10]]);
    });

    await t.step(
      "copied parts complete into one object with the copied bytes in order",
      async () => {
        const done = await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: "dst",
            Key: "assembled",
            UploadId,
            MultipartUpload: { Parts: completed },
          }),
        );
        assert.equal(done.ETag, expectedMultipartEtag(expected));
        const got = await bodyBytes(s3, "dst", "assembled");
        assert.equal(got.length, 6 * MiB + 100_000);
        assert.equal(sha256Of(got), sha256Of(concat(expected)));
      },
    );

    await t.step("the sources are unchanged", async () => {
      assert.equal(sha256Of(await bodyBytes(s3, "src", "single one.bin")), sha256Of(single));
      assert.equal(sha256Of(await bodyBytes(s3, "src", "multi")), sha256Of(mpWhole));
    });
  });
});

Deno.test("ListParts and ListMultipartUploads page and group like S3", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "lists" }));
    const create = async (Key: string) =>
      (await s3.send(new CreateMultipartUploadCommand({ Bucket: "lists", Key }))).UploadId!;

    await t.step("ListParts pages with max-parts and part-number-marker", async () => {
      const UploadId = await create("paged");
      for (const n of [1, 2, 3, 5, 8, 13, 21]) {
        await s3.send(
          new UploadPartCommand({
            Bucket: "lists",
            Key: "paged",
            UploadId,
            PartNumber: n,
            Body: `p${n}`,
          }),
        );
      }
      const pages: number[][] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await s3.send(
          new ListPartsCommand({
            Bucket: "lists",
            Key: "paged",
            UploadId,
            MaxParts: 3,
            PartNumberMarker: marker,
          }),
        );
        assert.equal(page.MaxParts, 3);
        pages.push(page.Parts!.map((p) => p.PartNumber!));
        if (!page.IsTruncated) break;
        assert.equal(page.NextPartNumberMarker, String(page.Parts!.at(-1)!.PartNumber));
        marker = page.NextPartNumberMarker;
      }
      assert.deepEqual(pages, [[1, 2, 3], [5, 8, 13], [21]]);
      const after = await s3.send(
        new ListPartsCommand({ Bucket: "lists", Key: "paged", UploadId, PartNumberMarker: "4" }),
      );
      assert.deepEqual(after.Parts!.map((p) => p.PartNumber), [5, 8, 13, 21]);
      assert.equal(after.PartNumberMarker, "4");
      await s3.send(new AbortMultipartUploadCommand({ Bucket: "lists", Key: "paged", UploadId }));
    });

    const ids: Record<string, string> = {};
    for (const key of ["a/1", "a/2", "b/1", "c", "d", "e/x/1"]) ids[key] = await create(key);
    // A second upload of "c", started later, sorts after the first.
    await new Promise((r) => setTimeout(r, 5));
    const c2 = await create("c");
    const list = (
      input: Omit<ConstructorParameters<typeof ListMultipartUploadsCommand>[0], "Bucket">,
    ) => s3.send(new ListMultipartUploadsCommand({ Bucket: "lists", ...input }));
    const pairs = (r: Awaited<ReturnType<typeof list>>) =>
      (r.Uploads ?? []).map((u) => [u.Key!, u.UploadId!]);

    await t.step(
      "uploads are listed by key, and uploads of one key in initiation order",
      async () => {
        const r = await list({});
        assert.deepEqual(pairs(r), [
          ["a/1", ids["a/1"]],
          ["a/2", ids["a/2"]],
          ["b/1", ids["b/1"]],
          ["c", ids.c],
          ["c", c2],
          ["d", ids.d],
          ["e/x/1", ids["e/x/1"]],
        ]);
        assert.equal(r.IsTruncated, false);
      },
    );

    await t.step("prefix lists only the uploads whose keys start with it", async () => {
      const r = await list({ Prefix: "a/" });
      assert.deepEqual(pairs(r), [["a/1", ids["a/1"]], ["a/2", ids["a/2"]]]);
      assert.equal(r.Prefix, "a/");
    });

    await t.step("a delimiter rolls keys up into CommonPrefixes", async () => {
      const r = await list({ Delimiter: "/" });
      assert.deepEqual(pairs(r), [["c", ids.c], ["c", c2], ["d", ids.d]]);
      assert.deepEqual(r.CommonPrefixes!.map((p) => p.Prefix), ["a/", "b/", "e/"]);
      const nested = await list({ Delimiter: "/", Prefix: "e/" });
      assert.deepEqual(nested.CommonPrefixes!.map((p) => p.Prefix), ["e/x/"]);
      assert.equal(nested.Uploads, undefined);
    });

    await t.step("max-uploads pages with NextKeyMarker and NextUploadIdMarker", async () => {
      const seen: string[][] = [];
      let keyMarker: string | undefined;
      let idMarker: string | undefined;
      for (;;) {
        const r = await list({ MaxUploads: 2, KeyMarker: keyMarker, UploadIdMarker: idMarker });
        assert.equal(r.MaxUploads, 2);
        seen.push(...pairs(r));
        if (!r.IsTruncated) break;
        assert.equal(r.NextKeyMarker, r.Uploads!.at(-1)!.Key);
        assert.equal(r.NextUploadIdMarker, r.Uploads!.at(-1)!.UploadId);
        keyMarker = r.NextKeyMarker;
        idMarker = r.NextUploadIdMarker;
      }
      assert.deepEqual(seen, pairs(await list({})));
    });

    await t.step(
      "max-uploads with a delimiter counts CommonPrefixes and pages past them",
      async () => {
        const first = await list({ Delimiter: "/", MaxUploads: 2 });
        assert.deepEqual(first.CommonPrefixes!.map((p) => p.Prefix), ["a/", "b/"]);
        assert.equal(first.Uploads, undefined);
        assert.equal(first.IsTruncated, true);
        assert.equal(first.NextKeyMarker, "b/");
        const second = await list({
          Delimiter: "/",
          MaxUploads: 2,
          KeyMarker: first.NextKeyMarker,
        });
        assert.deepEqual(pairs(second), [["c", ids.c], ["c", c2]]);
        assert.equal(second.CommonPrefixes, undefined);
      },
    );

    await t.step("key-marker alone skips every upload of that key", async () => {
      const r = await list({ KeyMarker: "c" });
      assert.deepEqual(pairs(r), [["d", ids.d], ["e/x/1", ids["e/x/1"]]]);
      assert.equal(r.KeyMarker, "c");
    });

    await t.step(
      "upload-id-marker continues after that upload of the key-marker's key",
      async () => {
        const r = await list({ KeyMarker: "c", UploadIdMarker: ids.c });
        assert.deepEqual(pairs(r), [["c", c2], ["d", ids.d], ["e/x/1", ids["e/x/1"]]]);
        assert.equal(r.UploadIdMarker, ids.c);
      },
    );

    await t.step("upload-id-marker without key-marker is ignored", async () => {
      const r = await list({ UploadIdMarker: ids.c });
      assert.equal(pairs(r).length, 7);
    });

    await t.step("ListMultipartUploads with encoding-type=url encodes keys", async () => {
      const id = await create("sp ace/é");
      const r = await rawRequest(server, {
        method: "GET",
        path: "/lists?uploads&prefix=sp&encoding-type=url",
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(decodeListingKey(xmlValue(r.text, "Key")!), "sp ace/é");
      assert.doesNotMatch(r.text, /é| ace/);
      assert.match(r.text, /<EncodingType>url<\/EncodingType>/);
      await s3.send(
        new AbortMultipartUploadCommand({ Bucket: "lists", Key: "sp ace/é", UploadId: id }),
      );
    });
  });
});

Deno.test("multipart checksums: composite per algorithm, or full-object", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "sums" }));
    const parts = [generatedBytes(5 * MiB, 21), generatedBytes(4321, 22)];
    const whole = concat(parts);

    const run = async (
      key: string,
      algorithm: "CRC32" | "CRC32C" | "SHA256" | "CRC64NVME",
      type: "COMPOSITE" | "FULL_OBJECT" | undefined,
    ) => {
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: "sums",
          Key: key,
          ChecksumAlgorithm: algorithm,
          ChecksumType: type,
        }),
      );
      assert.equal(created.ChecksumAlgorithm, algorithm);
      const done = [];
      for (const [i, Body] of parts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: "sums",
            Key: key,
            UploadId: created.UploadId,
            PartNumber: i + 1,
            Body,
            ChecksumAlgorithm: algorithm,
          }),
        );
        done.push({
          PartNumber: i + 1,
          ETag: r.ETag,
          [`Checksum${algorithm}`]: r[`Checksum${algorithm}`],
        });
      }
      const complete = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "sums",
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: done },
        }),
      );
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: "sums", Key: key, ChecksumMode: "ENABLED" }),
      );
      return { done, complete, head };
    };

    await t.step(
      "CRC32 (COMPOSITE by default) is the CRC32 of the part CRC32s, then -N",
      async () => {
        const { done, complete, head } = await run("crc32", "CRC32", undefined);
        assert.deepEqual(done.map((p) => p.ChecksumCRC32), parts.map((p) => b64(crc32(p))));
        const expected = `${b64(crc32(concat(parts.map(crc32))))}-2`;
        assert.equal(complete.ChecksumCRC32, expected);
        assert.equal(complete.ChecksumType, "COMPOSITE");
        assert.equal(head.ChecksumCRC32, expected);
        assert.equal(head.ChecksumType, "COMPOSITE");
      },
    );

    await t.step("SHA256 is the SHA-256 of the part SHA-256s, then -N", async () => {
      const { complete, head } = await run("sha256", "SHA256", undefined);
      const raw = parts.map((p) => new Uint8Array(createHash("sha256").update(p).digest()));
      const expected = `${createHash("sha256").update(concat(raw)).digest("base64")}-2`;
      assert.equal(complete.ChecksumSHA256, expected);
      assert.equal(head.ChecksumSHA256, expected);
    });

    await t.step("CRC64NVME is a FULL_OBJECT checksum: the CRC of the whole object", async () => {
      const { complete, head } = await run("crc64", "CRC64NVME", undefined);
      const expected = b64(crc64nvme(whole));
      assert.equal(complete.ChecksumCRC64NVME, expected);
      assert.equal(complete.ChecksumType, "FULL_OBJECT");
      assert.equal(head.ChecksumCRC64NVME, expected);
      assert.equal(head.ChecksumType, "FULL_OBJECT");
    });

    await t.step(
      "CRC32 with ChecksumType FULL_OBJECT is the CRC32 of the whole object",
      async () => {
        const { complete, head } = await run("crc32-full", "CRC32", "FULL_OBJECT");
        assert.equal(complete.ChecksumCRC32, b64(crc32(whole)));
        assert.equal(head.ChecksumCRC32, b64(crc32(whole)));
        assert.equal(head.ChecksumType, "FULL_OBJECT");
      },
    );

    await t.step(
      "a part sent without a checksum gets the upload's algorithm computed",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({
            Bucket: "sums",
            Key: "bare",
            ChecksumAlgorithm: "CRC32",
          }),
        );
        const r = await rawRequest(server, {
          method: "PUT",
          path: `/sums/bare?partNumber=1&uploadId=${UploadId}`,
          body: "plain part",
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(
          r.headers.get("x-amz-checksum-crc32"),
          b64(crc32(new TextEncoder().encode("plain part"))),
        );
        await s3.send(new AbortMultipartUploadCommand({ Bucket: "sums", Key: "bare", UploadId }));
      },
    );

    await t.step("a part with another algorithm than the upload's is InvalidRequest", async () => {
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: "sums",
          Key: "mixed",
          ChecksumAlgorithm: "CRC32",
        }),
      );
      const err = await sdkError(
        s3.send(
          new UploadPartCommand({
            Bucket: "sums",
            Key: "mixed",
            UploadId,
            PartNumber: 1,
            Body: "x",
            ChecksumAlgorithm: "SHA256",
          }),
        ),
      );
      assert.deepEqual(err, { code: "InvalidRequest", status: 400 });
      await s3.send(new AbortMultipartUploadCommand({ Bucket: "sums", Key: "mixed", UploadId }));
    });

    await t.step("a Complete that states the full-object CRC32 is checked against it", async () => {
      const key = "stated";
      const uploadId = await createUpload(server, "sums", key, {
        "x-amz-checksum-algorithm": "CRC32",
        "x-amz-checksum-type": "FULL_OBJECT",
      });
      const done = [];
      for (const [i, body] of parts.entries()) {
        done.push(await uploadPart(server, "sums", key, uploadId, i + 1, body));
      }
      const wrong = await sendComplete(server, "sums", key, uploadId, done, {
        "x-amz-checksum-crc32": b64(crc32(parts[0])),
        "x-amz-checksum-type": "FULL_OBJECT",
      });
      assertS3Error(wrong, 400, "BadDigest");
      // The SDK sends the stated checksum as the x-amz-checksum-crc32 header.
      const right = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "sums",
          Key: key,
          UploadId: uploadId,
          ChecksumCRC32: b64(crc32(whole)),
          ChecksumType: "FULL_OBJECT",
          MultipartUpload: {
            Parts: done.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
          },
        }),
      );
      assert.equal(right.ChecksumCRC32, b64(crc32(whole)));
      assert.equal(right.ChecksumType, "FULL_OBJECT");
    });

    await t.step(
      "UploadPart takes an aws-chunked body whose CRC32 arrives as a trailer",
      async () => {
        const key = "chunked";
        const uploadId = await createUpload(server, "sums", key, {
          "x-amz-checksum-algorithm": "CRC32",
        });
        const path = `/sums/${key}?partNumber=1&uploadId=${uploadId}`;
        const data = generatedBytes(200_000, 23);
        const good = await sendSigned(
          await buildChunkedUpload(server, {
            method: "PUT",
            path,
            mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            data,
            chunkSize: 65_536,
            trailers: { "x-amz-checksum-crc32": b64(crc32(data)) },
          }),
        );
        assert.equal(good.status, 200, good.text);
        assert.equal(good.headers.get("etag"), `"${md5Hex(data)}"`);
        assert.equal(good.headers.get("x-amz-checksum-crc32"), b64(crc32(data)));
        const bad = await sendSigned(
          await buildChunkedUpload(server, {
            method: "PUT",
            path: `/sums/${key}?partNumber=2&uploadId=${uploadId}`,
            mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            data,
            chunkSize: 65_536,
            trailers: { "x-amz-checksum-crc32": b64(crc32(data.subarray(1))) },
          }),
        );
        assertS3Error(bad, 400, "BadDigest");
        const listed = await sendListParts(server, "sums", key, uploadId);
        assert.deepEqual(xmlValues(listed.text, "PartNumber"), ["1"]);
        assert.equal(xmlValue(listed.text, "Size"), "200000");
        assert.equal((await sendAbort(server, "sums", key, uploadId)).status, 204);
      },
    );

    await t.step(
      "a Complete whose part checksum does not match the stored part is InvalidPart",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({
            Bucket: "sums",
            Key: "wrongsum",
            ChecksumAlgorithm: "CRC32",
          }),
        );
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: "sums",
            Key: "wrongsum",
            UploadId,
            PartNumber: 1,
            Body: "y",
          }),
        );
        const err = await sdkError(
          s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: "sums",
              Key: "wrongsum",
              UploadId,
              MultipartUpload: {
                Parts: [{
                  PartNumber: 1,
                  ETag: r.ETag,
                  ChecksumCRC32: b64(crc32(new Uint8Array([1]))),
                }],
              },
            }),
          ),
        );
        assert.deepEqual(err, { code: "InvalidPart", status: 400 });
        await s3.send(
          new AbortMultipartUploadCommand({ Bucket: "sums", Key: "wrongsum", UploadId }),
        );
      },
    );
  });
});

Deno.test("parallel part uploads are safe", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "par" }));
    const upload = async (key: string, bodies: Uint8Array[], uploadId?: string) => {
      const UploadId = uploadId ??
        (await s3.send(new CreateMultipartUploadCommand({ Bucket: "par", Key: key }))).UploadId!;
      const etags = await Promise.all(bodies.map(async (Body, i) =>
        (await s3.send(
          new UploadPartCommand({ Bucket: "par", Key: key, UploadId, PartNumber: i + 1, Body }),
        )).ETag!
      ));
      return { UploadId, parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) };
    };
    const complete = (key: string, up: Awaited<ReturnType<typeof upload>>) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "par",
          Key: key,
          UploadId: up.UploadId,
          MultipartUpload: { Parts: up.parts },
        }),
      );

    await t.step(
      "several parts of one upload sent at once complete into the right bytes",
      async () => {
        const bodies = [1, 2, 3, 4].map((s) => generatedBytes(5 * MiB, 30 + s)).concat([
          generatedBytes(777, 35),
        ]);
        const up = await upload("five", bodies);
        const done = await complete("five", up);
        assert.equal(done.ETag, expectedMultipartEtag(bodies));
        assert.equal(sha256Of(await bodyBytes(s3, "par", "five")), sha256Of(concat(bodies)));
      },
    );

    await t.step(
      "two uploads of one key run side by side and the last completion wins",
      async () => {
        const a = [generatedBytes(5 * MiB, 40), generatedBytes(10, 41)];
        const b = [generatedBytes(5 * MiB, 42), generatedBytes(20, 43)];
        const [upA, upB] = await Promise.all([upload("same", a), upload("same", b)]);
        assert.notEqual(upA.UploadId, upB.UploadId);
        const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "par" }));
        assert.equal(listed.Uploads!.length, 2);
        await complete("same", upA);
        assert.equal(sha256Of(await bodyBytes(s3, "par", "same")), sha256Of(concat(a)));
        await complete("same", upB);
        assert.equal(sha256Of(await bodyBytes(s3, "par", "same")), sha256Of(concat(b)));
        const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: "par" }));
        assert.equal(after.Uploads, undefined);
      },
    );

    await t.step(
      "two completions of the same key at once both succeed and one object wins",
      async () => {
        const a = [generatedBytes(5 * MiB, 44), generatedBytes(10, 45)];
        const b = [generatedBytes(5 * MiB, 46), generatedBytes(20, 47)];
        const [upA, upB] = await Promise.all([upload("race", a), upload("race", b)]);
        const [doneA, doneB] = await Promise.all([complete("race", upA), complete("race", upB)]);
        const got = await s3.send(new GetObjectCommand({ Bucket: "par", Key: "race" }));
        const hash = sha256Of(await got.Body!.transformToByteArray());
        if (got.ETag === doneA.ETag) assert.equal(hash, sha256Of(concat(a)));
        else {
          assert.equal(got.ETag, doneB.ETag);
          assert.equal(hash, sha256Of(concat(b)));
        }
      },
    );

    await t.step(
      "one part number uploaded twice at once leaves exactly one of the two",
      async () => {
        const { UploadId } = await s3.send(
          new CreateMultipartUploadCommand({ Bucket: "par", Key: "dup" }),
        );
        const x = generatedBytes(3 * MiB, 50);
        const y = generatedBytes(3 * MiB, 51);
        await Promise.all([x, y].map((Body) =>
          s3.send(
            new UploadPartCommand({ Bucket: "par", Key: "dup", UploadId, PartNumber: 1, Body }),
          )
        ));
        const listed = await s3.send(new ListPartsCommand({ Bucket: "par", Key: "dup", UploadId }));
        assert.equal(listed.Parts!.length, 1);
        const etag = listed.Parts![0].ETag!;
        const winner = etag === `"${md5Hex(x)}"` ? x : y;
        assert.equal(etag, `"${md5Hex(winner)}"`);
        await complete("dup", { UploadId: UploadId!, parts: [{ PartNumber: 1, ETag: etag }] });
        assert.equal(sha256Of(await bodyBytes(s3, "par", "dup")), sha256Of(winner));
      },
    );
  });
});

Deno.test("lib-storage Upload sends 100 MiB with four 8 MiB parts in flight", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "big" }));
    const size = 100 * MiB;
    let inFlight = 0;
    let maxInFlight = 0;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "UploadPartCommand") return next(args);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: "initialize", name: "countPartsInFlight" },
    );

    let expectedSha = "";
    let expectedCrc = "";
    await t.step(
      "Upload of a generated 100 MiB stream completes as a 13-part object with a composite CRC32",
      async () => {
        const hash = createHash("sha256");
        // The parts' CRC32s, for the composite checksum lib-storage asks for by default.
        const partCrcs: Uint8Array[] = [];
        let crc = 0;
        let inPart = 0;
        const chunks = (function* () {
          for (const c of generatedChunks(size, 60)) {
            hash.update(c);
            crc = zlibCrc32(c, crc);
            inPart += c.length;
            if (inPart === 8 * MiB) {
              partCrcs.push(be32(crc));
              crc = inPart = 0;
            }
            yield c;
          }
          if (inPart > 0) partCrcs.push(be32(crc));
        })();
        const upload = new Upload({
          client: s3,
          params: { Bucket: "big", Key: "hundred.bin", Body: Readable.from(chunks) },
          queueSize: 4,
          partSize: 8 * MiB,
        });
        const done = await upload.done();
        expectedSha = hash.digest("hex");
        expectedCrc = `${b64(crc32(concat(partCrcs)))}-13`;
        assert.match(done.ETag ?? "", /^"[0-9a-f]{32}-13"$/);
        assert.equal(done.ChecksumCRC32, expectedCrc);
        assert.ok(maxInFlight >= 2, `parts went one at a time (max in flight: ${maxInFlight})`);
      },
    );

    await t.step("GetObject streams back the same 100 MiB", async () => {
      const got = await s3.send(new GetObjectCommand({ Bucket: "big", Key: "hundred.bin" }));
      assert.equal(got.ContentLength, size);
      const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
      assert.deepEqual(read, { sha256: expectedSha, size });
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: "big", Key: "hundred.bin", ChecksumMode: "ENABLED" }),
      );
      assert.equal(head.ChecksumCRC32, expectedCrc);
    });

    await t.step("no upload is left in progress", async () => {
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "big" }));
      assert.equal(listed.Uploads, undefined);
    });
  });
});
