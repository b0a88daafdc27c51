import assert from "node:assert/strict";
import {
  decodeListEntry,
  encodeListEntry,
  listEntryOfRecord,
  type ObjectRecord,
} from "../../src/storage/records.ts";

function record(overrides: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    size: 4096,
    etag: '"9b2cf535f27731c974343645a3985328"',
    lastModified: 1_795_658_282_143,
    createdAt: 1_795_658_000_000,
    headers: { "content-type": "text/plain" },
    userMeta: {},
    checksum: null,
    layout: { kind: "single", blobId: "b1" },
    ...overrides,
  } as ObjectRecord;
}

Deno.test("a stored listing entry reads back as the record's listing fields", () => {
  const cases = [
    record(),
    record({ headers: {} }),
    record({ headers: { "content-type": "" } }),
    record({ headers: { "content-type": "text/plain;\tcharset=utf-8\t\t" } }),
    record({ headers: { "content-type": "application/ü😀" } }),
    record({ size: 0, etag: '"d41d8cd98f00b204e9800998ecf8427e"' }),
    record({
      etag: '"0123456789abcdef0123456789abcdef-3"',
      layout: { kind: "parts", uploadId: "u", partCount: 3 } as ObjectRecord["layout"],
      checksum: { algorithm: "CRC32", value: "AAAAAA==-3", type: "COMPOSITE" },
    }),
    record({ checksum: { algorithm: "CRC64NVME", value: "AAAAAAAAAAA=", type: "FULL_OBJECT" } }),
  ];
  for (const r of cases) {
    assert.deepEqual(decodeListEntry(encodeListEntry(r)), listEntryOfRecord(r));
  }
});

Deno.test("a listing entry written as an array by an earlier release still reads", () => {
  assert.deepEqual(
    decodeListEntry([7, '"e"', 3, 2, null, 4, "SHA256", "COMPOSITE"]),
    {
      size: 7,
      etag: '"e"',
      lastModified: 3,
      createdAt: 2,
      contentType: null,
      partCount: 4,
      checksumAlgorithm: "SHA256",
      checksumType: "COMPOSITE",
    },
  );
});

Deno.test("a listing entry in an unknown format is an error, not a wrong listing", () => {
  assert.throws(
    () => decodeListEntry(new TextEncoder().encode("2\t1\t2")),
    /unknown listing entry/,
  );
  assert.throws(
    () => decodeListEntry(new TextEncoder().encode("1\t1\t2")),
    /unknown listing entry/,
  );
});
