/**
 * What each kind of served participant receives, and so what it is registered for in the SMP (dpi.md §5,
 * "Routing"): a sender (avsender, corner 2's customer) receives the receipts of the three DPI processes; a
 * postbox provider the digital and flyttet letters; a print provider the utskrift letters.
 */
import { RECEIPT_TYPES, processForLetter, processesForMessageType, type DpiMessageType, type DpiProcessId, type LetterType } from "./document-types.js";

export const PARTICIPANT_ROLES = ["sender", "postbox", "print"] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export function isParticipantRole(value: string): value is ParticipantRole {
  return (PARTICIPANT_ROLES as readonly string[]).includes(value);
}

/** One SMP registration: a message type and the processes it travels on. */
export interface RoleRegistration {
  type: DpiMessageType;
  processes: readonly DpiProcessId[];
}

const POSTBOX_LETTERS: readonly LetterType[] = ["digital", "flyttet"];
const PRINT_LETTERS: readonly LetterType[] = ["utskrift"];

export function registrationsOfRole(role: ParticipantRole): RoleRegistration[] {
  switch (role) {
    case "sender":
      return RECEIPT_TYPES.map((type) => ({ type, processes: processesForMessageType(type) }));
    case "postbox":
      return POSTBOX_LETTERS.map((type) => ({ type, processes: [processForLetter(type)] }));
    case "print":
      return PRINT_LETTERS.map((type) => ({ type, processes: [processForLetter(type)] }));
  }
}

/** Whether a participant with this role receives letters (and so is a letter recipient). */
export function receivesLetters(role: ParticipantRole): boolean {
  return role !== "sender";
}
