import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { createAdminApp } from "../../src/admin/app.ts";
import { openApiDocument } from "../../src/admin/openapi.ts";
import { loadConfig } from "../../src/config.ts";
import { Logger } from "../../src/log.ts";
import type { Store } from "../../src/storage/store.ts";
import { adminFetch, createBucketFor, createCredential, type Json } from "../helpers/admin.ts";
import { responseProblems, validated } from "../helpers/openapi_check.ts";
import { withServer } from "../helpers/server.ts";

const doc: Json = openApiDocument;
const METHODS = ["get", "put", "post", "delete", "patch"];

/** Every documented operation as "METHOD /path/{param}". */
function documentedOperations(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out.sort();
}

/** Every route the admin app registers, in OpenAPI path syntax (`:key{.+}` → `{key}`). */
function registeredRoutes(): string[] {
  // Building the app touches none of its dependencies; routes are all it is needed for here.
  const app = createAdminApp({
    store: {} as Store,
    config: loadConfig([], () => undefined),
    log: new Logger("silent"),
    s3Url: "http://127.0.0.1:9000",
  });
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // middleware and the catch-all 404
    out.add(`${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`);
  }
  return [...out].sort();
}

Deno.test("the OpenAPI document describes exactly the routes the app serves", async (t) => {
  await t.step("every registered route is documented and every documented one registered", () => {
    assert.deepEqual(registeredRoutes(), documentedOperations());
  });

  await t.step("it is OpenAPI 3.1 with unique operation ids", () => {
    assert.equal(doc.openapi, "3.1.0");
    const ids = Object.values(doc.paths as Record<string, Json>).flatMap((item) =>
      METHODS.filter((m) => item[m]).map((m) => item[m].operationId)
    );
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => typeof id === "string"));
  });

  await t.step("every $ref resolves", () => {
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.push(x as string) : walk(x);
      }
    };
    walk(doc);
    assert.ok(refs.length > 50);
    for (const ref of refs) {
      const target = ref.slice(2).split("/").reduce((o: Json, k) => o?.[k], doc);
      assert.ok(target, `${ref} resolves`);
    }
  });

  await t.step("every path parameter is declared by its operations", () => {
    const resolve = (p: Json) =>
      p.$ref ? p.$ref.slice(2).split("/").reduce((o: Json, k: string) => o[k], doc) : p;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const m of METHODS.filter((m) => item[m])) {
        const declared = (item[m].parameters ?? []).map(resolve)
          .filter((p: Json) => p.in === "path").map((p: Json) => p.name);
        assert.deepEqual(declared.sort(), names.sort(), `${m} ${path}`);
      }
    }
  });

  await t.step("every operation but the public ones answers 401 in the document", () => {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const m of METHODS.filter((m) => item[m])) {
        const isPublic = Array.isArray(item[m].security) && item[m].security.length === 0;
        assert.equal("401" in item[m].responses, !isPublic, `${m} ${path}`);
      }
    }
  });
});

Deno.test("real answers of every operation match the document", async (t) => {
  await withServer(async (server) => {
    await t.step("the served document is the one in the code", async () => {
      const r = await fetch(`${server.adminUrl}/api/v1/openapi.json`);
      assert.deepEqual(await r.json(), JSON.parse(JSON.stringify(openApiDocument)));
    });

    await t.step("each operation's success answer has the documented required fields", async () => {
      // adminFetch checks each answer against the document; this step calls every operation.
      const s3 = server.client();
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await adminFetch(server, method, path, body);
        assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      };
      await call("GET", "/health/live");
      await call("GET", "/health/ready");
      await call("GET", "/api/v1/openapi.json");
      const cred = await createCredential(server, { user_name: "doc" });
      await call("GET", "/api/v1/credentials");
      await call("GET", `/api/v1/credentials/${cred.id}`);
      await call("PUT", `/api/v1/credentials/${cred.id}`, { user_name: "doc2" });
      await call("PATCH", `/api/v1/credentials/${cred.id}`, { is_active: true });
      await createBucketFor(server, "doc-bucket", 1);
      await s3.send(new PutObjectCommand({ Bucket: "doc-bucket", Key: "k/1", Body: "one" }));
      await s3.send(new PutObjectCommand({ Bucket: "doc-bucket", Key: "k/2", Body: "two" }));
      await s3.send(new CreateMultipartUploadCommand({ Bucket: "doc-bucket", Key: "up" }));
      await call("GET", "/api/v1/buckets");
      await call("GET", "/api/v1/buckets/doc-bucket");
      await call("GET", "/api/v1/buckets/doc-bucket/objects?prefix=k/");
      await call("GET", "/api/v1/buckets/doc-bucket/objects/k%2F1");
      await call("GET", "/api/v1/buckets/doc-bucket/uploads");
      const url = await call("POST", "/api/v1/presigned-urls", {
        bucket_name: "doc-bucket",
        object_key: "k/1",
        access_key: server.accessKey,
      });
      await call("GET", "/api/v1/presigned-urls");
      await call("GET", "/api/v1/stats");
      await call("GET", "/api/v1/activity?limit=5");
      await call("DELETE", `/api/v1/presigned-urls/${url.id}`);
      await call("DELETE", "/api/v1/buckets/doc-bucket/objects/k%2F1");
      await call("POST", "/api/v1/buckets/doc-bucket/objects/delete", { keys: ["k/2"] });
      await call("DELETE", "/api/v1/buckets/doc-bucket");
      await s3.send(new CreateBucketCommand({ Bucket: "doc-bucket" }));
      await call("DELETE", "/api/v1/buckets/doc-bucket?force=true");
      await call("DELETE", `/api/v1/credentials/${cred.id}`);
      // Uploads and downloads through the admin listener (the console's way).
      await createBucketFor(server, "doc-up", 1);
      await call("GET", "/api/v1/buckets/doc-up/objects?delimiter=/");
      await adminFetch(server, "PUT", "/api/v1/buckets/doc-up/objects/a%2Fb.txt", undefined, {
        rawBody: "bytes",
        headers: { "content-type": "text/plain" },
      });
      const up = await call("POST", "/api/v1/buckets/doc-up/uploads", { key: "big" });
      const part = await adminFetch(
        server,
        "PUT",
        `/api/v1/buckets/doc-up/uploads/${up.upload_id}/parts/1?key=big`,
        undefined,
        { rawBody: "part one" },
      );
      await call("POST", `/api/v1/buckets/doc-up/uploads/${up.upload_id}/complete?key=big`, {
        parts: [{ part_number: 1, etag: part.body.etag }],
      });
      const doomed = await call("POST", "/api/v1/buckets/doc-up/uploads", { key: "gone" });
      await call("DELETE", `/api/v1/buckets/doc-up/uploads/${doomed.upload_id}?key=gone`);
      // Object bytes, the console's page and scripts are not JSON: their status is checked.
      for (const path of ["/api/v1/buckets/doc-up/download/big", "/", "/assets/app.js"]) {
        const r = await fetch(server.adminUrl + path, {
          headers: { "x-api-key": server.adminKey },
        });
        await r.body?.cancel();
        assert.deepEqual(responseProblems("GET", path, r.status, null), [], path);
      }
      await call("DELETE", "/api/v1/buckets/doc-up?force=true");
      // The console's session: sign in, read it back, sign out.
      const signIn = await fetch(`${server.adminUrl}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: server.adminKey }),
      });
      const session = await signIn.json();
      assert.deepEqual(responseProblems("POST", "/api/v1/session", signIn.status, session), []);
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0];
      const asConsole = { key: null, headers: { cookie, "x-csrf-token": session.csrf_token } };
      await adminFetch(server, "GET", "/api/v1/session", undefined, asConsole);
      await adminFetch(server, "DELETE", "/api/v1/session", undefined, asConsole);
      // /metrics answers text, which adminFetch does not parse: its status is checked.
      const metrics = await fetch(`${server.adminUrl}/metrics`, {
        headers: { authorization: `Bearer ${server.adminKey}` },
      });
      await metrics.body?.cancel();
      assert.deepEqual(responseProblems("GET", "/metrics", metrics.status, null), []);
      // Last, since it replaces the key every call here sends.
      server.adminKey = (await call("POST", "/api/v1/admin-key/rotate")).admin_key;

      const documented2xx = Object.entries(doc.paths as Record<string, Json>).flatMap((
        [path, item],
      ) =>
        METHODS.filter((m) => item[m]).flatMap((m) =>
          Object.keys(item[m].responses).filter((s) => s.startsWith("2")).map((s) =>
            `${m.toUpperCase()} ${path} ${s}`
          )
        )
      ).sort();
      assert.deepEqual([...validated].filter((v) => / 2\d\d$/.test(v)).sort(), documented2xx);
    });

    await t.step("error answers match the documented error schema", async () => {
      // Each of these goes through adminFetch, which fails on an undocumented status or shape.
      await adminFetch(server, "GET", "/api/v1/credentials/999");
      await adminFetch(server, "POST", "/api/v1/buckets", { name: "x" });
      await adminFetch(server, "GET", "/api/v1/stats", undefined, { key: "nope" });
      await adminFetch(server, "POST", "/api/v1/credentials", { access_key: server.accessKey });
      for (const status of ["400", "401", "404", "409"]) {
        assert.ok([...validated].some((v) => v.endsWith(` ${status}`)), `a ${status} was checked`);
      }
    });
  });
});
