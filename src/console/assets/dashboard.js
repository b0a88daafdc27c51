// Dashboard: the server's totals, storage per bucket as a bar chart (inline SVG), and the
// most recent S3 requests.

import { api } from "./api.js";
import { emptyState, errorState, h, loadingState, pageHeader, svg, titledCard } from "./dom.js";
import {
  countOf,
  formatBytes,
  formatCount,
  formatDate,
  formatRelative,
  formatTime,
  truncateMiddle,
} from "./format.js";

const CHART_BUCKETS = 10;
/** Requests listed under "Recent activity" (the server keeps its last 100). */
const ACTIVITY_ROWS = 20;
/** Longer bucket/key paths are cut in the middle; the whole path is in the tooltip. */
const PATH_CHARS = 48;

export async function render(main) {
  document.title = "Dashboard · vStash console";
  main.append(pageHeader("Dashboard", "This server at a glance."));
  const body = h("div", {}, loadingState("Loading statistics…"));
  main.append(body);
  const load = async () => {
    body.replaceChildren(loadingState("Loading statistics…"));
    try {
      const [stats, buckets, recent] = await Promise.all([
        api("GET", "/stats"),
        api("GET", "/buckets?limit=1000"),
        api("GET", `/activity?limit=${ACTIVITY_ROWS}`),
      ]);
      body.replaceChildren(
        statCards(stats),
        storageChart(buckets.buckets, buckets.next_cursor !== null),
        activityTable(recent.activity),
      );
    } catch (err) {
      body.replaceChildren(errorState(err, load));
    }
  };
  await load();
}

function statCards(s) {
  const card = (label, value, detail, href) =>
    h(
      href ? "a" : "div",
      { class: "stat", href },
      h("span", { class: "stat-label", text: label }),
      h("span", { class: "stat-value", text: value }),
      detail && h("span", { class: "stat-detail", text: detail }),
    );
  return h(
    "section",
    { class: "stats", "aria-label": "Totals" },
    card("Storage used", s.total_storage_human, `${formatCount(s.total_storage)} bytes`),
    card("Objects", formatCount(s.objects), null),
    card("Buckets", formatCount(s.buckets), "View buckets", "#/buckets"),
    card("Credentials", formatCount(s.credentials), "Manage access keys", "#/credentials"),
    card(
      "Uploads in progress",
      formatCount(s.active_multipart_uploads),
      "Multipart uploads",
      "#/uploads",
    ),
    card(
      "Active share links",
      formatCount(s.active_presigned_urls),
      "Presigned URLs",
      "#/presigned",
    ),
  );
}

/**
 * Horizontal bars, largest bucket first. Labels and values are HTML text (readable at any
 * width, read by screen readers); each bar is a small SVG scaled to its row.
 */
function storageChart(buckets, truncated) {
  const section = titledCard("chart-title", "Storage by bucket");
  if (buckets.length === 0) {
    section.append(
      emptyState(
        "No buckets yet",
        "Create a bucket to start storing objects.",
        h("a", { class: "btn btn-primary", href: "#/buckets" }, "Go to buckets"),
      ),
    );
    return section;
  }
  const top = [...buckets].sort((a, b) =>
    b.total_size - a.total_size || a.name.localeCompare(b.name)
  ).slice(0, CHART_BUCKETS);
  const max = Math.max(1, top[0].total_size);
  const rows = top.map((b) => {
    const pct = (b.total_size / max) * 100;
    return h(
      "li",
      { class: "bar-row" },
      h("a", {
        class: "bar-label",
        href: `#/buckets/${encodeURIComponent(b.name)}/`,
        text: b.name,
      }),
      svg(
        "svg",
        {
          class: "bar",
          viewBox: "0 0 100 12",
          preserveAspectRatio: "none",
          "aria-hidden": "true",
          focusable: "false",
        },
        svg("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 12, rx: 2 }),
        svg("rect", {
          class: "bar-fill",
          x: 0,
          y: 0,
          width: b.total_size > 0 ? Math.max(pct, 0.8) : 0,
          height: 12,
          rx: 2,
        }),
      ),
      h("span", {
        class: "bar-value",
        text: `${formatBytes(b.total_size)} · ${countOf(b.object_count, "object")}`,
      }),
    );
  });
  section.append(h("ol", { class: "bar-chart" }, rows));
  const hidden = buckets.length - top.length;
  if (hidden > 0 || truncated) {
    section.append(
      h("p", {
        class: "muted small",
        text: `The ${top.length} largest of ${truncated ? "over " : ""}${
          formatCount(buckets.length)
        } buckets.`,
      }),
    );
  }
  return section;
}

/**
 * The latest S3 requests, newest first, as a compact table (three-line cards on narrow
 * screens, see app.css). The server keeps them in memory only, which the note below says.
 */
function activityTable(entries) {
  const section = titledCard("activity-title", "Recent activity");
  if (entries.length === 0) {
    section.append(
      emptyState("No requests yet", "Requests to the S3 API show here as they arrive."),
    );
    return section;
  }
  const head = ["Time", "Operation", "Bucket / key", "Status", "Size"].map((label) =>
    h("th", { scope: "col", class: label === "Size" ? "num" : null, text: label })
  );
  section.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "list compact activity" },
        h("thead", {}, h("tr", {}, head)),
        h("tbody", {}, entries.map(activityRow)),
      ),
    ),
    h("p", {
      class: "muted small",
      text: "The latest requests to the S3 API, newest first. Kept in memory: a restart " +
        "clears them.",
    }),
  );
  return section;
}

function activityRow(e) {
  const path = e.bucket === null ? "" : e.key === null ? e.bucket : `${e.bucket}/${e.key}`;
  const who = e.access_key ?? "an unauthenticated client";
  return h(
    "tr",
    {},
    h(
      "td",
      { class: "nowrap activity-time", "data-label": "Time" },
      h("time", {
        datetime: e.time,
        title: `${formatDate(e.time)} (${formatRelative(e.time)})`,
        text: formatTime(e.time),
      }),
    ),
    h(
      "td",
      { class: "activity-op", "data-label": "Operation" },
      h("span", {
        title: `${e.method} by ${who}, ${e.ms} ms, request ${e.request_id}`,
        text: e.operation ?? e.method,
      }),
    ),
    h(
      "td",
      { class: "activity-path", "data-label": "Bucket / key" },
      path
        ? h("span", { class: "mono wrap", title: path, text: truncateMiddle(path, PATH_CHARS) })
        : h("span", { class: "muted", text: "—" }),
    ),
    h(
      "td",
      { class: "activity-status", "data-label": "Status" },
      h("span", {
        class: e.status < 400 ? "badge badge-ok" : "badge badge-error",
        text: String(e.status),
      }),
    ),
    h("td", { class: "num activity-size", "data-label": "Size", text: transferred(e) }),
  );
}

/** Bytes the request carried each way: "11 B in", "2.0 MB out", or "—" for neither. */
function transferred(e) {
  const parts = [];
  if (e.bytes_in > 0) parts.push(`${formatBytes(e.bytes_in)} in`);
  if (e.bytes_out > 0) parts.push(`${formatBytes(e.bytes_out)} out`);
  return parts.length ? parts.join(" · ") : "—";
}
