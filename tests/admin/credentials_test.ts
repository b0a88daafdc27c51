import assert from "node:assert/strict";
import { CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import {
  adminFetch,
  assertApiError,
  clientFor,
  createBucketFor,
  createCredential,
  FIRST_CREDENTIAL_ID,
} from "../helpers/admin.ts";
import { sdkError } from "../helpers/s3.ts";
import { withServer } from "../helpers/server.ts";

Deno.test("credentials are created, listed, shown, updated and deleted", async (t) => {
  await withServer(async (server) => {
    await t.step("a credential created without a body gets AWS-style random keys", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/credentials");
      assert.equal(r.status, 201);
      assert.match(r.body.access_key, /^[A-Z2-7]{20}$/);
      assert.match(r.body.secret_key, /^[A-Za-z0-9]{40}$/);
      assert.equal(r.body.user_name, "");
      assert.equal(r.body.is_active, true);
      assert.equal(r.body.id, 2, "ids are numbers in creation order (1 is the first start's)");
      assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    await t.step(
      "a credential with a user name and custom keys works over S3 at once",
      async () => {
        const cred = await createCredential(server, {
          user_name: "john-doe",
          access_key: "AKIAIOSFODNN7EXAMPLE",
          secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        });
        assert.deepEqual(
          [cred.id, cred.user_name, cred.access_key, cred.secret_key],
          [3, "john-doe", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
        );
        const listed = await clientFor(server, cred).send(new ListBucketsCommand({}));
        assert.deepEqual(listed.Buckets ?? [], []);
      },
    );

    await t.step("a taken access key is 409", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/credentials", {
        access_key: "AKIAIOSFODNN7EXAMPLE",
      });
      assertApiError(r, 409, "access_key", /already in use/);
    });

    await t.step(
      "the list shows every credential with its bucket count, never a secret",
      async () => {
        const r = await adminFetch(server, "GET", "/api/v1/credentials");
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.credentials.map((c: { id: number }) => c.id), [1, 2, 3]);
        assert.equal(r.body.next_cursor, null);
        assert.equal(r.body.credentials[0].access_key, server.accessKey);
        for (const c of r.body.credentials) {
          assert.ok(!("secret_key" in c), "no secret_key in the list");
          assert.equal(c.bucket_count, 0);
        }
        assert.ok(!JSON.stringify(r.body).includes(server.secretKey));
      },
    );

    await t.step("the list pages with limit and next_cursor", async () => {
      const first = await adminFetch(server, "GET", "/api/v1/credentials?limit=2");
      assert.deepEqual(first.body.credentials.map((c: { id: number }) => c.id), [1, 2]);
      assert.equal(typeof first.body.next_cursor, "string");
      const second = await adminFetch(
        server,
        "GET",
        `/api/v1/credentials?limit=2&cursor=${first.body.next_cursor}`,
      );
      assert.deepEqual(second.body.credentials.map((c: { id: number }) => c.id), [3]);
      assert.equal(second.body.next_cursor, null);
    });

    await t.step("details show the bucket count and names, without the secret", async () => {
      await createBucketFor(server, "john-photos", 3);
      await createBucketFor(server, "john-docs", 3);
      const r = await adminFetch(server, "GET", "/api/v1/credentials/3");
      assert.equal(r.status, 200);
      assert.equal(r.body.user_name, "john-doe");
      assert.equal(r.body.bucket_count, 2);
      assert.deepEqual(r.body.buckets, ["john-docs", "john-photos"]);
      assert.ok(!("secret_key" in r.body));
    });

    await t.step("PUT changes the user name and answers with the credential", async () => {
      const r = await adminFetch(server, "PUT", "/api/v1/credentials/3", { user_name: "john" });
      assert.equal(r.status, 200);
      assert.equal(r.body.message, "Operation completed successfully");
      assert.equal(r.body.credential.user_name, "john");
      assert.equal(r.body.credential.is_active, true);
      const shown = await adminFetch(server, "GET", "/api/v1/credentials/3");
      assert.equal(shown.body.user_name, "john");
    });

    await t.step("deactivating (PATCH) refuses the credential's next S3 request", async () => {
      const s3 = clientFor(server, {
        access_key: "AKIAIOSFODNN7EXAMPLE",
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      });
      await s3.send(new ListBucketsCommand({}));
      const r = await adminFetch(server, "PATCH", "/api/v1/credentials/3", { is_active: false });
      assert.equal(r.body.credential.is_active, false);
      const refused = await sdkError(s3.send(new ListBucketsCommand({})));
      assert.deepEqual(refused, { code: "InvalidAccessKeyId", status: 403 });
      await adminFetch(server, "PATCH", "/api/v1/credentials/3", { is_active: true });
      const again = await s3.send(new ListBucketsCommand({}));
      assert.equal(again.Buckets?.length, 2, "reactivated, it sees its buckets again");
    });

    await t.step("deleting a credential that owns buckets is 409 naming them", async () => {
      const r = await adminFetch(server, "DELETE", "/api/v1/credentials/3");
      assertApiError(r, 409, "id", /john-docs, john-photos/);
      assert.equal((await adminFetch(server, "GET", "/api/v1/credentials/3")).status, 200);
    });

    await t.step(
      "once its buckets are gone the credential is deleted and refused over S3",
      async () => {
        const cred = {
          access_key: "AKIAIOSFODNN7EXAMPLE",
          secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        };
        const s3 = clientFor(server, cred);
        await s3.send(new DeleteBucketCommand({ Bucket: "john-docs" }));
        assert.equal(
          (await adminFetch(server, "DELETE", "/api/v1/buckets/john-photos")).status,
          200,
        );
        const r = await adminFetch(server, "DELETE", "/api/v1/credentials/3");
        assert.equal(r.status, 200);
        assert.equal(r.body.message, "Operation completed successfully");
        assertApiError(await adminFetch(server, "GET", "/api/v1/credentials/3"), 404, "id");
        assertApiError(await adminFetch(server, "DELETE", "/api/v1/credentials/3"), 404, "id");
        const refused = await sdkError(s3.send(new CreateBucketCommand({ Bucket: "john-again" })));
        assert.deepEqual(refused, { code: "InvalidAccessKeyId", status: 403 });
      },
    );

    await t.step("unknown ids are 404 and malformed ids 400, on every method", async () => {
      for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
        const body = method === "PUT" || method === "PATCH" ? { user_name: "x" } : undefined;
        assertApiError(await adminFetch(server, method, "/api/v1/credentials/99", body), 404, "id");
        for (const id of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
          const r = await adminFetch(server, method, `/api/v1/credentials/${id}`, body);
          assertApiError(r, 400, "id");
        }
      }
    });

    await t.step("the first credential keeps working throughout", async () => {
      const r = await adminFetch(server, "GET", `/api/v1/credentials/${FIRST_CREDENTIAL_ID}`);
      assert.equal(r.body.access_key, server.accessKey);
      await server.client().send(new ListBucketsCommand({}));
    });
  });
});

Deno.test("credential input is validated field by field", async (t) => {
  await withServer(async (server) => {
    const create = (body: unknown, rawBody?: string) =>
      adminFetch(server, "POST", "/api/v1/credentials", body, { rawBody });

    await t.step("create refuses each bad field with 400 naming it", async () => {
      const cases: [unknown, string][] = [
        [{ user_name: 5 }, "user_name"],
        [{ user_name: "x".repeat(129) }, "user_name"],
        [{ user_name: "bad\nname" }, "user_name"],
        [{ access_key: "ab" }, "access_key"],
        [{ access_key: "A".repeat(129) }, "access_key"],
        [{ access_key: "AKIA/SLASH" }, "access_key"],
        [{ access_key: "AKIA SPACE" }, "access_key"],
        [{ access_key: 12345 }, "access_key"],
        [{ secret_key: "short" }, "secret_key"],
        [{ secret_key: "has a space in it" }, "secret_key"],
        [{ secret_key: "é".repeat(20) }, "secret_key"],
        [{ secret_key: null }, "secret_key"],
        [{ accessKey: "AKIAEXAMPLE" }, "accessKey"],
      ];
      for (const [body, field] of cases) {
        assertApiError(await create(body), 400, field);
      }
    });

    await t.step("create refuses a body that is not a JSON object", async () => {
      assertApiError(await create(undefined, "{not json"), 400, undefined, /not valid JSON/);
      assertApiError(await create(undefined, "[1,2]"), 400, undefined, /JSON object/);
      assertApiError(await create(undefined, '"text"'), 400, undefined, /JSON object/);
    });

    await t.step("a body over 2 MiB is 413", async () => {
      const r = await create(undefined, JSON.stringify({ user_name: "x".repeat(3 * 1024 * 1024) }));
      assertApiError(r, 413, undefined, /larger than/);
    });

    await t.step("update refuses an empty change, wrong types and unknown fields", async () => {
      const update = (body: unknown) => adminFetch(server, "PATCH", "/api/v1/credentials/1", body);
      assertApiError(await update({}), 400, undefined, /nothing to update/);
      assertApiError(await update({ is_active: "false" }), 400, "is_active");
      assertApiError(await update({ is_active: 0 }), 400, "is_active");
      assertApiError(await update({ user_name: ["x"] }), 400, "user_name");
      assertApiError(await update({ secret_key: "new-secret-123" }), 400, "secret_key");
      const r = await adminFetch(server, "PUT", "/api/v1/credentials/1", undefined, {
        rawBody: "",
      });
      assertApiError(r, 400, undefined, /JSON body is required/);
    });

    await t.step("list paging parameters are checked", async () => {
      for (const q of ["limit=0", "limit=1001", "limit=abc", "limit=-1"]) {
        assertApiError(await adminFetch(server, "GET", `/api/v1/credentials?${q}`), 400, "limit");
      }
      for (const q of ["cursor=%%%", "cursor=bm90IGpzb24", "cursor=ImEi"]) {
        assertApiError(await adminFetch(server, "GET", `/api/v1/credentials?${q}`), 400, "cursor");
      }
    });
  });
});

Deno.test("a credential deleted while it creates a bucket never leaves an ownerless bucket", async () => {
  await withServer(async (server) => {
    // The S3 create and the admin delete are sent together, many times, so that some pairs
    // interleave; whichever commits first must make the other fail.
    const outcomes = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const cred = await createCredential(server, {});
      const bucket = `race-${i}`;
      const [created, deleted] = await Promise.all([
        clientFor(server, cred).send(new CreateBucketCommand({ Bucket: bucket })).then(
          () => "created",
          (err: { Code?: string; name: string }) => err.Code ?? err.name,
        ),
        adminFetch(server, "DELETE", `/api/v1/credentials/${cred.id}`),
      ]);
      const bucketNow = await adminFetch(server, "GET", `/api/v1/buckets/${bucket}`);
      const credNow = await adminFetch(server, "GET", `/api/v1/credentials/${cred.id}`);
      outcomes.add(`${created}/${deleted.status}`);
      if (deleted.status === 200) {
        assert.equal(credNow.status, 404);
        assert.notEqual(created, "created", `bucket ${bucket} was created for a deleted owner`);
        assert.equal(bucketNow.status, 404, `bucket ${bucket} outlived its owner`);
      } else {
        assertApiError(deleted, 409, "id", new RegExp(bucket));
        assert.equal(created, "created");
        assert.equal(bucketNow.status, 200);
        assert.equal(bucketNow.body.owner_id, cred.id);
      }
    }
    for (const outcome of outcomes) {
      assert.ok(
        ["created/409", "InvalidAccessKeyId/200"].includes(outcome),
        `unexpected outcome ${outcome}`,
      );
    }
  });
});
