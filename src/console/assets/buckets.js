// Buckets: list with counters, create for an owner, delete with a confirmation that says
// what would be lost.

import { api, ApiError, fetchPage, listAll, paths } from "./api.js";
import {
  busy,
  confirmDialog,
  emptyState,
  field,
  h,
  listFooter,
  listTable,
  openDialog,
  pagedView,
  pageHeader,
  showFormError,
  toast,
} from "./dom.js";
import { countOf, formatBytes, formatCount, formatDate } from "./format.js";

const PAGE = 100;

export async function render(main) {
  document.title = "Buckets · vStash console";
  const createButton = h("button", { class: "btn btn-primary", type: "button" }, "Create bucket");
  main.append(
    pageHeader(
      "Buckets",
      "Each bucket belongs to one credential, whose keys can use it over S3.",
      createButton,
    ),
  );
  const body = h("div", {});
  main.append(body);
  const list = pagedView(body, {
    loadingText: "Loading buckets…",
    fetchPage: (cursor) => fetchPage("/buckets", "buckets", { limit: PAGE, cursor }),
    draw: () => draw(),
  });
  const load = list.load;

  const draw = () => {
    const buckets = list.items;
    if (buckets.length === 0) {
      body.replaceChildren(
        emptyState(
          "No buckets yet",
          "A bucket holds objects. Create one, then upload files into it.",
          h(
            "button",
            { class: "btn btn-primary", type: "button", on: { click: create } },
            "Create bucket",
          ),
        ),
      );
      return;
    }
    const rows = buckets.map((b) =>
      h(
        "tr",
        {},
        h(
          "td",
          { class: "cell-name", "data-label": "Name" },
          h("a", {
            href: `#/buckets/${encodeURIComponent(b.name)}/`,
            class: "strong",
            text: b.name,
          }),
        ),
        h("td", { "data-label": "Owner", text: b.owner ?? `#${b.owner_id}` }),
        h("td", { class: "num", "data-label": "Objects", text: formatCount(b.object_count) }),
        h("td", { class: "num", "data-label": "Size", text: b.total_size_human }),
        h("td", { class: "nowrap", "data-label": "Created", text: formatDate(b.created_at) }),
        h(
          "td",
          { class: "cell-actions" },
          h("button", {
            class: "btn btn-sm btn-danger-quiet",
            type: "button",
            "aria-label": `Delete bucket ${b.name}`,
            on: { click: () => remove(b) },
          }, "Delete"),
        ),
      )
    );
    body.replaceChildren(
      listTable({
        caption: "Buckets",
        columns: [
          "Name",
          "Owner",
          { text: "Objects", class: "num" },
          { text: "Size", class: "num" },
          "Created",
        ],
        rows,
      }),
      listFooter(
        `${countOf(buckets.length, "bucket")}${list.cursor ? " shown" : ""}`,
        list.cursor && (() => load(true)),
      ),
    );
  };

  const create = async () => {
    const created = await createBucketDialog();
    if (created) {
      toast(`Bucket ${created.name} created`);
      await load();
    }
  };

  const remove = async (b) => {
    const deleted = await deleteBucketDialog(b.name);
    if (deleted) {
      toast(
        deleted.deleted_objects
          ? `Deleted bucket ${b.name} and ${countOf(deleted.deleted_objects, "object")}`
          : `Deleted bucket ${b.name}`,
      );
      await load();
    }
  };

  createButton.addEventListener("click", create);
  await load();
}

/** The create dialog; resolves to the created bucket, or undefined when dismissed. */
function createBucketDialog() {
  return openDialog("Create bucket", ({ body, footer, close }) => {
    const name = h("input", {
      name: "name",
      type: "text",
      required: true,
      autocomplete: "off",
      spellcheck: "false",
      autocapitalize: "off",
      maxlength: 63,
      pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]",
    });
    const owner = h(
      "select",
      { name: "owner_id", required: true },
      h("option", { value: "", text: "Loading credentials…" }),
    );
    const submit = h(
      "button",
      { class: "btn btn-primary", type: "submit", form: "create-bucket" },
      "Create bucket",
    );
    const form = h(
      "form",
      { id: "create-bucket", novalidate: true },
      h("p", { class: "form-error", role: "alert" }),
      field({
        id: "bucket-name",
        label: "Name",
        hint:
          "3–63 characters: lowercase letters, digits, dots and hyphens; starts and ends with a letter or digit.",
        input: name,
      }),
      field({
        id: "bucket-owner",
        label: "Owner",
        hint: "The credential whose access key can use this bucket over S3.",
        input: owner,
      }),
    );
    body.append(form);
    footer.append(
      h("button", { class: "btn", type: "button", on: { click: () => close() } }, "Cancel"),
      submit,
    );
    name.autofocus = true;
    listAll("/credentials", "credentials").then((creds) => {
      owner.replaceChildren(
        ...creds.map((c) =>
          h("option", {
            value: String(c.id),
            text: `${c.user_name || c.access_key}${c.user_name ? ` (${c.access_key})` : ""}${
              c.is_active ? "" : " — inactive"
            }`,
          })
        ),
      );
      if (creds.length === 0) {
        owner.append(h("option", { value: "", text: "No credentials: create one first" }));
      }
    }, (err) => showFormError(form, err));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!name.value.trim()) {
        return showFormError(form, new ApiError(400, "Enter a bucket name.", "name"));
      }
      if (!owner.value) {
        return showFormError(form, new ApiError(400, "Choose an owner.", "owner_id"));
      }
      try {
        const created = await busy(
          submit,
          "Creating…",
          () => api("POST", "/buckets", { name: name.value.trim(), owner_id: Number(owner.value) }),
        );
        close(created);
      } catch (err) {
        showFormError(form, err);
      }
    });
  });
}

/**
 * Deletes a bucket after confirmation. An empty bucket needs one click; one with objects or
 * uploads shows how much would be lost and needs its name typed. Resolves to the answer.
 */
async function deleteBucketDialog(name) {
  let details, uploads;
  try {
    [details, uploads] = await Promise.all([
      api("GET", `${paths.bucket(name)}?limit=5`),
      api("GET", `${paths.uploads(name)}?limit=1000`),
    ]);
  } catch (err) {
    toast(err.message, "error");
    return undefined;
  }
  const uploadCount = uploads.uploads.length;
  const empty = details.object_count === 0 && uploadCount === 0;
  let detailsNode = null;
  if (!empty) {
    const lost = [];
    if (details.object_count > 0) {
      lost.push(
        h(
          "li",
          {},
          h("strong", {
            text: countOf(details.object_count, "object"),
          }),
          ` (${formatBytes(details.total_size)})`,
        ),
      );
    }
    if (uploadCount > 0) {
      lost.push(
        h(
          "li",
          {},
          h("strong", {
            text: `${uploadCount}${uploads.next_cursor ? "+" : ""} multipart upload${
              uploadCount === 1 ? "" : "s"
            }`,
          }),
          " in progress",
        ),
      );
    }
    const sample = details.objects.map((o) => o.key);
    detailsNode = h(
      "div",
      { class: "callout callout-danger" },
      h("p", {
        class: "strong",
        text: "This bucket is not empty. Deleting it permanently deletes:",
      }),
      h("ul", {}, lost),
      sample.length > 0 &&
        h(
          "p",
          { class: "small" },
          "Including ",
          sample.map((k, i) => [i ? ", " : "", h("code", { text: k })]),
          details.object_count > sample.length ? ", …" : ".",
        ),
    );
  }
  const confirmed = await confirmDialog({
    title: `Delete bucket ${name}?`,
    message: empty
      ? "The bucket is empty. It will be deleted, and its name can be taken again."
      : "This cannot be undone.",
    details: detailsNode,
    confirmLabel: empty ? "Delete bucket" : "Delete bucket and contents",
    typeToConfirm: empty ? undefined : name,
  });
  if (!confirmed) return undefined;
  try {
    return await api("DELETE", `${paths.bucket(name)}${empty ? "" : "?force=true"}`);
  } catch (err) {
    toast(err.message, "error");
    return undefined;
  }
}
