import { DomainError } from "../../errors.js";

/**
 * What /api/messages/in refuses, with the integrasjonspunkt's statuses (NextMoveMessageInService), besides an
 * unknown message (errors.ts MessageNotFoundError, 404): pop or delete of one nobody has locked by a peek 400
 * (MessageNotLockedException), a package that cannot be read 404 (FileNotFoundException "asic.zip", after the
 * message was removed with FEIL). problem-map.ts keeps those statuses.
 */

/** Pop or delete of a message that is not locked (no peek took it, or its lock ran out). */
export class InMessageNotLockedError extends DomainError {
  readonly code = "nextmove-message-not-locked";
  readonly kind = "conflict";
  constructor(readonly messageId: string) {
    super(`message ${messageId} is not locked: peek it first`);
  }
}

/** The message's asic.zip could not be read or decrypted; it was removed from the inbox with FEIL. */
export class InMessagePackageUnreadableError extends DomainError {
  readonly code = "nextmove-package-unreadable";
  readonly kind = "not-found";
  constructor(readonly messageId: string) {
    super(`asic.zip of message ${messageId} cannot be read; the message was removed`);
  }
}
