import assert from "node:assert/strict";
import {
  MAX_COMPLETE_XML_BYTES,
  MAX_DELETE_XML_BYTES,
  parseCompleteMultipartUpload,
  parseCreateBucketConfiguration,
  parseDeleteObjects,
} from "../../src/s3/xml_parse.ts";
import { escapeXml } from "../../src/s3/xml.ts";
import { S3Error } from "../../src/s3/errors.ts";

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function assertMalformed(fn: () => unknown) {
  assert.throws(fn, (e: unknown) => e instanceof S3Error && e.code === "MalformedXML");
}

const deleteBody = (objects: string, extra = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Delete ${NS}>${extra}${objects}</Delete>`;

Deno.test("parseDeleteObjects() reads keys, version ids and Quiet from an SDK-style body", () => {
  const xml = deleteBody(
    "<Object><Key>a.txt</Key></Object><Object><Key>b/c</Key><VersionId>v1</VersionId></Object>",
    "<Quiet>true</Quiet>",
  );
  assert.deepEqual(parseDeleteObjects(xml), {
    quiet: true,
    objects: [{ key: "a.txt" }, { key: "b/c", versionId: "v1" }],
  });
});

Deno.test("parseDeleteObjects() defaults Quiet to false and tolerates whitespace and indentation", () => {
  const xml =
    `<Delete>\n  <Object>\n    <Key>k</Key>\n  </Object>\n  <Quiet> False </Quiet>\n</Delete>\n`;
  assert.deepEqual(parseDeleteObjects(xml), { quiet: false, objects: [{ key: "k" }] });
  assert.equal(parseDeleteObjects(deleteBody("<Object><Key>k</Key></Object>")).quiet, false);
});

Deno.test("parseDeleteObjects() keeps keys exactly: spaces, entities, numeric references, CDATA", () => {
  const xml = deleteBody(
    "<Object><Key> lead and trail </Key></Object>" +
      "<Object><Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key></Object>" +
      "<Object><Key>cr&#13;lf&#xA;emoji&#x1F600;</Key></Object>" +
      "<Object><Key><![CDATA[<raw>&amp;]]></Key></Object>" +
      "<Object><Key></Key></Object>",
  );
  assert.deepEqual(parseDeleteObjects(xml).objects.map((o) => o.key), [
    " lead and trail ",
    `a&b<c>d"e'f`,
    "cr\rlf\nemoji😀",
    "<raw>&amp;",
    "",
  ]);
});

Deno.test("parseDeleteObjects() reads back any key written with escapeXml()", () => {
  const keys = ["a&b", "x<y>z", "q\"u'o", "line\rbreak", "tab\there", "ünï/ç😀"];
  const xml = deleteBody(keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join(""));
  assert.deepEqual(parseDeleteObjects(xml).objects.map((o) => o.key), keys);
});

Deno.test("parseDeleteObjects() accepts a namespace prefix on the elements", () => {
  const xml = '<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">' +
    "<s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>";
  assert.deepEqual(parseDeleteObjects(xml).objects, [{ key: "k" }]);
});

Deno.test("parseDeleteObjects() accepts exactly 1000 objects", () => {
  const xml = deleteBody("<Object><Key>k</Key></Object>".repeat(1000));
  assert.equal(parseDeleteObjects(xml).objects.length, 1000);
});

Deno.test("parseDeleteObjects() answers MalformedXML for 1001 objects", () => {
  assertMalformed(() =>
    parseDeleteObjects(deleteBody("<Object><Key>k</Key></Object>".repeat(1001)))
  );
});

Deno.test("parseDeleteObjects() answers MalformedXML when there is no object", () => {
  assertMalformed(() => parseDeleteObjects(deleteBody("")));
  assertMalformed(() => parseDeleteObjects("<Delete><Quiet>true</Quiet></Delete>"));
  assertMalformed(() => parseDeleteObjects("<Delete/>"));
});

Deno.test("parseDeleteObjects() answers MalformedXML for an Object without Key", () => {
  assertMalformed(() =>
    parseDeleteObjects(deleteBody("<Object><VersionId>v</VersionId></Object>"))
  );
  assertMalformed(() => parseDeleteObjects(deleteBody("<Object></Object>")));
});

Deno.test("parseDeleteObjects() answers MalformedXML for a Key holding elements or given twice", () => {
  assertMalformed(() => parseDeleteObjects(deleteBody("<Object><Key><b>x</b></Key></Object>")));
  assertMalformed(() =>
    parseDeleteObjects(deleteBody("<Object><Key>a</Key><Key>b</Key></Object>"))
  );
});

Deno.test("parseDeleteObjects() answers MalformedXML for a Quiet that is not a boolean", () => {
  assertMalformed(() =>
    parseDeleteObjects(deleteBody("<Object><Key>k</Key></Object>", "<Quiet>yes</Quiet>"))
  );
});

Deno.test("parseDeleteObjects() answers MalformedXML for a wrong or second root", () => {
  assertMalformed(() => parseDeleteObjects("<Remove><Object><Key>k</Key></Object></Remove>"));
  assertMalformed(() =>
    parseDeleteObjects("<Delete><Object><Key>k</Key></Object></Delete><Delete/>")
  );
});

Deno.test("parseDeleteObjects() answers MalformedXML for truncated, empty or non-XML bodies", () => {
  assertMalformed(() => parseDeleteObjects("<Delete><Object><Key>k</Key></Object>"));
  assertMalformed(() => parseDeleteObjects("<Delete><Object><Key>k</Key></Obj"));
  assertMalformed(() => parseDeleteObjects(""));
  assertMalformed(() => parseDeleteObjects("   "));
  assertMalformed(() => parseDeleteObjects('{"Objects":[]}'));
  assertMalformed(() => parseDeleteObjects("<Delete><Object><Key>a & b</Key></Object></Delete>"));
});

Deno.test("parseDeleteObjects() refuses DOCTYPE and entity declarations (no XXE, no entity expansion)", () => {
  assertMalformed(() =>
    parseDeleteObjects(
      '<!DOCTYPE Delete [<!ENTITY e "boom">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    )
  );
  assertMalformed(() =>
    parseDeleteObjects(
      '<?xml version="1.0"?><!DOCTYPE d SYSTEM "file:///etc/passwd"><Delete><Object><Key>k</Key></Object></Delete>',
    )
  );
});

Deno.test("parseDeleteObjects() answers MalformedXML for an undefined entity or an invalid character reference", () => {
  assertMalformed(() => parseDeleteObjects(deleteBody("<Object><Key>a&nbsp;b</Key></Object>")));
  assertMalformed(() => parseDeleteObjects(deleteBody("<Object><Key>&#xD800;</Key></Object>")));
  assertMalformed(() => parseDeleteObjects(deleteBody("<Object><Key>&#x110000;</Key></Object>")));
});

const completeBody = (parts: string) =>
  `<CompleteMultipartUpload ${NS}>${parts}</CompleteMultipartUpload>`;

Deno.test("parseCompleteMultipartUpload() reads part numbers, unquoted ETags and checksums", () => {
  const xml = completeBody(
    '<Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag>' +
      "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>" +
      "<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber>2</PartNumber></Part>" +
      "<Part><PartNumber>03</PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag>" +
      "<ChecksumSHA256>x</ChecksumSHA256><ChecksumCRC64NVME>y</ChecksumCRC64NVME></Part>",
  );
  assert.deepEqual(parseCompleteMultipartUpload(xml), {
    parts: [
      { partNumber: 1, etag: "a54357aff0632cce46d942af68356b38", checksums: { CRC32: "AAAAAA==" } },
      { partNumber: 2, etag: "0c78aef83f66abc1fa1e8477f296d394", checksums: {} },
      {
        partNumber: 3,
        etag: "acbd18db4cc2f85cedef654fccc4a4d8",
        checksums: { SHA256: "x", CRC64NVME: "y" },
      },
    ],
  });
});

Deno.test("parseCompleteMultipartUpload() returns a single part as a one-element list", () => {
  const xml = "<CompleteMultipartUpload>\n <Part>\n  <PartNumber> 7 </PartNumber>\n" +
    '  <ETag> "e" </ETag>\n </Part>\n</CompleteMultipartUpload>';
  assert.deepEqual(parseCompleteMultipartUpload(xml).parts, [
    { partNumber: 7, etag: "e", checksums: {} },
  ]);
});

Deno.test("parseCompleteMultipartUpload() answers MalformedXML without parts", () => {
  assertMalformed(() => parseCompleteMultipartUpload(completeBody("")));
  assertMalformed(() => parseCompleteMultipartUpload("<CompleteMultipartUpload/>"));
});

Deno.test("parseCompleteMultipartUpload() answers MalformedXML for a non-numeric or missing PartNumber", () => {
  for (const n of ["one", "-1", "1.5", "", "1e3", "0x10"]) {
    assertMalformed(() =>
      parseCompleteMultipartUpload(
        completeBody(`<Part><PartNumber>${n}</PartNumber><ETag>e</ETag></Part>`),
      )
    );
  }
  assertMalformed(() => parseCompleteMultipartUpload(completeBody("<Part><ETag>e</ETag></Part>")));
});

Deno.test("parseCompleteMultipartUpload() answers MalformedXML for a Part without ETag", () => {
  assertMalformed(() =>
    parseCompleteMultipartUpload(completeBody("<Part><PartNumber>1</PartNumber></Part>"))
  );
});

Deno.test("parseCompleteMultipartUpload() answers MalformedXML for broken XML, DOCTYPE or a wrong root", () => {
  assertMalformed(() =>
    parseCompleteMultipartUpload("<CompleteMultipartUpload><Part><PartNumber>1")
  );
  assertMalformed(() =>
    parseCompleteMultipartUpload(
      '<!DOCTYPE x [<!ENTITY a "1">]><CompleteMultipartUpload><Part><PartNumber>&a;</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>',
    )
  );
  assertMalformed(() =>
    parseCompleteMultipartUpload(
      "<Complete><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Complete>",
    )
  );
});

Deno.test("parseCreateBucketConfiguration() reads the location constraint", () => {
  assert.deepEqual(
    parseCreateBucketConfiguration(
      `<CreateBucketConfiguration ${NS}><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
    ),
    { locationConstraint: "eu-west-1" },
  );
});

Deno.test("parseCreateBucketConfiguration() gives null for an absent or empty constraint", () => {
  for (
    const xml of [
      "<CreateBucketConfiguration/>",
      "<CreateBucketConfiguration>\n</CreateBucketConfiguration>",
      "<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>",
      "<CreateBucketConfiguration><LocationConstraint> </LocationConstraint></CreateBucketConfiguration>",
    ]
  ) {
    assert.deepEqual(parseCreateBucketConfiguration(xml), { locationConstraint: null });
  }
});

Deno.test("parseCreateBucketConfiguration() answers MalformedXML for invalid XML or a wrong root", () => {
  assertMalformed(() => parseCreateBucketConfiguration("<CreateBucketConfiguration>"));
  assertMalformed(() =>
    parseCreateBucketConfiguration("<Bucket><LocationConstraint>x</LocationConstraint></Bucket>")
  );
  assertMalformed(() => parseCreateBucketConfiguration("not xml"));
});

Deno.test("the body caps leave room for 1000 maximal keys and 10,000 parts with every checksum", () => {
  const key = '"'.repeat(1024);
  const bigDelete = deleteBody(
    `<Object><Key>${escapeXml(key)}</Key><VersionId>${"v".repeat(1024)}</VersionId></Object>\n`
      .repeat(1000),
  );
  assert.ok(new TextEncoder().encode(bigDelete).length <= MAX_DELETE_XML_BYTES);
  assert.equal(parseDeleteObjects(bigDelete).objects[999].key, key);

  const part = (n: number) =>
    `  <Part>\n    <PartNumber>${n}</PartNumber>\n` +
    `    <ETag>&quot;${"f".repeat(32)}&quot;</ETag>\n` +
    `    <ChecksumCRC32>AAAAAA==</ChecksumCRC32>\n    <ChecksumCRC32C>AAAAAA==</ChecksumCRC32C>\n` +
    `    <ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>\n` +
    `    <ChecksumSHA1>${"A".repeat(27)}=</ChecksumSHA1>\n` +
    `    <ChecksumSHA256>${"A".repeat(43)}=</ChecksumSHA256>\n  </Part>\n`;
  const parts = Array.from({ length: 10_000 }, (_, i) => part(i + 1)).join("");
  const bigComplete = completeBody(parts);
  assert.ok(bigComplete.length <= MAX_COMPLETE_XML_BYTES);
  const parsed = parseCompleteMultipartUpload(bigComplete).parts;
  assert.equal(parsed.length, 10_000);
  assert.equal(Object.keys(parsed[9_999].checksums).length, 5);
});
