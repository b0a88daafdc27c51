import assert from "node:assert/strict";
import { bareEtag, humanSize, isoTime } from "../../src/admin/format.ts";

Deno.test("humanSize() reads as the API samples do, in binary units with one decimal", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.0 KB"],
    [1536, "1.5 KB"],
    [1024000, "1.0 MB"], // the object sample: never "1000.0 KB"
    [1073741824, "1.0 GB"], // the stats sample
    [5 * 1024 ** 4, "5.0 TB"],
  ];
  for (const [bytes, text] of cases) assert.equal(humanSize(bytes), text, String(bytes));
});

Deno.test("isoTime() drops milliseconds, as in 2023-01-15T10:30:00Z", () => {
  assert.equal(isoTime(Date.UTC(2023, 0, 15, 10, 30, 0, 999)), "2023-01-15T10:30:00Z");
});

Deno.test("bareEtag() removes S3's quotes and keeps multipart suffixes", () => {
  assert.equal(bareEtag('"9bb58f26192e4ba00f01e2e7b136bbd8"'), "9bb58f26192e4ba00f01e2e7b136bbd8");
  assert.equal(bareEtag('"abc-2"'), "abc-2");
});
