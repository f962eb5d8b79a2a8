import type { ReceiptType } from "./document-types.js";

/**
 * The statuses of DPI messages at this access point, and how corner 1 sees them.
 *
 * A sent message's own history holds OUTGOING_STATUSES, and the statuses of the receipts that answered it
 * (RECEIPT_STATUSES, registered when each receipt is stored: receipt-status.ts). Digdir's corner-2 contract
 * knows only OPPRETTET, SENDT and FEILET, so GET /messages/out/{id}/statuses shows the history through
 * contractStatuses(): LEVETID_UTLOPT there is FEILET with a beskrivelse saying the letter expired. The
 * conversation timeline (GET /status/{conversationId}) shows the OUTGOING_STATUSES as stored, LEVETID_UTLOPT
 * included, and each receipt once, as its own event (below), not again as the letter's status.
 *
 * Receipts are messages of their own; on the timeline each stands for the status Digdir's integrasjonspunkt
 * maps its type to (post-til-private MessageStatusMapper, dpi.md §1.2), so a business system sees what it
 * would see through the integrasjonspunkt. The receipt's documentType stays on the event, so nothing is lost
 * where two types share a status (mottakskvittering and leveringskvittering are both LEVERT).
 */

/** OPPRETTET, SENDT, FEILET: Digdir's; LEVETID_UTLOPT (eFormidling's name): no receipt arrived before the letter's expectedResponseDateTime. */
export const OUTGOING_STATUSES = ["OPPRETTET", "SENDT", "FEILET", "LEVETID_UTLOPT"] as const;
export type OutgoingStatus = (typeof OUTGOING_STATUSES)[number];

/** The statuses of Digdir's corner-2 OpenAPI (`status.enum`). */
export const CONTRACT_STATUSES = ["OPPRETTET", "SENDT", "FEILET"] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** An incoming message's own status at this access point. */
export const INCOMING_STATUS = "MOTTATT";

const RECEIPT_STATUS: Readonly<Record<ReceiptType, string>> = {
  leveringskvittering: "LEVERT",
  aapningskvittering: "LEST",
  varslingfeiletkvittering: "FEIL",
  mottakskvittering: "LEVERT",
  returpostkvittering: "FEIL",
  feil: "FEIL",
};

/** The timeline status a receipt type stands for; undefined for letters. */
export function statusOfReceipt(documentType: string): string | undefined {
  return Object.hasOwn(RECEIPT_STATUS, documentType) ? RECEIPT_STATUS[documentType as ReceiptType] : undefined;
}

/** The statuses receipts stand for: LEVERT, LEST, FEIL. A sent message gets them only from a receipt. */
export const RECEIPT_STATUSES: readonly string[] = [...new Set(Object.values(RECEIPT_STATUS))];

/** Whether a sent message's status came from a receipt (which the timeline shows as the receipt itself). */
export function isReceiptStatus(status: string): boolean {
  return RECEIPT_STATUSES.includes(status);
}

export interface StoredStatus {
  status: string;
  description: string | null;
  timestamp: Date;
}

/** One entry of Digdir's `statuses` array. */
export interface ContractStatusEntry {
  status: ContractStatus;
  beskrivelse?: string;
  timestamp: string;
}

/** A sent message's history as Digdir's contract shows it: only its three statuses, expiry as FEILET. */
export function contractStatuses(history: readonly StoredStatus[]): ContractStatusEntry[] {
  const shown: ContractStatusEntry[] = [];
  for (const s of history) {
    const entry = contractStatus(s);
    if (entry) shown.push({ status: entry.status, ...(entry.beskrivelse ? { beskrivelse: entry.beskrivelse } : {}), timestamp: s.timestamp.toISOString() });
  }
  return shown;
}

function contractStatus(s: StoredStatus): { status: ContractStatus; beskrivelse: string | null } | undefined {
  if ((CONTRACT_STATUSES as readonly string[]).includes(s.status)) return { status: s.status as ContractStatus, beskrivelse: s.description };
  if (s.status === "LEVETID_UTLOPT") {
    return { status: "FEILET", beskrivelse: `LEVETID_UTLOPT: the letter expired, ${s.description ?? "no receipt arrived in time"}` };
  }
  return undefined;
}
