/** Lower-case hex of bytes, two digits each. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `byteCount` random bytes as hex: ids for blobs, uploads, presigned URLs and request-id
 * prefixes. Never derived from anything a client sends, so an id can never become a path.
 */
export function randomHex(byteCount: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(byteCount)));
}
