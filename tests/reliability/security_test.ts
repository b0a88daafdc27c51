/**
 * Security properties, each checked from the outside where possible:
 * - no object key ever becomes a file name or path (only random 32-hex blob names exist);
 * - the data directory is 0700, the KV files and every blob 0600, cli.token 0600;
 * - secrets never reach the log, even at debug level: admin key, secret keys, signatures
 *   (header, presigned, chunk), session cookies and CSRF tokens, wrong keys presented;
 * - the management API answers 401 on every route without a key (openapi.json and the
 *   console's static files, which hold no data, excepted);
 * - every place a secret is compared uses a constant-time comparison;
 * - failed authentication is rate-limited per source address.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isAdminKey } from "../../src/admin/auth.ts";
import type { AdminDeps } from "../../src/admin/deps.ts";
import { csrfMatches, type Session } from "../../src/admin/session.ts";
import { signaturesEqual } from "../../src/auth/canonical.ts";
import { constantTimeEqual } from "../../src/auth/constant_time.ts";
import { sha256Hex } from "../../src/bootstrap.ts";
import { CONSOLE_ASSETS } from "../../src/console/assets.ts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { adminFetch, createCredential } from "../helpers/admin.ts";
import { createBucket } from "../helpers/multipart.ts";
import { assertS3Error, awsPath } from "../helpers/s3.ts";
import { startTestServer, withServer } from "../helpers/server.ts";
import { buildChunkedUpload, rawRequest, sendSigned, signRequest } from "../helpers/sign.ts";

/** Keys that a naive store would turn into paths, some of them escaping the data directory. */
const HOSTILE_KEYS = [
  "../../escaped-by-key",
  "/abs/escaped-by-key",
  "a\\..\\..\\b",
  "nul\u0000byte",
  "..",
  "./.",
  "meta.kv",
  "blobs/00/00/00000000000000000000000000000000",
  "tmp/x.tmp",
  "~/.ssh/authorized_keys",
  "C:\\Windows\\system32\\x",
  "con",
  "%2e%2e%2f%2e%2e%2fescaped",
  "x/".repeat(300) + "deep",
  "../".repeat(341) + "x",
];

Deno.test("no object key becomes a file name or a path", async () => {
  await withServer(async (server) => {
    await createBucket(server, "sec");
    // Where a naive join of data dir and key would put each object; what is there before.
    const naive = HOSTILE_KEYS.flatMap((key) =>
      [server.dataDir, join(server.dataDir, "blobs"), join(server.dataDir, "sec")].map((base) => ({
        key,
        path: join(base, key.replaceAll("\\", "/")),
      }))
    );
    const existedBefore = new Set<string>();
    for (const { path } of naive) if (await exists(path)) existedBefore.add(path);
    for (const key of HOSTILE_KEYS) {
      const r = await rawRequest(server, {
        method: "PUT",
        path: `/sec/${awsPath(key)}`,
        body: `payload of ${JSON.stringify(key)}`,
        socket: true,
      });
      assert.equal(r.status, 200, `PUT ${JSON.stringify(key)}: ${r.text}`);
      const back = await rawRequest(server, {
        method: "GET",
        path: `/sec/${awsPath(key)}`,
        socket: true,
      });
      assert.equal(back.text, `payload of ${JSON.stringify(key)}`);
    }
    const unexpected = await unexpectedEntries(server.dataDir);
    assert.deepEqual(unexpected, [], "only meta.kv*, blobs/xx/yy/<32 hex>, tmp/ and runtime files");
    // Nothing landed where a naive join of data dir and key would put it.
    for (const { key, path } of naive) {
      if (existedBefore.has(path)) {
        const text = await Deno.readTextFile(path).catch(() => null);
        assert.notEqual(
          text,
          `payload of ${JSON.stringify(key)}`,
          `${JSON.stringify(key)} wrote ${path}`,
        );
      } else assert.equal(await exists(path), false, `${JSON.stringify(key)} created ${path}`);
    }
  });
});

Deno.test("the data directory is private: 0700 directories, 0600 files", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "vstash-modes-" });
  await Deno.chmod(dataDir, 0o755); // as a careless admin might have made it
  const server = await startTestServer({ dataDir });
  try {
    await createBucket(server, "modes");
    // 1 byte stays inside meta.kv; the others are blob files.
    for (const size of [1, 20_000, 70_000]) {
      const r = await rawRequest(server, {
        method: "PUT",
        path: `/modes/o${size}`,
        body: new Uint8Array(size),
      });
      assert.equal(r.status, 200);
    }
    const modes: Record<string, string> = {};
    const walk = async (dir: string, rel: string) => {
      modes[rel || "."] = octal((await Deno.stat(dir)).mode!);
      for await (const e of Deno.readDir(dir)) {
        const p = join(dir, e.name);
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory) await walk(p, r);
        else modes[r] = octal((await Deno.stat(p)).mode!);
      }
    };
    await walk(dataDir, "");
    console.log(`modes while running: ${JSON.stringify(modes)}`);
    assert.equal(modes["."], "700", "the data directory");
    for (const f of ["meta.kv", "meta.kv-wal", "meta.kv-shm"]) assert.equal(modes[f], "600", f);
    assert.equal(modes["cli.token"], "600", "cli.token (a credential)");
    const blobs = Object.entries(modes).filter(([p]) => p.startsWith("blobs/"));
    assert.ok(blobs.length >= 4, "two blobs and their directories");
    for (const [p, m] of blobs) {
      assert.equal(m, /[0-9a-f]{32}$/.test(p) ? "600" : "700", p);
    }
    assert.equal(modes["tmp"], "700");
  } finally {
    await server.stop();
  }
});

Deno.test("secrets never reach the log, even at debug level", async (t) => {
  // First start with keys from the environment; the debug session is a later start, so no
  // first-start banner is involved in it.
  const first = await startTestServer();
  const banner = first.output();
  const env = {
    VSTASH_ACCESS_KEY: first.accessKey,
    VSTASH_SECRET_KEY: first.secretKey,
    VSTASH_ADMIN_KEY: first.adminKey,
  };
  await first.stop({ keepData: true });

  await t.step("a first start with keys from the environment prints none of them", () => {
    assert.ok(!banner.includes(env.VSTASH_ADMIN_KEY), "the admin key is not printed");
    assert.ok(
      !banner.includes(env.VSTASH_SECRET_KEY),
      `the secret key given in VSTASH_SECRET_KEY is printed at start:\n${banner}`,
    );
  });

  const server = await startTestServer({ dataDir: first.dataDir, env, logLevel: "debug" });
  const secrets = new Map<string, string>([
    ["admin key", server.adminKey],
    ["secret key", server.secretKey],
  ]);
  try {
    await t.step("an S3 and management API session at debug level", async () => {
      await createBucket(server, "logs");
      // Header auth.
      const put = await signRequest(server, { method: "PUT", path: "/logs/a", body: "hello" });
      secrets.set("header signature", signatureOf(put.headers.authorization));
      assert.equal((await sendSigned(put)).status, 200);
      // aws-chunked with chunk signatures and a signed trailer.
      const chunked = await buildChunkedUpload(server, {
        method: "PUT",
        path: "/logs/chunked",
        mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        data: new Uint8Array(20_000).fill(7),
        chunkSize: 8192,
        trailers: { "x-amz-checksum-crc32": "4wUaPg==" },
      });
      const body = new TextDecoder().decode(chunked.body.filter((b) => b < 128));
      for (
        const m of body.matchAll(/(?:chunk-signature=|x-amz-trailer-signature:)([0-9a-f]{64})/g)
      ) {
        secrets.set(`chunk signature ${m[1].slice(0, 8)}`, m[1]);
      }
      const chunkedAnswer = await sendSigned(chunked);
      assert.ok(chunkedAnswer.status < 500, chunkedAnswer.text);
      // A presigned URL made by the SDK and one made by the management API.
      const url = await getSignedUrl(
        server.client(),
        new GetObjectCommand({ Bucket: "logs", Key: "a" }),
      );
      secrets.set("presigned signature", new URL(url).searchParams.get("X-Amz-Signature")!);
      assert.equal(await fetch(url).then(async (r) => (await r.body?.cancel(), r.status)), 200);
      const made = await adminFetch(server, "POST", "/api/v1/presigned-urls", {
        bucket_name: "logs",
        object_key: "a",
        expires_in: 600,
        access_key: server.accessKey,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const adminUrl = new URL(made.body.url);
      secrets.set("admin presigned signature", adminUrl.searchParams.get("X-Amz-Signature")!);
      assert.equal(
        await fetch(adminUrl).then(async (r) => (await r.body?.cancel(), r.status)),
        200,
      );
      // Failed S3 authentication: a wrong secret and an unknown access key.
      const wrongSecret = `wrong-${crypto.randomUUID()}`;
      secrets.set("wrong secret", wrongSecret);
      const bad = await signRequest(server, {
        method: "GET",
        path: "/logs/a",
        credentials: { accessKeyId: server.accessKey, secretAccessKey: wrongSecret },
      });
      secrets.set("wrong signature", signatureOf(bad.headers.authorization));
      assertS3Error(await sendSigned(bad), 403, "SignatureDoesNotMatch");
      // The management API: a credential is created (its secret is in the answer only).
      const cred = await createCredential(server, { user_name: "logged" });
      secrets.set("created secret", cred.secret_key);
      assert.equal((await adminFetch(server, "GET", "/api/v1/credentials")).status, 200);
      // Wrong admin keys, as header and as Bearer.
      const wrongKey = `vsa_wrong${crypto.randomUUID().replaceAll("-", "")}`;
      secrets.set("wrong admin key", wrongKey);
      assert.equal(
        (await adminFetch(server, "GET", "/api/v1/stats", undefined, { key: wrongKey })).status,
        401,
      );
      assert.equal(
        (await adminFetch(server, "GET", "/api/v1/stats", undefined, {
          key: wrongKey,
          bearer: true,
        })).status,
        401,
      );
      // Console sign-in: the key in a JSON body, a session cookie and a CSRF token back.
      const signIn = await fetch(`${server.adminUrl}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: server.adminKey }),
      });
      const session = await signIn.json();
      assert.equal(signIn.status, 201, JSON.stringify(session));
      const cookie = /vstash_session=([^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")![1];
      secrets.set("session cookie", cookie);
      secrets.set("csrf token", session.csrf_token);
      const failedSignIn = await fetch(`${server.adminUrl}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: wrongKey }),
      });
      await failedSignIn.body?.cancel();
      assert.equal(failedSignIn.status, 401);
      const stats = await fetch(`${server.adminUrl}/api/v1/stats`, {
        headers: { cookie: `vstash_session=${cookie}` },
      });
      await stats.body?.cancel();
      assert.equal(stats.status, 200);
      // The running server's CLI token.
      secrets.set("cli token", (await Deno.readTextFile(join(server.dataDir, "cli.token"))).trim());
    });

    await t.step("none of the secrets is in stdout or stderr", () => {
      const log = server.output();
      assert.ok(
        log.includes('"level":"debug"') || log.includes('"level":"info"'),
        "the session was logged",
      );
      const leaked = [...secrets].filter(([, v]) => v && log.includes(v)).map(([name]) => name);
      assert.deepEqual(leaked, [], `secrets in the log:\n${log.slice(0, 4000)}`);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("the management API answers 401 without a key on every route", async () => {
  let server = await startTestServer();
  const env = {
    VSTASH_ACCESS_KEY: server.accessKey,
    VSTASH_SECRET_KEY: server.secretKey,
    VSTASH_ADMIN_KEY: server.adminKey,
  };
  try {
    await createBucket(server, "private-bucket-name");
    await rawRequest(server, {
      method: "PUT",
      path: "/private-bucket-name/private-object-key",
      body: "x",
    });
    const doc =
      (await adminFetch(server, "GET", "/api/v1/openapi.json", undefined, { key: null })).body;
    const open = new Set([
      "GET /api/v1/openapi.json",
      "POST /api/v1/session",
      "GET /api/v1/session",
    ]);
    const routes: [string, string][] = [];
    for (
      const [template, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    ) {
      const path = "/api/v1" +
        template.replace(/^\/api\/v1/, "").replace(/\{[^}]+\}/g, (p) => sampleParam(p));
      for (
        const method of Object.keys(ops).filter((m) => /^(get|put|post|patch|delete|head)$/.test(m))
      ) {
        const M = method.toUpperCase();
        if (!open.has(`${M} /api/v1${template.replace(/^\/api\/v1/, "")}`)) routes.push([M, path]);
      }
    }
    routes.push(["GET", "/metrics"]);
    assert.ok(routes.length >= 30, `only ${routes.length} routes: is openapi.json complete?`);
    const failures: string[] = [];
    // Wrong keys count against the source address (20 a minute, then 429 for everything):
    // a fresh server, whose limiter is fresh, takes over every 19 of them.
    let wrongKeys = 0;
    for (const [method, path] of routes) {
      for (const variant of ["no key", "wrong key", "bogus cookie"] as const) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (variant === "wrong key") {
          if (++wrongKeys % 19 === 0) {
            await server.stop({ keepData: true });
            server = await startTestServer({ dataDir: server.dataDir, env });
          }
          headers["x-api-key"] = "vsa_" + "x".repeat(40);
        }
        if (variant === "bogus cookie") headers.cookie = "vstash_session=" + "A".repeat(43);
        const res = await fetch(server.adminUrl + path, {
          method,
          headers,
          body: ["GET", "HEAD", "DELETE"].includes(method) ? undefined : "{}",
        });
        await res.body?.cancel();
        if (res.status !== 401) failures.push(`${method} ${path} (${variant}): ${res.status}`);
      }
    }
    assert.deepEqual(failures, []);

    // The console's files are public, and hold no data.
    const secretsOfData = [
      "private-bucket-name",
      "private-object-key",
      server.accessKey,
      server.adminKey,
    ];
    for (const name of Object.keys(CONSOLE_ASSETS)) {
      const path = name === "index.html" ? "/" : `/assets/${name}`;
      const res = await fetch(server.adminUrl + path);
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text.slice(0, 200)}`);
      for (const s of secretsOfData) assert.ok(!text.includes(s), `${path} contains ${s}`);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("secrets are compared in constant time", async (t) => {
  const sig = "a".repeat(64);
  await t.step("constantTimeEqual reads every unit and compares lengths first", () => {
    assert.equal(constantTimeEqual("", ""), true);
    assert.equal(constantTimeEqual(sig, sig), true);
    for (let i = 0; i < 64; i++) {
      const changed = sig.slice(0, i) + "b" + sig.slice(i + 1);
      assert.equal(constantTimeEqual(sig, changed), false, `a difference at ${i} is seen`);
    }
    assert.equal(constantTimeEqual("ab", "abc"), false);
    assert.equal(constantTimeEqual("é", "e"), false);
    assert.equal(constantTimeEqual("\u{1F600}", "\u{1F601}"), false);
  });
  await t.step("signaturesEqual (SigV4, chunk and trailer signatures, POST policies)", () => {
    assert.equal(signaturesEqual(sig, sig), true);
    assert.equal(signaturesEqual(sig, "a".repeat(63) + "b"), false);
    assert.equal(signaturesEqual(sig, "b" + "a".repeat(63)), false);
    assert.equal(
      signaturesEqual(sig, "a".repeat(63)),
      false,
      "a shorter value is refused, not thrown",
    );
    assert.equal(signaturesEqual(sig, "a".repeat(65)), false);
    assert.equal(signaturesEqual(sig, ""), false);
    assert.equal(
      signaturesEqual(sig, "é".repeat(32)),
      false,
      "multi-byte input of equal char length",
    );
    assert.match(signaturesEqual.toString(), /constantTimeEqual/);
  });

  await t.step(
    "isAdminKey (API key, sign-in, metrics, CLI token): digests in constant time",
    async () => {
      const key = "vsa_" + "k".repeat(40);
      const token = "t".repeat(43);
      const deps = {
        store: { adminKeyHash: () => Promise.resolve(sha256Hex(key)) },
        cliTokenHash: sha256Hex(token),
      } as unknown as AdminDeps;
      assert.equal(await isAdminKey(deps, key), true);
      assert.equal(await isAdminKey(deps, token), true, "the CLI token stands in for the key");
      assert.equal(await isAdminKey(deps, key.slice(0, -1) + "x"), false);
      assert.equal(await isAdminKey(deps, key + "k"), false);
      assert.equal(await isAdminKey(deps, ""), false);
      // Only SHA-256 digests are compared (equal length whatever was sent), so timing can tell
      // an attacker at most how much of a digest of their own guess matched.
      assert.match(isAdminKey.toString(), /sha256Hex\(key\)/);
      assert.match(isAdminKey.toString(), /constantTimeEqual/);
    },
  );

  await t.step("csrfMatches (console CSRF token)", () => {
    const session: Session = { csrfToken: "c".repeat(43), createdAt: 0, expiresAt: Infinity };
    assert.equal(csrfMatches(session, "c".repeat(43)), true);
    assert.equal(csrfMatches(session, "c".repeat(42) + "d"), false);
    assert.equal(csrfMatches(session, "c".repeat(42)), false);
    assert.equal(csrfMatches(session, null), false);
    assert.match(csrfMatches.toString(), /constantTimeEqual/);
  });
});

Deno.test("failed authentication is rate-limited per source address", async (t) => {
  await withServer(async (server) => {
    await t.step(
      "S3: after 100 failed signatures for one access key in a minute, that key gets 503 SlowDown from that address, even when right, and other keys do not",
      async () => {
        const wrong = { accessKeyId: server.accessKey, secretAccessKey: "not-the-secret" };
        const statuses: number[] = [];
        for (let i = 0; i < 100; i++) {
          const r = await rawRequest(server, { method: "GET", path: "/", credentials: wrong });
          statuses.push(r.status);
        }
        assert.deepEqual([...new Set(statuses)], [403], "the first 100 failures are answered 403");
        const blocked = await rawRequest(server, { method: "GET", path: "/", credentials: wrong });
        assertS3Error(blocked, 503, "SlowDown");
        const retry = Number(blocked.headers.get("retry-after"));
        assert.ok(retry >= 1 && retry <= 60, `Retry-After: ${blocked.headers.get("retry-after")}`);
        const rightGuess = await rawRequest(server, { method: "GET", path: "/" });
        assertS3Error(rightGuess, 503, "SlowDown");
        const otherKey = await rawRequest(server, {
          method: "GET",
          path: "/",
          credentials: { accessKeyId: "AKUNKNOWN00000000000", secretAccessKey: "x" },
        });
        assertS3Error(otherKey, 403, "InvalidAccessKeyId");
      },
    );

    await t.step("admin API: after 20 failed keys in a minute, 429 with Retry-After", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${server.adminUrl}/api/v1/stats`, {
          headers: { "x-api-key": `wrong-${i}` },
        });
        await r.body?.cancel();
        statuses.push(r.status);
      }
      assert.deepEqual([...new Set(statuses)], [401], "the first 20 failures are answered 401");
      const blocked = await fetch(`${server.adminUrl}/api/v1/stats`, {
        headers: { "x-api-key": "wrong" },
      });
      await blocked.body?.cancel();
      assert.equal(blocked.status, 429);
      const retry = Number(blocked.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After: ${blocked.headers.get("retry-after")}`);
    });
  });
});

/** Entries of a data directory that are not part of its fixed layout. */
async function unexpectedEntries(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const top = new Set([
    "meta.kv",
    "meta.kv-wal",
    "meta.kv-shm",
    "blobs",
    "tmp",
    "vstash.pid",
    "cli.token",
  ]);
  for await (const e of Deno.readDir(dataDir)) if (!top.has(e.name)) out.push(e.name);
  for await (const a of Deno.readDir(join(dataDir, "blobs"))) {
    if (!a.isDirectory || !/^[0-9a-f]{2}$/.test(a.name)) {
      out.push(`blobs/${a.name}`);
      continue;
    }
    for await (const b of Deno.readDir(join(dataDir, "blobs", a.name))) {
      if (!b.isDirectory || !/^[0-9a-f]{2}$/.test(b.name)) {
        out.push(`blobs/${a.name}/${b.name}`);
        continue;
      }
      for await (const f of Deno.readDir(join(dataDir, "blobs", a.name, b.name))) {
        if (
          !f.isFile || f.name !== f.name.match(/^[0-9a-f]{32}$/)?.[0] ||
          !f.name.startsWith(a.name + b.name)
        ) {
          out.push(`blobs/${a.name}/${b.name}/${f.name}`);
        }
      }
    }
  }
  for await (const e of Deno.readDir(join(dataDir, "tmp"))) {
    if (!/^[0-9a-f]{32}\.tmp$/.test(e.name)) out.push(`tmp/${e.name}`);
  }
  return out;
}

function sampleParam(p: string): string {
  const name = p.slice(1, -1).toLowerCase();
  if (name.includes("bucket")) return "private-bucket-name";
  if (name.includes("key")) return "private-object-key";
  if (name.includes("id")) return "1";
  return "x";
}

function signatureOf(authorization: string): string {
  return /Signature=([0-9a-f]{64})/.exec(authorization)![1];
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}

async function exists(p: string): Promise<boolean> {
  return await Deno.lstat(p).then(() => true, () => false);
}
