import assert from "node:assert/strict";
import { checkConditionals, etagListMatches, parseHttpDate } from "../../src/s3/conditionals.ts";
import { S3Error } from "../../src/s3/errors.ts";

const obj = {
  etag: '"9b2cf535f27731c974343645a3985328"',
  lastModified: new Date("2023-01-15T10:30:00.750Z"), // sub-second part must not count
};
const NOW = new Date("2024-06-01T00:00:00Z");
const SAME = "Sun, 15 Jan 2023 10:30:00 GMT";
const BEFORE = "Sun, 15 Jan 2023 10:29:59 GMT";
const AFTER = "Sun, 15 Jan 2023 10:30:01 GMT";
const FUTURE = "Mon, 01 Jan 2035 00:00:00 GMT";
const MATCH = '"9b2cf535f27731c974343645a3985328"';
const OTHER = '"00000000000000000000000000000000"';

type Outcome = "pass" | "304" | "412";

function outcome(headers: Record<string, string>, kind: "read" | "copy-source"): Outcome {
  try {
    checkConditionals(new Headers(headers), obj, kind, NOW);
    return "pass";
  } catch (e) {
    assert.ok(e instanceof S3Error);
    if (e.code === "NotModified") return "304";
    assert.equal(e.code, "PreconditionFailed");
    return "412";
  }
}

const readTable: [string, Record<string, string>, Outcome][] = [
  ["no conditions", {}, "pass"],
  ["If-Match equal", { "if-match": MATCH }, "pass"],
  ["If-Match different", { "if-match": OTHER }, "412"],
  ["If-Match *", { "if-match": "*" }, "pass"],
  ["If-Match in a list", { "if-match": `${OTHER}, ${MATCH}` }, "pass"],
  ["If-Match unquoted", { "if-match": "9b2cf535f27731c974343645a3985328" }, "pass"],
  ["If-Match weak tag (strong comparison)", { "if-match": `W/${MATCH}` }, "412"],
  ["If-None-Match equal", { "if-none-match": MATCH }, "304"],
  ["If-None-Match different", { "if-none-match": OTHER }, "pass"],
  ["If-None-Match *", { "if-none-match": "*" }, "304"],
  ["If-None-Match weak tag (weak comparison)", { "if-none-match": `W/${MATCH}` }, "304"],
  ["If-None-Match in a list", { "if-none-match": `${OTHER},${MATCH}` }, "304"],
  ["If-Modified-Since same second", { "if-modified-since": SAME }, "304"],
  ["If-Modified-Since later", { "if-modified-since": AFTER }, "304"],
  ["If-Modified-Since earlier", { "if-modified-since": BEFORE }, "pass"],
  ["If-Modified-Since in the future is ignored", { "if-modified-since": FUTURE }, "pass"],
  ["If-Modified-Since unparsable is ignored", { "if-modified-since": "yesterday" }, "pass"],
  ["If-Unmodified-Since same second", { "if-unmodified-since": SAME }, "pass"],
  ["If-Unmodified-Since later", { "if-unmodified-since": AFTER }, "pass"],
  ["If-Unmodified-Since earlier", { "if-unmodified-since": BEFORE }, "412"],
  ["If-Unmodified-Since unparsable is ignored", { "if-unmodified-since": "1" }, "pass"],
  // S3: If-Match true + If-Unmodified-Since false → 200.
  ["If-Match true wins over a failing If-Unmodified-Since", {
    "if-match": MATCH,
    "if-unmodified-since": BEFORE,
  }, "pass"],
  ["If-Match false fails even with If-Unmodified-Since true", {
    "if-match": OTHER,
    "if-unmodified-since": AFTER,
  }, "412"],
  // S3: If-None-Match false + If-Modified-Since true → 304.
  ["If-None-Match false with If-Modified-Since true is 304", {
    "if-none-match": MATCH,
    "if-modified-since": BEFORE,
  }, "304"],
  ["If-None-Match true makes If-Modified-Since irrelevant", {
    "if-none-match": OTHER,
    "if-modified-since": AFTER,
  }, "pass"],
  ["412 from If-Match comes before 304 from If-None-Match", {
    "if-match": OTHER,
    "if-none-match": MATCH,
  }, "412"],
  ["412 from If-Unmodified-Since comes before 304 from If-Modified-Since", {
    "if-unmodified-since": BEFORE,
    "if-modified-since": AFTER,
  }, "412"],
  ["If-Match true then If-None-Match equal is 304", {
    "if-match": MATCH,
    "if-none-match": MATCH,
  }, "304"],
  ["copy-source headers do not affect a read", { "x-amz-copy-source-if-match": OTHER }, "pass"],
];

for (const [name, headers, want] of readTable) {
  Deno.test(`checkConditionals() on a read: ${name} → ${want}`, () => {
    assert.equal(outcome(headers, "read"), want);
  });
}

const copyTable: [string, Record<string, string>, Outcome][] = [
  ["no conditions", {}, "pass"],
  ["if-match equal", { "x-amz-copy-source-if-match": MATCH }, "pass"],
  ["if-match different", { "x-amz-copy-source-if-match": OTHER }, "412"],
  ["if-none-match equal", { "x-amz-copy-source-if-none-match": MATCH }, "412"],
  ["if-none-match *", { "x-amz-copy-source-if-none-match": "*" }, "412"],
  ["if-none-match different", { "x-amz-copy-source-if-none-match": OTHER }, "pass"],
  ["if-modified-since not modified", { "x-amz-copy-source-if-modified-since": AFTER }, "412"],
  ["if-modified-since modified", { "x-amz-copy-source-if-modified-since": BEFORE }, "pass"],
  // AWS copies despite a future if-modified-since (re:Post QUghC2FkxVRtWaHGxH5OvPUA).
  ["if-modified-since in the future is ignored", {
    "x-amz-copy-source-if-modified-since": FUTURE,
  }, "pass"],
  ["if-unmodified-since modified", { "x-amz-copy-source-if-unmodified-since": BEFORE }, "412"],
  ["if-unmodified-since not modified", {
    "x-amz-copy-source-if-unmodified-since": SAME,
  }, "pass"],
  // Documented: if-match true + if-unmodified-since false → 200 and the copy happens.
  ["if-match true with if-unmodified-since false copies", {
    "x-amz-copy-source-if-match": MATCH,
    "x-amz-copy-source-if-unmodified-since": BEFORE,
  }, "pass"],
  // Documented: if-none-match false + if-modified-since true → 412.
  ["if-none-match false with if-modified-since true is 412", {
    "x-amz-copy-source-if-none-match": MATCH,
    "x-amz-copy-source-if-modified-since": BEFORE,
  }, "412"],
  [
    "plain read headers do not affect a copy",
    { "if-match": OTHER, "if-none-match": MATCH },
    "pass",
  ],
];

for (const [name, headers, want] of copyTable) {
  Deno.test(`checkConditionals() on a copy source: ${name} → ${want}`, () => {
    assert.equal(outcome(headers, "copy-source"), want);
  });
}

Deno.test("checkConditionals() 304 carries the ETag and Last-Modified headers", () => {
  assert.throws(
    () => checkConditionals(new Headers({ "if-none-match": MATCH }), obj, "read", NOW),
    (e: unknown) => {
      assert.ok(e instanceof S3Error);
      assert.equal(e.status, 304);
      assert.deepEqual(e.headers, {
        ETag: MATCH,
        "Last-Modified": "Sun, 15 Jan 2023 10:30:00 GMT",
      });
      return true;
    },
  );
});

Deno.test("checkConditionals() 412 names the failed condition as S3 does", () => {
  const condition = (h: Record<string, string>, kind: "read" | "copy-source") => {
    try {
      checkConditionals(new Headers(h), obj, kind, NOW);
    } catch (e) {
      return (e as S3Error).extra.Condition;
    }
    return undefined;
  };
  assert.equal(condition({ "if-match": OTHER }, "read"), "If-Match");
  assert.equal(condition({ "if-unmodified-since": BEFORE }, "read"), "If-Unmodified-Since");
  assert.equal(
    condition({ "x-amz-copy-source-if-none-match": MATCH }, "copy-source"),
    "x-amz-copy-source-If-None-Match",
  );
});

Deno.test("etagListMatches() handles lists, star, quotes and weak tags", () => {
  assert.equal(etagListMatches('"a", "b"', '"b"', false), true);
  assert.equal(etagListMatches(" , b ", '"b"', false), true);
  assert.equal(etagListMatches('W/"b"', '"b"', false), false);
  assert.equal(etagListMatches('W/"b"', '"b"', true), true);
  assert.equal(etagListMatches('"a-2"', '"a-2"', false), true);
  assert.equal(etagListMatches("", '"a"', true), false);
});

Deno.test("parseHttpDate() reads the three HTTP date formats and ISO 8601", () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37);
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), t);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), t);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), t);
  assert.equal(parseHttpDate("1994-11-06T08:49:37Z"), t);
  assert.equal(parseHttpDate("1994-11-06T08:49:37.000Z"), t);
  assert.equal(parseHttpDate("1994-11-06T09:49:37+01:00"), t);
});

Deno.test("parseHttpDate() rejects what Date.parse would guess at", () => {
  for (
    const v of [
      "1",
      "yesterday",
      "Sun, 06 Nov 1994",
      "Sun, 32 Nov 1994 08:49:37 GMT",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "",
    ]
  ) {
    assert.equal(parseHttpDate(v), null, v);
  }
  assert.equal(parseHttpDate(null), null);
});
