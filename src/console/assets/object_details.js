// The object details panel and the share dialog (a presigned GET link with a chosen expiry).

import { api, paths } from "./api.js";
import {
  busy,
  copyButton,
  copyField,
  errorState,
  field,
  h,
  loadingState,
  openDialog,
  toast,
} from "./dom.js";
import { countOf, formatBytes, formatCount, formatDate, formatRelative } from "./format.js";

const PARTS_SHOWN = 100;

/**
 * Shows an object's details. Resolves to "delete" when the user asked to delete it from
 * here (the caller confirms and deletes), else undefined.
 */
export function showDetails(bucket, key) {
  return openDialog(key.split("/").filter(Boolean).at(-1) ?? key, ({ body, footer, close }) => {
    body.append(loadingState("Loading details…"));
    footer.append(
      h("button", { class: "btn", type: "button", on: { click: () => close() } }, "Close"),
    );
    api("GET", paths.object(bucket, key)).then((o) => {
      body.replaceChildren(...detailsList(bucket, o));
      footer.replaceChildren(
        h("button", {
          class: "btn btn-danger-quiet",
          type: "button",
          on: { click: () => close("delete") },
        }, "Delete"),
        h("span", { class: "spacer" }),
        h(
          "button",
          { class: "btn", type: "button", on: { click: () => shareDialog(bucket, key) } },
          "Share",
        ),
        h("a", {
          class: "btn btn-primary",
          href: paths.download(bucket, key),
          download: key.split("/").at(-1) || "download",
        }, "Download"),
      );
    }, (err) => body.replaceChildren(errorState(err)));
  }, { wide: true });
}

function detailsList(bucket, o) {
  const row = (term, ...value) => [h("dt", { text: term }), h("dd", {}, ...value)];
  const mono = (text) => h("code", { class: "mono wrap", text });
  const list = h(
    "dl",
    { class: "details" },
    row("Key", mono(o.key)),
    row("Bucket", bucket),
    row("Size", `${o.size_human} (${formatCount(o.size)} bytes)`),
    row("Content type", mono(o.content_type)),
    row("Last modified", formatDate(o.updated_at)),
    row("Created", formatDate(o.created_at)),
    row(
      "ETag",
      h("span", { class: "copy-inline" }, mono(o.etag), copyButton(() => o.etag, "ETag")),
    ),
    row(
      "Checksum",
      o.checksum
        ? h(
          "span",
          { class: "copy-inline" },
          h("span", {
            class: "badge",
            text: `${o.checksum.algorithm} · ${
              o.checksum.type === "FULL_OBJECT" ? "full object" : "composite"
            }`,
          }),
          mono(o.checksum.value),
        )
        : h("span", { class: "muted", text: "None stored" }),
    ),
    row(
      "Stored as",
      o.is_multipart ? `Multipart, ${countOf(o.part_count, "part")}` : "Single blob",
    ),
    row(
      "Storage path",
      o.storage_path
        ? mono(o.storage_path)
        : h("span", { class: "muted", text: "None (empty object)" }),
    ),
  );
  const sections = [list];
  const meta = Object.entries(o.metadata ?? {});
  sections.push(h("h3", { text: "Metadata" }));
  sections.push(
    meta.length === 0
      ? h("p", { class: "muted", text: "No user metadata (x-amz-meta-*)." })
      : h("dl", { class: "details" }, meta.map(([k, v]) => row(k, mono(v)))),
  );
  if (o.is_multipart) {
    sections.push(h("h3", { text: `Parts (${formatCount(o.parts.length)})` }));
    const shown = o.parts.slice(0, PARTS_SHOWN);
    sections.push(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "list compact" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col", class: "num", text: "Part" }),
              h("th", { scope: "col", class: "num", text: "Size" }),
              h("th", { scope: "col", text: "ETag" }),
            ),
          ),
          h(
            "tbody",
            {},
            shown.map((p) =>
              h(
                "tr",
                {},
                h("td", { class: "num", "data-label": "Part", text: String(p.part_number) }),
                h("td", { class: "num", "data-label": "Size", text: formatBytes(p.size) }),
                h("td", { "data-label": "ETag" }, mono(p.etag)),
              )
            ),
          ),
        ),
      ),
    );
    if (o.parts.length > shown.length) {
      sections.push(
        h("p", {
          class: "muted small",
          text: `And ${formatCount(o.parts.length - shown.length)} more parts.`,
        }),
      );
    }
  }
  return sections;
}

const EXPIRIES = [
  [15 * 60, "15 minutes"],
  [60 * 60, "1 hour"],
  [24 * 60 * 60, "1 day"],
  [7 * 24 * 60 * 60, "7 days (the longest S3 allows)"],
];

/**
 * Creates a presigned GET link for an object. The link acts as the bucket's owner, so the
 * owner's access key is looked up first; an inactive owner cannot share.
 */
export function shareDialog(bucket, key) {
  return openDialog("Share a link", ({ body, footer, close }) => {
    const expiry = h(
      "select",
      { name: "expires_in" },
      EXPIRIES.map(([s, label]) =>
        h("option", { value: String(s), text: label, selected: s === 3600 })
      ),
    );
    const create = h(
      "button",
      { class: "btn btn-primary", type: "submit", form: "share-form" },
      "Create link",
    );
    const form = h(
      "form",
      { id: "share-form", novalidate: true },
      h(
        "p",
        {},
        "Anyone with the link can download ",
        h("code", { class: "wrap", text: key }),
        " until it expires or is revoked on the Presigned URLs page.",
      ),
      field({ id: "share-expiry", label: "Link expires after", input: expiry }),
      h("p", { class: "form-error", role: "alert" }),
    );
    const result = h("div", { class: "share-result" });
    body.append(form, result);
    footer.append(
      h("button", { class: "btn", type: "button", on: { click: () => close() } }, "Close"),
      create,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const error = form.querySelector(".form-error");
      error.textContent = "";
      try {
        const link = await busy(create, "Creating…", async () => {
          const b = await api("GET", `${paths.bucket(bucket)}?limit=1`);
          const owner = await api("GET", `/credentials/${b.owner_id}`);
          return api("POST", "/presigned-urls", {
            bucket_name: bucket,
            object_key: key,
            method: "GET",
            access_key: owner.access_key,
            expires_in: Number(expiry.value),
          });
        });
        result.replaceChildren(
          copyField("share-url", "Link", link.url),
          h(
            "p",
            { class: "muted small" },
            `Expires ${formatDate(link.expires_at)} (${formatRelative(link.expires_at)}).`,
          ),
        );
        result.querySelector("input")?.focus();
        toast("Link created");
      } catch (err) {
        error.textContent = err.message;
      }
    });
  });
}
