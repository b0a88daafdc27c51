/**
 * POST policies: AWS's worked SigV4 example ("Example: Browser-Based Upload using HTTP POST",
 * sigv4-post-example: policy, credentials and signature as published), signatures computed
 * independently with node:crypto, and condition evaluation tables.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  checkPostPolicy,
  decodePostPolicy,
  type FormField,
  type PostAuth,
  readPostAuth,
  verifyPolicySignature,
} from "../../src/auth/post_policy.ts";
import { S3Error } from "../../src/s3/errors.ts";

const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AWS_POLICY =
  "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const AWS_SIGNATURE = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

/** The example's form, as its HTML sends it (mixed-case names, `${filename}` expanded). */
const AWS_FORM: [string, string][] = [
  ["key", "user/user1/photo.jpg"],
  ["acl", "public-read"],
  ["success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"],
  ["Content-Type", "image/jpeg"],
  ["x-amz-meta-uuid", "14365123651274"],
  ["x-amz-server-side-encryption", "AES256"],
  ["X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"],
  ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
  ["X-Amz-Date", "20151229T000000Z"],
  ["x-amz-meta-tag", ""],
  ["Policy", AWS_POLICY],
  ["X-Amz-Signature", AWS_SIGNATURE],
];
const IN_2015 = Date.parse("2015-12-29T00:00:00Z");

function fields(pairs: [string, string][]): Map<string, FormField> {
  return new Map(pairs.map(([name, value]) => [name.toLowerCase(), { name, value }]));
}

function b64(json: unknown): string {
  return btoa(typeof json === "string" ? json : JSON.stringify(json));
}

/** Hex HMAC-SHA256 of the policy under the SigV4 key, written out here, not via the code under test. */
function independentSignature(secret: string, date: string, region: string, policy: string) {
  const mac = (key: string | Uint8Array, data: string) =>
    new Uint8Array(createHmac("sha256", key).update(data).digest());
  const key = mac(mac(mac(mac(`AWS4${secret}`, date), region), "s3"), "aws4_request");
  return createHmac("sha256", key).update(policy).digest("hex");
}

function s3Error(code: string, message?: string | RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof S3Error, String(e));
    assert.equal(e.code, code, e.message);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  };
}

Deno.test("verifyPolicySignature accepts AWS's published example signature", () => {
  const auth = readPostAuth(fields(AWS_FORM));
  assert.deepEqual(
    { ...auth, policy: auth.policy === AWS_POLICY },
    {
      accessKey: "AKIAIOSFODNN7EXAMPLE",
      date: "20151229",
      region: "us-east-1",
      amzDate: "20151229T000000Z",
      policy: true,
      signature: AWS_SIGNATURE,
    },
  );
  assert.equal(
    independentSignature(AWS_SECRET, "20151229", "us-east-1", AWS_POLICY),
    AWS_SIGNATURE,
  );
  verifyPolicySignature(auth, AWS_SECRET);
});

Deno.test("verifyPolicySignature refuses a tampered policy, another key, date or region", () => {
  const auth = readPostAuth(fields(AWS_FORM));
  const cases: [string, PostAuth, string][] = [
    ["truncated policy", { ...auth, policy: AWS_POLICY.slice(0, -2) }, AWS_SECRET],
    ["wrong secret", auth, AWS_SECRET.replace("K7", "K8")],
    ["other date", { ...auth, date: "20151230" }, AWS_SECRET],
    ["other region", { ...auth, region: "eu-west-1" }, AWS_SECRET],
    ["upper-case hex", { ...auth, signature: AWS_SIGNATURE.toUpperCase() }, AWS_SECRET],
  ];
  for (const [what, a, secret] of cases) {
    assert.throws(() => verifyPolicySignature(a, secret), (e) => {
      s3Error("SignatureDoesNotMatch")(e);
      const extra = (e as S3Error).extra;
      assert.equal(extra.StringToSign, a.policy, what);
      assert.equal(extra.AWSAccessKeyId, "AKIAIOSFODNN7EXAMPLE");
      assert.equal(extra.StringToSignBytes.split(" ").length, a.policy.length, what);
      assert.ok(extra.StringToSignBytes.startsWith("65 79 41 69 "), "hex bytes of 'eyAi'");
      return true;
    }, what);
  }
});

Deno.test("verifyPolicySignature agrees with an HMAC computed independently with node:crypto", () => {
  const policy = b64({ expiration: "2030-01-01T00:00:00Z", conditions: [{ bucket: "b" }] });
  const signature = independentSignature("s3cr3t", "20300101", "eu-central-1", policy);
  verifyPolicySignature(
    { accessKey: "AK", date: "20300101", region: "eu-central-1", amzDate: "x", policy, signature },
    "s3cr3t",
  );
});

Deno.test("checkPostPolicy accepts AWS's example form for its bucket before expiry", () => {
  const policy = decodePostPolicy(AWS_POLICY);
  assert.equal(policy.expiration, Date.parse("2015-12-30T12:00:00Z"));
  assert.equal(policy.conditions.length, 11);
  const form = fields(AWS_FORM);
  assert.equal(checkPostPolicy(policy, form, { bucket: "sigv4examplebucket", now: IN_2015 }), null);
  assert.throws(
    () => checkPostPolicy(policy, form, { bucket: "other", now: IN_2015 }),
    s3Error(
      "AccessDenied",
      'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "sigv4examplebucket"]',
    ),
  );
  assert.throws(
    () =>
      checkPostPolicy(policy, form, {
        bucket: "sigv4examplebucket",
        now: Date.parse("2015-12-30T12:00:00Z"),
      }),
    s3Error("AccessDenied", "Invalid according to Policy: Policy expired."),
  );
});

const NOW = Date.parse("2030-01-01T00:00:00Z");
const LATER = "2030-01-01T01:00:00Z";

/** [what, conditions, form fields, expected: null (passes), a range, or the failure message]. */
const TABLE: [
  string,
  unknown[],
  [string, string][],
  string | null | { min: number; max: number },
][] = [
  ["eq passes", [["eq", "$key", "a/b"]], [["key", "a/b"]], null],
  [
    "eq is case-sensitive in values",
    [["eq", "$key", "A/b"]],
    [["key", "a/b"]],
    'Policy Condition failed: ["eq", "$key", "A/b"]',
  ],
  [
    "simple condition fails as eq",
    [{ key: "x" }],
    [["key", "y"]],
    'Policy Condition failed: ["eq", "$key", "x"]',
  ],
  ["names are case-insensitive", [["StArTs-WiTh", "$KeY", "a/"], { "X-Amz-Meta-Tag": "v" }], [[
    "kEy",
    "a/x",
  ], ["x-amz-meta-TAG", "v"]], null],
  [
    "starts-with fails",
    [["starts-with", "$key", "user/"]],
    [["key", "other/x"]],
    'Policy Condition failed: ["starts-with", "$key", "user/"]',
  ],
  ["starts-with empty allows anything", [["starts-with", "$success_action_redirect", ""]], [[
    "success_action_redirect",
    "http://x",
  ]], null],
  [
    "absent field fails even starts-with empty",
    [["starts-with", "$Content-Type", ""]],
    [],
    'Policy Condition failed: ["starts-with", "$Content-Type", ""]',
  ],
  ["Content-Type list: every entry must match", [["starts-with", "$Content-Type", "image/"]], [[
    "Content-Type",
    "image/jpg,image/png, image/gif",
  ]], null],
  ["Content-Type list: one entry fails", [["starts-with", "$Content-Type", "image/"]], [[
    "Content-Type",
    "image/jpg,text/plain",
  ]], 'Policy Condition failed: ["starts-with", "$Content-Type", "image/"]'],
  ["other fields with commas are plain strings", [["starts-with", "$x-amz-meta-a", "b"]], [[
    "x-amz-meta-a",
    "b,c",
  ]], null],
  [
    "field without $ never matches",
    [["eq", "key", "k"]],
    [["key", "k"]],
    'Policy Condition failed: ["eq", "key", "k"]',
  ],
  [
    "extra field",
    [["eq", "$key", "k"]],
    [["key", "k"], ["x-amz-meta-Extra", "1"]],
    "Extra input fields: x-amz-meta-Extra",
  ],
  ["exempt fields", [["eq", "$key", "k"]], [
    ["key", "k"],
    ["policy", "p"],
    ["X-Amz-Signature", "s"],
    ["x-ignore-Foo", "1"],
  ], null],
  ["bucket field covered by the bucket condition", [{ bucket: "b" }, { key: "k" }], [[
    "bucket",
    "b",
  ], ["key", "k"]], null],
  ["content-length-range", [["content-length-range", 5, 10]], [], { min: 5, max: 10 }],
  [
    "content-length-range with strings, intersected",
    [["content-length-range", "1", "100"], ["content-length-range", 5, 10000]],
    [],
    { min: 5, max: 100 },
  ],
  [
    "content-length-range not a number",
    [["content-length-range", "test", "10"]],
    [],
    'Policy Condition failed: ["content-length-range", "test", "10"]',
  ],
];

Deno.test("checkPostPolicy evaluates each kind of condition", () => {
  for (const [what, conditions, form, expected] of TABLE) {
    const policy = decodePostPolicy(b64({ expiration: LATER, conditions }));
    const run = () => checkPostPolicy(policy, fields(form), { bucket: "b", now: NOW });
    if (typeof expected === "string") {
      assert.throws(run, s3Error("AccessDenied", `Invalid according to Policy: ${expected}`), what);
    } else assert.deepEqual(run(), expected, what);
  }
});

Deno.test("decodePostPolicy refuses documents that are not POST policies", () => {
  const cases: [string, string][] = [
    ["not base64!", "Invalid Policy: invalid Base64 encoding."],
    [btoa("{not json"), "Invalid Policy: Invalid JSON."],
    [btoa("\xff\xfe"), "Invalid Policy: Invalid JSON."],
    [b64([]), "Invalid Policy: Invalid JSON."],
    [b64({ conditions: [] }), "Invalid Policy: Policy missing expiration."],
    [b64({ expiration: LATER }), "Invalid Policy: Policy missing conditions."],
    [b64({ EXPIRATION: LATER, conditions: [] }), "Invalid Policy: Unexpected: 'expiration'"],
    [
      b64({ expiration: LATER, Statement: [], conditions: [] }),
      "Invalid Policy: Unexpected: 'statement'",
    ],
    [
      b64({ expiration: "2011-09-13T07:52:58+02:00", conditions: [] }),
      "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'",
    ],
    [
      b64({ expiration: "2015-10-17 03:15:59 UTC", conditions: [] }),
      "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'",
    ],
    [
      b64({ expiration: LATER, conditions: {} }),
      "Invalid Policy: Invalid 'conditions' value: must be a List.",
    ],
    [
      b64({ expiration: LATER, conditions: [{}] }),
      "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
    ],
    [
      b64({ expiration: LATER, conditions: [{ a: "1", b: "2" }] }),
      "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
    ],
    [
      b64({ expiration: LATER, conditions: [{ "Content-Length": 6199034 }] }),
      "Invalid Policy: Invalid Simple-Condition: value must be a string.",
    ],
    [
      b64({ expiration: LATER, conditions: [[]] }),
      "Invalid Policy: Invalid Condition: missing operation identifier.",
    ],
    [
      b64({ expiration: LATER, conditions: [["in", "$key", "a"]] }),
      "Invalid Policy: Invalid Condition: unknown operation 'in'.",
    ],
    [
      b64({ expiration: LATER, conditions: [["content-length-range", 0]] }),
      "Invalid Policy: Invalid content-length-range: wrong number of arguments.",
    ],
    [
      b64({ expiration: LATER, conditions: [["content-length-range", -1, 0]] }),
      "Invalid Policy: Invalid content-length-range: the bounds must be whole numbers of bytes.",
    ],
    [b64({ expiration: LATER, conditions: [["eq", "$key", 5]] }), "Invalid Policy: Invalid JSON."],
    [
      b64({ expiration: LATER, conditions: ["key"] }),
      "Invalid Policy: Invalid condition test: must be a List or Object.",
    ],
  ];
  for (const [policy, message] of cases) {
    assert.throws(
      () => decodePostPolicy(policy),
      s3Error("InvalidPolicyDocument", message),
      message,
    );
  }
});

Deno.test("decodePostPolicy accepts expirations with or without fractional seconds", () => {
  for (
    const e of ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00.123456Z"]
  ) {
    assert.equal(
      decodePostPolicy(b64({ expiration: e, conditions: [] })).expiration,
      Date.parse(e),
    );
  }
});

Deno.test("readPostAuth names the missing or malformed signing field", () => {
  const full: [string, string][] = [
    ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
    ["x-amz-credential", "AK/20300101/us-east-1/s3/aws4_request"],
    ["x-amz-date", "20300101T000000Z"],
    ["policy", "e30="],
    ["x-amz-signature", "00"],
  ];
  const without = (name: string) => fields(full.filter(([n]) => n !== name));
  const missing = (display: string) =>
    s3Error(
      "InvalidArgument",
      `Bucket POST must contain a field named '${display}'.  If it is specified, please check the order of the fields.`,
    );
  assert.throws(() => readPostAuth(without("x-amz-signature")), missing("X-Amz-Signature"));
  assert.throws(() => readPostAuth(without("policy")), missing("policy"));
  assert.throws(() => readPostAuth(without("x-amz-date")), missing("X-Amz-Date"));
  assert.throws(
    () => readPostAuth(fields([["key", "k"], ["policy", "e30="]])),
    s3Error("AccessDenied"),
  );
  assert.throws(
    () => readPostAuth(fields([["AWSAccessKeyId", "AK"], ["signature", "x"], ["policy", "e30="]])),
    s3Error("InvalidRequest"),
  );
  const withField = (name: string, value: string) =>
    fields(full.map(([n, v]) => [n, n === name ? value : v] as [string, string]));
  assert.throws(
    () => readPostAuth(withField("x-amz-algorithm", "AWS4-HMAC-SHA1")),
    s3Error("InvalidRequest"),
  );
  assert.throws(
    () => readPostAuth(withField("x-amz-credential", "AK/20300101/us-east-1/s3")),
    s3Error("InvalidArgument", /mal-formed/),
  );
  assert.throws(
    () => readPostAuth(withField("x-amz-credential", "/20300101/us-east-1/s3/aws4_request")),
    s3Error("InvalidArgument", /non-empty Access Key/),
  );
  assert.throws(
    () => readPostAuth(withField("x-amz-credential", "AK/2030-01-01/us-east-1/s3/aws4_request")),
    s3Error("InvalidArgument", /date format/),
  );
  assert.throws(
    () => readPostAuth(withField("x-amz-credential", "AK/20300101/us-east-1/ec2/aws4_request")),
    s3Error("InvalidArgument", /service "ec2"/),
  );
  assert.throws(
    () => readPostAuth(withField("x-amz-date", "2030-01-01")),
    s3Error("InvalidArgument", /ISO8601/),
  );
});
