import type { DomainErrorCode, PkiErrorCode } from "../error-codes.js";
import { DomainError, type ErrorKind } from "../errors.js";
import { SmpHttpError } from "../peppol/smp-errors.js";
import { ProblemError } from "../problem.js";

/**
 * The REST edge's one table: how each domain error is answered as application/problem+json. The HTTP status
 * follows from the error's kind unless a row says otherwise; the title is the row's. PKI errors have no row:
 * the domains that check certificates wrap them in their own errors, so one that reaches the REST API
 * unwrapped is a fault of ours and answered as 500 internal-error.
 */

export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  unsupported: 422,
  upstream: 502,
  unavailable: 503,
};

/** Seconds a client is asked to wait before sending again when revocation status could not be established. */
export const REVOCATION_RETRY_AFTER_SECONDS = 60;

export interface ProblemRow {
  readonly title: string;
  /** Overrides the kind's status, for all errors of the code or by instance. */
  readonly status?: number | ((err: DomainError) => number);
  /** Response headers that belong to the failure, e.g. Retry-After on a 503 the client should retry. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type RestErrorCode = Exclude<DomainErrorCode, PkiErrorCode>;

export const PROBLEM_ROWS: Readonly<Record<RestErrorCode, ProblemRow>> = {
  // DPI: the forretningsmelding (SBD JSON) and the dokumentpakke
  "sbd-invalid": { title: "Invalid standard business document" },
  "unknown-document-type": { title: "Unknown DPI document type" },
  "standard-type-mismatch": { title: "Document standard does not match the document type" },
  "body-key-mismatch": { title: "Body does not match the document type" },
  "multiple-bodies": { title: "More than one body" },
  "conversation-id-missing": { title: "No single conversation id" },
  "process-mismatch": { title: "Process does not fit the document type" },
  "dokumentpakke-not-cms": { title: "Dokumentpakke is not CMS EnvelopedData" },
  "unsupported-digest-method": { title: "Unsupported dokumentpakke digest method" },
  "fingerprint-mismatch": { title: "Dokumentpakke fingerprint mismatch" },
  "unsupported-cms-algorithm": { title: "Unsupported CMS algorithm" },
  "dokumentpakke-decrypt-failed": { title: "Dokumentpakke could not be decrypted" },
  // DPI: intake
  "signer-not-sender": { title: "Signer is not the sender" },
  "sender-not-served": { title: "Sender not served here" },
  "consumer-not-avsender": { title: "Token consumer is not the avsender" },
  "supplier-not-sender": { title: "Delegation does not match the sender" },
  "maskinportentoken-mismatch": { title: "maskinportentoken does not match" },
  "dokumentpakke-missing": { title: "dokumentpakke missing" },
  "dokumentpakke-unexpected": { title: "Unexpected dokumentpakke" },
  "conversation-unknown": { title: "Unknown conversation" },
  "receipt-mismatch": { title: "Receipt does not fit its letter" },
  "message-id-used": { title: "Message id already used" },
  // DPI: the signed forretningsmelding
  "forretningsmelding-malformed": { title: "Malformed forretningsmelding" },
  "forretningsmelding-algorithm": { title: "Signature algorithm not allowed" },
  "forretningsmelding-signature-invalid": { title: "Invalid forretningsmelding signature" },
  "signer-certificate-invalid": { title: "Signer certificate not accepted" },
  "signer-certificate-revoked": { title: "Signer certificate revoked" },
  "signer-certificate-key-usage": { title: "Signer certificate may not sign" },
  "signer-certificate-revocation-unavailable": {
    title: "Signer certificate revocation status unavailable",
    headers: { "Retry-After": String(REVOCATION_RETRY_AFTER_SECONDS) },
  },
  // Peppol: identifiers, DNS and SML
  "peppol-identifier-invalid": { title: "Invalid Peppol identifier" },
  "dns-name-not-found": { title: "DNS name not found" },
  "dns-lookup-failed": { title: "DNS lookup failed" },
  "peppol-participant-not-registered": { title: "Participant not registered in the SML" },
  "peppol-sml-no-smp-record": { title: "No SMP record in the SML" },
  "peppol-sml-bad-regexp": { title: "Unusable NAPTR regexp in the SML" },
  "peppol-sml-bad-smp-url": { title: "Unusable SMP URL in the SML" },
  // Peppol: SBDH
  "sbdh-malformed": { title: "Malformed SBD XML" },
  "sbdh-structure": { title: "Invalid SBDH structure" },
  "sbdh-value": { title: "Invalid SBDH value" },
  "sbdh-scope": { title: "Invalid SBDH business scope" },
  "sbdh-payload": { title: "Invalid SBD payload" },
  "sbdh-too-large": { title: "SBD too large" },
  // Peppol: SMP
  "peppol-smp-participant-not-registered": { title: "Receiver is not registered in the SMP" },
  "peppol-smp-document-type-not-supported": { title: "Receiver does not accept this document type" },
  "peppol-smp-process-not-supported": { title: "Receiver does not accept this process" },
  "peppol-smp-no-as4-endpoint": { title: "Receiver has no endpoint for the transport profile" },
  "peppol-smp-endpoint-not-active": { title: "Receiver's endpoint is not active" },
  "peppol-smp-signature-missing": { title: "SMP response is not signed" },
  "peppol-smp-bad-signature": { title: "SMP response signature is invalid" },
  // A revocation outage makes it `unavailable`, but the SMP's answer is what could not be used: still 502.
  "peppol-smp-untrusted-certificate": { title: "SMP signing certificate is not trusted", status: 502 },
  "peppol-smp-identifier-mismatch": { title: "SMP answered for another identifier" },
  "peppol-smp-redirect-refused": { title: "SMP redirected more than once" },
  "peppol-smp-redirect-certificate-mismatch": { title: "Redirect target is signed by an unexpected certificate" },
  "peppol-smp-malformed-response": { title: "SMP response cannot be read" },
  // A gateway's words whether or not trying again may help: the SMP timed out (504) or failed otherwise (502).
  "peppol-smp-http-failure": {
    title: "SMP could not be queried",
    status: (err) => (err instanceof SmpHttpError && err.failure === "timeout" ? 504 : 502),
  },
  // Maskinporten bearer tokens
  "token-missing": { title: "Bearer token missing" },
  "token-invalid": { title: "Bearer token invalid" },
  "token-expired": { title: "Bearer token expired" },
  "token-not-yet-valid": { title: "Bearer token not yet valid" },
  "token-signature-invalid": { title: "Bearer token signature invalid" },
  "token-algorithm-not-allowed": { title: "Bearer token algorithm not allowed" },
  "token-key-unknown": { title: "Bearer token signing key unknown" },
  "token-issuer-invalid": { title: "Bearer token issuer not accepted" },
  "token-audience-invalid": { title: "Bearer token audience not accepted" },
  "token-scope-missing": { title: "Bearer token lacks the required scope" },
  "token-consumer-missing": { title: "Bearer token has no consumer" },
  "token-consumer-invalid": { title: "Bearer token consumer not understood" },
  "token-supplier-invalid": { title: "Bearer token supplier not understood" },
  "token-keys-unavailable": { title: "Maskinporten keys unavailable" },
  // NextMove API: callers
  "nextmove-credentials-invalid": { title: "Unknown user or wrong password" },
  "nextmove-organisation-forbidden": { title: "Not allowed to act for this organisation" },
  "content-disposition-invalid": { title: "Invalid Content-Disposition" },
  // NextMove API: statuses, conversations, webhook subscriptions
  "nextmove-query-invalid": { title: "Invalid query parameters" },
  "conversation-not-found": { title: "Conversation not found" },
  "status-not-queued": { title: "Status not on the status queue" },
  "subscription-not-found": { title: "Subscription not found" },
  "subscription-invalid": { title: "Invalid subscription" },
  // The integrasjonspunkt answers 400 (SubscriptionWithSameNameAndPushEndpointAlreadyExists), and its clients expect it.
  "subscription-exists": { title: "Subscription already exists", status: 400 },
  // NextMove API: incoming messages. The integrasjonspunkt answers 400 (MessageNotLockedException).
  "nextmove-message-not-found": { title: "Message not found" },
  "nextmove-message-not-locked": { title: "Message not locked", status: 400 },
  "nextmove-package-unreadable": { title: "Document package cannot be read" },
};

/** The row of a domain error, or undefined when it has none (then it is answered as an internal error). */
export function problemRowOf(err: DomainError): ProblemRow | undefined {
  return Object.hasOwn(PROBLEM_ROWS, err.code) ? PROBLEM_ROWS[err.code as RestErrorCode] : undefined;
}

/** The problem a domain error is answered with, or undefined when it has no row. */
export function problemOf(err: DomainError): ProblemError | undefined {
  const row = problemRowOf(err);
  if (!row) return undefined;
  const status = typeof row.status === "function" ? row.status(err) : (row.status ?? STATUS_BY_KIND[err.kind]);
  return new ProblemError(status, err.code, row.title, err.detail, { cause: err, ...(row.headers ? { headers: row.headers } : {}) });
}
