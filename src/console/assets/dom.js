// Small DOM helpers: element builder, icons, page states, dialogs, toasts, copy buttons.
// Everything is built with createElement and textContent: no HTML strings, so no markup
// injection from object keys or user names.

/**
 * Creates an element. `props`: `class`, `text`, `on: {event: fn}`, `data: {name: value}`,
 * and any other attribute (false/null/undefined omit it, true sets it empty).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  appendAll(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [name, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === "data") {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = v;
    } else if (name === "value" || name === "checked" || name === "disabled") {
      el[name] = value;
    } else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

const ICONS = {
  dashboard: ["M4 4h7v7H4z", "M13 4h7v5h-7z", "M13 11h7v9h-7z", "M4 13h7v7H4z"],
  bucket: [
    "M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3z",
    "M4 6l2 13c.3 1.2 2.9 2 6 2s5.7-.8 6-2l2-13",
  ],
  key: [
    "M10.5 13.5a4 4 0 1 1-5.7 5.7 4 4 0 0 1 5.7-5.7z",
    "M10.5 13.5 20 4",
    "M16 8l3 3",
    "M18 6l2 2",
  ],
  link: [
    "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1",
    "M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  ],
  layers: ["M12 3l9 5-9 5-9-5z", "M3 13l9 5 9-5"],
  folder: ["M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"],
  file: ["M6 3h8l4 4v14H6z", "M14 3v4h4"],
  upload: ["M12 16V4", "M7 9l5-5 5 5", "M4 20h16"],
  logout: ["M15 4h4v16h-4", "M10 8l-4 4 4 4", "M6 12h10"],
};

/** A decorative stroke icon (hidden from assistive technology). */
export function icon(name, cls = "icon") {
  return svg(
    "svg",
    {
      class: cls,
      viewBox: "0 0 24 24",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 2,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    ...(ICONS[name] ?? []).map((d) => svg("path", { d })),
  );
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  appendAll(el, children);
}

/** A page's title row: heading, a line of context, and actions on the right. */
export function pageHeader(title, subtitle, ...actions) {
  return h(
    "header",
    { class: "page-header" },
    h(
      "div",
      { class: "page-title" },
      h("h1", { text: title }),
      subtitle && h("p", { class: "muted", text: subtitle }),
    ),
    actions.length ? h("div", { class: "page-actions" }, actions) : null,
  );
}

/** The loading state: a spinner and words, announced politely. */
export function loadingState(text = "Loading…") {
  return h(
    "div",
    { class: "state", role: "status", "aria-busy": "true" },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("span", { text }),
  );
}

/** A card section named by its heading (`id` links the two for screen readers). */
export function titledCard(id, ...heading) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, ...heading));
}

/** The empty state: what is missing, what to do, and maybe the button that does it. */
export function emptyState(title, hint, action) {
  return h(
    "div",
    { class: "state state-empty" },
    h("p", { class: "state-title", text: title }),
    hint && h("p", { class: "muted", text: hint }),
    action,
  );
}

/** The error state: what went wrong and a way to try again. */
export function errorState(err, retry) {
  return h(
    "div",
    { class: "state state-error", role: "alert" },
    h("p", { class: "state-title", text: "Something went wrong" }),
    h("p", { text: err?.message ?? String(err) }),
    retry && h("button", { class: "btn", type: "button", on: { click: retry } }, "Try again"),
  );
}

/** A short message in the corner that goes away by itself. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div", { class: `toast toast-${kind}`, text: message });
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

let dialogSeq = 0;

/**
 * A modal `<dialog>`: Escape and the Close button dismiss it, focus stays inside while it is
 * open and returns where it was. `build(api)` fills it; `api.close(value)` resolves the
 * returned promise with `value` (undefined when dismissed).
 */
export function openDialog(title, build, { wide = false } = {}) {
  const id = `dialog-title-${++dialogSeq}`;
  const opener = document.activeElement;
  const body = h("div", { class: "modal-body" });
  const footer = h("div", { class: "modal-footer" });
  const dialog = h(
    "dialog",
    { class: wide ? "modal modal-wide" : "modal", "aria-labelledby": id },
    h(
      "div",
      { class: "modal-header" },
      h("h2", { id, text: title }),
      h("button", {
        class: "btn btn-quiet btn-icon",
        type: "button",
        "aria-label": "Close",
        on: { click: () => close(undefined) },
      }, "×"),
    ),
    body,
    footer,
  );
  let resolve;
  const result = new Promise((r) => (resolve = r));
  let value;
  const close = (v) => {
    value = v;
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    resolve(value);
  });
  document.body.append(dialog);
  build({ body, footer, close, dialog });
  dialog.showModal();
  return result;
}

/**
 * Asks before something that cannot be undone. With `typeToConfirm`, the confirm button
 * stays disabled until that text is typed. Resolves true when confirmed.
 */
export function confirmDialog(
  { title, message, details, confirmLabel, danger = true, typeToConfirm },
) {
  return openDialog(title, ({ body, footer, close }) => {
    body.append(h("p", { text: message }));
    if (details) body.append(details);
    const confirm = h("button", {
      class: danger ? "btn btn-danger" : "btn btn-primary",
      type: "button",
      on: { click: () => close(true) },
    }, confirmLabel);
    if (typeToConfirm) {
      const input = h("input", {
        id: "confirm-text",
        type: "text",
        autocomplete: "off",
        spellcheck: "false",
        autocapitalize: "off",
      });
      confirm.disabled = true;
      input.addEventListener("input", () => (confirm.disabled = input.value !== typeToConfirm));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !confirm.disabled) close(true);
      });
      body.append(
        h(
          "div",
          { class: "field" },
          h(
            "label",
            { for: "confirm-text" },
            "Type ",
            h("strong", { text: typeToConfirm }),
            " to confirm",
          ),
          input,
        ),
      );
    }
    footer.append(
      h("button", {
        class: "btn",
        type: "button",
        autofocus: !typeToConfirm,
        on: { click: () => close(false) },
      }, "Cancel"),
      confirm,
    );
  }).then((v) => v === true);
}

/** Puts text on the clipboard; falls back to a selection copy where the API is missing. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && globalThis.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const area = h("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A button that copies `text()` and says so. `label` names what it copies. */
export function copyButton(text, label) {
  const button = h(
    "button",
    { class: "btn btn-sm", type: "button", "aria-label": `Copy ${label}` },
    "Copy",
  );
  button.addEventListener("click", async () => {
    const ok = await copyText(text());
    button.textContent = ok ? "Copied" : "Copy failed";
    toast(
      ok
        ? `${label[0].toUpperCase()}${label.slice(1)} copied`
        : "Could not copy: select the text and copy it",
      ok ? "info" : "error",
    );
    setTimeout(() => (button.textContent = "Copy"), 2000);
  });
  return button;
}

/** A read-only field holding a value to copy (a secret, a URL), with its label and button. */
export function copyField(id, label, value, { secret = false } = {}) {
  const input = h("input", {
    id,
    type: "text",
    readonly: true,
    value,
    class: secret ? "mono secret" : "mono",
    spellcheck: "false",
    on: { focus: (e) => e.target.select() },
  });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    h("div", { class: "copy-row" }, input, copyButton(() => value, label.toLowerCase())),
  );
}

/** Shows an API error in a form: under the named field when there is one, else at the top. */
export function showFormError(form, err) {
  for (const old of form.querySelectorAll(".field-error")) old.textContent = "";
  for (const bad of form.querySelectorAll("[aria-invalid]")) bad.removeAttribute("aria-invalid");
  const input = err?.field ? form.querySelector(`[name="${CSS.escape(err.field)}"]`) : null;
  const slot = input
    ? form.querySelector(`#${CSS.escape(input.id)}-error`)
    : form.querySelector(".form-error");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  if (slot) slot.textContent = err?.message ?? String(err);
}

/** A labelled form field with a hint and a slot for its error. */
export function field({ id, label, hint, input }) {
  input.id = id;
  const described = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", described);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    input,
    hint && h("p", { class: "hint", id: `${id}-hint`, text: hint }),
    h("p", { class: "field-error", id: `${id}-error`, role: "alert" }),
  );
}

/** Sets a button busy (disabled, with a different label) while `work` runs. */
export async function busy(button, label, work) {
  const before = button.textContent;
  button.disabled = true;
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = before;
  }
}

/**
 * A list that grows page by page into `body`: the first load shows the loading state, any
 * failure the error state with a retry, and `draw()` renders `view.items`. `fetchPage(cursor)`
 * resolves to `{ items, cursor }` (cursor null on the last page).
 */
export function pagedView(body, { loadingText, fetchPage, draw }) {
  const view = {
    items: [],
    cursor: null,
    async load(more = false) {
      if (!more) body.replaceChildren(loadingState(loadingText));
      try {
        const page = await fetchPage(more ? view.cursor : null);
        view.items = more ? view.items.concat(page.items) : page.items;
        view.cursor = page.cursor;
        draw();
      } catch (err) {
        body.replaceChildren(errorState(err, () => view.load(more)));
      }
    },
  };
  return view;
}

/** The line under a list: what is shown and, while there is more, a "Load more" button. */
export function listFooter(summary, loadMore) {
  return h(
    "div",
    { class: "list-footer" },
    h("span", { class: "muted", text: summary }),
    loadMore && h("button", {
      class: "btn",
      type: "button",
      on: { click: (e) => busy(e.currentTarget, "Loading…", loadMore) },
    }, "Load more"),
  );
}

/**
 * A list table in its scrolling wrapper, with a last, unlabelled column for row actions.
 * A column is its heading text, or `{ text, class }`, or `{ child, class }` for a control.
 */
export function listTable({ caption, columns, rows, className = "list" }) {
  const heading = (c) =>
    typeof c === "string"
      ? h("th", { scope: "col", text: c })
      : h("th", { scope: "col", class: c.class, text: c.text }, c.child);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: className },
      caption && h("caption", { class: "sr-only", text: caption }),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map(heading),
          h("th", { scope: "col" }, h("span", { class: "sr-only", text: "Actions" })),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}
