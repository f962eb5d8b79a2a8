import { randomUUID } from "node:crypto";
import { xmlAttr, xmlElement, xmlns, type XmlElement } from "../xml/xml-text.js";
import { NS } from "./namespaces.js";

/**
 * Builds the SOAP 1.2 envelope every AS4 message we send shares:
 * `S12:Envelope/S12:Header/{wsse:Security S12:mustUnderstand="true", eb:Messaging S12:mustUnderstand="true"
 * wsu:Id}/S12:Body wsu:Id` with an empty Body (payloads travel as MIME attachments). The signer fills
 * wsse:Security later.
 *
 * It is a plain element tree (src/xml/xml-text.ts), not an xmldom document: the signer (wss-sign.ts
 * signEnvelopeTree) canonicalises its parts from the tree and it is serialised once, as xmldom would write it
 * (test/as4/envelope-text.test.ts holds it to the bytes the DOM builders it replaced wrote).
 */

export interface EnvelopeIds {
  /** wsu:Id of eb:Messaging (an NCName). */
  messagingId: string;
  /** wsu:Id of S12:Body (an NCName). */
  bodyId: string;
}

/** Fresh ids; an NCName must not start with a digit, hence the prefixes. */
export function newEnvelopeIds(uuid: () => string = randomUUID): EnvelopeIds {
  return { messagingId: `msg-${uuid()}`, bodyId: `body-${uuid()}` };
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

export interface EnvelopeTree {
  envelope: XmlElement;
  header: XmlElement;
  /** Empty until signed; the signer and the encryption header fill it. */
  security: XmlElement;
  messaging: XmlElement;
  body: XmlElement;
}

/** The envelope with `content()` (an eb:UserMessage or eb:SignalMessage) in eb:Messaging; the ids are checked first. */
export function buildEnvelopeTree(ids: EnvelopeIds, content: () => XmlElement): EnvelopeTree {
  for (const id of [ids.messagingId, ids.bodyId]) {
    if (!NCNAME.test(id)) throw new Error(`wsu:Id must be an NCName: ${JSON.stringify(id)}`);
  }
  if (ids.messagingId === ids.bodyId) throw new Error("eb:Messaging and S12:Body need different ids");

  const security = xmlElement("wsse:Security", NS.wsse, [xmlns("wsse", NS.wsse), xmlns("wsu", NS.wsu), xmlAttr("S12:mustUnderstand", "true", NS.S12)]);
  const messaging = xmlElement(
    "eb:Messaging",
    NS.eb,
    [xmlns("eb", NS.eb), xmlns("wsu", NS.wsu), xmlAttr("S12:mustUnderstand", "true", NS.S12), xmlAttr("wsu:Id", ids.messagingId, NS.wsu)],
    [content()],
  );
  const header = xmlElement("S12:Header", NS.S12, [], [security, messaging]);
  const body = xmlElement("S12:Body", NS.S12, [xmlns("wsu", NS.wsu), xmlAttr("wsu:Id", ids.bodyId, NS.wsu)]);
  const envelope = xmlElement("S12:Envelope", NS.S12, [xmlns("S12", NS.S12)], [header, body]);
  return { envelope, header, security, messaging, body };
}
