import { createHash } from "node:crypto";
import type { CredentialRecord } from "./storage/records.ts";
import type { Store } from "./storage/store.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random text from an alphabet, without modulo bias. */
export function randomString(alphabet: string, length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** An AWS-style access key id (20 characters, starting VS) and a 40-character secret. */
export function newKeyPair(): { accessKey: string; secretKey: string } {
  return {
    accessKey: "VS" + randomString(BASE32, 18),
    secretKey: randomString(ALNUM, 40),
  };
}

export function newAdminKey(): string {
  return "vsa_" + randomString(ALNUM, 40);
}

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** What the first start created, so that it can be shown once. Empty on later starts. */
export interface FirstStart {
  credential: CredentialRecord | null;
  /** The first credential came from VSTASH_ACCESS_KEY/VSTASH_SECRET_KEY: its secret is known. */
  credentialFromEnv: boolean;
  /** Set only when the admin key was generated here (not taken from the environment). */
  adminKey: string | null;
}

/**
 * On the first start, creates the first credential (from VSTASH_ACCESS_KEY and
 * VSTASH_SECRET_KEY, or random) and the management API key (VSTASH_ADMIN_KEY, or random).
 * A VSTASH_ADMIN_KEY given on a later start replaces the stored one; otherwise later
 * starts change nothing and reveal nothing.
 */
export async function bootstrap(
  store: Store,
  env: (name: string) => string | undefined,
): Promise<FirstStart> {
  const result: FirstStart = { credential: null, credentialFromEnv: false, adminKey: null };
  if ((await store.credentials.count()) === 0) {
    const accessKey = env("VSTASH_ACCESS_KEY");
    const secretKey = env("VSTASH_SECRET_KEY");
    result.credentialFromEnv = Boolean(accessKey && secretKey);
    const pair = accessKey && secretKey ? { accessKey, secretKey } : newKeyPair();
    result.credential = await store.credentials.create({ ...pair, userName: "admin" });
  }
  const envAdminKey = env("VSTASH_ADMIN_KEY");
  const storedHash = await store.adminKeyHash();
  if (envAdminKey) {
    if (storedHash !== sha256Hex(envAdminKey)) await store.setAdminKeyHash(sha256Hex(envAdminKey));
  } else if (storedHash === null) {
    result.adminKey = newAdminKey();
    await store.setAdminKeyHash(sha256Hex(result.adminKey));
  }
  return result;
}
