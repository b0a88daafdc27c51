// Uploads from the browser, through the management listener (same origin, so the session
// cookie and CSRF token are all it needs). Small files go up in one PUT; large ones as a
// multipart upload with several parts in flight. Bodies are File slices, which the browser
// streams from disk: no file is ever read into memory here. XMLHttpRequest is used because
// fetch() reports no upload progress.

import { api, ApiError, csrfHeaders, paths } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { formatBytes } from "./format.js";

const MiB = 1024 * 1024;
/** Files above this go up as multipart uploads. */
export const MULTIPART_THRESHOLD = 16 * MiB;
/** Part size: S3's 5 MiB minimum with room; grows for files over 80 GB (10,000 parts). */
const PART_SIZE = 8 * MiB;
const PARALLEL_PARTS = 4;
const PARALLEL_FILES = 2;
const PART_ATTEMPTS = 3;

const queue = [];
const uploadedListeners = new Set();
let running = 0;
let panel = null;

/** Called with (bucket, key) after each upload completes. */
export function onUploaded(fn) {
  uploadedListeners.add(fn);
  return () => uploadedListeners.delete(fn);
}

/** How many uploads are queued or running. */
export function activeUploads() {
  return queue.filter((u) => u.state === "queued" || u.state === "running").length;
}

/** The floating panel that lists uploads and their progress bars; lives in the shell. */
export function uploadPanel() {
  const list = h("ul", { class: "upload-list" });
  const summary = h("span", { class: "muted upload-summary" });
  const clearButton = h("button", {
    class: "btn btn-sm btn-quiet",
    type: "button",
    on: { click: clearFinished },
  }, "Clear finished");
  const toggle = h("button", {
    class: "btn btn-sm btn-quiet",
    type: "button",
    "aria-expanded": "true",
    "aria-controls": "upload-list",
  }, "Hide");
  list.id = "upload-list";
  toggle.addEventListener(
    "click",
    () => setExpanded(toggle.getAttribute("aria-expanded") !== "true"),
  );
  const el = h(
    "section",
    { class: "upload-panel", "aria-labelledby": "upload-panel-title", hidden: true },
    h(
      "div",
      { class: "upload-panel-header" },
      h(
        "div",
        { class: "upload-panel-title" },
        h("h2", { id: "upload-panel-title", text: "Uploads" }),
        summary,
      ),
      clearButton,
      toggle,
    ),
    list,
  );
  panel = { el, list, summary, toggle };
  for (const u of queue) list.append(u.row);
  refreshPanel();
  return el;
}

/** Queues files for upload into `bucket` under `prefix`. */
export function enqueue(bucket, prefix, files) {
  for (const file of files) {
    const upload = {
      bucket,
      key: prefix + file.name,
      file,
      state: "queued",
      loaded: 0,
      xhrs: new Set(),
      cancelled: false,
      uploadId: null,
    };
    upload.row = uploadRow(upload);
    queue.push(upload);
    panel?.list.append(upload.row);
  }
  setExpanded(true);
  refreshPanel();
  pump();
}

function uploadRow(u) {
  const progress = h("progress", {
    max: 100,
    value: 0,
    "aria-label": `Upload progress of ${u.file.name}`,
    data: { file: u.file.name },
  });
  const status = h("span", { class: "upload-status", text: "Waiting…" });
  const action = h("button", {
    class: "btn btn-sm btn-quiet",
    type: "button",
    "aria-label": `Cancel upload of ${u.file.name}`,
    on: { click: () => cancel(u) },
  }, "Cancel");
  u.ui = { progress, status, action };
  return h(
    "li",
    { class: "upload-item", data: { state: "queued" } },
    h(
      "div",
      { class: "upload-line" },
      h("span", { class: "upload-name", title: `${u.bucket}/${u.key}`, text: u.file.name }),
      action,
    ),
    progress,
    h(
      "div",
      { class: "upload-line" },
      status,
      h("span", {
        class: "muted upload-dest",
        text: `${u.bucket}/${u.key.slice(0, -u.file.name.length)}`,
      }),
    ),
  );
}

function setState(u, state, text) {
  u.state = state;
  u.row.dataset.state = state;
  if (text !== undefined) u.ui.status.textContent = text;
  if (state !== "running" && state !== "queued") {
    const retry = state === "failed" || state === "cancelled";
    const button = h("button", {
      class: "btn btn-sm btn-quiet",
      type: "button",
      "aria-label": `${retry ? "Retry" : "Remove"} upload of ${u.file.name}`,
    }, retry ? "Retry" : "Remove");
    button.addEventListener("click", () => (retry ? retryUpload(u) : removeUpload(u)));
    u.ui.action.replaceWith(button);
    u.ui.action = button;
  }
  refreshPanel();
}

function showProgress(u) {
  const total = u.file.size;
  const pct = total === 0 ? 0 : Math.min(100, Math.floor((u.loaded / total) * 100));
  u.ui.progress.value = pct;
  u.ui.status.textContent = `${pct}% · ${formatBytes(u.loaded)} of ${formatBytes(total)}`;
}

/** Shows or folds the list; folded, the panel is one line and covers little of the page. */
function setExpanded(open) {
  if (!panel) return;
  panel.toggle.setAttribute("aria-expanded", String(open));
  panel.toggle.textContent = open ? "Hide" : "Show";
  panel.list.hidden = !open;
}

let foldTimer = null;

function refreshPanel() {
  if (!panel) return;
  clearTimeout(foldTimer);
  // Once everything has finished, fold the list after a moment so it stops covering the page.
  if (activeUploads() === 0 && queue.length > 0) {
    foldTimer = setTimeout(() => setExpanded(false), 5000);
  }
  panel.el.hidden = queue.length === 0;
  const done = queue.filter((u) => u.state === "done").length;
  const active = activeUploads();
  replace(
    panel.summary,
    active ? `${active} in progress, ${done} done` : `${done} of ${queue.length} done`,
  );
}

function clearFinished() {
  for (const u of [...queue]) if (u.state !== "queued" && u.state !== "running") removeUpload(u);
}

function removeUpload(u) {
  queue.splice(queue.indexOf(u), 1);
  u.row.remove();
  refreshPanel();
}

function retryUpload(u) {
  removeUpload(u);
  enqueue(u.bucket, u.key.slice(0, -u.file.name.length), [u.file]);
}

function cancel(u) {
  u.cancelled = true;
  for (const xhr of u.xhrs) xhr.abort();
  if (u.state === "queued") setState(u, "cancelled", "Cancelled");
}

function pump() {
  while (running < PARALLEL_FILES) {
    const next = queue.find((u) => u.state === "queued" && !u.cancelled);
    if (!next) return;
    running++;
    run(next).finally(() => {
      running--;
      pump();
    });
  }
}

async function run(u) {
  setState(u, "running");
  showProgress(u);
  try {
    if (u.file.size > MULTIPART_THRESHOLD) await multipart(u);
    else await single(u);
    u.ui.progress.value = 100;
    setState(u, "done", `Uploaded · ${formatBytes(u.file.size)}`);
    for (const fn of uploadedListeners) fn(u.bucket, u.key);
  } catch (err) {
    if (u.cancelled) setState(u, "cancelled", "Cancelled");
    else {
      setState(u, "failed", `Failed: ${err.message}`);
      toast(`Upload of ${u.file.name} failed: ${err.message}`, "error");
    }
  }
}

async function single(u) {
  await send(u, "PUT", paths.putObject(u.bucket, u.key), u.file, contentType(u.file), (loaded) => {
    u.loaded = loaded;
    showProgress(u);
  });
}

async function multipart(u) {
  const created = await api("POST", paths.uploads(u.bucket), {
    key: u.key,
    ...(u.file.type ? { content_type: u.file.type } : {}),
  });
  u.uploadId = created.upload_id;
  const partSize = Math.max(
    PART_SIZE,
    created.min_part_size ?? 0,
    Math.ceil(u.file.size / 10_000 / MiB) * MiB,
  );
  const count = Math.ceil(u.file.size / partSize);
  const loaded = new Array(count).fill(0);
  const etags = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count && !u.cancelled) {
      const i = next++;
      const blob = u.file.slice(i * partSize, Math.min(u.file.size, (i + 1) * partSize));
      for (let attempt = 1;; attempt++) {
        try {
          const part = await send(
            u,
            "PUT",
            paths.part(u.bucket, u.uploadId, i + 1, u.key),
            blob,
            {},
            (l) => {
              loaded[i] = l;
              u.loaded = loaded.reduce((a, b) => a + b, 0);
              showProgress(u);
            },
          );
          etags[i] = part.etag;
          break;
        } catch (err) {
          // A network hiccup is worth another try; a refusal by the server is not.
          const retriable = err instanceof ApiError && err.status === 0;
          if (u.cancelled || !retriable || attempt >= PART_ATTEMPTS) throw err;
          loaded[i] = 0;
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    if (u.cancelled) throw new ApiError(0, "cancelled");
    u.ui.status.textContent = "Finishing…";
    await api("POST", paths.complete(u.bucket, u.uploadId, u.key), {
      parts: etags.map((etag, i) => ({ part_number: i + 1, etag })),
    });
  } catch (err) {
    // Leave no half upload behind: its parts would hold storage until the expiry sweep.
    for (const xhr of u.xhrs) xhr.abort();
    api("DELETE", paths.upload(u.bucket, u.uploadId, u.key)).catch(() => {});
    throw err;
  }
}

function contentType(file) {
  return { "content-type": file.type || "application/octet-stream" };
}

/** One request with upload progress; resolves to the parsed JSON answer. */
function send(u, method, url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    u.xhrs.add(xhr);
    xhr.open(method, url);
    xhr.responseType = "text";
    for (const [k, v] of Object.entries({ ...headers, ...csrfHeaders() })) {
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded));
    xhr.addEventListener("load", () => {
      u.xhrs.delete(xhr);
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        resolve(data);
      } else {reject(
          new ApiError(
            xhr.status,
            data?.error ?? `The server answered ${xhr.status}.`,
            data?.field,
          ),
        );}
    });
    xhr.addEventListener("error", () => {
      u.xhrs.delete(xhr);
      reject(new ApiError(0, "the connection to the server failed"));
    });
    xhr.addEventListener("abort", () => {
      u.xhrs.delete(xhr);
      reject(new ApiError(0, "cancelled"));
    });
    xhr.send(body);
  });
}

// Leaving the page would cut uploads off halfway: ask first.
globalThis.addEventListener("beforeunload", (e) => {
  if (activeUploads() > 0) e.preventDefault();
});
