// The sign-in screen. The key goes to the server once, in a POST body; the page keeps
// nothing of it (the field is emptied as soon as the answer arrives).

import { ApiError, signIn } from "./api.js";
import { h, icon, replace } from "./dom.js";

/** Renders the sign-in form into `root`; calls `onSignedIn()` after a successful sign-in. */
export function renderSignIn(root, onSignedIn, notice) {
  document.title = "Sign in · vStash console";
  const input = h("input", {
    id: "admin-key",
    name: "key",
    type: "password",
    autocomplete: "current-password",
    spellcheck: "false",
    autocapitalize: "off",
    required: true,
    "aria-describedby": "admin-key-hint admin-key-error",
  });
  const error = h("p", { class: "field-error", id: "admin-key-error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Sign in");
  // method=post: should the script ever not run, the browser still never puts the key in a URL.
  const form = h(
    "form",
    { method: "post", action: "/api/v1/session", novalidate: true },
    h(
      "div",
      { class: "field" },
      h("label", { for: "admin-key", text: "Admin API key" }),
      input,
      h("p", {
        class: "hint",
        id: "admin-key-hint",
        text: "Printed once when the server first started, or the value of VSTASH_ADMIN_KEY.",
      }),
      error,
    ),
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    const key = input.value.trim();
    if (!key) {
      error.textContent = "Enter the admin API key.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await signIn(key);
      input.value = "";
      onSignedIn();
    } catch (err) {
      submit.disabled = false;
      submit.textContent = "Sign in";
      error.textContent = err instanceof ApiError && err.status === 401
        ? "That key is not valid. Check it and try again."
        : err.message;
      input.setAttribute("aria-invalid", "true");
      input.select();
      input.focus();
    }
  });
  replace(
    root,
    h(
      "main",
      { class: "signin" },
      h(
        "div",
        { class: "signin-card" },
        h(
          "div",
          { class: "brand brand-large" },
          icon("layers", "brand-mark"),
          h("span", { text: "vStash" }),
        ),
        h("h1", { text: "Sign in to the console" }),
        notice && h("p", { class: "notice", role: "status", text: notice }),
        form,
      ),
    ),
  );
  input.focus();
}
