/**
 * The status message an integrasjonspunkt sends back about a message it received (spec/eformidling.md §7.3;
 * [EC] SBDFactory.createStatusFrom): sender and receiver swapped, the same messageId and conversationId, type
 * `status` on the conversation's response process, body `{"status": "<MOTTATT|LEVERT>"}`, and the original's
 * MessageChannel scope when it had one.
 */
import { messageTypeOfSbd, parseSbd, PROCESSES, toSbdJson, type StandardBusinessDocument } from "../../sbd/index.js";

export const STATUS_STANDARD = "urn:no:difi:eformidling:xsd::status";
/** What a receiver reports back: it took the message, its archive system did, or (FEIL) it could not read it. */
export type ReplyStatus = "MOTTATT" | "LEVERT" | "FEIL";

/** The response process a status about `sbd` travels on. */
export function responseProcessOf(sbd: StandardBusinessDocument): string {
  const type = messageTypeOfSbd(sbd);
  if (type === "avtalt") return PROCESSES.avtaltResponse;
  if (type === "innsynskrav" || type === "publisering" || type === "einnsyn_kvittering") return PROCESSES.einnsynResponse;
  return PROCESSES.arkivmeldingResponse;
}

export function statusMessageFor(original: StandardBusinessDocument, status: ReplyStatus, now: Date): StandardBusinessDocument {
  const json = JSON.parse(JSON.stringify(toSbdJson(original))) as { standardBusinessDocumentHeader: Record<string, unknown> };
  const h = json.standardBusinessDocumentHeader as {
    sender?: unknown;
    receiver?: unknown;
    documentIdentification?: Record<string, unknown>;
    businessScope?: { scope?: { type?: string; identifier?: string }[] };
  };
  const scopes = (h.businessScope?.scope ?? []).filter((s) => s.type === "ConversationId" || s.type === "MessageChannel");
  for (const s of scopes) if (s.type === "ConversationId") s.identifier = responseProcessOf(original);
  const header = {
    ...h,
    sender: h.receiver,
    receiver: h.sender,
    documentIdentification: { ...h.documentIdentification, standard: STATUS_STANDARD, type: "status", typeVersion: "2.0", creationDateAndTime: now.toISOString() },
    businessScope: { scope: scopes },
  };
  return parseSbd({ standardBusinessDocumentHeader: header, status: { status } });
}

/**
 * The error receipt for an arkivmelding whose package cannot be read here (the seed's "error appreceipt"; Digdir's
 * roadmap issue 68): an arkivmelding_kvittering of its own id, receiptType ERROR, naming the message it answers,
 * which the sender's integrasjonspunkt turns into FEIL ([IP] AltinnNextMoveMessageHandler).
 */
export function errorReceiptFor(original: StandardBusinessDocument, o: { messageId: string; reason: string; now: Date; code?: string }): StandardBusinessDocument {
  const status = statusMessageFor(original, "LEVERT", o.now);
  const json = JSON.parse(JSON.stringify(toSbdJson(status))) as { standardBusinessDocumentHeader: { documentIdentification: Record<string, unknown> } };
  const h = json.standardBusinessDocumentHeader;
  h.documentIdentification = {
    ...h.documentIdentification,
    standard: "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering",
    type: "arkivmelding_kvittering",
    instanceIdentifier: o.messageId,
  };
  return parseSbd({
    standardBusinessDocumentHeader: h,
    arkivmelding_kvittering: { receiptType: "ERROR", relatedToMessageId: messageIdOf(original), messages: [{ code: o.code ?? "ASIC_UNREADABLE", text: o.reason.slice(0, 1000) }] },
  });
}

function messageIdOf(sbd: StandardBusinessDocument): string | undefined {
  return sbd.header.documentIdentification?.instanceIdentifier ?? undefined;
}
