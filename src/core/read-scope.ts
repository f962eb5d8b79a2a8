/**
 * Read authorisation, channel-neutral: who may read which stored conversation is decided by a filter, data the
 * caller model builds (DPI's from the Maskinporten token's consumer and supplier: src/dpi/read-scope.ts) and
 * that the core checks on single conversations (inReadScope) while the repository turns the same filter into
 * its query, so a list and a lookup can never disagree. The columns a clause compares are the channel's
 * (`C`); the repository knows how to query them, the core only compares values.
 */

/** One way to be readable: a conversation in this direction, of one of these types, whose columns equal these values. */
export interface ReadClause<C extends object> {
  direction: "OUT" | "IN";
  documentTypes?: readonly string[];
  columns: Partial<C>;
}

/** A conversation is readable when any clause matches it; no clause, nothing is. */
export interface ReadScope<C extends object> {
  anyOf: readonly ReadClause<C>[];
}

/** What a stored conversation must carry to be judged. */
export type ScopedRow<C extends object> = { direction: string; documentType: string } & C;

export function inReadScope<C extends object>(scope: ReadScope<C>, m: ScopedRow<C>): boolean {
  return scope.anyOf.some(
    (c) =>
      c.direction === m.direction &&
      (c.documentTypes === undefined || c.documentTypes.includes(m.documentType)) &&
      Object.entries(c.columns).every(([column, value]) => (m as Record<string, unknown>)[column] === value),
  );
}
