/**
 * Statuses corner 1 sees. Our own (OPPRETTET, SENDT, FEILET) follow Digdir's OpenAPI; receipts that arrive
 * in a conversation are shown on the timeline under the status they imply, as Digdir's integrasjonspunkt maps them.
 */

/** LEVETID_UTLOPT (eFormidling's name): no receipt arrived before the letter's expectedResponseDateTime. */
export const OUTGOING_STATUSES = ["OPPRETTET", "SENDT", "FEILET", "LEVETID_UTLOPT"] as const;
export type OutgoingStatus = (typeof OUTGOING_STATUSES)[number];

/** An incoming message's own status at this access point. */
export const INCOMING_STATUS = "MOTTATT";

const RECEIPT_STATUS: Record<string, string> = {
  leveringskvittering: "LEVERT",
  aapningskvittering: "LEST",
  mottakskvittering: "MOTTATT",
  varslingfeiletkvittering: "VARSLING_FEILET",
  returpostkvittering: "RETURPOST",
  feil: "FEIL",
};

/** The timeline status a receipt type stands for; undefined for letters. */
export function statusOfReceipt(documentType: string): string | undefined {
  return RECEIPT_STATUS[documentType];
}
