// Formatting for people: sizes, dates, countdowns. Pure functions, no DOM.

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Bytes in binary units with one decimal, as the API's *_human fields: 1536 → "1.5 KB". */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "—";
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (unit < UNITS.length - 1 && Math.round(value * 10) / 10 >= 1000) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A whole number with thousands separators. */
export function formatCount(n) {
  return new Intl.NumberFormat().format(n);
}

/** `n` and a noun, plural unless n is 1: countOf(3, "bucket") → "3 buckets". */
export function countOf(n, noun) {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** An ISO time as a short local date and time. */
export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : dateFormat.format(d);
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** An ISO time as the local time of day with seconds, with the date too when not today. */
export function formatTime(iso, now = new Date()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toDateString() === now.toDateString() ? timeFormat.format(d) : dateFormat.format(d);
}

/** Milliseconds as "2 d 4 h", "3 h 12 min", "4 min 05 s", "12 s". */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/** "3 h ago" / "in 5 min" relative to now, for times near the present. */
export function formatRelative(iso, now = Date.now()) {
  const diff = new Date(iso).getTime() - now;
  const text = formatDuration(Math.abs(diff)).replace(/ \d+ s$/, "");
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * Text cut to at most `max` characters by replacing its middle with "…": both the bucket at
 * the start of a path and the file name at its end stay readable.
 */
export function truncateMiddle(text, max) {
  const chars = Array.from(text); // code points, so that no emoji is cut in half
  if (chars.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

/** The last segment of a key or prefix, for display inside its folder. */
export function baseName(key, prefix) {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}
