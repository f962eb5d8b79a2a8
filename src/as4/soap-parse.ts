import { childElements, elementChildren, isNamed } from "../xml/dom.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { EbmsError } from "./ebms-errors.js";
import { NS } from "./namespaces.js";

/**
 * The SOAP 1.2 skeleton of an AS4 message: Envelope/Header/{wsse:Security?, eb:Messaging}/Body. Only the
 * skeleton is checked here; the ebMS content is read by user-message.ts and signal-message.ts.
 */
export interface SoapEnvelope {
  readonly document: Document;
  readonly envelope: Element;
  readonly header: Element;
  readonly body: Element;
  /** The single eb:Messaging header block. */
  readonly messaging: Element;
  /** The wsse:Security header block, when present. */
  readonly security: Element | undefined;
}

export type MessagingKind = "UserMessage" | "SignalMessage";

/** Parse untrusted SOAP XML (safely) and locate its parts, or throw EbmsError EBMS:0009. */
export function parseSoapEnvelope(xml: string | Uint8Array): SoapEnvelope {
  let document: Document;
  try {
    document = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlParseError) throw new EbmsError("EBMS:0009", e.message, { cause: e });
    throw e;
  }
  return locateSoapParts(document);
}

/** Locate the SOAP parts of an already parsed document, or throw EbmsError EBMS:0009. */
export function locateSoapParts(document: Document): SoapEnvelope {
  const envelope = document.documentElement;
  if (!envelope || !isNamed(envelope, NS.S12, "Envelope")) {
    const found = envelope ? `{${envelope.namespaceURI ?? ""}}${envelope.localName}` : "nothing";
    throw new EbmsError("EBMS:0009", `root element must be a SOAP 1.2 Envelope, found ${found}`);
  }
  const children = elementChildren(envelope);
  const header = children[0];
  const body = children[1];
  if (children.length !== 2 || !header || !body || !isNamed(header, NS.S12, "Header") || !isNamed(body, NS.S12, "Body")) {
    throw new EbmsError("EBMS:0009", "SOAP Envelope must contain exactly a Header followed by a Body");
  }
  const messagings = childElements(header, NS.eb, "Messaging");
  if (messagings.length !== 1) {
    throw new EbmsError("EBMS:0009", `SOAP Header must contain exactly one eb:Messaging, found ${messagings.length}`);
  }
  const securities = childElements(header, NS.wsse, "Security");
  if (securities.length > 1) {
    // WS-Security allows one block per actor; AS4 uses only the default actor.
    throw new EbmsError("EBMS:0009", `SOAP Header must contain at most one wsse:Security, found ${securities.length}`);
  }
  return { document, envelope, header, body, messaging: messagings[0]!, security: securities[0] };
}

/** Whether eb:Messaging carries one UserMessage or signals; AS4 does not bundle the two. */
export function messagingKind(messaging: Element): MessagingKind {
  const users = childElements(messaging, NS.eb, "UserMessage").length;
  const signals = childElements(messaging, NS.eb, "SignalMessage").length;
  if (users > 0 && signals > 0) {
    throw new EbmsError("EBMS:0009", "eb:Messaging must not combine UserMessage and SignalMessage");
  }
  if (users > 1) throw new EbmsError("EBMS:0009", `eb:Messaging must contain one UserMessage, found ${users}`);
  if (users === 1) return "UserMessage";
  if (signals > 0) return "SignalMessage";
  throw new EbmsError("EBMS:0009", "eb:Messaging contains neither a UserMessage nor a SignalMessage");
}
