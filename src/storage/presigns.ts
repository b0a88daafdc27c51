import { timeOrderedId } from "../hex.ts";
import { K } from "./kv_keys.ts";

/**
 * The query parameter of a management-API presigned URL that names its record. It is part of
 * the signed query, so it cannot be removed or changed without breaking the signature.
 */
export const PRESIGN_ID_PARAM = "x-vstash-presign-id";

/**
 * A presigned URL handed out by the management API. The URL carries the record's id inside
 * its signed query, so the S3 listener can refuse it once it is revoked; the expiry is the
 * URL's own X-Amz-Expires, kept here to list and count active URLs.
 */
export interface PresignRecord {
  id: string;
  bucket: string;
  key: string;
  method: string;
  accessKey: string;
  url: string;
  createdAt: number;
  expiresAt: number;
  /** Set by a revoke; the record stays until garbage collection so refusals can say why. */
  revokedAt: number | null;
}

/** What a presigned request is about to do, compared against its record. */
export interface PresignUse {
  bucket: string | null;
  key: string | null;
  method: string;
  accessKey: string;
}

/** Records outlive their URL by this long before KV may collect them. */
const GC_GRACE_MS = 24 * 60 * 60 * 1000;
/** Ids are random hex after a time prefix; anything else is not one of ours. */
const PRESIGN_ID = /^[0-9a-f]{12}[0-9a-f]{16}$/;

/** Time-ordered (12 hex digits of epoch ms) then random, so listings come out oldest first. */
export function newPresignId(now = Date.now()): string {
  return timeOrderedId(8, now);
}

export function isActive(r: PresignRecord, now: number): boolean {
  return r.revokedAt === null && r.expiresAt > now;
}

/**
 * Presigned URL records. KV's `expireIn` is only garbage collection: an expired entry stays
 * readable for a while, so every reader checks `expiresAt` itself.
 */
export class PresignStore {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async create(record: PresignRecord): Promise<void> {
    await this.#kv.set(K.presign(record.id), record, {
      expireIn: Math.max(record.expiresAt - Date.now(), 0) + GC_GRACE_MS,
    });
  }

  async get(id: string): Promise<PresignRecord | null> {
    if (!PRESIGN_ID.test(id)) return null;
    return (await this.#kv.get<PresignRecord>(K.presign(id))).value;
  }

  /**
   * Revokes an active URL at once. Returns the record as it was, or null for an unknown id;
   * a record already revoked or expired is returned unchanged.
   */
  async revoke(id: string, now = Date.now()): Promise<PresignRecord | null> {
    if (!PRESIGN_ID.test(id)) return null;
    for (let i = 0; i < 20; i++) {
      const entry = await this.#kv.get<PresignRecord>(K.presign(id));
      if (!entry.value) return null;
      if (!isActive(entry.value, now)) return entry.value;
      const revoked = { ...entry.value, revokedAt: now };
      const res = await this.#kv.atomic().check(entry).set(entry.key, revoked, {
        expireIn: Math.max(entry.value.expiresAt - now, 0) + GC_GRACE_MS,
      }).commit();
      if (res.ok) return entry.value;
    }
    throw new Error("revoke presigned URL: too many concurrent changes");
  }

  /** Active (unrevoked, unexpired) records after the id `after`, oldest first, at most `limit`. */
  async listActive(
    after: string | null,
    limit: number,
    now = Date.now(),
  ): Promise<{ records: PresignRecord[]; more: boolean }> {
    const records: PresignRecord[] = [];
    const selector: Deno.KvListSelector = after === null
      ? { prefix: K.presigns() }
      : { prefix: K.presigns(), start: K.presign(after + "\0") };
    for await (const e of this.#kv.list<PresignRecord>(selector)) {
      if (!isActive(e.value, now)) continue;
      if (records.length === limit) return { records, more: true };
      records.push(e.value);
    }
    return { records, more: false };
  }

  async countActive(now = Date.now()): Promise<number> {
    let n = 0;
    for await (const e of this.#kv.list<PresignRecord>({ prefix: K.presigns() })) {
      if (isActive(e.value, now)) n++;
    }
    return n;
  }

  /**
   * Why a presigned request carrying record `id` must be refused, or null when it may go on.
   * The record must exist, be active, and match the request's bucket, key, method and signer.
   */
  async refusal(id: string, use: PresignUse, now = Date.now()): Promise<string | null> {
    const r = await this.get(id);
    if (r === null) return "This presigned URL is not known to this server.";
    if (r.revokedAt !== null) return "This presigned URL has been revoked.";
    if (r.expiresAt <= now) return "This presigned URL has expired.";
    if (r.bucket !== use.bucket || r.key !== use.key) {
      return "This presigned URL was issued for a different bucket or key.";
    }
    if (r.method !== use.method) {
      return `This presigned URL was issued for ${r.method}, not ${use.method}.`;
    }
    if (r.accessKey !== use.accessKey) {
      return "This presigned URL was issued for a different access key.";
    }
    return null;
  }
}
