import assert from "node:assert/strict";
import { adminFetch, assertApiError } from "../helpers/admin.ts";
import { withServer } from "../helpers/server.ts";

Deno.test("the management API admits only its API key", async (t) => {
  await withServer(async (server) => {
    await t.step("no key is 401 JSON with a WWW-Authenticate challenge", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/stats", undefined, { key: null });
      assertApiError(r, 401, undefined, /X-API-Key/);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
    });

    await t.step("a wrong key is 401, on every endpoint", async () => {
      for (
        const [method, path] of [
          ["GET", "/api/v1/stats"],
          ["GET", "/api/v1/credentials"],
          ["POST", "/api/v1/credentials"],
          ["DELETE", "/api/v1/buckets/some-bucket"],
          ["GET", "/api/v1/presigned-urls"],
        ]
      ) {
        const body = method === "GET" ? undefined : {};
        const r = await adminFetch(server, method, path, body, { key: "wrong-key" });
        assertApiError(r, 401, undefined, /not valid/);
      }
    });

    await t.step("unknown API paths answer 401 before 404, so routes are not probed", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/nothing-here", undefined, { key: null });
      assertApiError(r, 401);
    });

    await t.step("the key is accepted as X-API-Key and as Authorization: Bearer", async () => {
      assert.equal((await adminFetch(server, "GET", "/api/v1/stats")).status, 200);
      const bearer = await adminFetch(server, "GET", "/api/v1/stats", undefined, { bearer: true });
      assert.equal(bearer.status, 200);
    });

    await t.step("another Authorization scheme (an S3 signature) is 401", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/stats", undefined, {
        key: null,
        headers: { authorization: `AWS4-HMAC-SHA256 Credential=${server.accessKey}/x` },
      });
      assertApiError(r, 401);
    });

    await t.step("the key's prefix or the key with extra characters is refused", async () => {
      for (const key of [server.adminKey.slice(0, -1), server.adminKey + "x"]) {
        assertApiError(await adminFetch(server, "GET", "/api/v1/stats", undefined, { key }), 401);
      }
    });

    await t.step("failed attempts are logged without the key that was sent", () => {
      const out = server.output();
      assert.match(out, /management API authentication failed/);
      assert.match(out, /"reason":"wrong key"/);
      assert.doesNotMatch(out, /wrong-key/);
      assert.ok(!out.includes(server.adminKey.slice(0, -1)), "a near-miss key is not logged");
    });

    await t.step("health probes and the OpenAPI document need no key", async () => {
      for (const path of ["/health/live", "/health/ready", "/api/v1/openapi.json"]) {
        const r = await adminFetch(server, "GET", path, undefined, { key: null });
        assert.equal(r.status, 200, path);
      }
      const ready = await adminFetch(server, "GET", "/health/ready", undefined, { key: null });
      assert.equal(ready.body.status, "ready");
    });

    await t.step("an unknown API path with the key is a JSON 404", async () => {
      const r = await adminFetch(server, "GET", "/api/v1/nothing-here");
      assertApiError(r, 404, undefined, /no endpoint/);
      assertApiError(await adminFetch(server, "GET", "/api/v2/stats"), 404);
    });

    await t.step("a known path with another method is 405 with Allow", async () => {
      const r = await adminFetch(server, "PATCH", "/api/v1/stats", {});
      assertApiError(r, 405);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
      const creds = await adminFetch(server, "DELETE", "/api/v1/credentials");
      assertApiError(creds, 405);
      assert.equal(creds.headers.get("allow"), "GET, HEAD, POST");
    });
  });
});
