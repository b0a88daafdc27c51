// The console's entry point: session check, the shell (top bar, navigation, main area,
// upload panel) and a hash router. Each page module exports `render(main, params)`, which may
// return a cleanup function that runs when the page is left.

import { currentSession, onSignedOut, signOut } from "./api.js";
import { confirmDialog, errorState, h, icon, replace, toast } from "./dom.js";
import { renderSignIn } from "./signin.js";
import { activeUploads, uploadPanel } from "./uploader.js";
import * as dashboard from "./dashboard.js";
import * as buckets from "./buckets.js";
import * as objects from "./objects.js";
import * as credentials from "./credentials.js";
import * as presigned from "./presigned.js";
import * as uploads from "./uploads.js";

const root = document.getElementById("app");

const NAV = [
  { href: "#/", label: "Dashboard", icon: "dashboard", page: "dashboard" },
  { href: "#/buckets", label: "Buckets", icon: "bucket", page: "buckets" },
  { href: "#/credentials", label: "Credentials", icon: "key", page: "credentials" },
  { href: "#/presigned", label: "Presigned URLs", icon: "link", page: "presigned" },
  { href: "#/uploads", label: "Multipart uploads", icon: "layers", page: "uploads" },
];

/** `#/buckets/photos/2024/` → the objects page of bucket "photos" in folder "2024/". */
export function parseRoute(hash) {
  const path = hash.replace(/^#/, "") || "/";
  const segments = path.split("/").slice(1);
  switch (segments[0]) {
    case "":
    case undefined:
      return { page: "dashboard", module: dashboard };
    case "buckets":
      if (segments.length > 1 && segments[1] !== "") {
        const bucket = decodeURIComponent(segments[1]);
        const prefix = segments.slice(2).map(decodeURIComponent).join("/");
        return { page: "buckets", module: objects, params: { bucket, prefix } };
      }
      return { page: "buckets", module: buckets };
    case "credentials":
      return { page: "credentials", module: credentials };
    case "presigned":
      return { page: "presigned", module: presigned };
    case "uploads":
      return { page: "uploads", module: uploads };
    default:
      return { page: null, module: null };
  }
}

let cleanup = null;
let main = null;
let navLinks = [];
let firstRoute = true;

function renderShell() {
  main = h("main", { id: "main", class: "main", tabindex: "-1" });
  navLinks = NAV.map((n) =>
    h("a", { href: n.href, data: { page: n.page } }, icon(n.icon), h("span", { text: n.label }))
  );
  const signOutButton = h(
    "button",
    { class: "btn btn-quiet", type: "button" },
    icon("logout"),
    h("span", { text: "Sign out" }),
  );
  signOutButton.addEventListener("click", onSignOut);
  replace(
    root,
    h(
      "div",
      { class: "shell" },
      h(
        "button",
        { class: "skip-link", type: "button", on: { click: () => main.focus() } },
        "Skip to content",
      ),
      h(
        "header",
        { class: "topbar" },
        h(
          "a",
          { class: "brand", href: "#/" },
          icon("layers", "brand-mark"),
          h("span", { text: "vStash" }),
        ),
        h("span", { class: "spacer" }),
        signOutButton,
      ),
      h(
        "nav",
        { class: "sidenav", "aria-label": "Main" },
        h("ul", {}, navLinks.map((a) => h("li", {}, a))),
      ),
      main,
      uploadPanel(),
    ),
  );
  firstRoute = true;
  route();
}

async function route() {
  if (!main) return;
  cleanup?.();
  cleanup = null;
  const { page, module, params } = parseRoute(location.hash);
  for (const a of navLinks) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  main.replaceChildren();
  if (!module) {
    document.title = "Not found · vStash console";
    main.append(
      h(
        "div",
        { class: "state state-empty" },
        h("h1", { text: "Page not found" }),
        h("p", {}, h("a", { href: "#/" }, "Go to the dashboard")),
      ),
    );
    return;
  }
  // Moving focus to the new page tells screen readers that it changed.
  if (!firstRoute) main.focus({ preventScroll: true });
  firstRoute = false;
  scrollTo(0, 0);
  try {
    cleanup = (await module.render(main, params ?? {})) ?? null;
  } catch (err) {
    main.replaceChildren(errorState(err, route));
  }
}

async function onSignOut() {
  const active = activeUploads();
  if (active > 0) {
    const ok = await confirmDialog({
      title: "Sign out during uploads?",
      message: `${active} upload(s) are still running. Signing out stops them.`,
      confirmLabel: "Sign out",
    });
    if (!ok) return;
  }
  try {
    await signOut();
  } catch (err) {
    toast(`Sign-out failed: ${err.message}`, "error");
    return;
  }
  showSignIn("You have signed out.");
}

function showSignIn(notice) {
  cleanup?.();
  cleanup = null;
  main = null;
  renderSignIn(root, renderShell, notice);
}

onSignedOut(() => {
  if (main) showSignIn("Your session has ended. Sign in again to continue.");
});
addEventListener("hashchange", route);

try {
  const session = await currentSession();
  if (session) renderShell();
  else showSignIn();
} catch (err) {
  replace(root, errorState(err, () => location.reload()));
}
