// Multipart uploads in progress, per bucket; abort frees their parts.

import { api, listAll, paths } from "./api.js";
import {
  confirmDialog,
  emptyState,
  errorState,
  h,
  listTable,
  loadingState,
  pageHeader,
  titledCard,
  toast,
} from "./dom.js";
import { countOf, formatCount, formatDate } from "./format.js";

/** Buckets whose uploads are fetched at once. */
const PARALLEL = 4;

export async function render(main) {
  document.title = "Multipart uploads · vStash console";
  main.append(
    pageHeader(
      "Multipart uploads",
      "Uploads that were started but not completed. Their parts use storage until the upload is completed or aborted; the server aborts them by itself after the configured expiry.",
    ),
  );
  const body = h("div", {});
  main.append(body);

  const load = async () => {
    body.replaceChildren(loadingState("Loading uploads…"));
    try {
      const buckets = await listAll("/buckets", "buckets");
      const found = [];
      let next = 0;
      const worker = async () => {
        while (next < buckets.length) {
          const b = buckets[next++];
          const uploads = await listAll(paths.uploads(b.name), "uploads");
          if (uploads.length) found.push({ bucket: b.name, uploads });
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      found.sort((a, b) => a.bucket.localeCompare(b.bucket));
      draw(found);
    } catch (err) {
      body.replaceChildren(errorState(err, load));
    }
  };

  const draw = (found) => {
    if (found.length === 0) {
      body.replaceChildren(
        emptyState("No uploads in progress", "Large uploads show here while their parts arrive."),
      );
      return;
    }
    body.replaceChildren(...found.map(({ bucket, uploads }) => {
      const id = `uploads-${bucket}`;
      const card = titledCard(
        id,
        h("a", { href: `#/buckets/${encodeURIComponent(bucket)}/`, text: bucket }),
        h("span", {
          class: "muted small",
          text: ` · ${countOf(uploads.length, "upload")}`,
        }),
      );
      card.append(listTable({
        columns: [
          "Key",
          "Started",
          { text: "Parts", class: "num" },
          { text: "Received", class: "num" },
          "Upload ID",
        ],
        rows: uploads.map((u) =>
          h(
            "tr",
            {},
            h(
              "td",
              { class: "cell-name", "data-label": "Key" },
              h("span", { class: "strong wrap", text: u.key }),
            ),
            h("td", {
              class: "nowrap",
              "data-label": "Started",
              text: formatDate(u.initiated),
            }),
            h("td", { class: "num", "data-label": "Parts", text: formatCount(u.part_count) }),
            h("td", { class: "num", "data-label": "Received", text: u.size_human }),
            h(
              "td",
              { "data-label": "Upload ID" },
              h("code", {
                class: "mono",
                title: u.upload_id,
                text: `${u.upload_id.slice(0, 12)}…`,
              }),
            ),
            h(
              "td",
              { class: "cell-actions" },
              h("button", {
                class: "btn btn-sm btn-danger-quiet",
                type: "button",
                "aria-label": `Abort upload of ${u.key}`,
                on: { click: () => abort(bucket, u) },
              }, "Abort"),
            ),
          )
        ),
      }));
      return card;
    }));
  };

  const abort = async (bucket, u) => {
    const ok = await confirmDialog({
      title: "Abort this upload?",
      message: `The upload of ${u.key} stops and what it received is deleted: ${
        countOf(u.part_count, "part")
      } (${u.size_human}).`,
      confirmLabel: "Abort upload",
    });
    if (!ok) return;
    try {
      await api("DELETE", paths.upload(bucket, u.upload_id, u.key));
      toast("Upload aborted");
    } catch (err) {
      toast(err.message, "error");
    }
    await load();
  };

  await load();
}
