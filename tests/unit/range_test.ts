import assert from "node:assert/strict";
import { contentRange, parseRange } from "../../src/s3/range.ts";
import { S3Error } from "../../src/s3/errors.ts";

const satisfiable: [string, number, { start: number; end: number }][] = [
  ["bytes=0-0", 10, { start: 0, end: 0 }],
  ["bytes=0-9", 10, { start: 0, end: 9 }],
  ["bytes=2-5", 10, { start: 2, end: 5 }],
  ["bytes=5-", 10, { start: 5, end: 9 }],
  ["bytes=9-", 10, { start: 9, end: 9 }],
  ["bytes=0-", 1, { start: 0, end: 0 }],
  ["bytes=3-100", 10, { start: 3, end: 9 }], // end clamped to the last byte
  ["bytes=0-99999999999999999999", 10, { start: 0, end: 9 }],
  ["bytes=-1", 10, { start: 9, end: 9 }],
  ["bytes=-3", 10, { start: 7, end: 9 }],
  ["bytes=-10", 10, { start: 0, end: 9 }],
  ["bytes=-500", 10, { start: 0, end: 9 }], // suffix longer than the object: whole object
  ["BYTES=1-2", 10, { start: 1, end: 2 }], // the unit is case-insensitive
  [" bytes=1-2 ", 10, { start: 1, end: 2 }],
  ["bytes= 1 - 2", 10, { start: 1, end: 2 }],
  ["bytes=007-008", 10, { start: 7, end: 8 }],
];

for (const [header, size, want] of satisfiable) {
  Deno.test(`parseRange() resolves "${header}" on ${size} bytes to ${want.start}-${want.end}`, () => {
    assert.deepEqual(parseRange(header, size), want);
  });
}

// S3 serves the whole object (200) for a Range it cannot parse.
const ignored: [string, number][] = [
  ["", 10],
  ["bytes=", 10],
  ["bytes=-", 10],
  ["bytes=abc", 10],
  ["bytes=invalid-range", 10],
  ["bytes=1-2x", 10],
  ["bytes=5-2", 10], // inverted: AWS serves the full object
  ["bytes=1-0", 4],
  ["bytes=0-1,3-4", 10], // multiple ranges: S3 has no multipart/byteranges
  ["bytes=0-1, 3-4", 10],
  ["items=0-1", 10],
  ["0-1", 10],
  ["bytes=+1-2", 10],
  ["bytes=-1-2", 10],
  ["bytes=1.5-2", 10],
  ["bytes=5-2", 0], // an unparsable range on an empty object still serves it
  ["garbage", 0],
];

for (const [header, size] of ignored) {
  Deno.test(`parseRange() ignores "${header}" on ${size} bytes and serves the whole object`, () => {
    assert.equal(parseRange(header, size), null);
  });
}

Deno.test("parseRange() with no header serves the whole object", () => {
  assert.equal(parseRange(null, 10), null);
  assert.equal(parseRange(null, 0), null);
});

Deno.test("parseRange() serves an empty object whole for a positive suffix, as S3 answers 200", () => {
  assert.equal(parseRange("bytes=-1", 0), null);
  assert.equal(parseRange("bytes=-512", 0), null);
});

function assertInvalidRange(header: string, size: number) {
  assert.throws(() => parseRange(header, size), (e: unknown) => {
    assert.ok(e instanceof S3Error);
    assert.equal(e.code, "InvalidRange");
    assert.equal(e.status, 416);
    assert.deepEqual(e.extra, { RangeRequested: header, ActualObjectSize: String(size) });
    assert.deepEqual(e.headers, { "Content-Range": `bytes */${size}` });
    return true;
  });
}

const unsatisfiable: [string, number][] = [
  ["bytes=10-", 10], // starts at the size
  ["bytes=10-20", 10],
  ["bytes=11-11", 10],
  ["bytes=99999999999999999999-", 10],
  ["bytes=-0", 10], // a zero-length suffix selects nothing
  ["bytes=-0", 0],
  ["bytes=0-", 0], // any start on an empty object (AWS: InvalidRange for bytes=0-)
  ["bytes=0-0", 0],
  ["bytes=1-2", 0],
];

for (const [header, size] of unsatisfiable) {
  Deno.test(`parseRange() answers 416 InvalidRange for "${header}" on ${size} bytes`, () => {
    assertInvalidRange(header, size);
  });
}

Deno.test("contentRange() writes the 206 Content-Range value", () => {
  assert.equal(contentRange({ start: 0, end: 9 }, 100), "bytes 0-9/100");
});
