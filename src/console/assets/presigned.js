// Presigned URLs: the active ones with a live expiry countdown; copy or revoke.

import { api, fetchPage } from "./api.js";
import {
  busy,
  confirmDialog,
  copyText,
  emptyState,
  errorState,
  h,
  loadingState,
  pageHeader,
  toast,
} from "./dom.js";
import { formatCount, formatDate, formatDuration } from "./format.js";

export async function render(main) {
  document.title = "Presigned URLs · vStash console";
  main.append(
    pageHeader(
      "Presigned URLs",
      "Links that grant one request on one object without credentials, until they expire or are revoked. Create them with Share in a bucket.",
    ),
  );
  const body = h("div", {});
  main.append(body);
  let urls = [];
  let cursor = null;
  const countdowns = [];

  const load = async (more = false) => {
    if (!more) body.replaceChildren(loadingState("Loading presigned URLs…"));
    try {
      const page = await fetchPage("/presigned-urls", "urls", { cursor: more ? cursor : null });
      urls = more ? urls.concat(page.items) : page.items;
      cursor = page.cursor;
      draw();
    } catch (err) {
      body.replaceChildren(errorState(err, () => load(more)));
    }
  };

  const draw = () => {
    countdowns.length = 0;
    if (urls.length === 0) {
      body.replaceChildren(
        emptyState(
          "No active presigned URLs",
          "Open a bucket and choose Share on an object to create a link.",
        ),
      );
      return;
    }
    const rows = urls.map((u) => {
      const left = h("time", { datetime: u.expires_at, class: "countdown" });
      countdowns.push({ el: left, at: Date.parse(u.expires_at), row: null });
      const row = h(
        "tr",
        { data: { id: u.id } },
        h(
          "td",
          { class: "cell-name", "data-label": "Object" },
          h("span", { class: "strong wrap", text: u.object_key }),
          h("span", { class: "muted small cell-sub", text: `in ${u.bucket_name}` }),
        ),
        h("td", { "data-label": "Method" }, h("span", { class: "badge", text: u.method })),
        h("td", { "data-label": "Signed by" }, h("code", { class: "mono", text: u.access_key })),
        h(
          "td",
          { class: "nowrap", "data-label": "Expires in" },
          h(
            "div",
            {},
            left,
            h("span", { class: "muted small cell-sub", text: `at ${formatDate(u.expires_at)}` }),
          ),
        ),
        h(
          "td",
          { class: "cell-actions" },
          h("button", {
            class: "btn btn-sm",
            type: "button",
            "aria-label": `Copy link to ${u.object_key}`,
            on: {
              click: async () =>
                toast((await copyText(u.url)) ? "Link copied" : "Could not copy the link", "info"),
            },
          }, "Copy link"),
          h("button", {
            class: "btn btn-sm btn-danger-quiet",
            type: "button",
            "aria-label": `Revoke link to ${u.object_key}`,
            on: { click: () => revoke(u) },
          }, "Revoke"),
        ),
      );
      countdowns.at(-1).row = row;
      return row;
    });
    body.replaceChildren(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "list" },
          h("caption", { class: "sr-only", text: "Active presigned URLs" }),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Object", "Method", "Signed by", "Expires in"].map((t) =>
                h("th", { scope: "col", text: t })
              ),
              h("th", { scope: "col" }, h("span", { class: "sr-only", text: "Actions" })),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
      h(
        "div",
        { class: "list-footer" },
        h("span", { class: "muted", text: `${formatCount(urls.length)} active` }),
        cursor && h("button", {
          class: "btn",
          type: "button",
          on: { click: (e) => busy(e.currentTarget, "Loading…", () => load(true)) },
        }, "Load more"),
      ),
    );
    tick();
  };

  const tick = () => {
    const now = Date.now();
    for (const c of countdowns) {
      const left = c.at - now;
      c.el.textContent = left > 0 ? formatDuration(left) : "Expired";
      c.row.classList.toggle("inactive", left <= 0);
    }
  };

  const revoke = async (u) => {
    const ok = await confirmDialog({
      title: "Revoke this link?",
      message: `The link to ${u.bucket_name}/${u.object_key} stops working at once.`,
      confirmLabel: "Revoke link",
    });
    if (!ok) return;
    try {
      await api("DELETE", `/presigned-urls/${encodeURIComponent(u.id)}`);
      toast("Link revoked");
    } catch (err) {
      toast(err.message, "error");
    }
    await load();
  };

  const timer = setInterval(tick, 1000);
  await load();
  return () => clearInterval(timer);
}
