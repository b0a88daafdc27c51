import assert from "node:assert/strict";
import {
  el,
  escapeXml,
  isoUtc,
  optEl,
  renderAccessControlPolicy,
  renderCompleteMultipartUploadResult,
  renderCopyObjectResult,
  renderCopyPartResult,
  renderDeleteResult,
  renderError,
  renderInitiateMultipartUploadResult,
  renderLocationConstraint,
  renderVersioningConfiguration,
  urlEncodeForListing,
  xmlDoc,
} from "../../src/s3/xml.ts";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const T = new Date("2023-01-15T10:30:00Z");
const ETAG = '"9b2cf535f27731c974343645a3985328"';
const ETAG_XML = "&quot;9b2cf535f27731c974343645a3985328&quot;";

Deno.test("escapeXml() escapes the five XML specials", () => {
  assert.equal(escapeXml(`a&b<c>d"e'f`), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
});

Deno.test("escapeXml() writes CR as &#13; so XML line-end normalisation cannot eat it", () => {
  assert.equal(escapeXml("a\rb\r\nc"), "a&#13;b&#13;\nc");
});

Deno.test("escapeXml() keeps tab, newline and non-ASCII text as is", () => {
  assert.equal(escapeXml("a\tb\nc ü 😀"), "a\tb\nc ü 😀");
});

Deno.test("escapeXml() replaces characters XML 1.0 cannot carry with U+FFFD", () => {
  assert.equal(escapeXml("a\x00b\x01c\x1Fd\uFFFEe"), "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe");
  assert.equal(escapeXml("x\uD800y\uDC00z"), "x\uFFFDy\uFFFDz");
  assert.equal(escapeXml("\uD83D\uDE00"), "\uD83D\uDE00");
});

Deno.test("escapeXml() escapes specials next to replaced characters and at both ends", () => {
  assert.equal(escapeXml('"\x01&\uD800<'), "&quot;\uFFFD&amp;\uFFFD&lt;");
  assert.equal(escapeXml("&"), "&amp;");
});

Deno.test("isoUtc() writes exactly what Date.toISOString() writes, from year 0 to 9999", () => {
  const edges = [
    0,
    -1,
    951_782_400_000,
    4_107_542_400_000,
    -62_167_219_200_000,
    253_402_300_799_999,
  ];
  let seed = 7;
  const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  const samples = Array.from({ length: 20_000 }, () => Math.floor((random() * 2 - 1) * 62e12));
  for (const ms of [...edges, ...samples]) assert.equal(isoUtc(ms), new Date(ms).toISOString());
});

Deno.test("escapeXml() returns a clean string unchanged", () => {
  const s = "photos/2006/January/sample.jpg";
  assert.equal(escapeXml(s), s);
});

Deno.test("el() escapes text content and joins child arrays raw", () => {
  assert.equal(el("Key", "a<b"), "<Key>a&lt;b</Key>");
  assert.equal(el("Size", 0), "<Size>0</Size>");
  assert.equal(el("IsTruncated", false), "<IsTruncated>false</IsTruncated>");
  assert.equal(el("Prefix", ""), "<Prefix></Prefix>");
  assert.equal(
    el("Owner", [el("ID", "x"), null, undefined, false, "<A/>"]),
    "<Owner><ID>x</ID><A/></Owner>",
  );
});

Deno.test("optEl() renders nothing for undefined or null but renders an empty string", () => {
  assert.equal(optEl("X", undefined), "");
  assert.equal(optEl("X", null), "");
  assert.equal(optEl("X", ""), "<X></X>");
});

Deno.test("xmlDoc() writes the declaration, a newline and a namespaced root", () => {
  assert.equal(xmlDoc("Root", [el("A", "1")]), `${DECL}<Root ${NS}><A>1</A></Root>`);
  assert.equal(xmlDoc("Root", [el("A", "1")], { xmlns: false }), `${DECL}<Root><A>1</A></Root>`);
  assert.equal(xmlDoc("Root", []), `${DECL}<Root ${NS}/>`);
});

Deno.test("urlEncodeForListing() encodes as Amazon S3: space is +, / and * stay, ~ and + are escaped", () => {
  assert.equal(urlEncodeForListing("a b.txt"), "a+b.txt");
  assert.equal(urlEncodeForListing("a+b.txt"), "a%2Bb.txt");
  assert.equal(urlEncodeForListing("100%.csv"), "100%25.csv");
  assert.equal(urlEncodeForListing("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
  assert.equal(urlEncodeForListing("A-z_0.9*/~!'()"), "A-z_0.9*/%7E%21%27%28%29");
  assert.equal(urlEncodeForListing("\x01\r\n&<"), "%01%0D%0A%26%3C");
  assert.equal(urlEncodeForListing(""), "");
});

Deno.test("renderError() writes Code, Message, extras, Resource, RequestId, HostId without a namespace", () => {
  assert.equal(
    renderError({
      code: "NoSuchKey",
      message: "The specified key does not exist.",
      resource: "/bucket/a&b",
      requestId: "4442587FB7D0A2F9",
      hostId: "host",
      extra: { Key: "a&b" },
    }),
    DECL +
      "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>" +
      "<Key>a&amp;b</Key><Resource>/bucket/a&amp;b</Resource>" +
      "<RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>",
  );
});

Deno.test("renderError() omits an unknown Resource and writes an empty HostId", () => {
  assert.equal(
    renderError({ code: "AccessDenied", message: "Access Denied", requestId: "R1" }),
    DECL +
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>" +
      "<RequestId>R1</RequestId><HostId></HostId></Error>",
  );
});

Deno.test("renderLocationConstraint() is an empty element for us-east-1 and unset", () => {
  const empty = `${DECL}<LocationConstraint ${NS}/>`;
  assert.equal(renderLocationConstraint("us-east-1"), empty);
  assert.equal(renderLocationConstraint(null), empty);
  assert.equal(renderLocationConstraint(""), empty);
});

Deno.test("renderLocationConstraint() names any other region", () => {
  assert.equal(
    renderLocationConstraint("eu-west-1"),
    `${DECL}<LocationConstraint ${NS}>eu-west-1</LocationConstraint>`,
  );
});

Deno.test("renderVersioningConfiguration() is the empty configuration of a never-versioned bucket", () => {
  assert.equal(renderVersioningConfiguration(), `${DECL}<VersioningConfiguration ${NS}/>`);
});

Deno.test("renderAccessControlPolicy() grants the owner FULL_CONTROL", () => {
  assert.equal(
    renderAccessControlPolicy({ owner: { id: "abc", displayName: "me" } }),
    `${DECL}<AccessControlPolicy ${NS}>` +
      "<Owner><ID>abc</ID><DisplayName>me</DisplayName></Owner>" +
      "<AccessControlList><Grant>" +
      '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">' +
      "<ID>abc</ID><DisplayName>me</DisplayName></Grantee>" +
      "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>",
  );
});

Deno.test("renderCopyObjectResult() writes LastModified then the quoted, escaped ETag", () => {
  assert.equal(
    renderCopyObjectResult({ lastModified: T, etag: ETAG }),
    `${DECL}<CopyObjectResult ${NS}><LastModified>2023-01-15T10:30:00.000Z</LastModified>` +
      `<ETag>${ETAG_XML}</ETag></CopyObjectResult>`,
  );
});

Deno.test("renderCopyObjectResult() adds ChecksumType and checksums in S3's order", () => {
  assert.equal(
    renderCopyObjectResult({
      lastModified: T,
      etag: ETAG,
      checksumType: "FULL_OBJECT",
      checksums: { SHA256: "s256", CRC32: "AAAAAA==" },
    }),
    `${DECL}<CopyObjectResult ${NS}><LastModified>2023-01-15T10:30:00.000Z</LastModified>` +
      `<ETag>${ETAG_XML}</ETag><ChecksumType>FULL_OBJECT</ChecksumType>` +
      "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumSHA256>s256</ChecksumSHA256>" +
      "</CopyObjectResult>",
  );
});

Deno.test("renderCopyPartResult() has the CopyObject body under CopyPartResult", () => {
  assert.equal(
    renderCopyPartResult({ lastModified: T, etag: ETAG, checksums: { CRC32C: "yZRlqg==" } }),
    `${DECL}<CopyPartResult ${NS}><LastModified>2023-01-15T10:30:00.000Z</LastModified>` +
      `<ETag>${ETAG_XML}</ETag><ChecksumCRC32C>yZRlqg==</ChecksumCRC32C></CopyPartResult>`,
  );
});

Deno.test("renderInitiateMultipartUploadResult() writes Bucket, Key, UploadId", () => {
  assert.equal(
    renderInitiateMultipartUploadResult({ bucket: "b", key: "dir/a b&c", uploadId: "u-1" }),
    `${DECL}<InitiateMultipartUploadResult ${NS}><Bucket>b</Bucket>` +
      "<Key>dir/a b&amp;c</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>",
  );
});

Deno.test("renderCompleteMultipartUploadResult() writes Location, Bucket, Key, ETag, checksums, ChecksumType", () => {
  assert.equal(
    renderCompleteMultipartUploadResult({
      location: "http://localhost:9000/b/k",
      bucket: "b",
      key: "k",
      etag: '"3858f62230ac3c915f300c664312c11f-9"',
      checksums: { CRC64NVME: "rosUhgp5mIg=" },
      checksumType: "FULL_OBJECT",
    }),
    `${DECL}<CompleteMultipartUploadResult ${NS}>` +
      "<Location>http://localhost:9000/b/k</Location><Bucket>b</Bucket><Key>k</Key>" +
      "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>" +
      "<ChecksumCRC64NVME>rosUhgp5mIg=</ChecksumCRC64NVME>" +
      "<ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>",
  );
});

Deno.test("renderDeleteResult() lists Deleted then Error entries", () => {
  assert.equal(
    renderDeleteResult({
      deleted: [{ key: "a" }, { key: "b", versionId: "null" }],
      errors: [{ key: "c<", code: "AccessDenied", message: "Access Denied" }],
    }),
    `${DECL}<DeleteResult ${NS}>` +
      "<Deleted><Key>a</Key></Deleted><Deleted><Key>b</Key><VersionId>null</VersionId></Deleted>" +
      "<Error><Key>c&lt;</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>" +
      "</DeleteResult>",
  );
});

Deno.test("renderDeleteResult() in quiet mode with no errors is an empty DeleteResult", () => {
  assert.equal(renderDeleteResult({ deleted: [], errors: [] }), `${DECL}<DeleteResult ${NS}/>`);
});
