/// <reference lib="dom" />
/**
 * The web console end to end: Debian's Chromium, driven by playwright-core, against a real
 * server. Each test has its own server; screenshots of the main pages go to docs/screenshots/
 * (with VSTASH_UPDATE_SCREENSHOTS=1).
 */
import assert from "node:assert/strict";
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  adminFetch,
  clientFor,
  createCredential,
  type CreatedCredential,
} from "../helpers/admin.ts";
import { MiB, sha256OfFile, sha256OfStream, writeGeneratedFile } from "../helpers/data.ts";
import { sdkError } from "../helpers/s3.ts";
import { withServer } from "../helpers/server.ts";

/**
 * Screenshots go to docs/screenshots/ when VSTASH_UPDATE_SCREENSHOTS=1 (to refresh the ones
 * the README shows), else to a temp dir, so a test run leaves the checkout unchanged.
 */
const SCREENSHOTS = Deno.env.get("VSTASH_UPDATE_SCREENSHOTS") === "1"
  ? new URL("../../docs/screenshots/", import.meta.url)
  : new URL(`file://${await Deno.makeTempDir({ prefix: "vstash-screens-" })}/`);
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/** Runs `fn` with a fresh Chromium and browser context; both are closed whatever happens. */
async function withBrowser(
  viewport: { width: number; height: number },
  fn: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const browser: Browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await fn(page, context);
      assert.deepEqual(errors, [], "no uncaught errors in the page");
    } finally {
      await context.close();
    }
  } finally {
    await browser.close();
  }
}

/** Saves a screenshot of the page as <SCREENSHOTS>/<name>.png, without passing toasts. */
async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
  await page.mouse.move(0, 0);
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname });
}

/** Waits until the named file's progress bar in the uploads panel reads 100. */
async function uploadFinished(page: Page, file: string): Promise<void> {
  await page.waitForFunction(
    (name) => {
      const bar = document.querySelector<HTMLProgressElement>(`progress[data-file="${name}"]`);
      return bar?.value === 100 && bar.closest("li")?.dataset.state === "done";
    },
    file,
    { timeout: 60_000 },
  );
}

Deno.test("the console manages vStash from a browser", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "vstash-console-" });
  try {
    const small = `${dir}/notes.txt`;
    await Deno.writeTextFile(small, "Packing list: sunscreen, hat, book.\n");
    const big = `${dir}/video.bin`;
    const bigSha = await writeGeneratedFile(big, 20 * MiB, 11);

    await withServer(async (server) => {
      const s3 = server.client();
      let backupServer: CreatedCredential | null = null;
      await withBrowser({ width: 1280, height: 800 }, async (page, context) => {
        await t.step(
          "a wrong key is refused with a message; the right key opens the dashboard",
          async () => {
            await page.goto(`${server.adminUrl}/`);
            await page.getByRole("heading", { name: "Sign in to the console" }).waitFor();
            await screenshot(page, "signin");
            await page.getByLabel("Admin API key").fill("not-the-key");
            await page.getByRole("button", { name: "Sign in" }).click();
            await page.getByText("That key is not valid").waitFor();
            await page.getByLabel("Admin API key").fill(server.adminKey);
            await page.getByRole("button", { name: "Sign in" }).click();
            await page.getByRole("heading", { name: "Dashboard" }).waitFor();
            assert.equal(await page.getByLabel("Admin API key").count(), 0);
          },
        );

        await t.step(
          "the session is an HttpOnly cookie; the key is in no URL or storage",
          async () => {
            const cookies = await context.cookies();
            const session = cookies.find((c) => c.name === "vstash_session");
            assert.ok(session, "the session cookie is set");
            assert.equal(session.httpOnly, true);
            assert.equal(session.sameSite, "Strict");
            assert.ok(!page.url().includes(server.adminKey));
            const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
            assert.equal(stored, 0);
            assert.equal(await page.evaluate(() => document.cookie), "", "scripts cannot read it");
          },
        );

        await t.step("a bucket is created for an owner chosen from the credentials", async () => {
          backupServer = await createCredential(server, { user_name: "backup-server" });
          await page.getByRole("link", { name: "Buckets" }).first().click();
          await page.getByText("No buckets yet").waitFor();
          await page.getByRole("button", { name: "Create bucket" }).first().click();
          const dialog = page.getByRole("dialog");
          await dialog.getByLabel("Name", { exact: true }).fill("holiday-photos");
          const owners = await dialog.getByLabel("Owner").locator("option").allTextContents();
          assert.ok(owners.some((o) => o.includes("backup-server")), owners.join());
          await dialog.getByLabel("Owner").selectOption("1"); // the server's first credential
          await dialog.getByRole("button", { name: "Create bucket" }).click();
          await page.getByRole("link", { name: "holiday-photos" }).waitFor();
          const listed = await s3.send(new ListBucketsCommand({}));
          assert.deepEqual(listed.Buckets?.map((b) => b.Name), ["holiday-photos"]);
        });

        await t.step("a folder is made and opened, with breadcrumbs back", async () => {
          await page.getByRole("link", { name: "holiday-photos" }).click();
          await page.getByText("This bucket is empty").waitFor();
          await page.getByRole("button", { name: "New folder" }).click();
          await page.getByLabel("Folder name").fill("2024");
          await page.getByLabel("Folder name").press("Enter");
          await page.getByRole("heading", { name: "2024" }).waitFor();
          const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
          assert.equal(await crumbs.getByRole("link", { name: "holiday-photos" }).count(), 1);
        });

        await t.step(
          "a small file and a 20 MiB file upload with progress bars that reach 100%",
          async () => {
            await page.locator("#file-input").setInputFiles([small, big]);
            await page.locator('progress[data-file="video.bin"]').waitFor({ state: "attached" });
            await page.locator('progress[data-file="notes.txt"]').waitFor({ state: "attached" });
            await uploadFinished(page, "notes.txt");
            await uploadFinished(page, "video.bin");
            await page.getByRole("button", { name: "Details of video.bin" }).waitFor();
            const got = await s3.send(
              new GetObjectCommand({ Bucket: "holiday-photos", Key: "2024/video.bin" }),
            );
            const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
            assert.deepEqual(read, { sha256: bigSha, size: 20 * MiB });
            assert.match(got.ETag ?? "", /-3"$/, "the 20 MiB file went up as 3 parallel parts");
            await page.getByRole("button", { name: "Clear finished" }).click();
          },
        );

        await t.step(
          "breadcrumbs lead up to the bucket and the folder leads back down",
          async () => {
            await page.getByRole("navigation", { name: "Breadcrumb" })
              .getByRole("link", { name: "holiday-photos" }).click();
            await page.getByRole("link", { name: "2024/" }).click();
            await page.getByRole("button", { name: "Details of notes.txt" }).waitFor();
            await screenshot(page, "objects");
          },
        );

        await t.step("a downloaded file has the uploaded bytes", async () => {
          for (const [name, path] of [["notes.txt", small], ["video.bin", big]]) {
            const download = page.waitForEvent("download");
            await page.getByRole("link", { name: `Download ${name}` }).click();
            const file = await download;
            assert.equal(file.suggestedFilename(), name);
            assert.deepEqual(await sha256OfFile(await file.path()), await sha256OfFile(path));
          }
        });

        await t.step("the details panel shows the ETag, the checksum and the parts", async () => {
          await page.getByRole("button", { name: "Details of video.bin" }).click();
          const dialog = page.getByRole("dialog");
          await dialog.getByRole("heading", { name: "Parts (3)" }).waitFor();
          const head = await s3.send(
            new HeadObjectCommand({ Bucket: "holiday-photos", Key: "2024/video.bin" }),
          );
          assert.ok(await dialog.getByText(head.ETag!.replaceAll('"', "")).isVisible());
          assert.ok(await dialog.getByText("CRC32 · full object").isVisible());
          await page.keyboard.press("Escape");
          await dialog.waitFor({ state: "detached" });
        });

        await t.step(
          "a share link with a chosen expiry downloads the file with plain fetch",
          async () => {
            await page.getByRole("button", { name: "Share notes.txt" }).click();
            const dialog = page.getByRole("dialog");
            await dialog.getByLabel("Link expires after").selectOption({ label: "15 minutes" });
            await dialog.getByRole("button", { name: "Create link" }).click();
            const url = await dialog.getByLabel("Link", { exact: true }).inputValue();
            assert.ok(url.startsWith(`${server.s3Url}/holiday-photos/2024/notes.txt?`), url);
            assert.match(url, /X-Amz-Expires=900/);
            assert.ok(await dialog.getByRole("button", { name: "Copy link" }).isVisible());
            const r = await fetch(url);
            assert.equal(r.status, 200);
            assert.equal(await r.text(), await Deno.readTextFile(small));
            await dialog.getByRole("button", { name: "Close" }).first().click();
          },
        );

        await t.step("the presigned URLs page lists the link with its countdown", async () => {
          await page.getByRole("link", { name: "Presigned URLs" }).click();
          const row = page.getByRole("row", { name: /notes\.txt/ });
          await row.waitFor();
          await page.waitForFunction(() =>
            /^1[45] min \d\d s$/.test(document.querySelector("time.countdown")?.textContent ?? "")
          );
          await screenshot(page, "presigned");
        });

        await t.step("a credential is created with its secret shown once", async () => {
          await page.getByRole("link", { name: "Credentials" }).click();
          await page.getByRole("button", { name: "Create credential" }).first().click();
          await page.getByLabel("User name (optional)").fill("laptop");
          await page.getByRole("dialog").getByRole("button", { name: "Create credential" }).click();
          const dialog = page.getByRole("dialog");
          await dialog.getByText("shown only this once").waitFor();
          const accessKey = await dialog.getByLabel("Access key", { exact: true }).inputValue();
          const secretKey = await dialog.getByLabel("Secret key", { exact: true }).inputValue();
          assert.ok(await dialog.getByRole("button", { name: "Copy secret key" }).isVisible());
          await dialog.getByRole("button", { name: "Done, I saved it" }).click();
          await page.getByRole("row", { name: /laptop/ }).waitFor();
          assert.ok(
            !(await page.content()).includes(secretKey),
            "the secret is gone from the page",
          );
          const laptop = clientFor(server, { access_key: accessKey, secret_key: secretKey });
          await laptop.send(new ListBucketsCommand({}));
          await screenshot(page, "credentials");

          await page.getByRole("button", { name: "Deactivate laptop" }).click();
          await page.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
          await page.getByRole("button", { name: "Activate laptop", exact: true }).waitFor();
          const refused = await sdkError(laptop.send(new ListBucketsCommand({})));
          assert.deepEqual(refused, { code: "InvalidAccessKeyId", status: 403 });
        });

        await t.step("an unfinished multipart upload is listed and aborted", async () => {
          const { UploadId } = await s3.send(
            new CreateMultipartUploadCommand({ Bucket: "holiday-photos", Key: "raw/IMG_0001.dng" }),
          );
          await s3.send(
            new UploadPartCommand({
              Bucket: "holiday-photos",
              Key: "raw/IMG_0001.dng",
              UploadId,
              PartNumber: 1,
              Body: new Uint8Array(5 * MiB),
            }),
          );
          await page.getByRole("link", { name: "Multipart uploads" }).click();
          await page.getByText("raw/IMG_0001.dng").waitFor();
          await screenshot(page, "uploads");
          await page.getByRole("button", { name: "Abort upload of raw/IMG_0001.dng" }).click();
          await page.getByRole("dialog").getByRole("button", { name: "Abort upload" }).click();
          await page.getByText("No uploads in progress").waitFor();
          const left = await adminFetch(server, "GET", "/api/v1/buckets/holiday-photos/uploads");
          assert.deepEqual(left.body.uploads, []);
        });

        await t.step("the dashboard charts storage per bucket", async () => {
          await s3.send(
            new PutObjectCommand({ Bucket: "holiday-photos", Key: "2024/cover.jpg", Body: "jpg" }),
          );
          const second = await adminFetch(server, "POST", "/api/v1/buckets", {
            name: "backups",
            owner_id: backupServer!.id,
          });
          assert.equal(second.status, 201);
          await clientFor(server, backupServer!).send(
            new PutObjectCommand({
              Bucket: "backups",
              Key: "db.sql",
              Body: new Uint8Array(6 * MiB),
            }),
          );
          await page.getByRole("link", { name: "Dashboard" }).click();
          const chart = page.getByRole("region", { name: "Storage by bucket" });
          await chart.getByRole("link", { name: "holiday-photos" }).waitFor();
          assert.ok(await chart.getByText("20.0 MB · 4 objects").isVisible());
          // Row 0 is the header; the newest request is the PUT just above.
          const newest = page.getByRole("region", { name: "Recent activity" }).getByRole("row")
            .nth(1);
          assert.match(await newest.innerText(), /PutObject\s+backups\/db\.sql\s+200\s+6\.0 MB in/);
          await screenshot(page, "dashboard");
          await page.getByRole("link", { name: "Buckets" }).first().click();
          await page.getByRole("link", { name: "backups" }).waitFor();
          await screenshot(page, "buckets");
        });

        await t.step("a selected file is deleted after confirmation", async () => {
          await page.getByRole("link", { name: "holiday-photos" }).click();
          await page.getByRole("link", { name: "2024/" }).click();
          await page.getByLabel("Select notes.txt").check();
          await page.getByRole("region", { name: "Selection" }).getByRole("button", {
            name: "Delete",
          })
            .click();
          await page.getByRole("dialog").getByRole("button", { name: "Delete object" }).click();
          await page.getByRole("button", { name: "Details of notes.txt" }).waitFor({
            state: "detached",
          });
          const gone = await sdkError(
            s3.send(new HeadObjectCommand({ Bucket: "holiday-photos", Key: "2024/notes.txt" })),
          );
          assert.equal(gone.status, 404);
        });

        await t.step("a bucket with objects is deleted only after its name is typed", async () => {
          await page.getByRole("link", { name: "Buckets" }).first().click();
          await page.getByRole("button", { name: "Delete bucket holiday-photos" }).click();
          const dialog = page.getByRole("dialog");
          await dialog.getByText("3 objects").waitFor();
          const confirm = dialog.getByRole("button", { name: "Delete bucket and contents" });
          assert.equal(await confirm.isDisabled(), true);
          await dialog.getByLabel("Type holiday-photos to confirm").fill("holiday-photos");
          await confirm.click();
          await page.getByRole("link", { name: "holiday-photos" }).waitFor({ state: "detached" });
          const listed = await s3.send(new ListBucketsCommand({}));
          assert.deepEqual(listed.Buckets ?? [], []);
        });

        await t.step("signing out returns to sign-in and ends the session", async () => {
          await page.getByRole("button", { name: "Sign out" }).click();
          await page.getByText("You have signed out.").waitFor();
          await page.reload();
          await page.getByLabel("Admin API key").waitFor();
          const r = await context.request.get(`${server.adminUrl}/api/v1/stats`);
          assert.equal(r.status(), 401);
          assert.ok(!server.output().includes(server.adminKey), "the key is not in the log");
        });
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the console works on a 375 px wide screen and from the keyboard", async (t) => {
  await withServer(async (server) => {
    const s3 = server.client();
    await adminFetch(server, "POST", "/api/v1/buckets", { name: "phone-backups", owner_id: 1 });
    const longKey = "camera/2024/an-unusually-long-file-name-from-a-phone-camera-roll-0001.heic";
    await s3.send(new PutObjectCommand({ Bucket: "phone-backups", Key: longKey, Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: "phone-backups", Key: "readme.txt", Body: "x" }));
    await adminFetch(server, "POST", "/api/v1/presigned-urls", {
      bucket_name: "phone-backups",
      object_key: longKey,
      access_key: server.accessKey,
    });
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: "phone-backups", Key: longKey }),
    );
    assert.ok(UploadId);

    await withBrowser({ width: 375, height: 812 }, async (page) => {
      await t.step("signing in works with the keyboard alone", async () => {
        await page.goto(`${server.adminUrl}/`);
        await page.getByLabel("Admin API key").waitFor();
        await page.keyboard.type(server.adminKey); // the key field has focus on load
        await page.keyboard.press("Enter");
        await page.getByRole("heading", { name: "Dashboard" }).waitFor();
        // The long key is cut in the middle on screen and whole in its tooltip.
        const activity = page.getByRole("region", { name: "Recent activity" });
        const path = activity.getByTitle(`phone-backups/${longKey}`).first();
        await path.waitFor();
        assert.match(await path.innerText(), /^phone-backups\/camera.*….*0001\.heic$/);
      });

      const pages: [string, string, string][] = [
        ["dashboard", "#/", "Dashboard"],
        ["buckets", "#/buckets", "Buckets"],
        ["objects", "#/buckets/phone-backups/camera/2024/", "2024"],
        ["credentials", "#/credentials", "Credentials"],
        ["presigned", "#/presigned", "Presigned URLs"],
        ["uploads", "#/uploads", "Multipart uploads"],
      ];
      for (const [name, hash, heading] of pages) {
        await t.step(`the ${name} page has no horizontal overflow at 375 px`, async () => {
          await page.goto(`${server.adminUrl}/${hash}`);
          await page.getByRole("heading", { name: heading, exact: true }).waitFor();
          await page.waitForFunction(() => !document.querySelector("[aria-busy=true]"));
          const overflow = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
          }));
          assert.ok(overflow.scroll <= overflow.client, `${name}: ${JSON.stringify(overflow)}`);
        });
      }

      await t.step(
        "a dialog opens from the keyboard and Escape closes it, focus returning",
        async () => {
          await page.goto(`${server.adminUrl}/#/buckets`);
          const create = page.getByRole("button", { name: "Create bucket" });
          await create.focus();
          await page.keyboard.press("Enter");
          await page.getByRole("dialog").getByLabel("Name", { exact: true }).waitFor();
          assert.ok(
            await page.getByRole("dialog").getByLabel("Name", { exact: true }).evaluate((el) =>
              el === document.activeElement
            ),
          );
          await page.keyboard.press("Escape");
          await page.getByRole("dialog").waitFor({ state: "detached" });
          assert.ok(await create.evaluate((el) => el === document.activeElement));
        },
      );
    });
  });
});
