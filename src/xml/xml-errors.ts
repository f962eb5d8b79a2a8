/** The errors of parsing untrusted XML, shared by the parser and its front door {@link ./safe-parse.ts}. */

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
