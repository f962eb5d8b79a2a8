/**
 * Failures of onboarding a served participant (README, "Served participants"), one class per kind with a
 * stable code; the REST edge answers them as problem+json (src/api/problem-map.ts), the CLI prints the code.
 */
import { DomainError } from "../errors.js";

/** The participant is not an organisation number, or the role is not one of sender, postbox, print. */
export class ParticipantInvalidError extends DomainError {
  readonly code = "participant-invalid";
  readonly kind = "invalid";
}

/** Removing a participant (or a role of it) that is not served here. */
export class ParticipantNotFoundError extends DomainError {
  readonly code = "participant-not-found";
  readonly kind = "not-found";
}

/**
 * The SMP's management API refused or could not be reached. Onboarding left nothing half-registered: the
 * participant is not served (its SMP entries were rolled back, or it waits as "pending" to be retried).
 */
export class ParticipantSmpError extends DomainError {
  readonly code = "participant-smp-failed";
  readonly kind: "upstream" | "unavailable";
  constructor(detail: string, transient: boolean, options?: { cause?: unknown }) {
    super(detail, options);
    this.kind = transient ? "unavailable" : "upstream";
  }
}
