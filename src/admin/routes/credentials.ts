import { Hono } from "hono";
import { newKeyPair } from "../../bootstrap.ts";
import { StorageError } from "../../storage/errors.ts";
import type { CredentialRecord } from "../../storage/records.ts";
import type { AdminDeps, AdminEnv } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { isPositiveInteger, nextCursor, pageRequest } from "../pagination.ts";
import { optBoolean, optString, pathId, readJsonObject, type StringRules } from "../validate.ts";
import { createdCredentialView, credentialView, done } from "../views.ts";

/** Access keys go into `X-Amz-Credential`, split on `/`: letters, digits and `_.-` only. */
const ACCESS_KEY: StringRules = {
  min: 3,
  max: 128,
  pattern: /^[A-Za-z0-9_.-]+$/,
  patternHint: "may contain only letters, digits, '_', '.' and '-'",
};
/** Secrets are HMAC keys: any printable ASCII except space, long enough to matter. */
const SECRET_KEY: StringRules = {
  min: 8,
  max: 128,
  pattern: /^[\x21-\x7e]+$/,
  patternHint: "may contain only printable ASCII characters without spaces",
};
const USER_NAME: StringRules = {
  max: 128,
  // deno-lint-ignore no-control-regex -- the point is to find control characters
  pattern: /^[^\x00-\x1f\x7f]*$/,
  patternHint: "must not contain control characters",
};
/** How many bucket names a refused delete lists before saying "and N more". */
const NAMES_IN_MESSAGE = 10;

/** Credentials: access key pairs for the S3 API. Secrets leave the server only on create. */
export function credentialRoutes({ store, log }: AdminDeps): Hono<AdminEnv> {
  const r = new Hono<AdminEnv>();

  const found = async (id: number): Promise<CredentialRecord> => {
    const cred = await store.credentials.getById(id);
    if (!cred) throw new ApiError(404, `credential ${id} not found`, "id");
    return cred;
  };

  r.get("/credentials", async (c) => {
    const page = pageRequest(c, isPositiveInteger);
    const [all, buckets] = await Promise.all([store.credentials.list(), store.buckets.list()]);
    const counts = new Map<number, number>();
    for (const b of buckets) counts.set(b.ownerId, (counts.get(b.ownerId) ?? 0) + 1);
    const after = all.filter((cred) => page.after === null || cred.id > page.after);
    const shown = after.slice(0, page.limit);
    return c.json({
      credentials: shown.map((cred) => ({
        ...credentialView(cred),
        bucket_count: counts.get(cred.id) ?? 0,
      })),
      next_cursor: nextCursor(shown.at(-1)?.id, after.length > shown.length),
    });
  });

  r.post("/credentials", async (c) => {
    const body = await readJsonObject(c, ["user_name", "access_key", "secret_key"], {
      emptyIsObject: true,
    });
    const userName = optString(body, "user_name", USER_NAME) ?? "";
    const accessKey = optString(body, "access_key", ACCESS_KEY);
    const secretKey = optString(body, "secret_key", SECRET_KEY);
    const generated = newKeyPair();
    let created: CredentialRecord;
    try {
      created = await store.credentials.create({
        accessKey: accessKey ?? generated.accessKey,
        secretKey: secretKey ?? generated.secretKey,
        userName,
      });
    } catch (err) {
      if (err instanceof StorageError && err.kind === "CredentialExists") {
        throw new ApiError(409, `access_key ${accessKey} is already in use`, "access_key");
      }
      throw err;
    }
    log.info("credential created", { id: created.id, access_key: created.accessKey });
    return c.json(createdCredentialView(created), 201);
  });

  r.get("/credentials/:id", async (c) => {
    const cred = await found(pathId(c));
    const buckets = await store.buckets.list(cred.id);
    return c.json({
      ...credentialView(cred),
      bucket_count: buckets.length,
      buckets: buckets.map((b) => b.name),
    });
  });

  r.on(["PUT", "PATCH"], "/credentials/:id", async (c) => {
    const id = pathId(c);
    const body = await readJsonObject(c, ["user_name", "is_active"]);
    const userName = optString(body, "user_name", USER_NAME);
    const isActive = optBoolean(body, "is_active");
    if (userName === undefined && isActive === undefined) {
      throw new ApiError(400, "nothing to update: give user_name, is_active or both");
    }
    let updated: CredentialRecord;
    try {
      updated = await store.credentials.update(id, { userName, isActive });
    } catch (err) {
      if (err instanceof StorageError && err.kind === "CredentialNotFound") {
        throw new ApiError(404, `credential ${id} not found`, "id");
      }
      throw err;
    }
    log.info("credential updated", { id, is_active: updated.isActive });
    return c.json({ ...done(), credential: credentialView(updated) });
  });

  /**
   * Deleting a credential never orphans or deletes data: while it owns buckets the delete is
   * refused (409) and the message names them. Buckets cannot change owner, so they must be
   * deleted first; `is_active: false` locks a credential out while keeping its data.
   */
  r.delete("/credentials/:id", async (c) => {
    const cred = await found(pathId(c));
    try {
      await store.credentials.delete(cred.id, async (id) => {
        const owned = await store.buckets.list(id);
        if (owned.length === 0) return;
        const names = owned.slice(0, NAMES_IN_MESSAGE).map((b) => b.name).join(", ");
        const more = owned.length > NAMES_IN_MESSAGE
          ? ` and ${owned.length - NAMES_IN_MESSAGE} more`
          : "";
        throw new ApiError(
          409,
          `credential ${id} owns ${owned.length} bucket(s): ${names}${more}; delete them first, ` +
            "or set is_active to false to lock the credential out and keep its data",
          "id",
        );
      });
    } catch (err) {
      if (err instanceof StorageError && err.kind === "CredentialNotFound") {
        throw new ApiError(404, `credential ${cred.id} not found`, "id");
      }
      throw err;
    }
    log.info("credential deleted", { id: cred.id, access_key: cred.accessKey });
    return c.json(done());
  });

  return r;
}
