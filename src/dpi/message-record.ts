import type { StoredBlob } from "../store/blob-store.js";
import type { Direction } from "../store/conversations-repo.js";
import type { NewDpiMessage } from "../store/dpi-messages-repo.js";
import type { Forretningsmelding } from "./sbd.js";

/**
 * The row a forretningsmelding becomes, whichever way it travels: identifiers and parties come from the
 * signed document itself; the caller adds what only it knows (kanal, filing overrides, queueing).
 */
export function messageRecord(
  m: Forretningsmelding,
  o: { direction: Direction; jws: string; dokumentpakke?: StoredBlob | undefined } & Partial<Pick<NewDpiMessage, "kanal" | "avsenderidentifikator" | "enqueue" | "revocation">>,
): NewDpiMessage {
  return {
    messageId: m.messageId,
    direction: o.direction,
    conversationId: m.conversationId,
    documentType: m.type,
    process: m.processId,
    standard: m.document.header.documentIdentification.standard,
    senderIdentifier: m.sender.value,
    receiverIdentifier: m.receiver.value,
    avsenderOrg: m.avsender.value,
    databehandlerOrg: m.databehandler?.value,
    avsenderidentifikator: o.avsenderidentifikator ?? m.avsenderidentifikator,
    mottakerOrg: m.mottaker?.value,
    kanal: o.kanal,
    forretningsmelding: o.jws,
    payload: o.dokumentpakke ? { key: o.dokumentpakke.key, size: o.dokumentpakke.size, sha256Hex: o.dokumentpakke.sha256.toString("hex") } : undefined,
    expiry: m.expectedResponseDateTime ? new Date(m.expectedResponseDateTime) : undefined,
    ...(o.enqueue ? { enqueue: true } : {}),
    ...(o.revocation?.length ? { revocation: o.revocation } : {}),
  };
}
