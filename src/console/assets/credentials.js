// Credentials: S3 access keys. Create (the secret is shown once), activate/deactivate, delete.

import { api, fetchPage } from "./api.js";
import {
  busy,
  confirmDialog,
  copyField,
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
import { countOf, formatCount, formatDate } from "./format.js";

export async function render(main) {
  document.title = "Credentials · vStash console";
  const createButton = h(
    "button",
    { class: "btn btn-primary", type: "button" },
    "Create credential",
  );
  main.append(
    pageHeader(
      "Credentials",
      "Access key pairs for S3 clients. Secrets are shown once, when created.",
      createButton,
    ),
  );
  const body = h("div", {});
  main.append(body);
  const list = pagedView(body, {
    loadingText: "Loading credentials…",
    fetchPage: (cursor) => fetchPage("/credentials", "credentials", { cursor }),
    draw: () => draw(),
  });
  const load = list.load;

  const draw = () => {
    const creds = list.items;
    if (creds.length === 0) {
      body.replaceChildren(
        emptyState(
          "No credentials",
          "S3 clients need an access key pair. Create one.",
          h(
            "button",
            { class: "btn btn-primary", type: "button", on: { click: create } },
            "Create credential",
          ),
        ),
      );
      return;
    }
    const rows = creds.map((c) => {
      const name = c.user_name || c.access_key;
      return h(
        "tr",
        { class: c.is_active ? null : "inactive", data: { accessKey: c.access_key } },
        h(
          "td",
          { class: "cell-name", "data-label": "Name" },
          c.user_name
            ? h("span", { class: "strong", text: c.user_name })
            : h("span", { class: "muted", text: "(no name)" }),
        ),
        h(
          "td",
          { "data-label": "Access key" },
          h("code", { class: "mono", text: c.access_key }),
        ),
        h(
          "td",
          { "data-label": "Status" },
          h("span", {
            class: c.is_active ? "badge badge-ok" : "badge badge-off",
            text: c.is_active ? "Active" : "Inactive",
          }),
        ),
        h("td", { class: "num", "data-label": "Buckets", text: formatCount(c.bucket_count) }),
        h("td", { class: "nowrap", "data-label": "Created", text: formatDate(c.created_at) }),
        h(
          "td",
          { class: "cell-actions" },
          h("button", {
            class: "btn btn-sm",
            type: "button",
            "aria-label": `${c.is_active ? "Deactivate" : "Activate"} ${name}`,
            on: { click: (e) => toggle(c, e.currentTarget) },
          }, c.is_active ? "Deactivate" : "Activate"),
          h("button", {
            class: "btn btn-sm btn-danger-quiet",
            type: "button",
            "aria-label": `Delete ${name}`,
            on: { click: () => remove(c) },
          }, "Delete"),
        ),
      );
    });
    body.replaceChildren(
      listTable({
        caption: "Credentials",
        columns: ["Name", "Access key", "Status", { text: "Buckets", class: "num" }, "Created"],
        rows,
      }),
      listFooter(
        countOf(creds.length, "credential"),
        list.cursor && (() => load(true)),
      ),
    );
  };

  const create = async () => {
    if (await createCredentialDialog()) await load();
  };

  const toggle = async (c, button) => {
    const name = c.user_name || c.access_key;
    if (c.is_active) {
      const ok = await confirmDialog({
        title: `Deactivate ${name}?`,
        message:
          "S3 requests signed with this access key are refused from now on. Its buckets and objects stay, and you can activate it again later.",
        confirmLabel: "Deactivate",
      });
      if (!ok) return;
    }
    try {
      await busy(
        button,
        c.is_active ? "Deactivating…" : "Activating…",
        () => api("PATCH", `/credentials/${c.id}`, { is_active: !c.is_active }),
      );
      toast(`${name} ${c.is_active ? "deactivated" : "activated"}`);
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  };

  const remove = async (c) => {
    const name = c.user_name || c.access_key;
    const ok = await confirmDialog({
      title: `Delete ${name}?`,
      message: c.bucket_count > 0
        ? `This credential owns ${c.bucket_count} bucket(s), so it cannot be deleted until they are. Deactivate it to lock it out instead.`
        : "Clients using this access key will stop working. This cannot be undone.",
      confirmLabel: "Delete credential",
    });
    if (!ok) return;
    try {
      await api("DELETE", `/credentials/${c.id}`);
      toast(`${name} deleted`);
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  };

  createButton.addEventListener("click", create);
  await load();
}

/** Create, then show the new pair once. Resolves true when one was created. */
function createCredentialDialog() {
  let created = false;
  return openDialog("Create credential", ({ body, footer, close }) => {
    const userName = h("input", {
      name: "user_name",
      type: "text",
      autocomplete: "off",
      maxlength: 128,
      autofocus: true,
    });
    const submit = h("button", {
      class: "btn btn-primary",
      type: "submit",
      form: "create-credential",
    }, "Create credential");
    const form = h(
      "form",
      { id: "create-credential", novalidate: true },
      h("p", { class: "form-error", role: "alert" }),
      field({
        id: "credential-name",
        label: "User name (optional)",
        hint: "Who or what uses this key, e.g. “backup-server”.",
        input: userName,
      }),
      h("p", { class: "muted small", text: "The access key and secret key are generated." }),
    );
    body.append(form);
    footer.append(
      h("button", { class: "btn", type: "button", on: { click: () => close(created) } }, "Cancel"),
      submit,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const c = await busy(
          submit,
          "Creating…",
          () =>
            api(
              "POST",
              "/credentials",
              userName.value.trim() ? { user_name: userName.value.trim() } : {},
            ),
        );
        created = true;
        body.replaceChildren(
          h(
            "div",
            { class: "callout callout-warning", role: "alert" },
            h("p", { class: "strong", text: "Copy the secret key now." }),
            h("p", {
              text:
                "It is shown only this once and cannot be recovered. If it is lost, create a new credential.",
            }),
          ),
          copyField("new-access-key", "Access key", c.access_key),
          copyField("new-secret-key", "Secret key", c.secret_key, { secret: true }),
        );
        footer.replaceChildren(
          h("button", {
            class: "btn btn-primary",
            type: "button",
            on: { click: () => close(true) },
          }, "Done, I saved it"),
        );
        body.querySelector("#new-secret-key")?.focus();
      } catch (err) {
        showFormError(form, err);
      }
    });
  }).then((v) => v === true || created);
}
