/** boto3 1.26 / botocore 1.29 from Debian, run by /usr/bin/python3. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withServer } from "../helpers/server.ts";
import { createBucket } from "../helpers/multipart.ts";
import { MiB, sha256OfFile, writeGeneratedFile } from "../helpers/data.ts";
import { python, withTempDir } from "../helpers/cli.ts";

/** A boto3 client for the server from argv: endpoint, access key, secret key. */
const CLIENT = `
import json, sys
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

endpoint, access_key, secret_key = sys.argv[1:4]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=access_key,
    aws_secret_access_key=secret_key,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
`;

/** upload_file and download_file with 8 MiB parts; argv: bucket, key, source, destination. */
const TRANSFER = CLIENT + `
bucket, key, src, dst = sys.argv[4:8]
mib = 1024 * 1024
config = TransferConfig(multipart_threshold=8 * mib, multipart_chunksize=8 * mib, max_concurrency=4)
s3.upload_file(src, bucket, key, Config=config)
head = s3.head_object(Bucket=bucket, Key=key)
uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
s3.download_file(bucket, key, dst, Config=config)
print(json.dumps({"etag": head["ETag"], "size": head["ContentLength"], "uploads": len(uploads)}))
`;

/** The low-level multipart calls, one by one; argv: bucket. */
const LOW_LEVEL = CLIENT + `
bucket = sys.argv[4]
mib = 1024 * 1024
part1 = bytes(range(256)) * (5 * mib // 256)
part2 = b"the end"
up = s3.create_multipart_upload(Bucket=bucket, Key="low/level.bin", ContentType="application/x-test",
                                Metadata={"origin": "boto3"})
uid = up["UploadId"]
e1 = s3.upload_part(Bucket=bucket, Key="low/level.bin", UploadId=uid, PartNumber=1, Body=part1)["ETag"]
e2 = s3.upload_part(Bucket=bucket, Key="low/level.bin", UploadId=uid, PartNumber=2, Body=part2)["ETag"]
listed = s3.list_parts(Bucket=bucket, Key="low/level.bin", UploadId=uid)
in_progress = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
try:
    s3.complete_multipart_upload(Bucket=bucket, Key="low/level.bin", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    wrong_order = "accepted"
except s3.exceptions.ClientError as e:
    wrong_order = e.response["Error"]["Code"]
done = s3.complete_multipart_upload(Bucket=bucket, Key="low/level.bin", UploadId=uid,
    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
got = s3.get_object(Bucket=bucket, Key="low/level.bin")
body = got["Body"].read()
part = s3.get_object(Bucket=bucket, Key="low/level.bin", PartNumber=2)
aborted = s3.create_multipart_upload(Bucket=bucket, Key="low/aborted")["UploadId"]
s3.abort_multipart_upload(Bucket=bucket, Key="low/aborted", UploadId=aborted)
try:
    s3.list_parts(Bucket=bucket, Key="low/aborted", UploadId=aborted)
    after_abort = "listed"
except s3.exceptions.NoSuchUpload:
    after_abort = "NoSuchUpload"
print(json.dumps({
    "parts": [[p["PartNumber"], p["Size"], p["ETag"]] for p in listed["Parts"]],
    "inProgress": [u["Key"] for u in in_progress],
    "wrongOrder": wrong_order,
    "etag": done["ETag"],
    "bodyOk": body == part1 + part2,
    "contentType": got["ContentType"],
    "metadata": got["Metadata"],
    "part2": part["Body"].read().decode(),
    "partsCount": part.get("PartsCount"),
    "afterAbort": after_abort,
}))
`;

Deno.test("boto3 upload_file and download_file move a 30 MiB file in 8 MiB parts", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "boto3-big");
    await withTempDir(async (dir) => {
      const src = join(dir, "big.bin");
      const dst = join(dir, "back.bin");
      const sha256 = await writeGeneratedFile(src, 30 * MiB, 7);
      let result: { etag: string; size: number; uploads: number } | undefined;

      await t.step(
        "upload_file completes a 4-part object and leaves no upload behind",
        async () => {
          const r = await python(TRANSFER, [
            server.s3Url,
            server.accessKey,
            server.secretKey,
            "boto3-big",
            "dir/big.bin",
            src,
            dst,
          ]);
          result = JSON.parse(r.stdout);
          assert.match(result!.etag, /^"[0-9a-f]{32}-4"$/);
          assert.equal(result!.size, 30 * MiB);
          assert.equal(result!.uploads, 0);
        },
      );

      await t.step("download_file writes back the same bytes", async () => {
        assert.ok(result, "the upload step ran");
        assert.deepEqual(await sha256OfFile(dst), { sha256, size: 30 * MiB });
      });
    });
  });
});

Deno.test("boto3's low-level multipart calls behave like S3", async (t) => {
  await withServer(async (server) => {
    await createBucket(server, "boto3-low");
    const r = await python(LOW_LEVEL, [
      server.s3Url,
      server.accessKey,
      server.secretKey,
      "boto3-low",
    ]);
    const out = JSON.parse(r.stdout);

    await t.step("create_multipart_upload, upload_part and list_parts agree", () => {
      assert.equal(out.parts.length, 2);
      assert.deepEqual(out.parts.map((p: [number, number]) => [p[0], p[1]]), [[1, 5 * MiB], [
        2,
        7,
      ]]);
      assert.deepEqual(out.inProgress, ["low/level.bin"]);
    });

    await t.step(
      "complete_multipart_upload refuses parts out of order with InvalidPartOrder",
      () => {
        assert.equal(out.wrongOrder, "InvalidPartOrder");
      },
    );

    await t.step("the completed object has the parts' bytes, headers and metadata", () => {
      assert.match(out.etag, /^"[0-9a-f]{32}-2"$/);
      assert.equal(out.bodyOk, true);
      assert.equal(out.contentType, "application/x-test");
      assert.deepEqual(out.metadata, { origin: "boto3" });
    });

    await t.step("get_object with PartNumber returns that part and the part count", () => {
      assert.equal(out.part2, "the end");
      assert.equal(out.partsCount, 2);
    });

    await t.step("abort_multipart_upload makes list_parts answer NoSuchUpload", () => {
      assert.equal(out.afterAbort, "NoSuchUpload");
    });
  });
});
