// The object browser: folders from "/" delimiters with breadcrumbs, paging, prefix search,
// multi-select, download, delete, details, share, and uploads by drag and drop or picker.

import { api, paths } from "./api.js";
import {
  confirmDialog,
  emptyState,
  errorState,
  field,
  h,
  icon,
  listFooter,
  listTable,
  loadingState,
  openDialog,
  showFormError,
  toast,
} from "./dom.js";
import { baseName, countOf, formatCount, formatDate } from "./format.js";
import { shareDialog, showDetails } from "./object_details.js";
import { enqueue, onUploaded } from "./uploader.js";

const PAGE = 100;
const DELETE_BATCH = 1000;

/** The folders of a prefix ("a//b/" → ["a", "", "b"]): empty names are folders too in S3. */
function folders(prefix) {
  return prefix === "" ? [] : prefix.replace(/\/$/, "").split("/");
}

/** `#/buckets/<bucket>/<folder>/.../` with each folder name encoded. */
export function folderHref(bucket, prefix) {
  const segments = folders(prefix).map((s) => encodeURIComponent(s) + "/");
  return `#/buckets/${encodeURIComponent(bucket)}/${segments.join("")}`;
}

export async function render(main, { bucket, prefix: rawPrefix }) {
  const prefix = rawPrefix && !rawPrefix.endsWith("/") ? rawPrefix + "/" : rawPrefix ?? "";
  const parts = folders(prefix);
  const folderName = parts.length ? parts.at(-1) || "(unnamed folder)" : undefined;
  document.title = `${folderName ?? bucket} · vStash console`;

  const state = { items: [], cursor: null, selected: new Set(), search: "" };

  // Header: breadcrumbs, title, actions.
  const crumbs = [h("li", {}, h("a", { href: "#/buckets", text: "Buckets" }))];
  const last = parts.length === 0;
  crumbs.push(
    h(
      "li",
      {},
      last
        ? h("span", { "aria-current": "page", text: bucket })
        : h("a", { href: folderHref(bucket, ""), text: bucket }),
    ),
  );
  parts.forEach((p, i) => {
    const href = folderHref(bucket, parts.slice(0, i + 1).join("/") + "/");
    crumbs.push(
      h(
        "li",
        {},
        i === parts.length - 1
          ? h("span", { "aria-current": "page", text: p || "(unnamed)" })
          : h("a", { href, text: p || "(unnamed)" }),
      ),
    );
  });
  const fileInput = h("input", {
    type: "file",
    multiple: true,
    class: "sr-only",
    id: "file-input",
    tabindex: "-1",
    "aria-hidden": "true",
  });
  const uploadButton = h(
    "button",
    {
      class: "btn btn-primary",
      type: "button",
      on: { click: () => fileInput.click() },
    },
    icon("upload"),
    h("span", { text: "Upload files" }),
  );
  const folderButton = h(
    "button",
    { class: "btn", type: "button", on: { click: newFolder } },
    "New folder",
  );
  const search = h("input", {
    id: "object-search",
    type: "search",
    placeholder: "Name starts with…",
    autocomplete: "off",
    spellcheck: "false",
  });
  const selectionBar = h("div", {
    class: "selection-bar",
    hidden: true,
    role: "region",
    "aria-label": "Selection",
  });
  const listing = h("div", { class: "listing" });
  const dropHint = h(
    "div",
    { class: "drop-overlay", "aria-hidden": "true" },
    icon("upload"),
    h("span", { text: `Drop files to upload to ${bucket}/${prefix}` }),
  );
  const dropzone = h("section", { class: "dropzone", "aria-label": "Objects" }, listing, dropHint);

  main.append(
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumb" }, h("ol", {}, crumbs)),
    h(
      "header",
      { class: "page-header" },
      h(
        "div",
        { class: "page-title" },
        h("h1", { text: folderName ?? bucket }),
        h("p", { class: "muted mono wrap", text: `s3://${bucket}/${prefix}` }),
      ),
      h("div", { class: "page-actions" }, folderButton, uploadButton),
    ),
    h(
      "div",
      { class: "toolbar" },
      h(
        "div",
        { class: "search" },
        h("label", { for: "object-search", text: "Filter this folder" }),
        search,
      ),
      h("p", {
        class: "muted small drop-tip",
        text: "Tip: drop files anywhere on the list to upload them here.",
      }),
    ),
    selectionBar,
    dropzone,
    fileInput,
  );

  async function load(more = false) {
    if (!more) listing.replaceChildren(loadingState("Loading objects…"));
    const query = new URLSearchParams({
      prefix: prefix + state.search,
      delimiter: "/",
      limit: String(PAGE),
    });
    if (more && state.cursor) query.set("cursor", state.cursor);
    try {
      const page = await api("GET", `${paths.objects(bucket)}?${query}`);
      const items = [
        ...page.prefixes.map((p) => ({ folder: p })),
        ...page.objects.filter((o) => o.key !== prefix),
      ];
      state.items = more ? state.items.concat(items) : items;
      state.cursor = page.next_cursor;
      if (!more) state.selected.clear();
      draw();
    } catch (err) {
      if (err.status === 404 && err.field === "bucket") {
        listing.replaceChildren(
          emptyState(
            "Bucket not found",
            `There is no bucket named ${bucket}.`,
            h("a", { class: "btn", href: "#/buckets" }, "Back to buckets"),
          ),
        );
      } else listing.replaceChildren(errorState(err, () => load(more)));
    }
  }

  function draw() {
    drawSelection();
    if (state.items.length === 0) {
      listing.replaceChildren(
        state.search
          ? emptyState(
            `Nothing here starts with “${state.search}”`,
            "Try a shorter name, or clear the filter.",
          )
          : emptyState(
            prefix ? "This folder is empty" : "This bucket is empty",
            "Drop files here, or choose Upload files.",
            h("button", {
              class: "btn btn-primary",
              type: "button",
              on: { click: () => fileInput.click() },
            }, "Upload files"),
          ),
      );
      return;
    }
    const objects = state.items.filter((i) => !i.folder);
    const all = h("input", {
      type: "checkbox",
      "aria-label": "Select all objects shown",
      checked: objects.length > 0 && objects.every((o) => state.selected.has(o.key)),
      disabled: objects.length === 0,
    });
    all.addEventListener("change", () => {
      for (const o of objects) {
        all.checked ? state.selected.add(o.key) : state.selected.delete(o.key);
      }
      draw();
    });
    const rows = state.items.map((
      item,
    ) => (item.folder ? folderRow(item.folder) : objectRow(item)));
    listing.replaceChildren(
      listTable({
        caption: `Contents of ${bucket}/${prefix}`,
        className: "list objects",
        columns: [
          { child: all, class: "cell-check" },
          "Name",
          { text: "Size", class: "num" },
          "Last modified",
        ],
        rows,
      }),
      listFooter(
        `${countOf(state.items.length, "item")}${state.cursor ? " shown" : ""}`,
        state.cursor && (() => load(true)),
      ),
    );
  }

  function folderRow(folder) {
    const name = baseName(folder, prefix);
    return h(
      "tr",
      { class: "row-folder" },
      h("td", { class: "cell-check" }),
      h(
        "td",
        { class: "cell-name", "data-label": "Name" },
        h(
          "a",
          { href: folderHref(bucket, folder), class: "name-link" },
          icon("folder", "icon icon-folder"),
          h("span", { text: name }),
        ),
      ),
      h("td", { class: "num muted", "data-label": "Size", text: "—" }),
      h("td", { class: "muted", "data-label": "Last modified", text: "Folder" }),
      h("td", { class: "cell-actions" }),
    );
  }

  function objectRow(o) {
    const name = baseName(o.key, prefix);
    const check = h("input", {
      type: "checkbox",
      "aria-label": `Select ${name}`,
      checked: state.selected.has(o.key),
    });
    check.addEventListener("change", () => {
      check.checked ? state.selected.add(o.key) : state.selected.delete(o.key);
      draw();
    });
    return h(
      "tr",
      { class: state.selected.has(o.key) ? "selected" : null, data: { key: o.key } },
      h("td", { class: "cell-check" }, check),
      h(
        "td",
        { class: "cell-name", "data-label": "Name" },
        h(
          "button",
          {
            class: "name-link",
            type: "button",
            "aria-label": `Details of ${name}`,
            on: { click: () => details(o.key) },
          },
          icon("file"),
          h("span", { text: name }),
        ),
      ),
      h("td", { class: "num", "data-label": "Size", text: o.size_human }),
      h("td", { class: "nowrap", "data-label": "Last modified", text: formatDate(o.updated_at) }),
      h(
        "td",
        { class: "cell-actions" },
        h("a", {
          class: "btn btn-sm",
          href: paths.download(bucket, o.key),
          download: name.split("/").at(-1) || "download",
          "aria-label": `Download ${name}`,
        }, "Download"),
        h("button", {
          class: "btn btn-sm",
          type: "button",
          "aria-label": `Share ${name}`,
          on: { click: () => shareDialog(bucket, o.key) },
        }, "Share"),
        h("button", {
          class: "btn btn-sm btn-danger-quiet",
          type: "button",
          "aria-label": `Delete ${name}`,
          on: { click: () => deleteKeys([o.key]) },
        }, "Delete"),
      ),
    );
  }

  function drawSelection() {
    const n = state.selected.size;
    selectionBar.hidden = n === 0;
    if (n === 0) return selectionBar.replaceChildren();
    selectionBar.replaceChildren(
      h("span", { class: "strong", text: `${formatCount(n)} selected` }),
      h(
        "button",
        { class: "btn btn-sm", type: "button", on: { click: downloadSelected } },
        "Download",
      ),
      h("button", {
        class: "btn btn-sm btn-danger",
        type: "button",
        on: { click: () => deleteKeys([...state.selected]) },
      }, "Delete"),
      h("button", {
        class: "btn btn-sm btn-quiet",
        type: "button",
        on: { click: () => (state.selected.clear(), draw()) },
      }, "Clear selection"),
    );
  }

  /** One download per selected object, spaced out so the browser keeps up. */
  async function downloadSelected() {
    for (const key of state.selected) {
      const a = h("a", {
        href: paths.download(bucket, key),
        download: key.split("/").at(-1) || "download",
        class: "sr-only",
      });
      document.body.append(a);
      a.click();
      a.remove();
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  async function deleteKeys(keys) {
    const one = keys.length === 1;
    const names = keys.slice(0, 5).map((k) => h("li", {}, h("code", { class: "wrap", text: k })));
    const ok = await confirmDialog({
      title: one
        ? `Delete ${baseName(keys[0], prefix)}?`
        : `Delete ${formatCount(keys.length)} objects?`,
      message: "Deleted objects cannot be recovered.",
      details: one ? null : h(
        "ul",
        { class: "small" },
        names,
        keys.length > 5 ? h("li", { text: `and ${formatCount(keys.length - 5)} more` }) : null,
      ),
      confirmLabel: one ? "Delete object" : `Delete ${formatCount(keys.length)} objects`,
    });
    if (!ok) return;
    try {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const r = await api("POST", `${paths.objects(bucket)}/delete`, {
          keys: keys.slice(i, i + DELETE_BATCH),
        });
        deleted += r.deleted.length;
      }
      toast(deleted === 1 ? "Object deleted" : `${formatCount(deleted)} objects deleted`);
    } catch (err) {
      toast(err.message, "error");
    }
    await load();
  }

  async function details(key) {
    if ((await showDetails(bucket, key)) === "delete") await deleteKeys([key]);
  }

  async function newFolder() {
    const name = await openDialog("New folder", ({ body, footer, close }) => {
      const input = h("input", {
        name: "folder",
        type: "text",
        autocomplete: "off",
        spellcheck: "false",
        autofocus: true,
      });
      const form = h(
        "form",
        { id: "folder-form", novalidate: true },
        field({
          id: "folder-name",
          label: "Folder name",
          hint: `Created in ${bucket}/${prefix} as an empty “name/” object, as S3 consoles do.`,
          input,
        }),
      );
      body.append(form);
      footer.append(
        h("button", { class: "btn", type: "button", on: { click: () => close() } }, "Cancel"),
        h(
          "button",
          { class: "btn btn-primary", type: "submit", form: "folder-form" },
          "Create folder",
        ),
      );
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const value = input.value.trim().replace(/^\/+|\/+$/g, "");
        if (!value) {
          return showFormError(form, { message: "Enter a folder name.", field: "folder" });
        }
        try {
          await api("PUT", paths.object(bucket, `${prefix}${value}/`), undefined);
          close(value);
        } catch (err) {
          showFormError(
            form,
            err.field === "key" ? { ...err, message: err.message, field: "folder" } : err,
          );
        }
      });
    });
    if (name) location.hash = folderHref(bucket, prefix + name);
  }

  // Uploads: picker and drag and drop. Folders cannot be read from a drop without walking
  // them, which browsers expose differently; only files are taken.
  fileInput.addEventListener("change", () => {
    if (fileInput.files?.length) enqueue(bucket, prefix, [...fileInput.files]);
    fileInput.value = "";
  });
  let dragDepth = 0;
  dropzone.addEventListener("dragenter", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    dragDepth++;
    dropzone.classList.add("dragging");
  });
  dropzone.addEventListener("dragover", (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  });
  dropzone.addEventListener("dragleave", () => {
    if (--dragDepth <= 0) {
      dragDepth = 0;
      dropzone.classList.remove("dragging");
    }
  });
  dropzone.addEventListener("drop", (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropzone.classList.remove("dragging");
    const items = [...(e.dataTransfer?.items ?? [])].filter((i) => i.kind === "file");
    const files = items.filter((i) => !i.webkitGetAsEntry?.()?.isDirectory).map((i) =>
      i.getAsFile()
    ).filter(Boolean);
    if (files.length < items.length) {
      toast("Folders cannot be dropped here; drop the files inside them.", "error");
    }
    if (files.length) enqueue(bucket, prefix, files);
  });

  let searchTimer = null;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = search.value;
      load();
    }, 250);
  });

  // Refresh when an upload into this folder finishes (a few at once refresh once).
  let refreshTimer = null;
  const stop = onUploaded((b, key) => {
    if (b !== bucket || !key.startsWith(prefix)) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => load(), 300);
  });

  await load();
  return () => {
    stop();
    clearTimeout(refreshTimer);
    clearTimeout(searchTimer);
  };
}
