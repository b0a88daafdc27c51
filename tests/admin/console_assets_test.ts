import assert from "node:assert/strict";
import { compileArgs } from "../../scripts/compile.ts";
import { CONSOLE_ASSETS } from "../../src/console/assets.ts";
import { withServer } from "../helpers/server.ts";

const ASSET_DIR = new URL("../../src/console/assets/", import.meta.url);

Deno.test("the console's files are served by the admin listener, offline and locked down", async (t) => {
  await withServer(async (server) => {
    await t.step("/ is the console page, with a strict CSP and no key needed", async () => {
      const r = await fetch(`${server.adminUrl}/`);
      const html = await r.text();
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
      const csp = r.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.equal(r.headers.get("x-frame-options"), "DENY");
      assert.equal(r.headers.get("cache-control"), "no-cache");
      assert.match(html, /<script type="module" src="\/assets\/app.js"><\/script>/);
    });

    await t.step("every file of the assets folder is served with its content type", async () => {
      const onDisk = [...Deno.readDirSync(ASSET_DIR)].map((e) => e.name).sort();
      assert.deepEqual(
        onDisk,
        Object.keys(CONSOLE_ASSETS).sort(),
        "CONSOLE_ASSETS lists the folder",
      );
      for (const name of onDisk.filter((n) => n !== "index.html")) {
        const r = await fetch(`${server.adminUrl}/assets/${name}`);
        const body = await r.bytes();
        assert.equal(r.status, 200, name);
        assert.equal(r.headers.get("content-type"), CONSOLE_ASSETS[name], name);
        assert.deepEqual(body, await Deno.readFile(new URL(name, ASSET_DIR)), name);
      }
    });

    await t.step("an unchanged file revalidates as 304 by its ETag", async () => {
      const first = await fetch(`${server.adminUrl}/assets/app.css`);
      await first.body?.cancel();
      const etag = first.headers.get("etag");
      assert.match(etag ?? "", /^"[A-Za-z0-9_-]{22}"$/);
      const again = await fetch(`${server.adminUrl}/assets/app.css`, {
        headers: { "if-none-match": etag! },
      });
      assert.equal(again.status, 304);
      await again.body?.cancel();
    });

    await t.step("names outside the list are 404, traversal included", async () => {
      for (
        const path of [
          "/assets/nope.js",
          "/assets/..%2Fassets.ts",
          "/assets/index.html",
          "/index.html",
        ]
      ) {
        const r = await fetch(`${server.adminUrl}${path}`);
        await r.body?.cancel();
        assert.equal(r.status, 404, path);
      }
    });
  });
});

Deno.test("the console's files load nothing from elsewhere and run no inline code", async (t) => {
  const files = Object.keys(CONSOLE_ASSETS);
  const text = (name: string) => Deno.readTextFileSync(new URL(name, ASSET_DIR));

  await t.step("no file refers to another origin (no CDN, no fonts, no analytics)", () => {
    for (const name of files) {
      const urls = text(name).match(/https?:\/\/[^\s"'`)]+/g) ?? [];
      // The SVG namespace is an identifier, not something fetched.
      assert.deepEqual(urls.filter((u) => u !== "http://www.w3.org/2000/svg"), [], name);
      assert.doesNotMatch(text(name), /@import|url\(\s*["']?\/\//, name);
    }
  });

  await t.step("the page has no inline script, style or event handler attribute", () => {
    const html = text("index.html");
    for (const script of html.match(/<script\b[^>]*>/g) ?? []) assert.match(script, /\ssrc="/);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  });

  await t.step(
    "scripts never build HTML from strings, eval code, or touch storage and cookies",
    () => {
      for (const name of files.filter((n) => n.endsWith(".js"))) {
        const js = text(name);
        assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, name);
        assert.doesNotMatch(js, /localStorage|sessionStorage|document\.cookie/, name);
        assert.doesNotMatch(js, /\beval\(|new Function\(/, name);
      }
    },
  );

  await t.step("compiled binaries carry the folder", () => {
    const args = compileArgs("x86_64-unknown-linux-gnu");
    const at = args.indexOf("--include");
    assert.ok(at >= 0, args.join(" "));
    assert.equal(args[at + 1], "src/console/assets");
  });
});
