import assert from "node:assert/strict";
import { parseQuery, type Query } from "../../src/s3/query.ts";
import { prng } from "../helpers/prng.ts";

/** What the S3 path reads of a query, as plain data, for comparison. */
function view(q: Query, names: string[]) {
  return {
    size: q.size,
    keys: [...q.keys()],
    get: names.map((n) => q.get(n)),
    getAll: names.map((n) => q.getAll(n)),
    has: names.map((n) => q.has(n)),
  };
}

function assertSameAsUrlSearchParams(raw: string): void {
  const expected = new URLSearchParams(raw);
  const names = [...new Set([...expected.keys(), "a", "b", "", "x y", "é", "missing"])];
  assert.deepEqual(
    view(parseQuery(raw), names),
    view(expected, names),
    `query ${JSON.stringify(raw)}`,
  );
}

Deno.test("parseQuery reads what S3 clients send the way URLSearchParams does", () => {
  for (
    const raw of [
      "",
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261126%2Fus-east-1%2Fs3%2Faws4_request",
      "uploads",
      "uploads=",
      "list-type=2&prefix=photos%2F2024%2F&delimiter=%2F&max-keys=1000",
      "partNumber=3&uploadId=abc",
      "a=1&a=2&b&a=3",
      "a=b=c",
      "=value",
      "&&a=1&&",
      "a+b=c+d",
      "x%20y=%2B",
      "%C3%A9=%E2%82%AC",
      "é=€",
      "?a=1",
      "??a=1",
      "response-content-disposition=attachment%3B%20filename%3D%22r%C3%A9sum%C3%A9.pdf%22",
    ]
  ) assertSameAsUrlSearchParams(raw);
});

Deno.test("parseQuery gives URLSearchParams' answer for malformed escapes and bytes that are not UTF-8", () => {
  for (
    const raw of [
      "a=%",
      "a=%2",
      "a=%zz&b=1",
      "a=100%&b=%41",
      "%=1",
      "a=%C3",
      "a=%C3%28",
      "a=%ED%A0%80", // an encoded UTF-16 surrogate
      "a=%F0%9F%98%80&b=%F0%9F%98",
      "a=%C0%AF", // an overlong encoding
      "a=%FF",
    ]
  ) assertSameAsUrlSearchParams(raw);
});

Deno.test("parseQuery agrees with URLSearchParams on 20,000 random queries", () => {
  const rand = prng(20261126);
  const atoms = [
    "a",
    "b",
    "=",
    "&",
    "+",
    "%",
    "%2",
    "%41",
    "%2F",
    "%C3",
    "%A9",
    "%C3%A9",
    "%E2%82%AC",
    "%F0",
    "%zz",
    "é",
    "€",
    "?",
    " ",
    "x y",
    "0",
  ];
  for (let i = 0; i < 20_000; i++) {
    let raw = "";
    const n = rand.int(0, 11);
    for (let j = 0; j < n; j++) raw += rand.pick(atoms);
    assertSameAsUrlSearchParams(raw);
  }
});
