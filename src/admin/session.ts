import { constantTimeEqual } from "../auth/constant_time.ts";
import { sha256Hex } from "../bootstrap.ts";
import { BoundedMap } from "../memo.ts";

/** The console's session cookie: HttpOnly, SameSite=Strict, never readable by scripts. */
export const SESSION_COOKIE = "vstash_session";
/** The header every cookie-authenticated request but GET and HEAD must carry. */
export const CSRF_HEADER = "x-csrf-token";
/** How long a sign-in lasts. Sessions live in memory: a restart signs everyone out. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Past this many live sessions the oldest is dropped, so sign-ins cannot grow memory. */
const MAX_SESSIONS = 1000;

export interface Session {
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Console sessions, in memory. Tokens are kept only as SHA-256 digests, so a heap dump does
 * not hold usable cookies; the CSRF token is not a secret from the signed-in page (it is
 * handed to it) but one a cross-site page cannot read.
 */
export class SessionStore {
  /** Past the limit, starting a session ends the oldest. */
  readonly #sessions = new BoundedMap<string, Session>(MAX_SESSIONS);
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Starts a session; returns the cookie token (given to the browser only) and the session. */
  create(): { token: string; session: Session } {
    this.#purge();
    const now = this.#now();
    const token = randomToken();
    const session = { csrfToken: randomToken(), createdAt: now, expiresAt: now + SESSION_TTL_MS };
    this.#sessions.set(sha256Hex(token), session);
    return { token, session };
  }

  /** The live session a cookie token names, or null (unknown, signed out or expired). */
  get(token: string): Session | null {
    const id = sha256Hex(token);
    const session = this.#sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return null;
    }
    return session;
  }

  /** Ends a session; signing out twice is harmless. */
  delete(token: string): void {
    this.#sessions.delete(sha256Hex(token));
  }

  /** Ends every session: after the admin key changes, no sign-in made with the old one lasts. */
  clear(): void {
    this.#sessions.clear();
  }

  get size(): number {
    return this.#sessions.size;
  }

  #purge(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfMatches(session: Session, presented: string | null): boolean {
  if (presented === null) return false;
  return constantTimeEqual(presented, session.csrfToken);
}

/** The session cookie's token from a Cookie header, or null. */
export function sessionToken(headers: Headers): string | null {
  const cookie = headers.get("cookie");
  if (!cookie) return null;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
    }
  }
  return null;
}

/**
 * The Set-Cookie value for a session (or, with `token` null, one that clears it). `Secure`
 * is added when the console is reached over HTTPS (directly or through a proxy that says so).
 */
export function sessionCookie(token: string | null, secure: boolean, maxAgeMs = SESSION_TTL_MS) {
  const attrs = [
    `${SESSION_COOKIE}=${token ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${token === null ? 0 : Math.floor(maxAgeMs / 1000)}`,
  ];
  if (secure) attrs.push("Secure");
  return attrs.join("; ");
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}
