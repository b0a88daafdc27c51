/**
 * PostObject end to end: real multipart/form-data bodies built by `FormData` and sent with
 * fetch() (or over a raw socket), POST policies signed here with node:crypto, results read
 * back with the AWS SDK.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { startWithSecondCredential } from "../helpers/credentials.ts";
import { assertS3Error, sdkError, xmlValue } from "../helpers/s3.ts";
import { post, postForm } from "../helpers/post_form.ts";
import { type TestServer, withServer } from "../helpers/server.ts";

const MiB = 1024 * 1024;

function md5(s: string | Uint8Array): string {
  return createHash("md5").update(s).digest("hex");
}

async function objectText(server: TestServer, bucket: string, key: string): Promise<string> {
  const got = await server.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return await got.Body!.transformToString();
}

async function assertNoObject(server: TestServer, bucket: string, key: string): Promise<void> {
  const err = await sdkError(
    server.client().send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
  );
  assert.equal(err.status, 404);
}

/** Files under the data directory's blobs/ and tmp/: a refused upload must add none. */
async function blobFiles(server: TestServer): Promise<number> {
  let n = 0;
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(join(dir, e.name));
      else n++;
    }
  };
  for (const d of ["blobs", "tmp"]) await walk(join(server.dataDir, d)).catch(() => {});
  return n;
}

Deno.test("PostObject stores a browser upload and answers as the form asks", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "forms" }));

    await t.step("a plain upload answers 204 with the ETag and stores the bytes", async () => {
      const r = await post(server, "forms", postForm(server, "forms", { file: "hello" }));
      assert.equal(r.status, 204, r.text);
      assert.equal(r.headers.get("etag"), `"${md5("hello")}"`);
      assert.equal(r.headers.get("location"), `${server.s3Url}/forms/k`);
      assert.equal(await objectText(server, "forms", "k"), "hello");
    });

    await t.step("success_action_status 201 answers a PostResponse document", async () => {
      const form = postForm(server, "forms", {
        fields: [["key", "dir/a b.txt"], ["success_action_status", "201"]],
        file: "doc",
      });
      const r = await post(server, "forms", form);
      assert.equal(r.status, 201, r.text);
      assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<PostResponse><Location>/);
      assert.equal(xmlValue(r.text, "Location"), `${server.s3Url}/forms/dir%2Fa%20b.txt`);
      assert.equal(xmlValue(r.text, "Bucket"), "forms");
      assert.equal(xmlValue(r.text, "Key"), "dir/a b.txt");
      assert.equal(xmlValue(r.text, "ETag"), `"${md5("doc")}"`);
      assert.equal(r.headers.get("etag"), `"${md5("doc")}"`);
    });

    await t.step("success_action_status 200 answers an empty 200, anything else 204", async () => {
      const ok = await post(
        server,
        "forms",
        postForm(server, "forms", { fields: [["key", "s"], ["success_action_status", "200"]] }),
      );
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.bytes.length, 0);
      const other = await post(
        server,
        "forms",
        postForm(server, "forms", { fields: [["key", "s"], ["success_action_status", "404"]] }),
      );
      assert.equal(other.status, 204, other.text);
    });

    await t.step(
      "success_action_redirect answers 303 with bucket, key and etag appended",
      async () => {
        const etag = encodeURIComponent(`"${md5("hello")}"`);
        const cases: [string, string, string][] = [
          [
            "success_action_redirect",
            "http://app.test/done?x=1",
            `http://app.test/done?x=1&bucket=forms&key=r%2F1+2&etag=${etag}`,
          ],
          [
            "success_action_redirect",
            "https://app.test/done",
            `https://app.test/done?bucket=forms&key=r%2F1+2&etag=${etag}`,
          ],
          [
            "redirect",
            "http://app.test/old?#frag",
            `http://app.test/old?bucket=forms&key=r%2F1+2&etag=${etag}#frag`,
          ],
        ];
        for (const [field, url, location] of cases) {
          const r = await post(
            server,
            "forms",
            postForm(server, "forms", { fields: [["key", "r/1 2"], [field, url]] }),
          );
          assert.equal(r.status, 303, r.text);
          assert.equal(r.headers.get("location"), location);
        }
        const relative = await post(
          server,
          "forms",
          postForm(server, "forms", {
            fields: [["key", "r/1 2"], ["success_action_redirect", "/relative"]],
          }),
        );
        assert.equal(relative.status, 204, "a URL S3 cannot interpret is ignored");
      },
    );

    await t.step("${filename} in the key becomes the uploaded file's name", async () => {
      const form = postForm(server, "forms", {
        fields: [["key", "uploads/${filename}"]],
        conditions: [["starts-with", "$key", "uploads/"]],
        file: "photo",
        filename: "holiday photo.jpg",
      });
      const r = await post(server, "forms", form);
      assert.equal(r.status, 204, r.text);
      assert.equal(await objectText(server, "forms", "uploads/holiday photo.jpg"), "photo");
    });

    await t.step(
      "content headers and x-amz-meta-* fields are stored and returned by GetObject",
      async () => {
        const fields: [string, string][] = [
          ["key", "meta"],
          ["Content-Type", "text/plain; charset=utf-8"],
          ["Cache-Control", "max-age=60"],
          ["Content-Disposition", 'attachment; filename="m.txt"'],
          ["Content-Encoding", "identity"],
          ["Expires", "Wed, 01 Jan 2031 00:00:00 GMT"],
          ["X-Amz-Meta-Color", "blue"],
          ["x-amz-meta-name", "ÄMÄZÕÑ S3"],
        ];
        const r = await post(server, "forms", postForm(server, "forms", { fields, file: "m" }));
        assert.equal(r.status, 204, r.text);
        const got = await s3.send(new GetObjectCommand({ Bucket: "forms", Key: "meta" }));
        assert.equal(await got.Body!.transformToString(), "m");
        assert.equal(got.ContentType, "text/plain; charset=utf-8");
        assert.equal(got.CacheControl, "max-age=60");
        assert.equal(got.ContentDisposition, 'attachment; filename="m.txt"');
        assert.equal(got.ContentEncoding, "identity");
        assert.equal(got.ExpiresString, "Wed, 01 Jan 2031 00:00:00 GMT");
        assert.deepEqual(got.Metadata, {
          color: "blue",
          name: "=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=", // RFC 2047, as S3 stores it
        });
      },
    );

    await t.step(
      "field names are case-insensitive and fields after the file are ignored",
      async () => {
        const form = postForm(server, "forms", {
          fields: [["KEY", "case"]],
          conditions: [["eq", "$key", "case"]],
          file: "c",
          after: [["x-amz-meta-late", "not in the policy"], ["submit", "Upload"]],
        });
        const r = await post(server, "forms", form);
        assert.equal(r.status, 204, r.text);
        const head = await s3.send(new HeadObjectCommand({ Bucket: "forms", Key: "case" }));
        assert.deepEqual(head.Metadata, {});
      },
    );

    await t.step("an x-amz-checksum-sha256 field is verified and stored", async () => {
      const sum = createHash("sha256").update("sum").digest("base64");
      const good = postForm(server, "forms", {
        fields: [["key", "sum"], ["x-amz-checksum-sha256", sum]],
        file: "sum",
      });
      const r = await post(server, "forms", good);
      assert.equal(r.status, 204, r.text);
      assert.equal(r.headers.get("x-amz-checksum-sha256"), sum);
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: "forms", Key: "sum", ChecksumMode: "ENABLED" }),
      );
      assert.equal(head.ChecksumSHA256, sum);
      const bad = postForm(server, "forms", {
        fields: [["key", "sum2"], ["x-amz-checksum-sha256", sum]],
        file: "other",
      });
      assertS3Error(await post(server, "forms", bad), 400, "BadDigest");
      await assertNoObject(server, "forms", "sum2");
    });

    await t.step("a second upload to the same key replaces the object", async () => {
      for (const body of ["first", "second"]) {
        const r = await post(
          server,
          "forms",
          postForm(server, "forms", { fields: [["key", "again"]], file: body }),
        );
        assert.equal(r.status, 204, r.text);
      }
      assert.equal(await objectText(server, "forms", "again"), "second");
    });
  });
});

Deno.test("PostObject refuses forms its policy does not allow and keeps nothing", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "guarded" }));
    await s3.send(new CreateBucketCommand({ Bucket: "elsewhere" }));
    await s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "k", Body: "previous" }));
    const files = await blobFiles(server);
    const refused = async (form: FormData, status: number, code: string, message?: string) => {
      const r = await post(server, "guarded", form);
      assertS3Error(r, status, code);
      if (message !== undefined) assert.equal(xmlValue(r.text, "Message"), message);
      assert.equal(await objectText(server, "guarded", "k"), "previous");
      assert.equal(await blobFiles(server), files, "no blob or temp file is left");
      return r;
    };
    const range = (
      min: number,
      max: number,
    ) => [["eq", "$key", "k"], ["content-length-range", min, max]];

    await t.step("a file over content-length-range is EntityTooLarge", async () => {
      const r = await refused(
        postForm(server, "guarded", { conditions: range(1, 10), file: "x".repeat(12) }),
        400,
        "EntityTooLarge",
      );
      assert.equal(xmlValue(r.text, "ProposedSize"), "12");
      assert.equal(xmlValue(r.text, "MaxSizeAllowed"), "10");
      const big = postForm(server, "guarded", {
        conditions: range(0, 1000),
        file: new Blob([new Uint8Array(3 * MiB)]),
      });
      await refused(big, 400, "EntityTooLarge");
    });

    await t.step("a file under content-length-range is EntityTooSmall", async () => {
      const r = await refused(
        postForm(server, "guarded", { conditions: range(5, 10), file: "x" }),
        400,
        "EntityTooSmall",
      );
      assert.equal(xmlValue(r.text, "MinSizeAllowed"), "5");
    });

    await t.step("an expired policy is AccessDenied", async () => {
      await refused(
        postForm(server, "guarded", { expiresInMs: -60_000 }),
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
      );
    });

    await t.step(
      "a policy changed after signing, or a wrong signature, is SignatureDoesNotMatch",
      async () => {
        const tampered = postForm(server, "guarded", {
          tamper: (p) => btoa(atob(p).replace('"k"', '"other"')),
        });
        await refused(tampered, 403, "SignatureDoesNotMatch");
        await refused(
          postForm(server, "guarded", { signature: "0".repeat(64) }),
          403,
          "SignatureDoesNotMatch",
        );
      },
    );

    await t.step("an unknown access key is InvalidAccessKeyId", async () => {
      for (const accessKeyId of ["AKNOBODY000000000000", "A".repeat(4096)]) {
        const credentials = { accessKeyId, secretAccessKey: "x" };
        await refused(postForm(server, "guarded", { credentials }), 403, "InvalidAccessKeyId");
      }
    });

    await t.step("a field the policy does not name is AccessDenied", async () => {
      const form = postForm(server, "guarded", {
        fields: [["key", "k"], ["x-amz-meta-Extra", "1"]],
        conditions: [["eq", "$key", "k"]],
      });
      await refused(
        form,
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-Extra",
      );
    });

    await t.step(
      "a value that fails starts-with is AccessDenied naming the condition",
      async () => {
        const form = postForm(server, "guarded", {
          conditions: [["starts-with", "$key", "uploads/"]],
        });
        await refused(
          form,
          403,
          "AccessDenied",
          'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
        );
      },
    );

    await t.step("a policy for another bucket is AccessDenied", async () => {
      await refused(
        postForm(server, "guarded", { policyBucket: "elsewhere" }),
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "elsewhere"]',
      );
    });

    await t.step("a form without key or without file is InvalidArgument", async () => {
      const noKey = await refused(
        postForm(server, "guarded", { fields: [["acl", "private"]] }),
        400,
        "InvalidArgument",
      );
      assert.equal(xmlValue(noKey.text, "ArgumentName"), "key");
      const noFile = postForm(server, "guarded");
      noFile.delete("file");
      const r = await refused(
        noFile,
        400,
        "InvalidArgument",
        "POST requires exactly one file upload per request.",
      );
      assert.equal(xmlValue(r.text, "ArgumentName"), "file");
    });

    await t.step(
      "fields over 20 KiB before the file are MaxPostPreDataLengthExceeded",
      async () => {
        const form = postForm(server, "guarded", {
          fields: [["key", "k"], ["x-ignore-pad", "p".repeat(21 * 1024)]],
        });
        const r = await refused(form, 400, "MaxPostPreDataLengthExceeded");
        assert.equal(xmlValue(r.text, "MaxPostPreDataLengthBytes"), "20480");
      },
    );

    await t.step("a form without signing fields is anonymous and refused", async () => {
      const form = new FormData();
      form.append("key", "k");
      form.append("file", new Blob(["x"]), "x");
      await refused(form, 403, "AccessDenied");
    });

    await t.step("a body without its closing boundary is MalformedPOSTRequest", async () => {
      const req = new Request("http://x/", {
        method: "POST",
        body: postForm(server, "guarded", { file: "new" }),
      });
      const bytes = new Uint8Array(await req.arrayBuffer());
      const boundary = /boundary=(.+)$/.exec(req.headers.get("content-type")!)![1];
      const cut = bytes.subarray(0, bytes.length - `--${boundary}--\r\n`.length);
      const r = await post(
        server,
        "guarded",
        new Request("http://x/", { method: "POST", body: cut, headers: req.headers }),
      );
      assertS3Error(r, 400, "MalformedPOSTRequest");
      assert.equal(await objectText(server, "guarded", "k"), "previous");
    });

    await t.step("a missing bucket is NoSuchBucket", async () => {
      const r = await post(server, "missing", postForm(server, "missing"));
      assertS3Error(r, 404, "NoSuchBucket");
    });
  });
});

Deno.test("PostObject refuses a bucket that another credential owns", async (t) => {
  const { server, other } = await startWithSecondCredential();
  try {
    const theirs = server.client({ credentials: other });
    await theirs.send(new CreateBucketCommand({ Bucket: "theirs" }));
    await t.step(
      "a policy signed by a key that does not own the bucket is AccessDenied",
      async () => {
        assertS3Error(
          await post(server, "theirs", postForm(server, "theirs")),
          403,
          "AccessDenied",
        );
        const err = await sdkError(
          theirs.send(new HeadObjectCommand({ Bucket: "theirs", Key: "k" })),
        );
        assert.equal(err.status, 404);
      },
    );
    await t.step("the owner's own signed policy is accepted", async () => {
      const r = await post(server, "theirs", postForm(server, "theirs", { credentials: other }));
      assert.equal(r.status, 204, r.text);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("PostObject streams a large file and keeps nothing of a truncated one", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: "big" }));
    const data = new Uint8Array(20 * MiB);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, i + 65536));
    }
    const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

    await t.step("a 20 MiB file arrives byte for byte", async () => {
      const form = postForm(server, "big", { fields: [["key", "twenty"]], file: new Blob([data]) });
      const r = await post(server, "big", form);
      assert.equal(r.status, 204, r.text);
      assert.equal(r.headers.get("etag"), `"${md5(data)}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: "big", Key: "twenty" }));
      const hash = createHash("sha256");
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      assert.equal(hash.digest("hex"), sha256(data));
      assert.equal(got.ContentLength, data.length);
    });

    /** Sends the headers and half the body of an upload over TCP, then ends the request. */
    const sendHalf = async (then: "half-close" | "close"): Promise<string> => {
      const req = new Request("http://x/", {
        method: "POST",
        body: postForm(server, "big", {
          fields: [["key", "twenty"]],
          file: new Blob([data.subarray(0, 4 * MiB)]),
        }),
      });
      const body = new Uint8Array(await req.arrayBuffer());
      const { hostname, port } = new URL(server.s3Url);
      const conn = await Deno.connect({ hostname, port: Number(port) });
      try {
        const head = `POST /big HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
          `Content-Type: ${req.headers.get("content-type")}\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        for (const bytes of [new TextEncoder().encode(head), body.subarray(0, body.length / 2)]) {
          for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
        }
        if (then === "close") return "";
        await conn.closeWrite();
        let answer = "";
        const buf = new Uint8Array(4096);
        for (let n; (n = await conn.read(buf)) !== null;) {
          answer += new TextDecoder().decode(buf.subarray(0, n));
        }
        return answer;
      } finally {
        conn.close();
      }
    };

    await t.step("a body that ends halfway is IncompleteBody and stores nothing", async () => {
      const files = await blobFiles(server);
      const answer = await sendHalf("half-close");
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.match(answer, /<Code>IncompleteBody<\/Code>/);
      assert.equal(await blobFiles(server), files, "the partial upload's temp file is removed");
    });

    await t.step("a connection dropped halfway through the body stores nothing", async () => {
      const files = await blobFiles(server);
      await sendHalf("close");
      // Nobody hears the answer: watch the disk instead. The temp file appears once the server
      // has checked the policy and started on the file, and must then go away again.
      const until = async (done: (n: number) => boolean, ms: number) => {
        for (const end = Date.now() + ms; !done(await blobFiles(server)) && Date.now() < end;) {
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await until((n) => n > files, 3_000);
      await until((n) => n === files, 10_000);
      assert.equal(await blobFiles(server), files, "the partial upload's temp file is removed");
      const got = await s3.send(new GetObjectCommand({ Bucket: "big", Key: "twenty" }));
      assert.equal(got.ContentLength, data.length, "the previous object is intact");
      const hash = createHash("sha256");
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      assert.equal(hash.digest("hex"), sha256(data));
    });
  });
});
