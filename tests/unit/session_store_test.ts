import assert from "node:assert/strict";
import {
  csrfMatches,
  SESSION_TTL_MS,
  sessionCookie,
  SessionStore,
  sessionToken,
} from "../../src/admin/session.ts";

Deno.test("SessionStore.get() finds a live session and forgets it once expired", () => {
  let now = 1_000_000;
  const sessions = new SessionStore(() => now);
  const { token, session } = sessions.create();
  assert.equal(sessions.get(token), session);
  now += SESSION_TTL_MS - 1;
  assert.equal(sessions.get(token), session);
  now += 1;
  assert.equal(sessions.get(token), null);
  assert.equal(sessions.size, 0, "an expired session is dropped when looked up");
});

Deno.test("SessionStore.delete() ends a session; deleting twice is harmless", () => {
  const sessions = new SessionStore();
  const { token } = sessions.create();
  sessions.delete(token);
  sessions.delete(token);
  assert.equal(sessions.get(token), null);
});

Deno.test("SessionStore keeps at most 1000 sessions, dropping the oldest", () => {
  const sessions = new SessionStore();
  const first = sessions.create().token;
  for (let i = 0; i < 1000; i++) sessions.create();
  assert.equal(sessions.size, 1000);
  assert.equal(sessions.get(first), null);
});

Deno.test("csrfMatches() accepts only the session's own token", () => {
  const { session } = new SessionStore().create();
  assert.equal(csrfMatches(session, session.csrfToken), true);
  assert.equal(csrfMatches(session, session.csrfToken + "x"), false);
  assert.equal(csrfMatches(session, ""), false);
  assert.equal(csrfMatches(session, null), false);
});

Deno.test("sessionToken() reads only a well-formed vstash_session cookie", () => {
  const token = "a".repeat(43);
  assert.equal(sessionToken(new Headers({ cookie: `x=1; vstash_session=${token}; y=2` })), token);
  assert.equal(sessionToken(new Headers({ cookie: "vstash_session=short" })), null);
  assert.equal(sessionToken(new Headers({ cookie: `other_session=${token}` })), null);
  assert.equal(sessionToken(new Headers()), null);
});

Deno.test("sessionCookie() sets HttpOnly and SameSite=Strict, Secure only over HTTPS", () => {
  assert.equal(
    sessionCookie("tok", false),
    "vstash_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
  );
  assert.match(sessionCookie("tok", true), /; Secure$/);
  assert.equal(
    sessionCookie(null, false),
    "vstash_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
  );
});
