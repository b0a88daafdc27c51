import assert from "node:assert/strict";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import { type Algorithm, b64, checksumOf, md5Base64 } from "../helpers/checksums.ts";
import { assertNoObject, assertObject, assertS3Error, getObject, utf8 } from "../helpers/s3.ts";

const ALGORITHMS: Algorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];
const BODY = utf8("The quick brown fox jumps over the lazy dog. ".repeat(100));
const OTHER = utf8("not the body");

type ChecksumFields = {
  ChecksumCRC32?: string;
  ChecksumCRC32C?: string;
  ChecksumCRC64NVME?: string;
  ChecksumSHA1?: string;
  ChecksumSHA256?: string;
};
const field = (alg: Algorithm) => `Checksum${alg}` as keyof ChecksumFields;

Deno.test("checksums: x-amz-checksum-*, ChecksumMode and Content-MD5", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await rawRequest(server, { method: "PUT", path: "/sums" });

    await t.step("the reference checksums match the published check values", () => {
      const check = utf8("123456789");
      const hex = (s: string) =>
        Array.from(atob(s), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
      assert.equal(hex(checksumOf("CRC32", check)), "cbf43926");
      assert.equal(hex(checksumOf("CRC32C", check)), "e3069283");
      assert.equal(hex(checksumOf("CRC64NVME", check)), "ae8b14860a799888");
    });

    for (const alg of ALGORITHMS) {
      await t.step(
        `the SDK's ChecksumAlgorithm ${alg} is verified, stored and returned on GET and HEAD with ChecksumMode ENABLED`,
        async () => {
          const key = `sdk-${alg}`;
          const expected = checksumOf(alg, BODY);
          const put = await s3.send(
            new PutObjectCommand({ Bucket: "sums", Key: key, Body: BODY, ChecksumAlgorithm: alg }),
          );
          assert.equal(put[field(alg)], expected);
          const got = await s3.send(
            new GetObjectCommand({ Bucket: "sums", Key: key, ChecksumMode: "ENABLED" }),
          );
          assert.equal(got[field(alg)], expected);
          assert.deepEqual(await got.Body!.transformToByteArray(), BODY);
          const head = await s3.send(
            new HeadObjectCommand({ Bucket: "sums", Key: key, ChecksumMode: "ENABLED" }),
          );
          assert.equal(head[field(alg)], expected);
          assert.equal(head.ChecksumType, "FULL_OBJECT");
          for (const other of ALGORITHMS.filter((a) => a !== alg)) {
            assert.equal(head[field(other)], undefined, `no ${other} for a ${alg} object`);
          }
        },
      );
    }

    await t.step(
      "without x-amz-checksum-mode the checksum is not sent; ranged reads never send it",
      async () => {
        const plain = await getObject(server, "sums", "sdk-SHA256");
        assert.equal(plain.status, 200);
        assert.equal(plain.headers.get("x-amz-checksum-sha256"), null);
        const ranged = await getObject(server, "sums", "sdk-SHA256", {
          headers: { "x-amz-checksum-mode": "ENABLED", range: "bytes=0-9" },
        });
        assert.equal(ranged.status, 206);
        assert.equal(ranged.headers.get("x-amz-checksum-sha256"), null);
      },
    );

    await t.step("ListObjectsV2 names each object's checksum algorithm", async () => {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: "sums", Prefix: "sdk-" }));
      assert.deepEqual(
        out.Contents?.map((c) => [c.Key, c.ChecksumAlgorithm?.[0]]),
        ALGORITHMS.map((a) => [`sdk-${a}`, a]).sort(),
      );
    });

    for (const alg of ALGORITHMS) {
      await t.step(
        `a raw x-amz-checksum-${alg.toLowerCase()} header: right stores, wrong answers BadDigest, malformed InvalidRequest`,
        async () => {
          const header = `x-amz-checksum-${alg.toLowerCase()}`;
          const key = `raw-${alg}`;
          const ok = await rawRequest(server, {
            method: "PUT",
            path: `/sums/${key}`,
            body: BODY,
            headers: { [header]: checksumOf(alg, BODY) },
          });
          assert.equal(ok.status, 200, ok.text);
          assert.equal(ok.headers.get(header), checksumOf(alg, BODY));

          const wrong = await rawRequest(server, {
            method: "PUT",
            path: `/sums/${key}`,
            body: OTHER,
            headers: { [header]: checksumOf(alg, BODY) },
          });
          assertS3Error(wrong, 400, "BadDigest");
          await assertObject(server, "sums", key, BODY);

          for (const malformed of ["not base64!", b64(new Uint8Array(3)), ""]) {
            const r = await rawRequest(server, {
              method: "PUT",
              path: `/sums/${key}-malformed`,
              body: BODY,
              headers: { [header]: malformed },
            });
            assertS3Error(r, 400, "InvalidRequest");
          }
          await assertNoObject(server, "sums", `${key}-malformed`);
          const head = await rawRequest(server, {
            method: "HEAD",
            path: `/sums/${key}`,
            headers: { "x-amz-checksum-mode": "ENABLED" },
          });
          assert.equal(head.headers.get(header), checksumOf(alg, BODY));
        },
      );
    }

    await t.step("two different checksum headers answer 400 InvalidRequest", async () => {
      const r = await rawRequest(server, {
        method: "PUT",
        path: "/sums/two",
        body: BODY,
        headers: {
          "x-amz-checksum-crc32": checksumOf("CRC32", BODY),
          "x-amz-checksum-sha1": checksumOf("SHA1", BODY),
        },
      });
      assertS3Error(r, 400, "InvalidRequest");
      await assertNoObject(server, "sums", "two");
    });

    await t.step(
      "x-amz-sdk-checksum-algorithm alone makes the server compute and store that checksum",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/sums/computed",
          body: BODY,
          headers: { "x-amz-sdk-checksum-algorithm": "CRC32C" },
        });
        assert.equal(r.status, 200, r.text);
        const head = await rawRequest(server, {
          method: "HEAD",
          path: "/sums/computed",
          headers: { "x-amz-checksum-mode": "ENABLED" },
        });
        assert.equal(head.headers.get("x-amz-checksum-crc32c"), checksumOf("CRC32C", BODY));
      },
    );

    await t.step("a matching Content-MD5 is accepted", async () => {
      const r = await rawRequest(server, {
        method: "PUT",
        path: "/sums/md5",
        body: BODY,
        headers: { "content-md5": md5Base64(BODY) },
      });
      assert.equal(r.status, 200, r.text);
    });

    await t.step(
      "a wrong Content-MD5 answers 400 BadDigest and keeps the old version",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/sums/md5",
          body: OTHER,
          headers: { "content-md5": md5Base64(BODY) },
        });
        assertS3Error(r, 400, "BadDigest");
        await assertObject(server, "sums", "md5", BODY);
      },
    );

    await t.step(
      "a malformed Content-MD5 answers 400 InvalidDigest and stores nothing",
      async () => {
        for (const value of ["zzz", b64(new Uint8Array(15)), "not-base64-at-all=="]) {
          const r = await rawRequest(server, {
            method: "PUT",
            path: "/sums/md5-malformed",
            body: BODY,
            headers: { "content-md5": value },
          });
          assertS3Error(r, 400, "InvalidDigest");
        }
        await assertNoObject(server, "sums", "md5-malformed");
      },
    );
  });
});
