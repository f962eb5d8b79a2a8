import { xmlAttr, xmlElement, type XmlElement } from "../xml/xml-text.js";
import { buildEnvelopeTree, type EnvelopeTree } from "./envelope-text.js";
import { newEnvelopeIds, type EnvelopeIds } from "./envelope.js";
import { NS, PEPPOL } from "./namespaces.js";
import { checkSendable, type PartInfo, type UserMessage } from "./user-message.js";

/**
 * user-message.ts appendUserMessage's eb:UserMessage as a plain element tree (src/xml/xml-text.ts), for the
 * envelope a sender signs without a DOM (outbound.ts). Same elements, attributes and order: the differential test
 * (test/as4/envelope-text.test.ts) holds the two to the same bytes.
 */
export function userMessageElement(um: UserMessage): XmlElement {
  checkSendable(um);
  const eb = (name: string, children: (XmlElement | string)[] = [], attrs: [string, string][] = []): XmlElement =>
    xmlElement(
      name,
      NS.eb,
      attrs.map(([n, v]) => xmlAttr(n, v)),
      children,
    );
  const party = (tag: string, partyId: string, role: string): XmlElement =>
    eb(tag, [eb("eb:PartyId", [partyId], [["type", PEPPOL.partyIdType]]), eb("eb:Role", [role])]);

  const children: XmlElement[] = [
    eb("eb:MessageInfo", [eb("eb:Timestamp", [um.timestamp.toISOString()]), eb("eb:MessageId", [um.messageId])]),
    eb("eb:PartyInfo", [party("eb:From", um.fromPartyId, PEPPOL.initiatorRole), party("eb:To", um.toPartyId, PEPPOL.responderRole)]),
    eb("eb:CollaborationInfo", [
      eb("eb:AgreementRef", [PEPPOL.agreementRef]),
      eb("eb:Service", [um.service.value], um.service.type !== undefined ? [["type", um.service.type]] : []),
      eb("eb:Action", [um.action]),
      eb("eb:ConversationId", [um.conversationId]),
    ]),
    eb("eb:MessageProperties", [
      eb("eb:Property", [um.originalSender.value], [["name", "originalSender"], ["type", um.originalSender.type]]),
      eb("eb:Property", [um.finalRecipient.value], [["name", "finalRecipient"], ["type", um.finalRecipient.type]]),
    ]),
  ];
  if (um.parts.length > 0) {
    children.push(
      eb(
        "eb:PayloadInfo",
        um.parts.map((part) =>
          eb("eb:PartInfo", [eb("eb:PartProperties", partProperties(part).map(([name, value]) => eb("eb:Property", [value], [["name", name]])))], [["href", part.href]]),
        ),
      ),
    );
  }
  return eb("eb:UserMessage", children);
}

/** user-message.ts buildUserMessageDocument as a tree, to sign with wss-sign.ts signEnvelopeTree. */
export function buildUserMessageTree(um: UserMessage, ids: EnvelopeIds = newEnvelopeIds()): EnvelopeTree {
  return buildEnvelopeTree(ids, () => userMessageElement(um));
}

function partProperties(part: PartInfo): [string, string][] {
  const out: [string, string][] = [["MimeType", part.mimeType]];
  if (part.characterSet !== undefined) out.push(["CharacterSet", part.characterSet]);
  if (part.compressionType !== undefined) out.push(["CompressionType", part.compressionType]);
  return out;
}
