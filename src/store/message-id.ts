/**
 * DPI message ids are UUIDs (the SBD parser accepts nothing else), and a UUID is the same id in either letter
 * case (RFC 9562 §4: hex digits are case-insensitive on input, lower case on output). The store keys messages
 * by this one normal form, so "ABC…" after "abc…" is the same message, a read by id finds it whichever case
 * the caller writes, and no other code compares message ids itself.
 *
 * Only ASCII letters are folded: that is all a UUID can hold, and full Unicode case mapping would make
 * other, invalid ids that reach a lookup (e.g. from a URL path) collide in surprising ways.
 */
export function normaliseMessageId(id: string): string {
  return id.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
