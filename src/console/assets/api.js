// The management API as the console uses it: same-origin JSON requests with the session
// cookie (HttpOnly, so never visible here) and the CSRF token on every change. The admin
// key itself is only ever sent once, in the body of the sign-in request.

const BASE = "/api/v1";
let csrfToken = null;
const signedOutListeners = new Set();

/** An answer of the API that was not a success, with its status and the field at fault. */
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field ?? null;
  }
}

/** Called when the server says the session is gone (expired, signed out elsewhere). */
export function onSignedOut(fn) {
  signedOutListeners.add(fn);
}

/** Headers every changing request needs. */
export function csrfHeaders() {
  return csrfToken ? { "x-csrf-token": csrfToken } : {};
}

/**
 * `method path` under /api/v1 with an optional JSON body; resolves to the parsed answer or
 * throws an ApiError (status 0 when the server could not be reached).
 */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") Object.assign(headers, csrfHeaders());
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "The server could not be reached. Is vStash running?");
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const message = data?.error ?? `The server answered ${res.status} ${res.statusText}.`;
    if (res.status === 401 && path !== "/session") {
      csrfToken = null;
      for (const fn of signedOutListeners) fn();
    }
    throw new ApiError(res.status, message, data?.field);
  }
  return data;
}

/**
 * One page of a paged list: `field` names the array; `cursor` continues a previous page.
 * Resolves to `{ items, cursor }`, where `cursor` is null on the last page.
 */
export async function fetchPage(path, field, { limit = 100, cursor = null } = {}) {
  const sep = path.includes("?") ? "&" : "?";
  const page = await api(
    "GET",
    `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
  );
  return { items: page[field], cursor: page.next_cursor };
}

/** Every item of a paged list (`field` names the array), following next_cursor. */
export async function listAll(path, field, max = 10_000) {
  const items = [];
  let cursor = null;
  do {
    const page = await fetchPage(path, field, { limit: 1000, cursor });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor && items.length < max);
  return items;
}

/** Signs in with the admin key; the key is not kept anywhere afterwards. */
export async function signIn(key) {
  const session = await api("POST", "/session", { key });
  csrfToken = session.csrf_token;
  return session;
}

/** The live session of a reloaded page, or null when signed out. */
export async function currentSession() {
  try {
    const session = await api("GET", "/session");
    csrfToken = session.csrf_token;
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function signOut() {
  try {
    await api("DELETE", "/session");
  } finally {
    csrfToken = null;
  }
}

const enc = encodeURIComponent;

/** API paths of a bucket and its objects; keys are encoded whole ('/' as %2F). */
export const paths = {
  bucket: (b) => `/buckets/${enc(b)}`,
  objects: (b) => `/buckets/${enc(b)}/objects`,
  object: (b, key) => `/buckets/${enc(b)}/objects/${enc(key)}`,
  download: (b, key) => `${BASE}/buckets/${enc(b)}/download/${enc(key)}`,
  uploads: (b) => `/buckets/${enc(b)}/uploads`,
  upload: (b, id, key) => `/buckets/${enc(b)}/uploads/${enc(id)}?key=${enc(key)}`,
  part: (b, id, n, key) =>
    `${BASE}/buckets/${enc(b)}/uploads/${enc(id)}/parts/${n}?key=${enc(key)}`,
  complete: (b, id, key) => `/buckets/${enc(b)}/uploads/${enc(id)}/complete?key=${enc(key)}`,
  putObject: (b, key) => `${BASE}/buckets/${enc(b)}/objects/${enc(key)}`,
};
