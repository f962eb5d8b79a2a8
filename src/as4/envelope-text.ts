import { xmlAttr, xmlElement, xmlns, type XmlElement } from "../xml/xml-text.js";
import { checkEnvelopeIds, type EnvelopeIds } from "./envelope.js";
import { NS } from "./namespaces.js";

/**
 * envelope.ts's SOAP 1.2 envelope as a plain element tree (src/xml/xml-text.ts) instead of an xmldom document:
 * the same elements, attributes and declarations in the same order, so its serialisation is the DOM path's
 * text byte for byte. The signer (wss-sign.ts signEnvelopeTree) canonicalises its parts from the tree.
 */
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
  checkEnvelopeIds(ids);
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
