import { fastParseXml } from "./fast-parse.js";
import { XmlForbiddenError, XmlMalformedError, type XmlForbiddenConstruct } from "./xml-errors.js";

export { XmlForbiddenError, XmlMalformedError, XmlParseError, type XmlForbiddenConstruct } from "./xml-errors.js";

/**
 * Parsing of untrusted XML. Inbound SOAP never needs a DTD, entities or processing instructions, and each is
 * an attack surface: entity expansion, and xml-crypto canonicalising a processing instruction as bare text
 * (a known signature bypass). So any of them anywhere rejects the document, as does anything malformed.
 */

export interface ParseXmlOptions {
  /** Reject documents longer than this many characters (after decoding). Default 10 MiB: SOAP headers are small. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 10 * 1024 * 1024;

// Cheap lexical refusals first, so an entity bomb never reaches the parser. They may also match inside a
// comment or CDATA section; no legitimate AS4 header carries these strings, so that is accepted. In this order
// of precedence, wherever each occurs; letters in any case (ASCII only, as a regular expression's `i` flag).
const LEXICAL_REFUSALS: ReadonlyArray<[keyword: string, construct: XmlForbiddenConstruct]> = [
  ["DOCTYPE", "doctype"],
  ["ENTITY", "entity"],
  ["NOTATION", "notation"],
];

/**
 * The construct of the first of {@link LEXICAL_REFUSALS} that `<!` + its keyword starts anywhere in `text`, or
 * undefined. One pass over the `<!`s (an envelope has few) instead of a case-insensitive regular expression
 * scan of the whole text per keyword, which was a visible share of parsing an envelope.
 */
function lexicallyForbidden(text: string): XmlForbiddenConstruct | undefined {
  let found = LEXICAL_REFUSALS.length;
  for (let at = text.indexOf("<!"); at >= 0 && found > 0; at = text.indexOf("<!", at + 2)) {
    for (let i = 0; i < found; i++) {
      if (startsWithAsciiCaseless(text, at + 2, LEXICAL_REFUSALS[i]![0])) found = i;
    }
  }
  return LEXICAL_REFUSALS[found]?.[1];
}

/** Whether `text` at `at` holds `upper` (ASCII capital letters) in any case. */
function startsWithAsciiCaseless(text: string, at: number, upper: string): boolean {
  if (at + upper.length > text.length) return false;
  for (let i = 0; i < upper.length; i++) {
    const c = text.charCodeAt(at + i);
    // Only a-z differ from A-Z by 0x20; any other code unit must match exactly.
    if (c !== upper.charCodeAt(i) && !(c >= 0x61 && c <= 0x7a && c - 0x20 === upper.charCodeAt(i))) return false;
  }
  return true;
}

/** Parse untrusted XML into a DOM, or throw an {@link XmlParseError}. */
export function parseXml(input: string | Uint8Array, options: ParseXmlOptions = {}): Document {
  const text = decodeXml(input);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) throw new XmlMalformedError(`XML is longer than ${maxLength} characters`);
  if (text.trim() === "") throw new XmlMalformedError("XML is empty");
  const construct = lexicallyForbidden(text);
  if (construct !== undefined) throw new XmlForbiddenError(construct, `XML must not contain a ${construct} declaration`);

  return fastParseXml(text);
}

/** The text of an XML document given as a string or UTF-8 bytes, without a byte order mark. */
export function decodeXml(input: string | Uint8Array): string {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      // ignoreBOM keeps a byte order mark in the text, so that exactly one is skipped below, as for a string.
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
    } catch (e) {
      throw new XmlMalformedError("XML is not valid UTF-8", { cause: e });
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
