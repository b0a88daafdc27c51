import assert from "node:assert/strict";
import {
  renderListAllMyBucketsResult,
  renderListMultipartUploadsResult,
  renderListObjectsV1Result,
  renderListObjectsV2Result,
  renderListPartsResult,
} from "../../src/s3/xml_list.ts";
import type { ListedObject } from "../../src/s3/xml_types.ts";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const T = new Date("2023-01-15T10:30:00Z");
const TS = "2023-01-15T10:30:00.000Z";
const ETAG = '"9b2cf535f27731c974343645a3985328"';
const ETAG_XML = "&quot;9b2cf535f27731c974343645a3985328&quot;";
const OWNER = { id: "abc", displayName: "me" };
const OWNER_XML = "<ID>abc</ID><DisplayName>me</DisplayName>";

const obj = (key: string, extra: Partial<ListedObject> = {}): ListedObject => ({
  key,
  lastModified: T,
  etag: ETAG,
  size: 434234,
  ...extra,
});
const contents = (key: string, owner = "") =>
  `<Contents><Key>${key}</Key><LastModified>${TS}</LastModified><ETag>${ETAG_XML}</ETag>` +
  `<Size>434234</Size>${owner}<StorageClass>STANDARD</StorageClass></Contents>`;

Deno.test("renderListAllMyBucketsResult() writes Owner then Buckets with ISO dates", () => {
  assert.equal(
    renderListAllMyBucketsResult({
      owner: OWNER,
      buckets: [
        { name: "a", creationDate: T },
        {
          name: "b",
          creationDate: new Date("2024-02-29T23:59:59.123Z"),
          bucketRegion: "us-east-1",
        },
      ],
    }),
    `${DECL}<ListAllMyBucketsResult ${NS}><Owner>${OWNER_XML}</Owner><Buckets>` +
      `<Bucket><Name>a</Name><CreationDate>${TS}</CreationDate></Bucket>` +
      "<Bucket><Name>b</Name><CreationDate>2024-02-29T23:59:59.123Z</CreationDate>" +
      "<BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>",
  );
});

Deno.test("renderListAllMyBucketsResult() with no buckets keeps an empty Buckets element", () => {
  assert.equal(
    renderListAllMyBucketsResult({ owner: { id: "abc" }, buckets: [] }),
    `${DECL}<ListAllMyBucketsResult ${NS}><Owner><ID>abc</ID></Owner><Buckets></Buckets>` +
      "</ListAllMyBucketsResult>",
  );
});

Deno.test("renderListObjectsV1Result() writes S3's measured order with an always-present Marker", () => {
  assert.equal(
    renderListObjectsV1Result({
      name: "bucket",
      prefix: "",
      marker: "",
      maxKeys: 1000,
      isTruncated: false,
      contents: [obj("my-image.jpg")],
      commonPrefixes: [],
      owner: OWNER,
    }),
    `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix></Prefix><Marker></Marker>` +
      "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>" +
      contents("my-image.jpg", `<Owner>${OWNER_XML}</Owner>`) + "</ListBucketResult>",
  );
});

Deno.test("renderListObjectsV1Result() puts NextMarker after Marker and Delimiter after MaxKeys, Contents before CommonPrefixes", () => {
  assert.equal(
    renderListObjectsV1Result({
      name: "b",
      prefix: "photos/",
      marker: "photos/a",
      nextMarker: "photos/z/",
      maxKeys: 2,
      delimiter: "/",
      isTruncated: true,
      contents: [obj("photos/b.jpg")],
      commonPrefixes: ["photos/z/"],
    }),
    `${DECL}<ListBucketResult ${NS}><Name>b</Name><Prefix>photos/</Prefix>` +
      "<Marker>photos/a</Marker><NextMarker>photos/z/</NextMarker><MaxKeys>2</MaxKeys>" +
      "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>" + contents("photos/b.jpg") +
      "<CommonPrefixes><Prefix>photos/z/</Prefix></CommonPrefixes></ListBucketResult>",
  );
});

Deno.test("renderListObjectsV1Result() URL-encodes every key-like field under encoding-type=url", () => {
  assert.equal(
    renderListObjectsV1Result({
      name: "b",
      prefix: "run books/",
      marker: "a+b",
      nextMarker: "run books/z z/",
      maxKeys: 1,
      delimiter: " ",
      encodingType: "url",
      isTruncated: true,
      contents: [obj("run books/\x01.txt")],
      commonPrefixes: ["run books/z z/"],
    }),
    `${DECL}<ListBucketResult ${NS}><Name>b</Name><Prefix>run+books/</Prefix>` +
      "<Marker>a%2Bb</Marker><NextMarker>run+books/z+z/</NextMarker><MaxKeys>1</MaxKeys>" +
      "<Delimiter>+</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>" +
      contents("run+books/%01.txt") +
      "<CommonPrefixes><Prefix>run+books/z+z/</Prefix></CommonPrefixes></ListBucketResult>",
  );
});

Deno.test("renderListObjectsV1Result() escapes raw keys with XML specials when not URL-encoding", () => {
  const xml = renderListObjectsV1Result({
    name: "b",
    prefix: "",
    marker: "",
    maxKeys: 1000,
    isTruncated: false,
    contents: [obj("a&b<c>\r")],
    commonPrefixes: [],
  });
  assert.equal(xml.includes("<Key>a&amp;b&lt;c&gt;&#13;</Key>"), true);
});

Deno.test("renderListObjectsV2Result() writes KeyCount before MaxKeys and no Owner by default", () => {
  assert.equal(
    renderListObjectsV2Result({
      name: "bucket",
      prefix: "",
      keyCount: 1,
      maxKeys: 1000,
      isTruncated: false,
      contents: [obj("ExampleObject.txt", { storageClass: "STANDARD_IA" })],
      commonPrefixes: [],
    }),
    `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix></Prefix>` +
      "<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>" +
      `<Contents><Key>ExampleObject.txt</Key><LastModified>${TS}</LastModified>` +
      `<ETag>${ETAG_XML}</ETag><Size>434234</Size><StorageClass>STANDARD_IA</StorageClass>` +
      "</Contents></ListBucketResult>",
  );
});

Deno.test("renderListObjectsV2Result() orders StartAfter, tokens, KeyCount, Delimiter, EncodingType and leaves tokens unencoded", () => {
  assert.equal(
    renderListObjectsV2Result({
      name: "b",
      prefix: "a b",
      startAfter: "a b/k",
      continuationToken: "tok+/=",
      nextContinuationToken: "next+/=",
      keyCount: 2,
      maxKeys: 2,
      delimiter: "/",
      encodingType: "url",
      isTruncated: true,
      contents: [obj("a b/x")],
      commonPrefixes: ["a b/y/"],
      owner: { id: "abc" },
    }),
    `${DECL}<ListBucketResult ${NS}><Name>b</Name><Prefix>a+b</Prefix>` +
      "<StartAfter>a+b/k</StartAfter><ContinuationToken>tok+/=</ContinuationToken>" +
      "<NextContinuationToken>next+/=</NextContinuationToken><KeyCount>2</KeyCount>" +
      "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><EncodingType>url</EncodingType>" +
      "<IsTruncated>true</IsTruncated>" + contents("a+b/x", "<Owner><ID>abc</ID></Owner>") +
      "<CommonPrefixes><Prefix>a+b/y/</Prefix></CommonPrefixes></ListBucketResult>",
  );
});

Deno.test("renderListObjectsV2Result() echoes an empty StartAfter and places checksum elements before Size", () => {
  assert.equal(
    renderListObjectsV2Result({
      name: "b",
      prefix: "",
      startAfter: "",
      keyCount: 1,
      maxKeys: 1000,
      isTruncated: false,
      contents: [obj("k", { checksumAlgorithm: ["CRC64NVME"], checksumType: "FULL_OBJECT" })],
      commonPrefixes: [],
    }),
    `${DECL}<ListBucketResult ${NS}><Name>b</Name><Prefix></Prefix><StartAfter></StartAfter>` +
      "<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>" +
      `<Contents><Key>k</Key><LastModified>${TS}</LastModified><ETag>${ETAG_XML}</ETag>` +
      "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>" +
      "<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>",
  );
});

Deno.test("renderListMultipartUploadsResult() of an empty bucket keeps the four markers", () => {
  assert.equal(
    renderListMultipartUploadsResult({
      bucket: "b",
      keyMarker: "",
      uploadIdMarker: "",
      nextKeyMarker: "",
      nextUploadIdMarker: "",
      maxUploads: 1000,
      isTruncated: false,
      uploads: [],
      commonPrefixes: [],
    }),
    `${DECL}<ListMultipartUploadsResult ${NS}><Bucket>b</Bucket><KeyMarker></KeyMarker>` +
      "<UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker>" +
      "<NextUploadIdMarker></NextUploadIdMarker><MaxUploads>1000</MaxUploads>" +
      "<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
  );
});

Deno.test("renderListMultipartUploadsResult() writes uploads and prefixes in S3's order, URL-encoding keys", () => {
  assert.equal(
    renderListMultipartUploadsResult({
      bucket: "b",
      keyMarker: "k m",
      uploadIdMarker: "u0",
      nextKeyMarker: "my movie.m2ts",
      nextUploadIdMarker: "u1",
      delimiter: "/",
      prefix: "my ",
      maxUploads: 1,
      encodingType: "url",
      isTruncated: true,
      uploads: [{
        key: "my movie.m2ts",
        uploadId: "u1",
        initiator: OWNER,
        owner: OWNER,
        initiated: T,
        checksumAlgorithm: "CRC32",
        checksumType: "COMPOSITE",
      }],
      commonPrefixes: ["my dir/"],
    }),
    `${DECL}<ListMultipartUploadsResult ${NS}><Bucket>b</Bucket><KeyMarker>k+m</KeyMarker>` +
      "<UploadIdMarker>u0</UploadIdMarker><NextKeyMarker>my+movie.m2ts</NextKeyMarker>" +
      "<NextUploadIdMarker>u1</NextUploadIdMarker><Delimiter>/</Delimiter><Prefix>my+</Prefix>" +
      "<MaxUploads>1</MaxUploads><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>" +
      "<Upload><Key>my+movie.m2ts</Key><UploadId>u1</UploadId>" +
      `<Initiator>${OWNER_XML}</Initiator><Owner>${OWNER_XML}</Owner>` +
      `<StorageClass>STANDARD</StorageClass><Initiated>${TS}</Initiated>` +
      "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></Upload>" +
      "<CommonPrefixes><Prefix>my+dir/</Prefix></CommonPrefixes></ListMultipartUploadsResult>",
  );
});

Deno.test("renderListPartsResult() writes the header fields then each Part with its checksums", () => {
  assert.equal(
    renderListPartsResult({
      bucket: "b",
      key: "k",
      uploadId: "u1",
      initiator: OWNER,
      owner: OWNER,
      partNumberMarker: 1,
      nextPartNumberMarker: 3,
      maxParts: 2,
      isTruncated: true,
      checksumAlgorithm: "CRC32",
      checksumType: "COMPOSITE",
      parts: [
        {
          partNumber: 2,
          lastModified: T,
          etag: ETAG,
          size: 10485760,
          checksums: { CRC32: "AAAAAA==" },
        },
        { partNumber: 3, lastModified: T, etag: ETAG, size: 5 },
      ],
    }),
    `${DECL}<ListPartsResult ${NS}><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId>` +
      `<Initiator>${OWNER_XML}</Initiator><Owner>${OWNER_XML}</Owner>` +
      "<StorageClass>STANDARD</StorageClass><PartNumberMarker>1</PartNumberMarker>" +
      "<NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts>" +
      "<IsTruncated>true</IsTruncated><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>" +
      "<ChecksumType>COMPOSITE</ChecksumType>" +
      `<Part><PartNumber>2</PartNumber><LastModified>${TS}</LastModified>` +
      `<ETag>${ETAG_XML}</ETag><Size>10485760</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>` +
      `<Part><PartNumber>3</PartNumber><LastModified>${TS}</LastModified>` +
      `<ETag>${ETAG_XML}</ETag><Size>5</Size></Part></ListPartsResult>`,
  );
});
