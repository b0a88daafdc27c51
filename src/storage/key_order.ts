/** S3 key order: UTF-8 byte order, which is also Deno KV's order of strings. */

/**
 * Compares two strings in UTF-8 byte order (= code point order), the order of KV and of S3
 * listings. JavaScript's `<` compares UTF-16 code units and puts characters outside the BMP
 * (surrogates, 0xD800-0xDFFF) before U+E000-U+FFFF, which would skip such keys after a marker.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Move surrogates above U+E000-U+FFFF: code unit order becomes code point order.
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `s`, in UTF-8 byte order
 * (the same as code point order), or null when there is none.
 */
export function successor(s: string): string | null {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...cps, next);
    }
  }
  return null;
}
