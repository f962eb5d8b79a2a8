import { randomUUID } from "node:crypto";
import { appendElement, asReceiverWillParse, declareNamespace, newDocument, serialize } from "../xml/dom.js";
import { NS } from "./namespaces.js";

/**
 * Builds the SOAP 1.2 envelope every AS4 message we send shares:
 * `S12:Envelope/S12:Header/{wsse:Security S12:mustUnderstand="true", eb:Messaging S12:mustUnderstand="true"
 * wsu:Id}/S12:Body wsu:Id` with an empty Body (payloads travel as MIME attachments). The signer fills
 * wsse:Security later.
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

/** Throws unless both ids are NCNames and differ (envelope-text.ts builds the same envelope without a DOM). */
export function checkEnvelopeIds(ids: EnvelopeIds): void {
  for (const id of [ids.messagingId, ids.bodyId]) {
    if (!NCNAME.test(id)) throw new Error(`wsu:Id must be an NCName: ${JSON.stringify(id)}`);
  }
  if (ids.messagingId === ids.bodyId) throw new Error("eb:Messaging and S12:Body need different ids");
}

/**
 * Build an envelope and let `fill` add the ebMS content (UserMessage or SignalMessage) to eb:Messaging.
 * Returns the serialised XML (no XML declaration).
 */
export function buildEnvelope(ids: EnvelopeIds, fill: (messaging: Element) => void): string {
  return serialize(buildEnvelopeDocument(ids, fill));
}

/**
 * {@link buildEnvelope} as a document, for a sender that signs it in place (wss-sign.ts signEnvelopeDocument)
 * instead of serialising and parsing it again. The tree is made to read as the receiver's parse of its
 * serialisation will (see {@link asReceiverWillParse}), so what is signed is what arrives.
 */
export function buildEnvelopeDocument(ids: EnvelopeIds, fill: (messaging: Element) => void): Document {
  checkEnvelopeIds(ids);
  const doc = newDocument();
  const envelope = doc.createElementNS(NS.S12, "S12:Envelope");
  declareNamespace(envelope, "S12", NS.S12);
  doc.appendChild(envelope);

  const header = appendElement(envelope, NS.S12, "S12:Header");

  const security = appendElement(header, NS.wsse, "wsse:Security");
  declareNamespace(security, "wsse", NS.wsse);
  declareNamespace(security, "wsu", NS.wsu);
  security.setAttributeNS(NS.S12, "S12:mustUnderstand", "true");

  const messaging = appendElement(header, NS.eb, "eb:Messaging");
  declareNamespace(messaging, "eb", NS.eb);
  declareNamespace(messaging, "wsu", NS.wsu);
  messaging.setAttributeNS(NS.S12, "S12:mustUnderstand", "true");
  messaging.setAttributeNS(NS.wsu, "wsu:Id", ids.messagingId);
  fill(messaging);

  const body = appendElement(envelope, NS.S12, "S12:Body");
  declareNamespace(body, "wsu", NS.wsu);
  body.setAttributeNS(NS.wsu, "wsu:Id", ids.bodyId);

  asReceiverWillParse(envelope);
  return doc;
}
