import { isDpiProcessId, isLetterType, processAllowsMessageType, type DpiMessageType } from "./document-types.js";
import { sameParticipant } from "../peppol/identifiers.js";
import type { Forretningsmelding, StandardBusinessDocument } from "./sbd.js";
import { statusOfReceipt } from "./status-model.js";

/**
 * What a receipt that arrived at corner 2 registers on the outgoing letter it answers: the status its type
 * stands for (status-model.ts), a description naming the receipt, the signed receipt itself as the status's
 * raw receipt, and the receipt's own time (its body's `tidspunkt`, as Digdir's integrasjonspunkt dates it,
 * JsonDpiReceiptMapper), not the time it happened to reach us.
 */
export interface ReceiptStatus {
  status: string;
  description: string;
  /** The receipt's forretningsmelding (compact JWS), the evidence for the status. */
  rawReceipt: string;
  at: Date;
}

/** The parts of a stored outgoing conversation that say whether a receipt answers it. */
export interface LetterParties {
  documentType: string;
  process: string;
  senderIdentifier: string;
  receiverIdentifier: string;
}

/**
 * The status a receipt registers on its letter; undefined for a letter. `arrivedAt` dates it only when the
 * receipt's own time is one JavaScript cannot read (RFC 3339 allows a few, e.g. a leap second).
 */
export function receiptStatus(receipt: Forretningsmelding, jws: string, arrivedAt: Date): ReceiptStatus | undefined {
  const status = statusOfReceipt(receipt.type);
  const said = whatItSays(receipt.document);
  if (!status || !said) return undefined;
  const named = `${receipt.type} ${receipt.messageId}`;
  const at = new Date(said.tidspunkt);
  return { status, description: said.details ? `${named}: ${said.details}` : named, rawReceipt: jws, at: Number.isNaN(at.getTime()) ? arrivedAt : at };
}

/**
 * Whether `receipt` answers `letter`: a letter, sent to the receipt's sender by the receipt's receiver, on a
 * process that has the receipt's type. The same relation the AS4 edge checks before it takes a receipt.
 */
export function answersLetter(receipt: Forretningsmelding, letter: LetterParties): boolean {
  return (
    isLetterType(letter.documentType as DpiMessageType) &&
    isDpiProcessId(letter.process) &&
    processAllowsMessageType(letter.process, receipt.type) &&
    sameParticipant(receipt.sender.value, letter.receiverIdentifier) &&
    sameParticipant(receipt.receiver.value, letter.senderIdentifier)
  );
}

/** The receipt's time, and what it says went wrong where it says so; undefined for a letter. */
function whatItSays(d: StandardBusinessDocument): { tidspunkt: string; details?: string | undefined } | undefined {
  switch (d.type) {
    case "feil":
      return { tidspunkt: d.body.tidspunkt, details: [d.body.feiltype, d.body.detaljer].filter(Boolean).join(": ") };
    case "varslingfeiletkvittering":
      return { tidspunkt: d.body.tidspunkt, details: [d.body.varslingskanal, d.body.beskrivelse].filter(Boolean).join(": ") };
    case "leveringskvittering":
    case "aapningskvittering":
    case "mottakskvittering":
    case "returpostkvittering":
      return { tidspunkt: d.body.tidspunkt };
    default:
      return undefined;
  }
}
