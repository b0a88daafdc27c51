/**
 * Storage-level failures the layers above translate into their own wire errors
 * (S3 codes in src/s3/errors.ts, JSON statuses in the management API).
 */
export class StorageError extends Error {
  constructor(
    readonly kind:
      | "BucketNotFound"
      | "BucketExists"
      | "BucketNotEmpty"
      | "CredentialNotFound"
      | "CredentialExists"
      | "UploadNotFound"
      | "Contention",
    message: string,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

/**
 * Whether an error means the disk (or quota) is full: a file write's ENOSPC/EDQUOT, or
 * SQLite's "database or disk is full", which Deno KV raises as a plain TypeError.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return true;
  return err instanceof Error &&
    /database or disk is full|No space left on device/i.test(err.message);
}

/** Returned by a withRetry step whose KV checks failed: read again and retry. */
export const RETRY: unique symbol = Symbol("retry");

/**
 * Runs a KV read-check-commit step until its checks pass. Conflicts only happen when another
 * request changed the same keys between the read and the commit, so a few rounds suffice.
 */
export async function withRetry<T>(
  what: string,
  attempt: () => Promise<T | typeof RETRY>,
): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const r = await attempt();
    if (r !== RETRY) return r;
    if (i > 3) await new Promise((res) => setTimeout(res, Math.random() * 5 * i));
  }
  throw new StorageError("Contention", `${what}: too many concurrent changes, try again`);
}
