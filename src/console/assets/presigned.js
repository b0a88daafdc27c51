// Presigned URLs: the active ones with a live expiry countdown; copy or revoke.

import { api, fetchPage } from "./api.js";
import {
  confirmDialog,
  copyText,
  emptyState,
  h,
  listFooter,
  listTable,
  pagedView,
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
  const countdowns = [];
  const list = pagedView(body, {
    loadingText: "Loading presigned URLs…",
    fetchPage: (cursor) => fetchPage("/presigned-urls", "urls", { cursor }),
    draw: () => draw(),
  });
  const load = list.load;

  const draw = () => {
    countdowns.length = 0;
    const urls = list.items;
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
      listTable({
        caption: "Active presigned URLs",
        columns: ["Object", "Method", "Signed by", "Expires in"],
        rows,
      }),
      listFooter(`${formatCount(urls.length)} active`, list.cursor && (() => load(true))),
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
