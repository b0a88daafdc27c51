import { join } from "node:path";
import { CredentialStore } from "../../src/storage/credentials.ts";
import type { Credentials } from "./sign.ts";
import { type StartOptions, startTestServer, type TestServer } from "./server.ts";

/**
 * Adds a credential to a STOPPED server's data directory, through the project's own
 * CredentialStore on `<dataDir>/meta.kv`, and returns its key pair.
 *
 * Stopgap until the management API can create credentials: replace the callers with a
 * `POST /api/v1/credentials` once it exists.
 */
export async function addCredential(dataDir: string, userName = "second"): Promise<Credentials> {
  const kv = await Deno.openKv(join(dataDir, "meta.kv"));
  try {
    const suffix = crypto.randomUUID().replaceAll("-", "").toUpperCase();
    const created = await new CredentialStore(kv).create({
      accessKey: `AKSECOND${suffix}`.slice(0, 20),
      secretKey: `second-secret-${suffix}`,
      userName,
    });
    return { accessKeyId: created.accessKey, secretAccessKey: created.secretKey };
  } finally {
    kv.close();
  }
}

/**
 * Stops a server (keeping its data), and starts a new one on the same data directory with
 * the same keys in the environment, so the returned TestServer's credentials stay right.
 * The new server owns the data directory from then on: stop it without `keepData`.
 */
export async function restartServer(
  server: TestServer,
  opts: Omit<StartOptions, "dataDir"> = {},
): Promise<{ exitCode: number; server: TestServer }> {
  const exitCode = await server.stop({ keepData: true });
  const next = await startTestServer({
    ...opts,
    dataDir: server.dataDir,
    env: {
      VSTASH_ACCESS_KEY: server.accessKey,
      VSTASH_SECRET_KEY: server.secretKey,
      VSTASH_ADMIN_KEY: server.adminKey,
      ...opts.env,
    },
  });
  return { exitCode, server: next };
}

/**
 * A fresh server whose data directory holds a second credential besides the first, for
 * cross-credential tests (see addCredential).
 */
export async function startWithSecondCredential(
  opts: StartOptions = {},
): Promise<{ server: TestServer; other: Credentials }> {
  const first = await startTestServer(opts);
  await first.stop({ keepData: true });
  let other: Credentials;
  try {
    other = await addCredential(first.dataDir);
  } catch (err) {
    await Deno.remove(first.dataDir, { recursive: true }).catch(() => {});
    throw err;
  }
  const server = await startTestServer({
    ...opts,
    dataDir: first.dataDir,
    env: {
      VSTASH_ACCESS_KEY: first.accessKey,
      VSTASH_SECRET_KEY: first.secretKey,
      VSTASH_ADMIN_KEY: first.adminKey,
      ...opts.env,
    },
  });
  return { server, other };
}
