import assert from "node:assert/strict";
import { ListObjectsV2Command, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { withServer } from "../helpers/server.ts";
import { rawRequest } from "../helpers/sign.ts";
import {
  assertS3Error,
  compareUtf8Bytes,
  decodeListingKey,
  putObjects,
  xmlValue,
  xmlValues,
} from "../helpers/s3.ts";

/** S3 lists in UTF-8 byte order; the same strings sorted as UTF-8 bytes. */
function utf8Sorted(keys: string[]): string[] {
  return [...keys].sort(compareUtf8Bytes);
}

/** Listing elements: Keys of <Contents> and Prefixes of <CommonPrefixes>, as sent. */
function contents(xml: string): string[] {
  return [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => xmlValue(m[1], "Key")!);
}
function prefixes(xml: string): string[] {
  return [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map((m) =>
    xmlValue(m[1], "Prefix")!
  );
}

const TREE = [
  "a.txt",
  "b/1.txt",
  "b/2.txt",
  "b/c/3.txt",
  "c.txt",
  "d/",
  "d/x",
  "e f/g",
  "z",
  // UTF-16 order puts 😀 (a surrogate pair, 0xD83D…) first; UTF-8 order puts it last.
  "\uE000",
  "\uFFFD",
  "😀",
  "😀/inside",
  "\uFFFD/inside",
];
const ORDERED = utf8Sorted(TREE);

Deno.test("listing semantics: prefix, delimiter, markers, tokens, encoding and order", async (t) => {
  await withServer(async (server) => {
    const list = async (query: string) => {
      const r = await rawRequest(server, { method: "GET", path: `/tree?${query}` });
      assert.equal(r.status, 200, r.text);
      return r.text;
    };
    await rawRequest(server, { method: "PUT", path: "/tree" });
    await putObjects(server, "tree", TREE);

    await t.step("the expected order really differs between UTF-8 and UTF-16", () => {
      assert.notDeepEqual(ORDERED, [...TREE].sort());
      assert.deepEqual(ORDERED.slice(-5), ["\uE000", "\uFFFD", "\uFFFD/inside", "😀", "😀/inside"]);
    });

    await t.step("ListObjects lists every key in UTF-8 byte order", async () => {
      const xml = await list("");
      assert.deepEqual(contents(xml), ORDERED);
      assert.equal(xmlValue(xml, "IsTruncated"), "false");
      assert.equal(xmlValue(xml, "Marker"), "");
      assert.equal(xmlValue(xml, "MaxKeys"), "1000");
      assert.equal(xmlValue(xml, "NextMarker"), undefined);
      assert.equal(xmlValue(xml, "Name"), "tree");
    });

    await t.step("ListObjectsV2 lists every key in UTF-8 byte order with KeyCount", async () => {
      const xml = await list("list-type=2");
      assert.deepEqual(contents(xml), ORDERED);
      assert.equal(xmlValue(xml, "KeyCount"), String(TREE.length));
      assert.equal(xmlValue(xml, "IsTruncated"), "false");
      assert.equal(xmlValue(xml, "NextContinuationToken"), undefined);
    });

    await t.step("a prefix selects the keys that start with it", async () => {
      const xml = await list("prefix=b%2F");
      assert.deepEqual(contents(xml), ["b/1.txt", "b/2.txt", "b/c/3.txt"]);
      assert.equal(xmlValue(xml, "Prefix"), "b/");
      const emoji = await list(`list-type=2&prefix=${encodeURIComponent("😀")}`);
      assert.deepEqual(contents(emoji), ["😀", "😀/inside"]);
      assert.deepEqual(contents(await list("prefix=nothing-here")), []);
    });

    await t.step("a delimiter rolls keys up into CommonPrefixes", async () => {
      const xml = await list("delimiter=%2F");
      assert.deepEqual(contents(xml), ["a.txt", "c.txt", "z", "\uE000", "\uFFFD", "😀"]);
      assert.deepEqual(prefixes(xml), ["b/", "d/", "e f/", "\uFFFD/", "😀/"]);
      assert.equal(xmlValue(xml, "Delimiter"), "/");
      const v2 = await list("list-type=2&delimiter=%2F");
      assert.equal(xmlValue(v2, "KeyCount"), "11");
    });

    await t.step("prefix and delimiter together list one level of a folder", async () => {
      const xml = await list("prefix=b%2F&delimiter=%2F");
      assert.deepEqual(contents(xml), ["b/1.txt", "b/2.txt"]);
      assert.deepEqual(prefixes(xml), ["b/c/"]);
      const folder = await list("list-type=2&prefix=d%2F&delimiter=%2F");
      assert.deepEqual(contents(folder), ["d/", "d/x"]);
      assert.deepEqual(prefixes(folder), []);
    });

    await t.step(
      "a delimiter other than / rolls up at its first occurrence after the prefix",
      async () => {
        const xml = await list("delimiter=.");
        assert.deepEqual(prefixes(xml), ["a.", "b/1.", "b/2.", "b/c/3.", "c."]);
        assert.ok(!contents(xml).includes("a.txt"));
      },
    );

    await t.step("ListObjects with a marker starts after it", async () => {
      const xml = await list("marker=b%2F2.txt");
      assert.deepEqual(contents(xml), ORDERED.slice(ORDERED.indexOf("b/2.txt") + 1));
      assert.equal(xmlValue(xml, "Marker"), "b/2.txt");
      const between = await list(`marker=${encodeURIComponent("\uE000")}`);
      assert.deepEqual(contents(between), ["\uFFFD", "\uFFFD/inside", "😀", "😀/inside"]);
    });

    await t.step(
      "ListObjects max-keys truncates; without a delimiter there is no NextMarker",
      async () => {
        const xml = await list("max-keys=2");
        assert.deepEqual(contents(xml), ORDERED.slice(0, 2));
        assert.equal(xmlValue(xml, "IsTruncated"), "true");
        assert.equal(xmlValue(xml, "MaxKeys"), "2");
        assert.equal(xmlValue(xml, "NextMarker"), undefined);
        // Clients page on with the last key as the marker.
        const seen: string[] = [];
        let marker = "";
        for (let page = 0; page < 20; page++) {
          const p = await list(`max-keys=3&marker=${encodeURIComponent(marker)}`);
          seen.push(...contents(p));
          if (xmlValue(p, "IsTruncated") === "false") break;
          marker = seen.at(-1)!;
        }
        assert.deepEqual(seen, ORDERED);
      },
    );

    await t.step(
      "ListObjects with a delimiter sends NextMarker and pages over prefixes once each",
      async () => {
        const keys: string[] = [];
        const common: string[] = [];
        let marker = "";
        for (let page = 0; page < 20; page++) {
          const p = await list(`delimiter=%2F&max-keys=2&marker=${encodeURIComponent(marker)}`);
          keys.push(...contents(p));
          common.push(...prefixes(p));
          if (xmlValue(p, "IsTruncated") === "false") {
            assert.equal(xmlValue(p, "NextMarker"), undefined);
            break;
          }
          marker = xmlValue(p, "NextMarker")!;
          assert.ok(marker, "a truncated delimiter listing names its NextMarker");
        }
        assert.deepEqual(keys, ["a.txt", "c.txt", "z", "\uE000", "\uFFFD", "😀"]);
        assert.deepEqual(common, ["b/", "d/", "e f/", "\uFFFD/", "😀/"]);
      },
    );

    await t.step(
      "ListObjectsV2 continuation tokens page through every key and prefix once",
      async () => {
        for (const delimiter of ["", "%2F"]) {
          const items: string[] = [];
          let token: string | undefined;
          for (let page = 0; page < 20; page++) {
            const q = `list-type=2&max-keys=3&delimiter=${delimiter}` +
              (token ? `&continuation-token=${encodeURIComponent(token)}` : "");
            const p = await list(q);
            const got = [...contents(p), ...prefixes(p)];
            assert.equal(xmlValue(p, "KeyCount"), String(got.length));
            assert.ok(got.length <= 3);
            assert.equal(xmlValue(p, "ContinuationToken"), token);
            items.push(...got);
            token = xmlValue(p, "NextContinuationToken");
            if (xmlValue(p, "IsTruncated") === "false") {
              assert.equal(token, undefined);
              break;
            }
            assert.ok(token);
          }
          if (delimiter) {
            assert.deepEqual(
              items.sort(),
              [
                "a.txt",
                "c.txt",
                "z",
                "\uE000",
                "\uFFFD",
                "😀",
                "b/",
                "d/",
                "e f/",
                "\uFFFD/",
                "😀/",
              ].sort(),
            );
          } else assert.deepEqual(items, ORDERED);
        }
      },
    );

    await t.step("ListObjectsV2 start-after starts after the given key and is echoed", async () => {
      const xml = await list(`list-type=2&start-after=${encodeURIComponent("z")}`);
      assert.deepEqual(contents(xml), ORDERED.slice(ORDERED.indexOf("z") + 1));
      assert.equal(xmlValue(xml, "StartAfter"), "z");
      const notAKey = await list("list-type=2&start-after=b%2F1");
      assert.deepEqual(contents(notAKey).slice(0, 2), ["b/1.txt", "b/2.txt"]);
    });

    await t.step(
      "ListObjectsV2 shows Owner only with fetch-owner=true; ListObjects always",
      async () => {
        const without = await list("list-type=2&max-keys=1");
        assert.doesNotMatch(without, /<Owner>/);
        const withOwner = await list("list-type=2&max-keys=1&fetch-owner=true");
        assert.match(withOwner, /<Contents>[\s\S]*<Owner><ID>[^<]+<\/ID>/);
        assert.equal(xmlValue(withOwner, "ID"), server.accessKey);
        assert.equal(xmlValue(await list("max-keys=1"), "ID"), server.accessKey);
      },
    );

    await t.step("encoding-type=url percent-encodes keys, prefixes and markers", async () => {
      const v1 = await list(`encoding-type=url&marker=${encodeURIComponent("e f/g")}`);
      assert.equal(xmlValue(v1, "EncodingType"), "url");
      assert.equal(xmlValue(v1, "Marker"), "e+f%2Fg".replace("%2F", "/"));
      assert.deepEqual(contents(v1), [
        "z",
        "%EE%80%80",
        "%EF%BF%BD",
        "%EF%BF%BD/inside",
        "%F0%9F%98%80",
        "%F0%9F%98%80/inside",
      ]);
      const v2 = await list("list-type=2&encoding-type=url&delimiter=%2F&prefix=e%20");
      assert.equal(xmlValue(v2, "Prefix"), "e+");
      assert.deepEqual(prefixes(v2), ["e+f/"]);
      const decoded = contents(await list("list-type=2&encoding-type=url")).map(decodeListingKey);
      assert.deepEqual(decoded, ORDERED);
    });

    await t.step("listing arguments S3 refuses answer 400 InvalidArgument", async () => {
      for (const q of ["max-keys=abc", "max-keys=-1", "encoding-type=base64"]) {
        const r = await rawRequest(server, { method: "GET", path: `/tree?${q}` });
        assertS3Error(r, 400, "InvalidArgument");
      }
      const token = await rawRequest(server, {
        method: "GET",
        path: "/tree?list-type=2&continuation-token=%25%25%25",
      });
      assertS3Error(token, 400, "InvalidArgument");
    });

    await t.step("listing a missing bucket answers 404 NoSuchBucket", async () => {
      const r = await rawRequest(server, { method: "GET", path: "/missing-bucket?list-type=2" });
      assertS3Error(r, 404, "NoSuchBucket");
    });
  });
});

const COUNT = 2500;
/** `k/<group of 100>/<nnnn>`: zero-padded, so byte order is numeric order. */
const KEYS = Array.from({ length: COUNT }, (_, i) => {
  const n = String(i).padStart(4, "0");
  return `k/${n.slice(0, 2)}/${n}`;
});

Deno.test("ListObjectsV2 pages through 2,500 keys", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await rawRequest(server, { method: "PUT", path: "/many" });
    await putObjects(server, "many", KEYS, () => "", 12);

    await t.step("max-keys 1000 returns pages of 1000, 1000 and 500 keys in order", async () => {
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const q = "list-type=2&max-keys=1000" +
          (token ? `&continuation-token=${encodeURIComponent(token)}` : "");
        const r = await rawRequest(server, { method: "GET", path: `/many?${q}` });
        const keys = contents(r.text);
        assert.equal(xmlValue(r.text, "KeyCount"), String(keys.length));
        pages.push(keys);
        token = xmlValue(r.text, "NextContinuationToken");
        assert.equal(xmlValue(r.text, "IsTruncated"), String(token !== undefined));
      } while (token);
      assert.deepEqual(pages.map((p) => p.length), [1000, 1000, 500]);
      assert.deepEqual(pages.flat(), KEYS);
    });

    await t.step("max-keys above 1000 still returns at most 1000 keys", async () => {
      const r = await rawRequest(server, {
        method: "GET",
        path: "/many?list-type=2&max-keys=5000",
      });
      assert.equal(contents(r.text).length, 1000);
      assert.equal(xmlValue(r.text, "IsTruncated"), "true");
    });

    await t.step("the SDK paginator with 300-key pages sees every key once", async () => {
      const seen: string[] = [];
      let pages = 0;
      for await (
        const page of paginateListObjectsV2({ client: s3, pageSize: 300 }, { Bucket: "many" })
      ) {
        pages++;
        assert.ok(page.KeyCount! <= 300);
        seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      }
      assert.equal(pages, 9);
      assert.deepEqual(seen, KEYS);
    });

    await t.step("small pages within a prefix, after start-after, stay in order", async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await s3.send(
          new ListObjectsV2Command({
            Bucket: "many",
            Prefix: "k/1",
            StartAfter: "k/12/1249",
            MaxKeys: 37,
            ContinuationToken: token,
          }),
        );
        pages++;
        seen.push(...(out.Contents ?? []).map((o) => o.Key!));
        token = out.NextContinuationToken;
      } while (token);
      const expected = KEYS.filter((k) => k.startsWith("k/1") && k > "k/12/1249");
      assert.equal(expected.length, 750);
      assert.equal(pages, Math.ceil(750 / 37));
      assert.deepEqual(seen, expected);
    });

    await t.step(
      "a delimiter over 2,500 keys rolls up 25 folders and pages over them",
      async () => {
        const top = await rawRequest(server, {
          method: "GET",
          path: "/many?list-type=2&delimiter=%2F",
        });
        assert.deepEqual(prefixes(top.text), ["k/"]);
        assert.deepEqual(contents(top.text), []);
        assert.equal(xmlValue(top.text, "KeyCount"), "1");
        const folders: string[] = [];
        let token: string | undefined;
        const sizes: number[] = [];
        do {
          const out = await s3.send(
            new ListObjectsV2Command({
              Bucket: "many",
              Prefix: "k/",
              Delimiter: "/",
              MaxKeys: 10,
              ContinuationToken: token,
            }),
          );
          const p = (out.CommonPrefixes ?? []).map((c) => c.Prefix!);
          sizes.push(p.length);
          assert.equal(out.KeyCount, p.length);
          folders.push(...p);
          token = out.NextContinuationToken;
        } while (token);
        assert.deepEqual(sizes, [10, 10, 5]);
        assert.deepEqual(
          folders,
          Array.from({ length: 25 }, (_, i) => `k/${String(i).padStart(2, "0")}/`),
        );
      },
    );

    await t.step("ListObjects (V1) pages through 2,500 keys with markers", async () => {
      const seen: string[] = [];
      let marker = "";
      let pages = 0;
      while (true) {
        const r = await rawRequest(server, {
          method: "GET",
          path: `/many?marker=${encodeURIComponent(marker)}`,
        });
        pages++;
        const keys = contents(r.text);
        seen.push(...keys);
        if (xmlValue(r.text, "IsTruncated") !== "true") break;
        marker = keys.at(-1)!;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, KEYS);
    });
  });
});

Deno.test("listing reflects deletes and overwrites at once", async (t) => {
  await withServer(async (server) => {
    await rawRequest(server, { method: "PUT", path: "/fresh" });
    await putObjects(server, "fresh", ["one", "two", "three"]);

    await t.step(
      "a deleted key disappears from the next listing and an overwrite shows its new size",
      async () => {
        await rawRequest(server, { method: "DELETE", path: "/fresh/two" });
        await rawRequest(server, { method: "PUT", path: "/fresh/one", body: "longer body" });
        const r = await rawRequest(server, { method: "GET", path: "/fresh?list-type=2" });
        assert.deepEqual(contents(r.text), ["one", "three"]);
        assert.deepEqual(xmlValues(r.text, "Size"), ["11", "5"]);
      },
    );
  });
});
