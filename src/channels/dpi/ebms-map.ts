import { EbmsError, type EbmsErrorCode, type EbmsErrorOptions } from "../../as4/ebms-errors.js";
import type { DomainError, ErrorKind } from "../../errors.js";

/**
 * The AS4 edge's one table: which ebMS error a domain error is answered with when it stops an inbound
 * message. The kind decides: what the sender got wrong is EBMS:0004 (Other, with the domain code in the
 * detail), a credential that cannot be trusted is EBMS:0101 (FailedAuthentication), and a transient failure
 * on our side or a third party's is EBMS:0202 (DeliveryFailure), which the sender retries. PEPPOL:NOT_SERVICED
 * is not a domain error: the inbound handler answers it itself (EbmsError.notServiced).
 */

export const EBMS_BY_KIND: Readonly<Record<ErrorKind, EbmsErrorCode>> = {
  invalid: "EBMS:0004",
  unauthenticated: "EBMS:0101",
  forbidden: "EBMS:0004",
  "not-found": "EBMS:0004",
  conflict: "EBMS:0004",
  unsupported: "EBMS:0004",
  upstream: "EBMS:0004",
  unavailable: "EBMS:0202",
};

export function ebmsCodeOf(err: DomainError): EbmsErrorCode {
  return EBMS_BY_KIND[err.kind];
}

/** The ebMS error for a domain error; `detail` is the eb:ErrorDetail the caller words for its context. */
export function ebmsErrorOf(err: DomainError, detail: string, options: Omit<EbmsErrorOptions, "cause"> = {}): EbmsError {
  return new EbmsError(ebmsCodeOf(err), detail, { ...options, cause: err });
}
