/** Wire formats of the management API: sizes for people, times as ISO 8601 in UTC. */

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];

/**
 * A byte count for people, in binary units with one decimal: 1073741824 → "1.0 GB". The unit
 * steps up at 1000 rather than 1024 so that no value reads "1000.0 KB" (1024000 → "1.0 MB").
 *
 * @example humanSize(1536) // "1.5 KB"
 */
export function humanSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (unit < UNITS.length - 1 && Math.round(value * 10) / 10 >= 1000) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * Epoch milliseconds as "2023-01-15T10:30:00Z" (seconds precision, as in the API samples).
 */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** An S3 ETag without the quotes S3 puts around it on the wire. */
export function bareEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, "$1");
}
