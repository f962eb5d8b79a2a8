import { EfmAsicInputError } from "./errors.js";

/**
 * Escaping for the few XML documents this folder writes by hand, so their bytes match what the
 * integrasjonspunkt's JAXB marshallers write for the same values.
 */

// Characters XML 1.0 cannot carry, and UTF-16 halves that are not part of a pair.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertXmlChars(value: string): void {
  if (NOT_XML.test(value)) throw new EfmAsicInputError(`${JSON.stringify(value)} holds characters XML cannot carry`);
}

export function escapeText(value: string): string {
  assertXmlChars(value);
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
}

/** Whitespace other than the space as character references, so attribute normalisation keeps it. */
export function escapeAttribute(value: string): string {
  assertXmlChars(value);
  return escapeText(value).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
}
