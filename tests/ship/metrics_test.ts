/**
 * Prometheus metrics on the admin listener and health probes on both listeners, against a
 * real server; the registry and the probes' failure answers as units.
 */
import assert from "node:assert/strict";
import { CreateMultipartUploadCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createAdminApp } from "../../src/admin/app.ts";
import { loadConfig } from "../../src/config.ts";
import { Logger } from "../../src/log.ts";
import { Counter, Histogram, Registry, ServerMetrics } from "../../src/metrics.ts";
import { healthProbe } from "../../src/s3/health.ts";
import type { Store } from "../../src/storage/store.ts";
import { adminFetch } from "../helpers/admin.ts";
import { errorCode, rawRequest } from "../helpers/sign.ts";
import { type TestServer, withServer } from "../helpers/server.ts";

/** Samples of a scrape: `name{labels}` → value. */
type Samples = Map<string, number>;

/** One line of the text format: a comment, or `name{labels} value`. */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/;

function parse(text: string): Samples {
  const samples: Samples = new Map();
  const typed = new Set<string>();
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  for (const line of text.trimEnd().split("\n")) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      assert.ok(!typed.has(type[1]), `one TYPE line for ${type[1]}`);
      typed.add(type[1]);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `a well-formed sample line: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, "");
    assert.ok(typed.has(m[1]) || typed.has(family), `${m[1]} comes after its TYPE line`);
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(m[1] + (m[2] ?? ""), value);
  }
  return samples;
}

async function scrape(server: TestServer): Promise<{ text: string; samples: Samples }> {
  const r = await fetch(`${server.adminUrl}/metrics`, {
    headers: { authorization: `Bearer ${server.adminKey}` },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await r.text();
  return { text, samples: parse(text) };
}

const requests = (op: string, status: number) =>
  `vstash_s3_requests_total{operation="${op}",status="${status}"}`;

Deno.test("/metrics counts S3 traffic and reports storage, for the admin key only", async (t) => {
  await withServer(async (server) => {
    await t.step("without the admin key it answers 401", async () => {
      const none = await adminFetch(server, "GET", "/metrics", undefined, { key: null });
      assert.equal(none.status, 401);
      const wrong = await adminFetch(server, "GET", "/metrics", undefined, { key: "wrong" });
      assert.equal(wrong.status, 401);
      const viaHeader = await fetch(`${server.adminUrl}/metrics`, {
        headers: { "x-api-key": server.adminKey },
      });
      assert.equal(viaHeader.status, 200);
      await viaHeader.body?.cancel();
    });

    const before = (await scrape(server)).samples;
    await t.step("before any traffic: gauges from storage, no request series", () => {
      assert.equal(before.get("vstash_objects"), 0);
      assert.equal(before.get("vstash_stored_bytes"), 0);
      assert.equal(before.get("vstash_buckets"), 0);
      assert.equal(before.get("vstash_credentials"), 1);
      assert.equal(before.get("vstash_multipart_uploads"), 0);
      assert.equal(before.get("vstash_s3_bytes_received_total"), 0);
      assert.ok((before.get("vstash_start_time_seconds") ?? 0) > 1.7e9);
      assert.ok(![...before.keys()].some((k) => k.startsWith("vstash_s3_requests_total{")));
    });

    await t.step("requests, statuses, bytes and stored totals move", async () => {
      assert.equal((await rawRequest(server, { method: "PUT", path: "/metered" })).status, 200);
      const body = "0123456789";
      const put = await rawRequest(server, { method: "PUT", path: "/metered/k", body });
      assert.equal(put.status, 200);
      const get = await rawRequest(server, { method: "GET", path: "/metered/k" });
      assert.equal(get.text, body);
      const missing = await rawRequest(server, { method: "GET", path: "/metered/nope" });
      assert.equal(errorCode(missing.text), "NoSuchKey");
      await server.client().send(
        new CreateMultipartUploadCommand({ Bucket: "metered", Key: "big" }),
      );

      const after = (await scrape(server)).samples;
      assert.equal(after.get(requests("CreateBucket", 200)), 1);
      assert.equal(after.get(requests("PutObject", 200)), 1);
      assert.equal(after.get(requests("GetObject", 200)), 1);
      assert.equal(after.get(requests("GetObject", 404)), 1);
      assert.equal(after.get(requests("CreateMultipartUpload", 200)), 1);
      assert.equal(after.get("vstash_s3_bytes_received_total"), body.length);
      assert.ok(after.get("vstash_s3_bytes_sent_total")! >= body.length + missing.text.length);
      assert.equal(after.get("vstash_objects"), 1);
      assert.equal(after.get("vstash_stored_bytes"), body.length);
      assert.equal(after.get("vstash_buckets"), 1);
      assert.equal(after.get("vstash_multipart_uploads"), 1);
    });

    await t.step("the latency histogram is cumulative and adds up", async () => {
      const { text, samples } = await scrape(server);
      assert.match(text, /^# TYPE vstash_s3_request_duration_seconds histogram$/m);
      const ops = new Set(
        [...text.matchAll(/^vstash_s3_request_duration_seconds_count\{operation="(\w+)"\}/gm)]
          .map((m) => m[1]),
      );
      assert.ok(ops.has("PutObject") && ops.has("GetObject"), [...ops].join());
      for (const op of ops) {
        const buckets = [...text.matchAll(
          new RegExp(
            `^vstash_s3_request_duration_seconds_bucket\\{operation="${op}",le="([^"]+)"\\} (\\d+)$`,
            "gm",
          ),
        )].map((m) => ({ le: m[1] === "+Inf" ? Infinity : Number(m[1]), n: Number(m[2]) }));
        assert.ok(buckets.length > 5, op);
        for (let i = 1; i < buckets.length; i++) {
          assert.ok(buckets[i].le > buckets[i - 1].le, `${op}: bounds increase`);
          assert.ok(buckets[i].n >= buckets[i - 1].n, `${op}: counts are cumulative`);
        }
        assert.equal(buckets.at(-1)!.le, Infinity);
        const count = samples.get(`vstash_s3_request_duration_seconds_count{operation="${op}"}`);
        assert.equal(buckets.at(-1)!.n, count, `${op}: +Inf equals _count`);
        const sum = samples.get(`vstash_s3_request_duration_seconds_sum{operation="${op}"}`)!;
        assert.ok(sum > 0 && sum < 60 * count!, `${op}: _sum ${sum}`);
      }
    });
  });
});

Deno.test("health probes answer on both listeners, without a key", async (t) => {
  await withServer(async (server) => {
    for (const [listener, base] of [["admin", server.adminUrl], ["S3", server.s3Url]]) {
      await t.step(`${listener} listener: live and ready`, async () => {
        const live = await fetch(`${base}/health/live`);
        assert.equal(live.status, 200);
        assert.deepEqual(await live.json(), { status: "ok" });
        const ready = await fetch(`${base}/health/ready`);
        assert.equal(ready.status, 200);
        assert.deepEqual(await ready.json(), { status: "ready" });
        const head = await fetch(`${base}/health/ready`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(await head.text(), "");
      });
    }

    await t.step(
      "probes on the S3 listener are neither logged as requests nor counted",
      async () => {
        const { samples } = await scrape(server);
        assert.ok(![...samples.keys()].some((k) => k.includes('operation="unknown"')));
        assert.ok(![...samples.keys()].some((k) => k.startsWith("vstash_s3_requests_total{")));
      },
    );
  });
});

Deno.test("a bucket named health still works for signed requests", async () => {
  await withServer(async (server) => {
    assert.equal((await rawRequest(server, { method: "PUT", path: "/health" })).status, 200);
    for (const key of ["live", "ready"]) {
      const put = await rawRequest(server, {
        method: "PUT",
        path: `/health/${key}`,
        body: `object ${key}`,
      });
      assert.equal(put.status, 200, put.text);
      const get = await rawRequest(server, { method: "GET", path: `/health/${key}` });
      assert.equal(get.text, `object ${key}`);
    }
    // Presigned: no Authorization header, the signature is in the query.
    const url = await getSignedUrl(
      server.client(),
      new GetObjectCommand({ Bucket: "health", Key: "ready" }),
      { expiresIn: 60 },
    );
    const presigned = await fetch(url);
    assert.equal(await presigned.text(), "object ready");
    // Anonymous, it is the probe (the bucket would refuse an anonymous read anyway).
    const probe = await fetch(`${server.s3Url}/health/live`);
    assert.deepEqual(await probe.json(), { status: "ok" });
    // Other keys of the bucket are not probes: anonymous access is refused as usual. The
    // raw path counts (sent over a socket: fetch would resolve the dot segment).
    for (const path of ["/health/other", "/health/x/../live"]) {
      const other = await rawRequest(server, { method: "GET", path, anonymous: true });
      assert.equal(other.status, 403, path);
    }
  });
});

/** A store whose KV does not answer. */
const brokenStore = {
  adminKeyHash: () => Promise.reject(new Error("database is locked")),
} as unknown as Store;

Deno.test("readiness answers 503 JSON when storage fails, on both listeners", async () => {
  const s3 = await healthProbe(new Request("http://x/health/ready"), brokenStore);
  assert.equal(s3?.status, 503);
  assert.deepEqual(await s3?.json(), { status: "unavailable" });
  const live = await healthProbe(new Request("http://x/health/live"), brokenStore);
  assert.equal(live?.status, 200, "liveness does not touch storage");
  await live?.body?.cancel();

  const app = createAdminApp({
    store: brokenStore,
    config: loadConfig([], () => undefined),
    log: new Logger("silent"),
    s3Url: "http://127.0.0.1:9000",
  });
  const admin = await app.request("/health/ready");
  assert.equal(admin.status, 503);
  assert.deepEqual(await admin.json(), { status: "unavailable" });
});

Deno.test("healthProbe leaves signed, presigned and other requests to S3", async () => {
  const store = { adminKeyHash: () => Promise.resolve(null) } as unknown as Store;
  const cases: [string, RequestInit, boolean][] = [
    ["http://x/health/live", {}, true],
    ["http://x/health/ready?foo=1", { method: "HEAD" }, true],
    ["http://x/health/live", { headers: { authorization: "AWS4-HMAC-SHA256 ..." } }, false],
    ["http://x/health/live?X-Amz-Algorithm=AWS4-HMAC-SHA256", {}, false],
    ["http://x/health/live?x-amz-algorithm=AWS4-HMAC-SHA256", {}, false],
    ["http://x/health/live", { method: "PUT", body: "x" }, false],
    ["http://x/health/live/", {}, false],
    ["http://x/health", {}, false],
  ];
  for (const [url, init, isProbe] of cases) {
    const r = await healthProbe(new Request(url, init), store);
    assert.equal(r !== null, isProbe, `${init.method ?? "GET"} ${url}`);
    await r?.body?.cancel();
  }
});

Deno.test("the registry renders the Prometheus text format", async () => {
  const registry = new Registry();
  const c = registry.add(new Counter("t_total", "A counter.", true));
  c.inc({ op: 'a"b\\c\nd' }, 2);
  const plain = registry.add(new Counter("t_plain_total", "Unlabelled."));
  const h = registry.add(new Histogram("t_seconds", "A histogram.", [0.1, 1]));
  h.observe({ op: "x" }, 0.05);
  h.observe({ op: "x" }, 0.5);
  h.observe({ op: "x" }, 5);
  assert.equal(plain.value(), 0);
  assert.equal(
    await registry.render(),
    [
      "# HELP t_total A counter.",
      "# TYPE t_total counter",
      't_total{op="a\\"b\\\\c\\nd"} 2',
      "# HELP t_plain_total Unlabelled.",
      "# TYPE t_plain_total counter",
      "t_plain_total 0",
      "# HELP t_seconds A histogram.",
      "# TYPE t_seconds histogram",
      't_seconds_bucket{op="x",le="0.1"} 1',
      't_seconds_bucket{op="x",le="1"} 2',
      't_seconds_bucket{op="x",le="+Inf"} 3',
      't_seconds_sum{op="x"} 5.55',
      't_seconds_count{op="x"} 3',
      "",
    ].join("\n"),
  );
});

Deno.test("ServerMetrics reads storage gauges at scrape time only", async () => {
  let reads = 0;
  const store = {
    totals: () => (reads++, Promise.resolve({ buckets: 2, objects: 5, bytes: 1234 })),
    credentials: { count: () => Promise.resolve(3) },
    uploads: { count: () => Promise.resolve(1) },
  } as unknown as Store;
  const m = new ServerMetrics(store, 1_700_000_000_000);
  m.observeS3Request({ operation: null, status: 400, bytesIn: 0, bytesOut: 10, seconds: 0.002 });
  assert.equal(reads, 0);
  const samples = parse(await m.render());
  assert.equal(reads, 1);
  assert.equal(samples.get("vstash_objects"), 5);
  assert.equal(samples.get("vstash_stored_bytes"), 1234);
  assert.equal(samples.get("vstash_buckets"), 2);
  assert.equal(samples.get("vstash_credentials"), 3);
  assert.equal(samples.get("vstash_multipart_uploads"), 1);
  assert.equal(samples.get("vstash_start_time_seconds"), 1_700_000_000);
  assert.equal(samples.get(requests("unknown", 400)), 1);
  assert.equal(samples.get("vstash_s3_bytes_sent_total"), 10);
});
