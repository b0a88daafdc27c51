import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { startWithSecondCredential } from "../helpers/credentials.ts";
import { startTestServer, withServer } from "../helpers/server.ts";
import { rawRequest, signRequest, socketRequest } from "../helpers/sign.ts";
import { assertObject, assertS3Error, sdkError, xmlValue, xmlValues } from "../helpers/s3.ts";

async function bucketNames(s3: S3Client): Promise<string[]> {
  const out = await s3.send(new ListBucketsCommand({}));
  return (out.Buckets ?? []).map((b) => b.Name!);
}

const LOCATION_EU = "<CreateBucketConfiguration><LocationConstraint>eu-west-1" +
  "</LocationConstraint></CreateBucketConfiguration>";

Deno.test("buckets: create, head, locate, list and delete, each credential on its own", async (t) => {
  const { server, other } = await startWithSecondCredential();
  try {
    const s3 = server.client();
    const s3other = server.client({ credentials: other });

    await t.step(
      "CreateBucket answers 200 and the bucket then answers HeadBucket 200",
      async () => {
        const r = await rawRequest(server, { method: "PUT", path: "/photos" });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("location"), "/photos");
        const head = await rawRequest(server, { method: "HEAD", path: "/photos" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("x-amz-bucket-region"), "us-east-1");
        assert.equal(head.bytes.length, 0);
      },
    );

    await t.step(
      "CreateBucket refuses names against S3's rules with InvalidBucketName",
      async () => {
        const invalid = [
          "ab",
          "a".repeat(64),
          "Upper-case",
          "under_score",
          "-leading-dash",
          "trailing-dash-",
          ".leading-dot",
          "double..dot",
          "dash-.dot",
          "192.168.1.10",
          "xn--punycode",
          "white%20space",
        ];
        for (const name of invalid) {
          const r = await rawRequest(server, { method: "PUT", path: `/${name}` });
          assertS3Error(r, 400, "InvalidBucketName");
        }
        const names = await bucketNames(s3);
        for (const name of invalid) assert.ok(!names.includes(name), `${name} was created`);
      },
    );

    await t.step("CreateBucket accepts the edges of the naming rules", async () => {
      for (const name of ["abc", "a".repeat(63), "my.dotted.bucket", "0-9-digits"]) {
        const r = await rawRequest(server, { method: "PUT", path: `/${name}` });
        assert.equal(r.status, 200, `${name}: ${r.text}`);
      }
      const names = await bucketNames(s3);
      for (const name of ["abc", "a".repeat(63), "my.dotted.bucket", "0-9-digits"]) {
        assert.ok(names.includes(name), `${name} is listed`);
      }
    });

    await t.step(
      "re-creating your own bucket in us-east-1 answers 200 and keeps its objects",
      async () => {
        await s3.send(new PutObjectCommand({ Bucket: "photos", Key: "cat.jpg", Body: "meow" }));
        const r = await rawRequest(server, { method: "PUT", path: "/photos" });
        assert.equal(r.status, 200, r.text);
        await assertObject(server, "photos", "cat.jpg", "meow");
      },
    );

    await t.step(
      "CreateBucket accepts an empty LocationConstraint and refuses a foreign region",
      async () => {
        const empty = await rawRequest(server, {
          method: "PUT",
          path: "/located-default",
          body: "<CreateBucketConfiguration><LocationConstraint></LocationConstraint>" +
            "</CreateBucketConfiguration>",
        });
        assert.equal(empty.status, 200, empty.text);
        const foreign = await rawRequest(server, {
          method: "PUT",
          path: "/located-foreign",
          body: LOCATION_EU,
        });
        assertS3Error(foreign, 400, "InvalidLocationConstraint");
        const names = await bucketNames(s3);
        assert.ok(names.includes("located-default"));
        assert.ok(!names.includes("located-foreign"));
      },
    );

    await t.step(
      "CreateBucket with a malformed configuration answers MalformedXML and creates nothing",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/badly-configured",
          body: "<CreateBucketConfiguration><LocationConstraint>",
        });
        assertS3Error(r, 400, "MalformedXML");
        const head = await rawRequest(server, { method: "HEAD", path: "/badly-configured" });
        assert.equal(head.status, 404);
      },
    );

    await t.step("GetBucketLocation answers an empty LocationConstraint in us-east-1", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/photos?location" });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<LocationConstraint xmlns="[^"]+"\s*\/>|<LocationConstraint[^>]*><\//);
      const out = await s3.send(new GetBucketLocationCommand({ Bucket: "photos" }));
      assert.ok(!out.LocationConstraint, `got ${out.LocationConstraint}`);
    });

    await t.step(
      "HeadBucket and GetBucketLocation of a missing bucket answer 404 NoSuchBucket",
      async () => {
        const head = await rawRequest(server, { method: "HEAD", path: "/no-such-bucket" });
        assertS3Error(head, 404, "NoSuchBucket", { head: true });
        const loc = await rawRequest(server, { method: "GET", path: "/no-such-bucket?location" });
        assertS3Error(loc, 404, "NoSuchBucket");
        assert.equal(xmlValue(loc.text, "BucketName"), "no-such-bucket");
      },
    );

    await t.step("ListBuckets shows each credential only its own buckets", async () => {
      await s3other.send(new CreateBucketCommand({ Bucket: "theirs" }));
      const mine = await bucketNames(s3);
      const theirs = await bucketNames(s3other);
      assert.ok(mine.includes("photos"));
      assert.ok(!mine.includes("theirs"));
      assert.deepEqual(theirs, ["theirs"]);
      // Name order, as S3 lists them.
      assert.deepEqual(mine, [...mine].sort());
      const raw = await rawRequest(server, { method: "GET", path: "/" });
      assert.equal(raw.status, 200);
      assert.equal(xmlValue(raw.text, "ID"), server.accessKey);
      assert.deepEqual(xmlValues(raw.text, "Name"), mine);
    });

    await t.step(
      "CreateBucket of a name another credential owns answers 409 BucketAlreadyExists",
      async () => {
        const r = await rawRequest(server, { method: "PUT", path: "/photos", credentials: other });
        assertS3Error(r, 409, "BucketAlreadyExists");
        const err = await sdkError(s3.send(new CreateBucketCommand({ Bucket: "theirs" })));
        assert.deepEqual(err, { code: "BucketAlreadyExists", status: 409 });
        await assertObject(server, "photos", "cat.jpg", "meow");
      },
    );

    await t.step("another credential's bucket answers 403 AccessDenied to everything", async () => {
      const as = { credentials: other };
      const cases: [string, string, string?, Record<string, string>?][] = [
        ["GET", "/photos"],
        ["GET", "/photos?list-type=2"],
        ["GET", "/photos?location"],
        ["GET", "/photos/cat.jpg"],
        ["PUT", "/photos/cat.jpg", "hijacked"],
        ["PUT", "/photos/new.jpg", "planted"],
        ["DELETE", "/photos/cat.jpg"],
        ["DELETE", "/photos"],
        [
          "POST",
          "/photos?delete",
          "<Delete><Object><Key>cat.jpg</Key></Object></Delete>",
        ],
        ["PUT", "/theirs/stolen.jpg", "", { "x-amz-copy-source": "/photos/cat.jpg" }],
      ];
      for (const [method, path, body, headers] of cases) {
        const r = await rawRequest(server, { method, path, body, headers, ...as });
        assertS3Error(r, 403, "AccessDenied");
      }
      for (const path of ["/photos", "/photos/cat.jpg"]) {
        const head = await rawRequest(server, { method: "HEAD", path, ...as });
        assertS3Error(head, 403, "AccessDenied", { head: true });
      }
      // The other way round: the owner of "photos" cannot reach into "theirs" either.
      const copyIn = await rawRequest(server, {
        method: "PUT",
        path: "/photos/copied.jpg",
        headers: { "x-amz-copy-source": "/theirs/anything" },
      });
      assertS3Error(copyIn, 403, "AccessDenied");
    });

    await t.step(
      "after the refused requests the owner's bucket and objects are intact",
      async () => {
        await assertObject(server, "photos", "cat.jpg", "meow");
        const planted = await rawRequest(server, { method: "HEAD", path: "/photos/new.jpg" });
        assert.equal(planted.status, 404);
        const stolen = await rawRequest(server, {
          method: "HEAD",
          path: "/theirs/stolen.jpg",
          credentials: other,
        });
        assert.equal(stolen.status, 404);
        assert.ok((await bucketNames(s3)).includes("photos"));
      },
    );

    await t.step(
      "DeleteBucket of a bucket with objects answers 409 BucketNotEmpty and keeps them",
      async () => {
        const r = await rawRequest(server, { method: "DELETE", path: "/photos" });
        assertS3Error(r, 409, "BucketNotEmpty");
        await assertObject(server, "photos", "cat.jpg", "meow");
      },
    );

    await t.step("DeleteBucket of an empty bucket answers 204 and frees the name", async () => {
      assert.equal(
        (await rawRequest(server, { method: "DELETE", path: "/photos/cat.jpg" })).status,
        204,
      );
      const r = await rawRequest(server, { method: "DELETE", path: "/photos" });
      assert.equal(r.status, 204, r.text);
      assert.equal((await rawRequest(server, { method: "HEAD", path: "/photos" })).status, 404);
      assert.ok(!(await bucketNames(s3)).includes("photos"));
      const again = await rawRequest(server, { method: "DELETE", path: "/photos" });
      assertS3Error(again, 404, "NoSuchBucket");
      // The name is free: another credential can take it now.
      const taken = await rawRequest(server, {
        method: "PUT",
        path: "/photos",
        credentials: other,
      });
      assert.equal(taken.status, 200, taken.text);
      assert.deepEqual(await bucketNames(s3other), ["photos", "theirs"]);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("buckets in a region other than us-east-1 (--region eu-west-1)", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client({ region: "eu-west-1" });

    await t.step("CreateBucket with LocationConstraint eu-west-1 answers 200", async () => {
      const r = await rawRequest(server, { method: "PUT", path: "/euro", body: LOCATION_EU });
      assert.equal(r.status, 200, r.text);
    });

    await t.step("GetBucketLocation and HeadBucket report eu-west-1", async () => {
      const out = await s3.send(new GetBucketLocationCommand({ Bucket: "euro" }));
      assert.equal(out.LocationConstraint, "eu-west-1");
      const head = await rawRequest(server, { method: "HEAD", path: "/euro" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("x-amz-bucket-region"), "eu-west-1");
    });

    await t.step("CreateBucket without a configuration puts the bucket in eu-west-1", async () => {
      const r = await rawRequest(server, { method: "PUT", path: "/plain" });
      assert.equal(r.status, 200, r.text);
      const loc = await rawRequest(server, { method: "GET", path: "/plain?location" });
      assert.equal(xmlValue(loc.text, "LocationConstraint"), "eu-west-1");
      const list = await s3.send(new ListBucketsCommand({}));
      assert.deepEqual(
        list.Buckets?.map((b) => [b.Name, b.BucketRegion]),
        [["euro", "eu-west-1"], ["plain", "eu-west-1"]],
      );
    });

    await t.step("re-creating your own bucket answers 409 BucketAlreadyOwnedByYou", async () => {
      const r = await rawRequest(server, { method: "PUT", path: "/euro", body: LOCATION_EU });
      assertS3Error(r, 409, "BucketAlreadyOwnedByYou");
      const err = await sdkError(s3.send(new CreateBucketCommand({ Bucket: "plain" })));
      assert.deepEqual(err, { code: "BucketAlreadyOwnedByYou", status: 409 });
    });

    await t.step(
      "a LocationConstraint naming another region answers 400 and creates nothing",
      async () => {
        const r = await rawRequest(server, {
          method: "PUT",
          path: "/elsewhere",
          body: "<CreateBucketConfiguration><LocationConstraint>ap-south-1" +
            "</LocationConstraint></CreateBucketConfiguration>",
        });
        assertS3Error(r, 400, "InvalidLocationConstraint");
        assert.equal(
          (await rawRequest(server, { method: "HEAD", path: "/elsewhere" })).status,
          404,
        );
      },
    );
  }, { args: ["--region", "eu-west-1"] });
});

Deno.test("virtual-hosted-style addressing (--domain)", async (t) => {
  const server = await startTestServer({ args: ["--domain", "s3.vstash.test"] });
  const port = new URL(server.s3Url).port;
  const vhost = (bucket: string) => `${bucket}.s3.vstash.test:${port}`;
  try {
    await t.step("CreateBucket through Host: <bucket>.<domain> creates the bucket", async () => {
      const r = await rawRequest(server, { method: "PUT", path: "/", host: vhost("hosted") });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.headers.get("x-amz-request-id"));
      const head = await rawRequest(server, { method: "HEAD", path: "/hosted" });
      assert.equal(head.status, 200, "the bucket is visible path-style too");
    });

    await t.step("PutObject and GetObject address the key by the path alone", async () => {
      const put = await rawRequest(server, {
        method: "PUT",
        path: "/dir/a%20b/%C3%A9t%C3%A9.txt",
        host: vhost("hosted"),
        body: "summer",
        headers: { "content-type": "text/plain" },
      });
      assert.equal(put.status, 200, put.text);
      const got = await rawRequest(server, {
        method: "GET",
        path: "/dir/a%20b/%C3%A9t%C3%A9.txt",
        host: vhost("hosted"),
      });
      assert.equal(got.status, 200, got.text);
      assert.equal(got.text, "summer");
      assert.equal(got.headers.get("content-type"), "text/plain");
      // The same object path-style: the key is "dir/a b/été.txt".
      await assertObject(server, "hosted", "dir/a b/été.txt", "summer");
    });

    await t.step("ListObjectsV2 and HeadBucket work on the bucket host", async () => {
      const list = await rawRequest(server, {
        method: "GET",
        path: "/?list-type=2",
        host: vhost("hosted"),
      });
      assert.equal(list.status, 200, list.text);
      assert.equal(xmlValue(list.text, "Name"), "hosted");
      assert.deepEqual(xmlValues(list.text, "Key"), ["dir/a b/été.txt"]);
      const head = await rawRequest(server, { method: "HEAD", path: "/", host: vhost("hosted") });
      assert.equal(head.status, 200);
    });

    await t.step("one URL on two bucket hosts addresses two buckets, each time", async () => {
      // GETs are planned once per method, Host and URL (request_plan.ts).
      await rawRequest(server, { method: "PUT", path: "/other" });
      await rawRequest(server, { method: "PUT", path: "/other/only-here", body: "x" });
      for (let round = 0; round < 2; round++) {
        for (const [bucket, keys] of [["hosted", ["dir/a b/été.txt"]], ["other", ["only-here"]]]) {
          const list = await rawRequest(server, {
            method: "GET",
            path: "/?list-type=2",
            host: vhost(bucket as string),
          });
          assert.equal(xmlValue(list.text, "Name"), bucket, `round ${round}`);
          assert.deepEqual(xmlValues(list.text, "Key"), keys);
        }
      }
      // A request line with an absolute URL of its own: the Host header still decides.
      for (const bucket of ["hosted", "other", "hosted"]) {
        const signed = await signRequest(server, {
          method: "GET",
          path: "/?list-type=2",
          host: vhost(bucket),
        });
        signed.target = `http://${vhost("hosted")}/?list-type=2`;
        const list = await socketRequest(server, signed);
        assert.equal(list.status, 200, list.text);
        assert.equal(xmlValue(list.text, "Name"), bucket);
      }
    });

    await t.step("a bucket host for a missing bucket answers 404 NoSuchBucket", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/k", host: vhost("missing") });
      assertS3Error(r, 404, "NoSuchBucket");
    });

    await t.step("the bare domain as Host is path-style addressing", async () => {
      const r = await rawRequest(server, {
        method: "GET",
        path: "/hosted/dir/a%20b/%C3%A9t%C3%A9.txt",
        host: `s3.vstash.test:${port}`,
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, "summer");
    });

    await t.step("DeleteObject through the bucket host removes the object", async () => {
      const del = await rawRequest(server, {
        method: "DELETE",
        path: "/dir/a%20b/%C3%A9t%C3%A9.txt",
        host: vhost("hosted"),
      });
      assert.equal(del.status, 204);
      const got = await rawRequest(server, {
        method: "GET",
        path: "/dir/a%20b/%C3%A9t%C3%A9.txt",
        host: vhost("hosted"),
      });
      assertS3Error(got, 404, "NoSuchKey");
    });
  } finally {
    await server.stop();
  }
});
