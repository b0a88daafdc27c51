/**
 * The `vstash` CLI, run as a separate process with the release permissions: direct mode on a
 * stopped data directory, API mode through a running server found by its pid file, admin
 * key rotation, help and exit codes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SETTINGS } from "../../src/config.ts";
import { ENV_ONLY } from "../../src/cli/help.ts";
import { adminFetch, type Json } from "../helpers/admin.ts";
import { vstash } from "../helpers/cli.ts";
import { startTestServer } from "../helpers/server.ts";
import { errorCode, rawRequest } from "../helpers/sign.ts";

/** Runs a CLI command that must succeed, and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await vstash(...args);
  assert.equal(r.code, 0, `vstash ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a CLI command with --json that must succeed, and parses its output. */
async function okJson(...args: string[]): Promise<Json> {
  return JSON.parse(await ok(...args, "--json"));
}

/** Runs a CLI command that must fail with `code`, and returns its stderr. */
async function fails(code: number, ...args: string[]): Promise<string> {
  const r = await vstash(...args);
  assert.equal(r.code, code, `vstash ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r.stderr;
}

/** A data directory made by a real first start, with the server stopped again. */
async function stoppedDataDir(opts: { env?: Record<string, string> } = {}): Promise<string> {
  const server = await startTestServer(opts);
  await server.stop({ keepData: true });
  return server.dataDir;
}

Deno.test("the CLI works directly on a stopped server's data directory", async (t) => {
  const dir = await stoppedDataDir();
  const d = ["--data-dir", dir];
  try {
    await t.step("a clean shutdown leaves no pid file or token behind", async () => {
      for (const f of ["vstash.pid", "cli.token"]) {
        await assert.rejects(Deno.stat(join(dir, f)), Deno.errors.NotFound, f);
      }
    });

    let alice: Json;
    await t.step("key create prints the secret once; key list never shows it", async () => {
      alice = await okJson("key", "create", "--user", "alice", ...d);
      assert.equal(alice.user_name, "alice");
      assert.match(alice.secret_key, /^\S{40}$/);
      const human = await ok("key", "create", "--user", "bob", ...d);
      assert.match(human, /Secret key:\s+\S{40}/);
      assert.match(human, /will not be shown again/);

      const table = await ok("key", "list", ...d);
      const lines = table.trim().split("\n");
      assert.match(lines[0], /^\s*ID\s+ACCESS KEY\s+USER\s+ACTIVE\s+BUCKETS\s+CREATED$/);
      assert.equal(lines.length, 4, table);
      assert.match(table, new RegExp(`\\b${alice.access_key}\\s+alice\\s+yes\\s+0\\b`));
      assert.ok(!table.includes(alice.secret_key));
      const listed = await okJson("key", "list", ...d);
      assert.deepEqual(listed.map((c: Json) => c.user_name), ["admin", "alice", "bob"]);
      assert.ok(listed.every((c: Json) => !("secret_key" in c)));
    });

    await t.step("key disable and enable take an id or an access key", async () => {
      assert.equal((await okJson("key", "disable", alice.access_key, ...d)).is_active, false);
      const listed = await okJson("key", "list", ...d);
      assert.equal(listed.find((c: Json) => c.id === alice.id).is_active, false);
      assert.match(await ok("key", "enable", String(alice.id), ...d), /enabled/);
      assert.match(await fails(1, "key", "disable", "999", ...d), /no credential with id 999/);
      assert.match(await fails(1, "key", "enable", "NOSUCHKEY", ...d), /no credential/);
    });

    await t.step("bucket create needs --owner when there are several credentials", async () => {
      assert.match(await fails(2, "bucket", "create", "photos", ...d), /pass --owner/);
      assert.match(
        await fails(1, "bucket", "create", "photos", "--owner", "NOSUCHKEY", ...d),
        /no credential with access key NOSUCHKEY/,
      );
      const created = await okJson("bucket", "create", "photos", "--owner", alice.access_key, ...d);
      assert.equal(created.name, "photos");
      assert.equal(created.owner_id, alice.id);
      assert.match(await fails(1, "bucket", "create", "photos", "--owner", "1", ...d), /exists/);
      assert.match(
        await fails(2, "bucket", "create", "Not_A_Bucket", "--owner", "1", ...d),
        /must be 3-63 characters/,
      );
    });

    await t.step("bucket list shows owners and sizes", async () => {
      const table = await ok("bucket", "list", ...d);
      assert.match(table, /^NAME\s+OWNER\s+OBJECTS\s+SIZE\s+CREATED$/m);
      assert.match(table, new RegExp(`^photos\\s+${alice.id} \\(alice\\)\\s+0\\s+0 B\\s`, "m"));
      const listed = await okJson("bucket", "list", ...d);
      assert.deepEqual(listed.map((b: Json) => b.name), ["photos"]);
    });

    await t.step("key delete is refused while the credential owns buckets", async () => {
      const err = await fails(1, "key", "delete", String(alice.id), ...d);
      assert.match(err, /owns 1 bucket\(s\): photos/);
    });

    await t.step("bucket delete, then key delete", async () => {
      assert.match(await fails(1, "bucket", "delete", "nope", ...d), /not found/);
      assert.match(await ok("bucket", "delete", "photos", ...d), /Deleted bucket photos/);
      const deleted = await okJson("key", "delete", alice.access_key, ...d);
      assert.equal(deleted.id, alice.id);
      assert.equal((await okJson("key", "list", ...d)).length, 2);
    });

    await t.step("what direct mode wrote is there when the server starts", async () => {
      const created = await okJson("key", "create", "--user", "later", ...d);
      await ok("bucket", "create", "after-start", "--owner", String(created.id), ...d);
      const server = await startTestServer({ dataDir: dir });
      try {
        const put = await rawRequest(server, {
          method: "PUT",
          path: "/after-start/hello.txt",
          body: "hi",
          credentials: { accessKeyId: created.access_key, secretAccessKey: created.secret_key },
        });
        assert.equal(put.status, 200, put.text);
      } finally {
        await server.stop({ keepData: true });
      }
      const listed = await okJson("bucket", "list", ...d);
      assert.equal(listed[0].object_count, 1);
      const forced = await okJson("bucket", "delete", "after-start", "--force", ...d);
      assert.equal(forced.deleted_objects, 1);
    });

    await t.step("the pid file of a killed server does not block direct mode", async () => {
      const server = await startTestServer({ dataDir: dir });
      await server.stop({ keepData: true, signal: "SIGKILL" });
      const pid = JSON.parse(await Deno.readTextFile(join(dir, "vstash.pid")));
      assert.equal(typeof pid.pid, "number", "kill -9 leaves the pid file behind");
      await ok("key", "list", ...d);
      // Even when the address in it is taken by something else that answers.
      const other = await startTestServer();
      try {
        await Deno.writeTextFile(
          join(dir, "vstash.pid"),
          JSON.stringify({ ...pid, admin_url: other.adminUrl }),
        );
        const listed = await okJson("key", "list", ...d);
        assert.ok(listed.some((c: Json) => c.user_name === "later"), "it read this directory");
      } finally {
        await other.stop();
      }
    });

    await t.step("a directory without vStash data is an error, not a new store", async () => {
      const empty = await Deno.makeTempDir({ prefix: "vstash-cli-empty-" });
      try {
        assert.match(await fails(1, "key", "list", "--data-dir", empty), /no vStash data/);
        assert.deepEqual([...Deno.readDirSync(empty)], []);
      } finally {
        await Deno.remove(empty, { recursive: true });
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI goes through the running server's management API", async (t) => {
  const server = await startTestServer();
  const d = ["--data-dir", server.dataDir];
  try {
    await t.step(
      "the server leaves a pid file with its admin URL and a private token",
      async () => {
        const pid = JSON.parse(await Deno.readTextFile(join(server.dataDir, "vstash.pid")));
        assert.equal(pid.admin_url, server.adminUrl);
        assert.equal(typeof pid.pid, "number");
        const token = await Deno.stat(join(server.dataDir, "cli.token"));
        assert.equal(token.mode! & 0o777, 0o600);
      },
    );

    await t.step("key disable takes effect at once (the server's cache is updated)", async () => {
      // A write beside the server would leave its credential cache stale: this proves the
      // CLI went through the API.
      const before = await rawRequest(server, { method: "GET", path: "/" });
      assert.equal(before.status, 200);
      await ok("key", "disable", server.accessKey, ...d);
      const refused = await rawRequest(server, { method: "GET", path: "/" });
      assert.equal(refused.status, 403);
      assert.equal(errorCode(refused.text), "InvalidAccessKeyId");
      await ok("key", "enable", "1", ...d);
      assert.equal((await rawRequest(server, { method: "GET", path: "/" })).status, 200);
    });

    await t.step("buckets and keys made by the CLI are served at once", async () => {
      const b = await okJson("bucket", "create", "cli-made", ...d);
      assert.equal(b.owner_id, 1);
      const put = await rawRequest(server, { method: "PUT", path: "/cli-made/x", body: "x" });
      assert.equal(put.status, 200);
      const key = await okJson("key", "create", ...d);
      const listed = await adminFetch(server, "GET", "/api/v1/credentials");
      assert.ok(listed.body.credentials.some((c: Json) => c.access_key === key.access_key));
      assert.match(await fails(1, "key", "delete", "1", ...d), /owns 1 bucket/);
      assert.match(await fails(1, "bucket", "delete", "cli-made", ...d), /--force/);
      assert.equal(
        (await okJson("bucket", "delete", "cli-made", "--force", ...d)).deleted_objects,
        1,
      );
      await ok("key", "delete", key.access_key, ...d);
    });

    await t.step("direct mode is refused while the server runs but does not answer", async () => {
      const pidPath = join(server.dataDir, "vstash.pid");
      const original = await Deno.readTextFile(pidPath);
      const pid = JSON.parse(original);
      await Deno.writeTextFile(
        pidPath,
        JSON.stringify({ ...pid, admin_url: "http://127.0.0.1:9" }),
      );
      try {
        assert.match(await fails(1, "key", "list", ...d), /does not answer/);
        // --admin-addr says where it really listens.
        const addr = new URL(server.adminUrl).host;
        assert.match(await ok("key", "list", ...d, "--admin-addr", addr), /admin/);
      } finally {
        await Deno.writeTextFile(pidPath, original);
      }
    });

    await t.step("a server that refuses the token is reported, not bypassed", async () => {
      const tokenPath = join(server.dataDir, "cli.token");
      const original = await Deno.readTextFile(tokenPath);
      await Deno.writeTextFile(tokenPath, "not-the-token\n");
      try {
        assert.match(await fails(1, "key", "list", ...d), /refused/);
      } finally {
        await Deno.writeTextFile(tokenPath, original);
      }
    });

    await t.step(
      "the token admits to the API while the server runs, and goes with it",
      async () => {
        const token = (await Deno.readTextFile(join(server.dataDir, "cli.token"))).trim();
        const r = await fetch(`${server.adminUrl}/api/v1/stats`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(r.status, 200);
        await r.body?.cancel();
        assert.equal(await server.stop({ keepData: true }), 0);
        for (const f of ["vstash.pid", "cli.token"]) {
          await assert.rejects(Deno.stat(join(server.dataDir, f)), Deno.errors.NotFound, f);
        }
      },
    );
  } finally {
    await server.stop();
  }
});

Deno.test("admin-key rotate replaces the key, through the API and directly", async (t) => {
  await t.step("through the running server: the old key is refused at once", async () => {
    const server = await startTestServer();
    try {
      const r = await vstash("admin-key", "rotate", "--json", "--data-dir", server.dataDir);
      assert.equal(r.code, 0, r.stderr);
      const { admin_key: key } = JSON.parse(r.stdout);
      assert.match(key, /^vsa_\w{40}$/);
      assert.match(r.stderr, /VSTASH_ADMIN_KEY/);
      const old = await adminFetch(server, "GET", "/api/v1/stats");
      assert.equal(old.status, 401);
      const fresh = await adminFetch(server, "GET", "/api/v1/stats", undefined, { key });
      assert.equal(fresh.status, 200);
    } finally {
      await server.stop();
    }
  });

  await t.step("on a stopped data directory: the next start takes the new key", async () => {
    // Without VSTASH_ADMIN_KEY, which would replace the stored key at every start.
    const opts = { unsetEnv: ["VSTASH_ADMIN_KEY"] };
    const dir = await stoppedDataDir();
    try {
      const out = await ok("admin-key", "rotate", "--data-dir", dir);
      const key = /New admin API key:\s+(\S+)/.exec(out)?.[1];
      assert.ok(key, out);
      const server = await startTestServer({ ...opts, dataDir: dir });
      try {
        assert.doesNotMatch(server.output(), /Admin API key/, "no new key on a later start");
        const fresh = await adminFetch(server, "GET", "/api/v1/stats", undefined, { key });
        assert.equal(fresh.status, 200);
        const old = await adminFetch(server, "GET", "/api/v1/stats");
        assert.equal(old.status, 401);
      } finally {
        await server.stop({ keepData: true });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("vstash --help lists every command, flag and environment variable", async () => {
  const help = await ok("--help");
  for (const s of SETTINGS) {
    assert.match(help, new RegExp(`--${s.flag}\\s+${s.env}\\s`), s.flag);
  }
  for (const e of ENV_ONLY.flatMap((e) => e.env.split(", "))) assert.ok(help.includes(e), e);
  for (
    const cmd of [
      "vstash serve",
      "vstash key create",
      "vstash key list",
      "vstash key disable ID|ACCESS_KEY",
      "vstash key enable ID|ACCESS_KEY",
      "vstash key delete ID|ACCESS_KEY",
      "vstash bucket create NAME [--owner ID|ACCESS_KEY]",
      "vstash bucket list",
      "vstash bucket delete NAME [--force]",
      "vstash admin-key rotate",
      "vstash version",
      "vstash --help",
    ]
  ) {
    assert.ok(help.includes(cmd), cmd);
  }
  for (const flag of ["--json", "--user", "--access-key", "--secret-key", "--owner", "--force"]) {
    assert.ok(help.includes(flag), flag);
  }
  assert.match(help, /Exit codes: 0 .*1 .*2 /);
  assert.equal(await ok("serve", "--help"), help);
  assert.match(await ok("key", "--help"), /vstash key create/);
  assert.match(await ok("bucket", "delete", "--help"), /--force/);
});

Deno.test("exit codes: 0 done, 1 failed, 2 usage error", async () => {
  assert.match(await ok("version"), /^vstash \d+\.\d+\.\d+/);
  assert.equal((await vstash()).code, 2);
  assert.match(await fails(2, "frobnicate"), /unknown command/);
  assert.equal((await vstash("key")).code, 2);
  assert.match(await fails(2, "key", "rename"), /unknown command "key rename"/);
  assert.match(await fails(2, "key", "list", "--bogus"), /--bogus/);
  assert.match(await fails(2, "key", "delete"), /expected ID\|ACCESS_KEY/);
  assert.match(await fails(2, "key", "list", "extra"), /unexpected argument/);
  assert.match(await fails(2, "key", "list", "--admin-addr", "nowhere"), /--admin-addr/);
  const missing = join(await Deno.makeTempDir(), "missing");
  try {
    assert.match(await fails(1, "bucket", "list", "--data-dir", missing), /no vStash data/);
  } finally {
    await Deno.remove(join(missing, ".."), { recursive: true });
  }
});
