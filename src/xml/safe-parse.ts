import { DOMParser } from "@xmldom/xmldom";
import { NodeType } from "./dom.js";

/**
 * Parsing of untrusted XML. Inbound SOAP never needs a DTD, entities or processing instructions, and each is
 * an attack surface: entity expansion, and xml-crypto canonicalising a processing instruction as bare text
 * (a known signature bypass). So any of them anywhere rejects the document, as does anything malformed.
 */

export type XmlForbiddenConstruct = "doctype" | "entity" | "processing-instruction" | "notation";

export abstract class XmlParseError extends Error {
  abstract readonly code: string;
}

/** Not well-formed, not UTF-8, or empty. */
export class XmlMalformedError extends XmlParseError {
  readonly code = "XML_MALFORMED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "XmlMalformedError";
  }
}

/** Well-formed, but uses a construct we refuse on principle. */
export class XmlForbiddenError extends XmlParseError {
  readonly code = "XML_FORBIDDEN";
  constructor(readonly construct: XmlForbiddenConstruct, message: string) {
    super(message);
    this.name = "XmlForbiddenError";
  }
}

export interface ParseXmlOptions {
  /** Reject documents longer than this many characters (after decoding). Default 10 MiB: SOAP headers are small. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 10 * 1024 * 1024;

// Cheap lexical refusals first, so an entity bomb never reaches the parser. They may also match inside a
// comment or CDATA section; no legitimate AS4 header carries these strings, so that is accepted.
const LEXICAL_REFUSALS: ReadonlyArray<[RegExp, XmlForbiddenConstruct]> = [
  [/<!DOCTYPE/i, "doctype"],
  [/<!ENTITY/i, "entity"],
  [/<!NOTATION/i, "notation"],
];

/** Parse untrusted XML into a DOM, or throw an {@link XmlParseError}. */
export function parseXml(input: string | Uint8Array, options: ParseXmlOptions = {}): Document {
  const text = decodeXml(input);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) throw new XmlMalformedError(`XML is longer than ${maxLength} characters`);
  if (text.trim() === "") throw new XmlMalformedError("XML is empty");
  for (const [pattern, construct] of LEXICAL_REFUSALS) {
    if (pattern.test(text)) throw new XmlForbiddenError(construct, `XML must not contain a ${construct} declaration`);
  }

  const problems: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError(level, message) {
        // A replacement character only says the sender's encoding was odd; the text is still well-formed.
        if (level === "warning" && message.startsWith("Unicode replacement character")) return;
        problems.push(`${level}: ${message}`);
      },
    }).parseFromString(text, "text/xml") as unknown as Document;
  } catch (e) {
    throw new XmlMalformedError(`XML is not well-formed: ${firstLine(e)}`, { cause: e });
  }
  if (problems.length > 0) throw new XmlMalformedError(`XML is not well-formed: ${problems[0]}`);
  if (!doc.documentElement) throw new XmlMalformedError("XML has no root element");
  assertNoForbiddenNodes(doc);
  return doc;
}

/**
 * Walk the whole tree. xmldom reports the XML declaration as a processing instruction with target `xml`;
 * that one is allowed only as the very first node, where the XML grammar puts it.
 */
function assertNoForbiddenNodes(doc: Document): void {
  const stack: Node[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    switch (node.nodeType) {
      case NodeType.DOCUMENT_TYPE:
        throw new XmlForbiddenError("doctype", "XML must not contain a DOCTYPE");
      case NodeType.ENTITY:
      case NodeType.ENTITY_REFERENCE:
        throw new XmlForbiddenError("entity", "XML must not contain entities");
      case NodeType.NOTATION:
        throw new XmlForbiddenError("notation", "XML must not contain notations");
      case NodeType.PROCESSING_INSTRUCTION: {
        const isDeclaration = node.nodeName === "xml" && node.parentNode === doc && doc.firstChild === node;
        if (!isDeclaration) {
          throw new XmlForbiddenError("processing-instruction", `XML must not contain processing instructions (<?${node.nodeName} ...?>)`);
        }
        assertUtf8Declaration((node as ProcessingInstruction).data);
        break;
      }
    }
    for (let c = node.firstChild; c; c = c.nextSibling) stack.push(c);
  }
}

function assertUtf8Declaration(data: string): void {
  const m = /encoding\s*=\s*["']([^"']*)["']/.exec(data);
  if (m && !/^utf-?8$/i.test(m[1] ?? "")) {
    throw new XmlMalformedError(`XML declares encoding ${m[1]}; only UTF-8 is accepted`);
  }
}

/** The text of an XML document given as a string or UTF-8 bytes, without a byte order mark. */
export function decodeXml(input: string | Uint8Array): string {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch (e) {
      throw new XmlMalformedError("XML is not valid UTF-8", { cause: e });
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
