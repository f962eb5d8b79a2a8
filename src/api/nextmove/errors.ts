import { DomainError } from "../../errors.js";

/** HTTP Basic credentials that match no configured NextMove user (or are not user:password at all). */
export class BasicCredentialsInvalidError extends DomainError {
  readonly code = "nextmove-credentials-invalid";
  readonly kind = "unauthenticated";
}

/** The caller may not act for the organisation the message or query names. */
export class OrganisationNotAllowedError extends DomainError {
  readonly code = "nextmove-organisation-forbidden";
  readonly kind = "forbidden";
  constructor(readonly orgno: string, caller: string) {
    super(`${caller} may not act for organisation ${orgno}`);
  }
}
