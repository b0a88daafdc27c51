/**
 * Seeded generators of hostile input for the fuzz test: request lines, paths, query strings,
 * headers and bodies that range from slightly off to pure garbage, XML documents built to
 * hurt parsers, and aws-chunked framing damaged after it was signed.
 */
import type { Prng } from "./prng.ts";
import { concatBytes, fromLatin1, head } from "./raw_http.ts";

const METHODS = [
  "GET",
  "PUT",
  "POST",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "TRACE",
  "get",
  "M-SEARCH",
  "PROPFIND",
  "X".repeat(200),
  "GE\x00T",
  "P\xffT",
  "",
];

const SEGMENTS = [
  "",
  "fuzz",
  "precious",
  "FUZZ",
  "a",
  "..",
  ".",
  "%2e%2e",
  "%",
  "%zz",
  "%00",
  "%2F",
  "%ff%fe",
  "%C3%A9",
  "%F0%9F%98%80",
  "%ED%A0%80", // a lone surrogate, UTF-8 encoded
  "xn--",
  "127.0.0.1",
  "health",
  "live",
  "a b",
  "a\tb",
  "a%0d%0aX-Injected:%201",
  "?",
  "#frag",
  ";",
  "\\..\\..\\x",
  "~",
  "*",
];

const QUERY_PARTS = [
  "uploads",
  "delete",
  "list-type=2",
  "list-type=1",
  "list-type=3",
  "max-keys=-1",
  "max-keys=99999999999999999999",
  "max-keys=abc",
  "max-keys=",
  "prefix=%",
  "prefix=%ff",
  "delimiter=%ff%fe",
  "delimiter=",
  "continuation-token=!!!",
  "continuation-token=" + "A".repeat(3000),
  "start-after=" + "z".repeat(2000),
  "marker=%00",
  "encoding-type=url",
  "encoding-type=bogus",
  "partNumber=0",
  "partNumber=99999",
  "partNumber=1",
  "uploadId=",
  "uploadId=" + "u".repeat(300),
  "uploadId=%00",
  "versionId=x",
  "acl",
  "location",
  "versioning",
  "tagging",
  "policy",
  "cors",
  "X-Amz-Algorithm=AWS4-HMAC-SHA256",
  "X-Amz-Algorithm=AWS2",
  "X-Amz-Credential=%",
  "X-Amz-Credential=AK%2F20200101%2Fus-east-1%2Fs3%2Faws4_request",
  "X-Amz-Signature=zz",
  "X-Amz-SignedHeaders=host",
  "X-Amz-Expires=-5",
  "X-Amz-Expires=999999999999",
  "X-Amz-Date=garbage",
  "AWSAccessKeyId=x&Signature=y&Expires=1",
  "response-content-type=%0d%0aX-Injected:%201",
  "response-content-disposition=" + "d".repeat(5000),
  "a=%",
  "=",
  "&&&",
  "%=%",
  "x-id=PutObject",
];

const AUTH_HEADERS = [
  "AWS4-HMAC-SHA256",
  "AWS4-HMAC-SHA256 ",
  "AWS4-HMAC-SHA256 Credential=",
  "AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
  "AWS4-HMAC-SHA256 Credential=AK/bad, SignedHeaders=, Signature=",
  "AWS4-HMAC-SHA256 Credential=" + "A".repeat(5000) +
  "/x/y/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0".repeat(64),
  "AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/s3/aws4_request,SignedHeaders=host;host;host,Signature=" +
  "f".repeat(64),
  "AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/s3/aws4_request, SignedHeaders=" +
  "h;".repeat(2000) + ", Signature=00",
  "AWS AK:sig",
  "Bearer x",
  "Basic Zm9vOmJhcg==",
  "\x00\x01\x02",
  "AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/s3/aws4_request, Signature=" + "a".repeat(64),
];

const HEADER_POOL: (() => [string, string])[] = [
  () => ["x-amz-date", "garbage"],
  () => ["x-amz-date", "20200101T000000Z"],
  () => ["x-amz-date", "99999999T999999Z"],
  () => ["x-amz-content-sha256", "UNSIGNED-PAYLOAD"],
  () => ["x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"],
  () => ["x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"],
  () => ["x-amz-content-sha256", "zz"],
  () => ["content-encoding", "aws-chunked"],
  () => ["x-amz-decoded-content-length", "-1"],
  () => ["x-amz-decoded-content-length", "99999999999999999999"],
  () => ["x-amz-trailer", "x-amz-checksum-crc32,x-amz-checksum-sha256"],
  () => ["x-amz-trailer", "x-nope"],
  () => ["range", "bytes=-"],
  () => ["range", "bytes=5-1"],
  () => ["range", "bytes=" + Array.from({ length: 500 }, (_, i) => `${i}-${i}`).join(",")],
  () => ["range", "bytes=99999999999999999999-"],
  () => ["if-match", "*"],
  () => ["if-none-match", '"' + "x".repeat(3000) + '"'],
  () => ["if-modified-since", "not a date"],
  () => ["x-amz-copy-source", "/fuzz/precious"],
  () => ["x-amz-copy-source", "%"],
  () => ["x-amz-copy-source", "/../../etc/passwd"],
  () => ["x-amz-copy-source-range", "bytes=0-99999999999"],
  () => ["content-md5", "not base64"],
  () => ["x-amz-checksum-crc32", "!!!"],
  () => ["x-amz-checksum-sha256", "A".repeat(100)],
  () => ["x-amz-sdk-checksum-algorithm", "MD4"],
  () => ["x-amz-checksum-algorithm", "CRC32"],
  () => ["x-amz-checksum-type", "SIDEWAYS"],
  () => ["x-amz-metadata-directive", "MAYBE"],
  () => ["x-amz-meta-big", "m".repeat(3000)],
  () => ["x-amz-meta-\u00ff", "\u00fe\u00fd"],
  () => ["x-amz-storage-class", "GLACIER_DEEP_FREEZE"],
  () => ["x-amz-acl", "public-read-write"],
  () => ["x-amz-server-side-encryption", "aws:kms"],
  () => ["expect", "100-continue"],
  () => ["expect", "teapot"],
  () => ["content-type", "multipart/form-data; boundary="],
  () => ["content-type", "multipart/form-data; boundary=" + "b".repeat(200)],
  () => ["transfer-encoding", "gzip, chunked"],
  () => ["transfer-encoding", "identity"],
  () => ["connection", "upgrade"],
  () => ["upgrade", "websocket"],
  () => ["x-garbage", "a\x01b"],
  () => ["x-high-bytes", "\xff\xfe\x80"],
  () => ["x-empty", ""],
  () => ["bad header name", "v"],
  () => ["x-long", "l".repeat(20_000)],
];

/** A random request target: path segments, sometimes junk forms, and a query. */
export function randomTarget(rng: Prng): string {
  let path = rng.weighted<() => string>([
    [85, () => {
      const segs = Array.from({ length: rng.int(0, 4) }, () => rng.pick(SEGMENTS));
      return "/" + segs.join(rng.chance(0.1) ? "//" : "/");
    }],
    [3, () => "*"],
    [3, () => "http://evil.example/fuzz/precious"],
    [2, () => "fuzz/precious"],
    [2, () => ""],
    [3, () => "/fuzz/" + "k".repeat(rng.int(1000, 70_000))],
    [2, () => "/" + rng.pick(["health/live", "health/ready", "health/live/../ready"])],
  ])();
  if (rng.chance(0.6)) {
    const n = rng.int(1, 5);
    const parts = Array.from({ length: n }, () => rng.pick(QUERY_PARTS));
    if (rng.chance(0.1)) parts.push(...parts); // duplicated parameters
    path += "?" + parts.join("&");
  }
  if (rng.chance(0.03)) path += "&q=" + "q".repeat(rng.int(10_000, 70_000));
  return path;
}

/** An unsigned (or garbage-signed) request of random shape, as bytes. */
export function randomUnsignedRequest(rng: Prng, host: string): Uint8Array {
  const method = rng.pick(METHODS);
  const version = rng.weighted([[90, "HTTP/1.1"], [5, "HTTP/1.0"], [3, "HTTP/9.9"], [
    2,
    "HTTP/1.1 extra",
  ]]);
  const headers: [string, string][] = [];
  if (rng.chance(0.92)) {
    headers.push([
      "host",
      rng.chance(0.9) ? host : rng.pick(["", "a b", "evil.example", host + ":99999"]),
    ]);
  }
  if (rng.chance(0.03)) headers.push(["host", "second.example"]);
  if (rng.chance(0.5)) headers.push(["authorization", rng.pick(AUTH_HEADERS)]);
  for (let i = rng.int(0, 6); i > 0; i--) headers.push(rng.pick(HEADER_POOL)());
  if (rng.chance(0.02)) {
    for (let i = 0; i < rng.int(100, 1000); i++) headers.push([`x-many-${i}`, "v"]);
  }
  let body: Uint8Array = new Uint8Array();
  if (rng.chance(0.4)) {
    body = rng.chance(0.5) ? rng.bytes(rng.int(0, 4096)) : new TextEncoder().encode(
      hostileXml(rng, rng.pick(["Delete", "CompleteMultipartUpload", "CreateBucketConfiguration"])),
    );
  }
  const framing = rng.weighted([
    [55, "exact"],
    [10, "shorter"],
    [10, "longer"],
    [5, "none"],
    [5, "duplicate"],
    [5, "te+cl"],
    [5, "chunked"],
    [5, "garbage"],
  ]);
  let sent: Uint8Array | string = body;
  switch (framing) {
    case "exact":
      headers.push(["content-length", String(body.length)]);
      break;
    case "shorter": // promises more than it sends
      headers.push(["content-length", String(body.length + rng.int(1, 100_000))]);
      break;
    case "longer": // sends more than it promises
      headers.push(["content-length", String(Math.max(0, body.length - rng.int(1, 100)))]);
      break;
    case "duplicate":
      headers.push(["content-length", String(body.length)], [
        "content-length",
        String(body.length + 1),
      ]);
      break;
    case "te+cl":
      headers.push(["transfer-encoding", "chunked"], ["content-length", String(body.length)]);
      sent = chunkedBody(body);
      break;
    case "chunked":
      headers.push(["transfer-encoding", "chunked"]);
      sent = rng.chance(0.7)
        ? chunkedBody(body)
        : concatBytes(rng.pick(["zz\r\n", "-1\r\n", "ffffffffffffffffff\r\n", "5\r\nab"]), body);
      break;
    case "garbage":
      headers.push([
        "content-length",
        rng.pick(["-1", "abc", "1e3", "0x10", " 5", "99999999999999999999999", ""]),
      ]);
      break;
  }
  return concatBytes(
    head(`${method} ${randomTarget(rng)} ${version}`, shuffle(rng, headers)),
    sent,
  );
}

function chunkedBody(body: Uint8Array): Uint8Array {
  return body.length
    ? concatBytes(`${body.length.toString(16)}\r\n`, body, "\r\n0\r\n\r\n")
    : concatBytes("0\r\n\r\n");
}

function shuffle<T>(rng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * An XML body meant to hurt: truncated, deeply nested, near the size cap, with DOCTYPE and
 * entity bombs, CDATA, control characters, invalid UTF-8 (as bytes ≥ 0x80 in a string),
 * thousands of elements. `root` picks the document kind. Keys it names never exist.
 */
export function hostileXml(rng: Prng, root: string): string {
  const inner = root === "Delete"
    ? `<Object><Key>nope-${rng.int(0, 1e6)}</Key></Object>`
    : root === "CompleteMultipartUpload"
    ? `<Part><PartNumber>${rng.int(1, 3)}</PartNumber><ETag>"${"0".repeat(32)}"</ETag></Part>`
    : `<LocationConstraint>us-east-1</LocationConstraint>`;
  const valid =
    `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
  return rng.weighted<() => string>([
    [10, () => valid],
    [10, () => valid.slice(0, rng.int(0, valid.length - 1))],
    [6, () => `<${root}>` + "<a>".repeat(rng.int(1000, 200_000)) + `</${root}>`],
    [4, () => `<${root}>` + "<a>".repeat(50_000) + "</a>".repeat(50_000) + `</${root}>`],
    [
      5,
      () =>
        `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><${root}><Object><Key>&lol3;</Key></Object></${root}>`,
    ],
    [
      4,
      () =>
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><${root}><Object><Key>&xxe;</Key></Object></${root}>`,
    ],
    [4, () => `<${root}><Object><Key>&unknown;</Key></Object></${root}>`],
    [4, () => `<${root}><Object><Key>&#0;&#xD800;&#1114112;</Key></Object></${root}>`],
    [4, () => `<${root}><Object><Key><![CDATA[</Key></Object>]]></Key></Object></${root}>`],
    [5, () => `<${root}>` + inner.repeat(rng.int(1000, 12_000)) + `</${root}>`],
    [3, () => `<${root}>` + `<Object><Key>${"k".repeat(2000)}</Key></Object>` + `</${root}>`],
    [3, () => `<${root}><Object><Key>\x01\x02\x1b</Key></Object></${root}>`],
    [3, () => `<${root}><Object><Key>\xff\xfe\xc3</Key></Object></${root}>`],
    [3, () => `\ufeff` + valid],
    [3, () => valid + valid],
    [3, () => `<${root}><${root}>${inner}</${root}></${root}>`],
    [3, () => `<Other>${inner}</Other>`],
    [3, () => `<${root} a="1" a="2">${inner}</${root}>`],
    [3, () => `<${root}><Object><Key>x</Key><Key>y</Key></Object></${root}>`],
    [
      3,
      () =>
        `<${root}><Part><PartNumber>-1</PartNumber><ETag/></Part><Part><PartNumber>99999999999</PartNumber><ETag>x</ETag></Part></${root}>`,
    ],
    [3, () => `<${root}><Quiet>maybe</Quiet>${inner}</${root}>`],
    [2, () => `<?xml version="1.0" encoding="EBCDIC"?><${root}/>`],
    [2, () => `<${root}/>`],
    [2, () => ""],
    [2, () => " ".repeat(rng.int(1, 100_000))],
    [
      3,
      () => String.fromCharCode(...Array.from({ length: rng.int(1, 2000) }, () => rng.int(0, 255))),
    ],
  ])();
}

/**
 * Damages a signed aws-chunked body: cut short, sizes that lie, bad hex, broken or missing
 * chunk signatures, junk after the final chunk, garbage trailers.
 */
export function damageChunked(rng: Prng, body: Uint8Array): Uint8Array {
  const text = String.fromCharCode(...body.subarray(0, Math.min(body.length, 200)));
  const firstLine = text.indexOf("\r\n");
  const rest = body.subarray(firstLine + 2);
  return rng.weighted<() => Uint8Array>([
    [10, () => body.subarray(0, rng.int(0, body.length - 1))],
    [8, () => {
      const b = body.slice();
      for (let i = rng.int(1, 5); i > 0; i--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      return b;
    }],
    [
      6,
      () =>
        concatBytes(
          rng.pick(["ffffffffffffffff", "-1", "zz", "1" + "0".repeat(30), ""]),
          text.slice(text.indexOf(";"), firstLine),
          "\r\n",
          rest,
        ),
    ],
    [
      6,
      () =>
        concatBytes(
          text.slice(0, firstLine).replace(
            /chunk-signature=[0-9a-f]+/,
            "chunk-signature=" + "0".repeat(64),
          ),
          "\r\n",
          rest,
        ),
    ],
    [
      4,
      () =>
        concatBytes(
          text.slice(0, firstLine).replace(/;chunk-signature=[0-9a-f]+/, ""),
          "\r\n",
          rest,
        ),
    ],
    [
      4,
      () =>
        concatBytes(
          text.slice(0, firstLine) + ";" + "x".repeat(rng.int(100, 70_000)),
          "\r\n",
          rest,
        ),
    ],
    [5, () => concatBytes(body, rng.bytes(rng.int(1, 500)))],
    [4, () => concatBytes(body.subarray(0, body.length - 2), "x-amz-checksum-crc32:!!!\r\n\r\n")],
    [4, () => concatBytes(body.subarray(0, body.length - 2), "\r\n".repeat(rng.int(1, 50)))],
    [4, () => concatBytes("0\r\n\r\n")],
    [3, () => rng.bytes(rng.int(0, 5000))],
    [3, () => new TextEncoder().encode(fromLatin1([body]).replaceAll("\r\n", "\n"))],
  ])();
}
