/**
 * Whether two strings are equal, in time that depends only on their lengths (which are public
 * here: hex digests, signatures and tokens of fixed size). Every secret comparison goes through
 * this one function. A plain loop over UTF-16 code units: the XOR accumulates over every unit,
 * with no early exit, and unlike node:crypto's timingSafeEqual it needs no byte encoding of
 * either side (that encoding showed up in profiles of small GETs, one SigV4 check each).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
