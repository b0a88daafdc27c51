import { RETRY, StorageError, withRetry } from "./errors.ts";
import { K } from "./kv_keys.ts";
import type { CredentialRecord } from "./records.ts";

/**
 * Access key pairs. Lookups are cached in memory because every S3 request needs one; every
 * change goes through this class, which drops the cached entry in the same step, so a
 * deactivated key is refused from the next request on.
 */
export class CredentialStore {
  readonly #kv: Deno.Kv;
  readonly #cache = new Map<string, CredentialRecord | null>();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async get(accessKey: string): Promise<CredentialRecord | null> {
    const cached = this.#cache.get(accessKey);
    if (cached !== undefined) return cached;
    const entry = await this.#kv.get<CredentialRecord>(K.credential(accessKey));
    // Unknown keys are not cached: an attacker must not be able to grow the map.
    if (entry.value) this.#cache.set(accessKey, entry.value);
    return entry.value;
  }

  async getById(id: number): Promise<CredentialRecord | null> {
    const ref = await this.#kv.get<string>(K.credentialById(id));
    return ref.value === null ? null : await this.get(ref.value);
  }

  async list(): Promise<CredentialRecord[]> {
    const out: CredentialRecord[] = [];
    for await (const e of this.#kv.list<CredentialRecord>({ prefix: K.credentials() })) {
      out.push(e.value);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#kv.list({ prefix: K.credentials() })) n++;
    return n;
  }

  /** Adds a credential with the next numeric id; throws CredentialExists for a taken key. */
  create(input: { accessKey: string; secretKey: string; userName: string }): Promise<
    CredentialRecord
  > {
    return withRetry("create credential", async () => {
      const [existing, seq] = await this.#kv.getMany<[CredentialRecord, Deno.KvU64]>([
        K.credential(input.accessKey),
        K.credentialSeq(),
      ]);
      if (existing.value) {
        throw new StorageError("CredentialExists", `access key ${input.accessKey} already exists`);
      }
      const id = Number(seq.value?.value ?? 0n) + 1;
      const record: CredentialRecord = { id, ...input, isActive: true, createdAt: Date.now() };
      const res = await this.#kv.atomic()
        .check(existing, seq)
        .set(K.credentialSeq(), new Deno.KvU64(BigInt(id)))
        .set(K.credential(record.accessKey), record)
        .set(K.credentialById(id), record.accessKey)
        .commit();
      if (!res.ok) return RETRY;
      this.#cache.delete(record.accessKey);
      return record;
    });
  }

  /** Changes the user name or the active flag. */
  update(id: number, patch: { userName?: string; isActive?: boolean }): Promise<CredentialRecord> {
    return withRetry("update credential", async () => {
      const ref = await this.#kv.get<string>(K.credentialById(id));
      if (ref.value === null) throw new StorageError("CredentialNotFound", `no credential ${id}`);
      const entry = await this.#kv.get<CredentialRecord>(K.credential(ref.value));
      if (!entry.value) throw new StorageError("CredentialNotFound", `no credential ${id}`);
      const record = { ...entry.value, ...definedOnly(patch) };
      const res = await this.#kv.atomic().check(entry).set(entry.key, record).commit();
      this.#cache.delete(record.accessKey);
      return res.ok ? record : RETRY;
    });
  }

  /**
   * Removes a credential. `mayDelete` runs inside every round and throws to refuse (the
   * management API refuses while the credential owns buckets). The commit checks the id entry
   * that every bucket create rewrites, so a bucket created meanwhile sends the delete back to
   * `mayDelete` instead of leaving that bucket without an owner.
   */
  delete(id: number, mayDelete: (id: number) => Promise<void>): Promise<CredentialRecord> {
    return withRetry("delete credential", async () => {
      const ref = await this.#kv.get<string>(K.credentialById(id));
      if (ref.value === null) throw new StorageError("CredentialNotFound", `no credential ${id}`);
      const entry = await this.#kv.get<CredentialRecord>(K.credential(ref.value));
      await mayDelete(id);
      const res = await this.#kv.atomic().check(ref, entry)
        .delete(ref.key).delete(entry.key).commit();
      this.#cache.delete(ref.value);
      return res.ok && entry.value ? entry.value : RETRY;
    });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
