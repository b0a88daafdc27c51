import assert from "node:assert/strict";
import { adminFetch, type AdminFetchOptions, assertApiError } from "../helpers/admin.ts";
import { type TestServer, withServer } from "../helpers/server.ts";

/** Signs in as the console does; returns the cookie to send back and the CSRF token. */
async function signIn(server: TestServer, key = server.adminKey, headers = {}) {
  const r = await fetch(`${server.adminUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ key }),
  });
  const body = await r.json();
  const setCookie = r.headers.get("set-cookie") ?? "";
  return { status: r.status, body, setCookie, cookie: setCookie.split(";")[0], headers: r.headers };
}

/** adminFetch options for a request made by the console: the cookie, no key. */
function asConsole(cookie: string, csrf?: string): AdminFetchOptions {
  return { key: null, headers: { cookie, ...(csrf ? { "x-csrf-token": csrf } : {}) } };
}

/** A cookie whose session has ended: data answers 401 "sign in again", and so does a reload. */
async function assertSessionEnded(server: TestServer, cookie: string): Promise<void> {
  const data = await adminFetch(server, "GET", "/api/v1/stats", undefined, asConsole(cookie));
  assertApiError(data, 401, undefined, /sign in again/);
  const reload = await adminFetch(server, "GET", "/api/v1/session", undefined, asConsole(cookie));
  assertApiError(reload, 401);
}

Deno.test("the console signs in with the admin key and gets a session cookie", async (t) => {
  await withServer(async (server) => {
    let session = { cookie: "", csrf: "" };

    await t.step("the right key answers 201 with an HttpOnly, SameSite=Strict cookie", async () => {
      const r = await signIn(server);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.match(r.cookie, /^vstash_session=[A-Za-z0-9_-]{40,}$/);
      const attrs = r.setCookie.split(";").map((s) => s.trim());
      for (const a of ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"]) {
        assert.ok(attrs.includes(a), `${a} in ${r.setCookie}`);
      }
      assert.ok(!attrs.includes("Secure"), "plain HTTP: no Secure attribute");
      assert.match(r.body.csrf_token, /^[A-Za-z0-9_-]{40,}$/);
      assert.ok(Date.parse(r.body.expires_at) > Date.now() + 11 * 3600_000);
      assert.equal(r.headers.get("cache-control"), "no-store");
      session = { cookie: r.cookie, csrf: r.body.csrf_token };
    });

    await t.step("a wrong key is 401 and sets no cookie", async () => {
      const r = await signIn(server, "not-the-key");
      assert.equal(r.status, 401);
      assert.equal(r.setCookie, "");
      assert.match(r.body.error, /not valid/);
    });

    await t.step("a body without a key is 400", async () => {
      const r = await adminFetch(server, "POST", "/api/v1/session", {}, { key: null });
      assertApiError(r, 400, "key");
    });

    await t.step("the cookie alone authenticates reads", async () => {
      const r = await adminFetch(
        server,
        "GET",
        "/api/v1/stats",
        undefined,
        asConsole(session.cookie),
      );
      assert.equal(r.status, 200);
    });

    await t.step("a change with the cookie but without X-CSRF-Token is 403", async () => {
      const r = await adminFetch(
        server,
        "POST",
        "/api/v1/credentials",
        { user_name: "csrf" },
        asConsole(session.cookie),
      );
      assertApiError(r, 403, undefined, /CSRF/);
      const wrong = await adminFetch(
        server,
        "POST",
        "/api/v1/credentials",
        { user_name: "csrf" },
        asConsole(session.cookie, session.csrf.slice(0, -1) + "x"),
      );
      assertApiError(wrong, 403);
      const creds = await adminFetch(server, "GET", "/api/v1/credentials");
      assert.ok(!creds.body.credentials.some((c: { user_name: string }) => c.user_name === "csrf"));
    });

    await t.step("with the session's CSRF token the change goes through", async () => {
      const r = await adminFetch(
        server,
        "POST",
        "/api/v1/credentials",
        { user_name: "csrf" },
        asConsole(session.cookie, session.csrf),
      );
      assert.equal(r.status, 201);
    });

    await t.step("GET /session hands a reloaded page its CSRF token again", async () => {
      const r = await adminFetch(
        server,
        "GET",
        "/api/v1/session",
        undefined,
        asConsole(session.cookie),
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.csrf_token, session.csrf);
      assertApiError(
        await adminFetch(server, "GET", "/api/v1/session", undefined, { key: null }),
        401,
      );
    });

    await t.step("a presented API key decides on its own, cookie or not", async () => {
      const wrongKey = await adminFetch(server, "GET", "/api/v1/stats", undefined, {
        key: "wrong",
        headers: { cookie: session.cookie },
      });
      assertApiError(wrongKey, 401);
      const rightKey = await adminFetch(server, "POST", "/api/v1/credentials", { user_name: "k" });
      assert.equal(rightKey.status, 201, "scripts with the key need no CSRF token");
    });

    await t.step("an unknown or malformed session cookie is 401", async () => {
      for (const cookie of ["vstash_session=" + "A".repeat(43), "vstash_session=<script>"]) {
        const r = await adminFetch(server, "GET", "/api/v1/stats", undefined, asConsole(cookie));
        assertApiError(r, 401);
      }
    });

    await t.step("signing out needs the CSRF token too", async () => {
      const r = await adminFetch(
        server,
        "DELETE",
        "/api/v1/session",
        undefined,
        asConsole(session.cookie),
      );
      assertApiError(r, 403);
      const still = await adminFetch(
        server,
        "GET",
        "/api/v1/stats",
        undefined,
        asConsole(session.cookie),
      );
      assert.equal(still.status, 200, "a refused sign-out leaves the session alive");
    });

    await t.step("signing out clears the cookie and ends the session at once", async () => {
      const r = await adminFetch(
        server,
        "DELETE",
        "/api/v1/session",
        undefined,
        asConsole(session.cookie, session.csrf),
      );
      assert.equal(r.status, 200);
      assert.match(r.headers.get("set-cookie") ?? "", /^vstash_session=; .*Max-Age=0/);
      await assertSessionEnded(server, session.cookie);
    });

    await t.step("behind an HTTPS proxy the cookie is Secure", async () => {
      const r = await signIn(server, server.adminKey, { "x-forwarded-proto": "https" });
      assert.equal(r.status, 201);
      assert.ok(r.setCookie.split(";").map((s) => s.trim()).includes("Secure"), r.setCookie);
    });

    await t.step("the key, the cookie and the CSRF token never reach the log", () => {
      const out = server.output();
      assert.match(out, /console signed in/);
      assert.match(out, /console signed out/);
      assert.ok(!out.includes(server.adminKey), "the admin key is not logged");
      assert.ok(!out.includes("not-the-key"), "a wrong key is not logged");
      assert.ok(!out.includes(session.cookie.split("=")[1]), "the session token is not logged");
      assert.ok(!out.includes(session.csrf), "the CSRF token is not logged");
    });
  }, { env: { VSTASH_LOG_LEVEL: "info" } });
});

Deno.test("rotating the admin key ends every console session", async () => {
  await withServer(async (server) => {
    const first = await signIn(server);
    const second = await signIn(server);
    for (const s of [first, second]) {
      const r = await adminFetch(server, "GET", "/api/v1/stats", undefined, asConsole(s.cookie));
      assert.equal(r.status, 200);
    }
    const rotated = await adminFetch(server, "POST", "/api/v1/admin-key/rotate");
    assert.equal(rotated.status, 200);
    for (const s of [first, second]) await assertSessionEnded(server, s.cookie);
    assert.equal((await signIn(server)).status, 401, "the old key no longer signs in");
    const fresh = await signIn(server, rotated.body.admin_key);
    assert.equal(fresh.status, 201);
    const r = await adminFetch(server, "GET", "/api/v1/stats", undefined, asConsole(fresh.cookie));
    assert.equal(r.status, 200, "a sign-in with the new key works");
    server.adminKey = rotated.body.admin_key;
  });
});
