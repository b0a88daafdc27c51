/**
 * FormDataReader: multipart/form-data framing as browsers and curl send it, split into
 * chunks at every possible position, plus the malformed bodies a server must refuse.
 */
import assert from "node:assert/strict";
import { S3Error } from "../../src/s3/errors.ts";
import { boundaryOf, FormDataReader, parseHeaderParams } from "../../src/s3/form_data.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const BOUNDARY = "----WebKitFormBoundaryAauA5ite0s0Ci520";

interface Parsed {
  name: string | null;
  filename: string | null;
  headers: Record<string, string>;
  body: string;
}

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Every part of a body delivered as `chunks`, with its content as text. */
async function parse(chunks: Uint8Array[], boundary = BOUNDARY): Promise<Parsed[]> {
  const form = new FormDataReader(fromChunks(chunks), boundary);
  const out: Parsed[] = [];
  for (let part = await form.nextPart(); part !== null; part = await form.nextPart()) {
    const bytes: number[] = [];
    for await (const b of form.body()) bytes.push(...b);
    out.push({
      name: part.name,
      filename: part.filename,
      headers: Object.fromEntries(part.headers),
      body: dec.decode(new Uint8Array(bytes)),
    });
  }
  return out;
}

function splitAt(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const cuts = [0, ...at, bytes.length];
  return cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end));
}

/** A browser-style body: `--b CRLF headers CRLF CRLF value CRLF ... --b--CRLF`. */
function formBody(parts: { head: string; body: string | Uint8Array }[], boundary = BOUNDARY) {
  const pieces: Uint8Array[] = [];
  for (const p of parts) {
    pieces.push(enc.encode(`--${boundary}\r\n${p.head}\r\n\r\n`));
    pieces.push(typeof p.body === "string" ? enc.encode(p.body) : p.body);
    pieces.push(enc.encode("\r\n"));
  }
  pieces.push(enc.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// File content full of near-delimiters: CR, CRLF, CRLF-dash, and the boundary without CRLF.
const TRICKY = `a\r\rb\r\n\r\n-\r\n--\r\n--${BOUNDARY.slice(0, -1)}x--${BOUNDARY}\rend\r`;
const SAMPLE = formBody([
  { head: 'Content-Disposition: form-data; name="key"', body: "user/${filename}" },
  { head: 'Content-Disposition: form-data; name="x-amz-meta-tag"', body: "" },
  {
    head: 'Content-Disposition: form-data; name="file"; filename="a b.txt"\r\n' +
      "Content-Type: text/plain",
    body: TRICKY,
  },
  { head: 'Content-Disposition: form-data; name="submit"', body: "Upload" },
]);
const EXPECTED: Parsed[] = [
  {
    name: "key",
    filename: null,
    headers: { "content-disposition": 'form-data; name="key"' },
    body: "user/${filename}",
  },
  {
    name: "x-amz-meta-tag",
    filename: null,
    headers: { "content-disposition": 'form-data; name="x-amz-meta-tag"' },
    body: "",
  },
  {
    name: "file",
    filename: "a b.txt",
    headers: {
      "content-disposition": 'form-data; name="file"; filename="a b.txt"',
      "content-type": "text/plain",
    },
    body: TRICKY,
  },
  {
    name: "submit",
    filename: null,
    headers: { "content-disposition": 'form-data; name="submit"' },
    body: "Upload",
  },
];

async function assertMalformed(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e) => e instanceof S3Error && e.code === "MalformedPOSTRequest");
}

Deno.test("FormDataReader reads fields and a file whose content nearly holds the delimiter", async () => {
  assert.deepEqual(await parse([SAMPLE]), EXPECTED);
});

Deno.test("FormDataReader gives the same parts whichever byte the chunks are split at", async () => {
  for (let i = 1; i < SAMPLE.length; i++) {
    assert.deepEqual(await parse(splitAt(SAMPLE, i)), EXPECTED, `split at ${i}`);
  }
});

Deno.test("FormDataReader gives the same parts from three-way splits around every delimiter", async () => {
  const body = dec.decode(SAMPLE);
  for (
    let at = body.indexOf(`\r\n--${BOUNDARY}`);
    at >= 0;
    at = body.indexOf(`\r\n--${BOUNDARY}`, at + 1)
  ) {
    for (let i = at - 2; i < at + BOUNDARY.length + 6; i++) {
      for (let j = i + 1; j < i + 8; j++) {
        assert.deepEqual(await parse(splitAt(SAMPLE, i, j)), EXPECTED, `split at ${i}, ${j}`);
      }
    }
  }
});

Deno.test("FormDataReader reads a body delivered one byte at a time", async () => {
  const bytes = Array.from(SAMPLE, (b) => Uint8Array.of(b));
  assert.deepEqual(await parse(bytes), EXPECTED);
});

Deno.test("FormDataReader agrees with itself on random content and random chunking", async () => {
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const alphabet = enc.encode(`\r\n-${BOUNDARY.slice(0, 6)}`);
  for (let round = 0; round < 200; round++) {
    const content = Uint8Array.from({ length: rand(300) }, () => alphabet[rand(alphabet.length)]);
    const body = formBody([
      { head: 'Content-Disposition: form-data; name="file"; filename="f"', body: content },
    ]);
    const cuts = Array.from({ length: rand(6) }, () => rand(body.length)).sort((a, b) => a - b);
    const [part] = await parse(splitAt(body, ...cuts));
    assert.deepEqual(enc.encode(part.body), content, `round ${round}`);
  }
});

Deno.test("FormDataReader hands large file chunks through as views, not copies", async () => {
  let seed = 1;
  const file = Uint8Array.from(
    { length: 1024 * 1024 },
    () => (seed = (seed * 69069 + 1) >>> 0) >>> 24,
  );
  const body = formBody([
    { head: 'Content-Disposition: form-data; name="file"; filename="big"', body: file },
  ]);
  const chunks = splitAt(body, ...Array.from({ length: 16 }, (_, i) => (i + 1) * 65536));
  const sources = new Set(chunks.map((c) => c.buffer));
  const form = new FormDataReader(fromChunks(chunks), BOUNDARY);
  await form.nextPart();
  let size = 0;
  let views = 0;
  let yields = 0;
  for await (const b of form.body()) {
    assert.deepEqual(b, file.subarray(size, size + b.length));
    size += b.length;
    yields++;
    if (sources.has(b.buffer)) views++;
  }
  assert.equal(size, file.length);
  // A chunk ending in what may start a delimiter yields that tail separately: at most one
  // extra piece per chunk, and still a view of the chunk.
  assert.ok(yields <= 2 * chunks.length, `${yields} pieces for ${chunks.length} chunks`);
  assert.equal(views, yields, `${yields - views} of ${yields} pieces were copies`);
  assert.equal(await form.nextPart(), null);
  assert.equal(form.position, body.length - 2, "position counts everything up to the epilogue");
});

Deno.test("FormDataReader refuses a body that ends before its closing boundary", async () => {
  const cut = SAMPLE.length - `--${BOUNDARY}--\r\n`.length;
  await assertMalformed(parse([SAMPLE.slice(0, cut)]));
  await assertMalformed(parse([SAMPLE.slice(0, cut + 2 + BOUNDARY.length)])); // "--b" then end
  const file = dec.decode(SAMPLE).indexOf("end\r");
  await assertMalformed(parse([SAMPLE.slice(0, file)])); // inside the file
  await assertMalformed(parse([enc.encode("no boundary at all")]));
  await assertMalformed(parse([]));
});

Deno.test("FormDataReader refuses junk after a boundary and header lines without a name", async () => {
  await assertMalformed(parse([enc.encode(`--${BOUNDARY}junk\r\n\r\nx\r\n--${BOUNDARY}--`)]));
  await assertMalformed(
    parse([enc.encode(`--${BOUNDARY}\r\nno colon\r\n\r\nx\r\n--${BOUNDARY}--`)]),
  );
});

Deno.test("FormDataReader reads odd but valid framing: preamble, padding, LF lines, folding", async () => {
  const body = `preamble\r\n--${BOUNDARY} \t\r\n` +
    'CONTENT-DISPOSITION: Form-Data;\r\n\tname="a";  filename="C:\\\\dir\\\\x.txt"\n' +
    "X-Other:  v  \r\n\r\n1\r\n" +
    `--${BOUNDARY}\r\n\r\nno headers\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: attachment; name="file"\r\n\r\n2\r\n` +
    `--${BOUNDARY}--epilogue`;
  const parts = await parse([enc.encode(body)]);
  assert.deepEqual(parts.map((p) => [p.name, p.filename, p.body]), [
    ["a", "C:\\dir\\x.txt", "1"],
    [null, null, "no headers"],
    [null, null, "2"], // not form-data: not a field
  ]);
  assert.equal(parts[0].headers["x-other"], "v");
});

Deno.test("FormDataReader skips the parts whose body is not read", async () => {
  const form = new FormDataReader(fromChunks(splitAt(SAMPLE, 100, 200)), BOUNDARY);
  const names: (string | null)[] = [];
  for (let p = await form.nextPart(); p !== null; p = await form.nextPart()) names.push(p.name);
  assert.deepEqual(names, ["key", "x-amz-meta-tag", "file", "submit"]);
});

Deno.test("parseHeaderParams reads quoted, escaped and bare parameters", () => {
  const cases: [string, string, Record<string, string>][] = [
    ['form-data; name="file"; filename="a b.txt"', "form-data", {
      name: "file",
      filename: "a b.txt",
    }],
    ['form-data; name="a;b"; filename="q\\"x"', "form-data", { name: "a;b", filename: 'q"x' }],
    ["form-data;name=key;FILENAME=x.bin", "form-data", { name: "key", filename: "x.bin" }],
    ['form-data; flag; name="n"', "form-data", { name: "n" }],
    ['form-data; name="n"; name="second"', "form-data", { name: "n" }],
    ['multipart/form-data; boundary="a b"', "multipart/form-data", { boundary: "a b" }],
  ];
  for (const [header, value, params] of cases) {
    const got = parseHeaderParams(header);
    assert.equal(got.value, value, header);
    assert.deepEqual(Object.fromEntries(got.params), params, header);
  }
});

Deno.test("boundaryOf takes the boundary of multipart/form-data and nothing else", () => {
  assert.equal(boundaryOf(`multipart/form-data; boundary=${BOUNDARY}`), BOUNDARY);
  assert.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="x y"'), "x y");
  for (const bad of [null, "multipart/form-data", "multipart/mixed; boundary=x", "text/plain"]) {
    assert.throws(
      () => boundaryOf(bad),
      (e) => e instanceof S3Error && e.code === "MalformedPOSTRequest",
    );
  }
  assert.throws(() => boundaryOf(`multipart/form-data; boundary=${"x".repeat(71)}`));
});
