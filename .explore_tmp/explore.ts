import { chromium } from "playwright-core";
const base = "http://127.0.0.1:19001";
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
});
try {
  const width = Number(Deno.args[0] ?? 1280);
  const ctx = await browser.newContext({ viewport: { width, height: 860 } });
  const page = await ctx.newPage();
  page.on("console", (m) => console.log("console:", m.type(), m.text()));
  page.on("pageerror", (e) => console.log("pageerror:", e.message));
  await page.goto(base + "/");
  await page.getByLabel("Admin API key").waitFor();
  await page.screenshot({ path: `/tmp/vs/signin-${width}.png` });
  await page.getByLabel("Admin API key").fill("test-admin-key-123456");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: `/tmp/vs/dashboard-${width}.png`, fullPage: true });
  for (const [name, hash] of [["buckets", "#/buckets"], ["credentials", "#/credentials"], ["presigned", "#/presigned"], ["uploads", "#/uploads"]]) {
    await page.goto(base + "/" + hash);
    await page.waitForTimeout(700);
    await page.screenshot({ path: `/tmp/vs/${name}-${width}.png`, fullPage: true });
  }
  if (Deno.args[1]) {
    await page.goto(base + "/" + Deno.args[1]);
    await page.waitForTimeout(800);
    await page.screenshot({ path: `/tmp/vs/extra-${width}.png`, fullPage: true });
  }
  await ctx.close();
} finally {
  await browser.close();
}
