import { chromium } from "playwright-core";
const base = "http://127.0.0.1:19001";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 812 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("pageerror:", e.message));
  await page.goto(base + "/");
  await page.getByLabel("Admin API key").fill("test-admin-key-123456");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  for (const [name, hash] of [["dash", "#/"], ["buckets", "#/buckets"], ["objects", "#/buckets/photos/2024/summer/"], ["creds", "#/credentials"], ["presigned", "#/presigned"], ["uploads", "#/uploads"]]) {
    await page.goto(base + "/" + hash);
    await page.waitForTimeout(600);
    const o = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    console.log(name, o);
    await page.screenshot({ path: `/tmp/vs/m-${name}.png`, fullPage: true });
  }
  await page.goto(base + "/#/presigned");
  await ctx.close();
  const wide = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p2 = await wide.newPage();
  await p2.goto(base + "/");
  await p2.getByLabel("Admin API key").fill("test-admin-key-123456");
  await p2.keyboard.press("Enter");
  await p2.getByRole("heading", { name: "Dashboard" }).waitFor();
  for (const [name, hash] of [["presigned", "#/presigned"], ["creds", "#/credentials"]]) {
    await p2.goto(base + "/" + hash);
    await p2.waitForTimeout(600);
    await p2.screenshot({ path: `/tmp/vs/w-${name}.png` });
  }
  await wide.close();
} finally {
  await browser.close();
}
