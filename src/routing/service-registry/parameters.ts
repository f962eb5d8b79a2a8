/**
 * A lookup's parameters and what follows from them, as the integrasjonspunkt's `SRParameter` has it ([IP]
 * `service-registry-client/.../SRParameter.java`): the path and query, the text its messages print, and the
 * cache key. `conversationId` is only a correlation id for the registry's logs: it is sent, printed, but not
 * part of the cache key (SRParameter excludes it from equals/hashCode for that reason), or every conversation
 * would miss the cache.
 */

/** What a lookup may carry besides the identifier and process. */
export interface LookupParameters {
  /** Sikkerhetsnivå of the message (3 or 4), as the business message's `sikkerhetsnivaa`. */
  securityLevel?: number | undefined;
  conversationId?: string | undefined;
  /** false: the registry skips the Folkeregister lookup print records need (IP `enableDsfPrintLookup=false`). */
  print?: boolean | undefined;
}

export interface SrParameter extends LookupParameters {
  identifier: string;
  process?: string | undefined;
  infoOnly: boolean;
}

/** The path (with query) below the registry's base URL. */
export function srPath(p: SrParameter): string {
  if (p.infoOnly) return `/info/${segment(p.identifier)}`;
  let path = `/identifier/${segment(p.identifier)}`;
  if (p.process !== undefined && p.process !== "") path += `/process/${segment(p.process)}`;
  const query: string[] = [];
  if (p.securityLevel !== undefined) query.push(`securityLevel=${encodeURIComponent(String(p.securityLevel))}`);
  if (p.conversationId !== undefined && p.conversationId !== "") query.push(`conversationId=${encodeURIComponent(p.conversationId)}`);
  // The registry's default is true; the integrasjonspunkt only ever sends false.
  if (p.print === false) query.push("print=false");
  return query.length === 0 ? path : `${path}?${query.join("&")}`;
}

/** Lombok's toString of SRParameter, the text the integrasjonspunkt's lookup errors carry. */
export function describeParameters(p: SrParameter): string {
  const show = (v: string | number | boolean | undefined) => (v === undefined || v === "" ? "null" : String(v));
  return (
    `SRParameter(identifier=${p.identifier}, process=${show(p.process)}, securityLevel=${show(p.securityLevel)}, ` +
    `print=${show(p.print)}, infoOnly=${p.infoOnly}, conversationId=${show(p.conversationId)})`
  );
}

/** Everything that changes the answer, and nothing else. */
export function cacheKey(p: SrParameter): string {
  return JSON.stringify([p.infoOnly, p.identifier, p.process || null, p.securityLevel ?? null, p.print ?? null]);
}

const ISO6523 = /^\d{4}:([^:]{1,35})(?::[^\s:]{1,35})?(?::\d)?$/;

/**
 * The identifier the registry is asked with ([EC] `PartnerIdentifier.getPrimaryIdentifier`): an ISO 6523
 * value `0192:<orgnr>` (or `0192:<orgnr>:<part>`) gives the organisation number; a bare organisation number or
 * fødselsnummer is used as it is.
 */
export function primaryIdentifier(receiver: string): string {
  const text = receiver.trim();
  return ISO6523.exec(text)?.[1] ?? text;
}

/** A path segment: colons stay readable (every process identifier is a URN), the rest is percent-encoded. */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":");
}
