import type { DomainErrorCode, PackagingErrorCode, PkiErrorCode } from "../error-codes.js";
import { DomainError, type ErrorKind } from "../errors.js";
import { SmpHttpError } from "../peppol/smp-errors.js";
import { ProblemError } from "../problem.js";
import { ServiceRegistryHttpError } from "../routing/service-registry/errors.js";
import { NextMoveError } from "../sbd/errors.js";

/**
 * The REST edge's one table: how each domain error is answered as application/problem+json. The HTTP status
 * follows from the error's kind unless a row says otherwise; the title is the row's. PKI errors have no row:
 * the domains that check certificates wrap them in their own errors, so one that reaches the REST API
 * unwrapped is a fault of ours and answered as 500 internal-error. Nor do most packaging errors (see
 * PackagingInternalCode).
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

/**
 * Packaging errors no REST caller can cause, answered as 500 internal-error like PKI errors. A key or
 * certificate the packaging cannot use comes from our keystores or a registry record, never from the caller
 * (a channel checks a record's certificate and answers for it, as dpi-recipient-record-invalid does). A CMS
 * envelope or ASiC-E that does not open is another integrasjonspunkt's, received over DPO or DPE, or one we
 * stored ourselves; the caller who pops it sent neither, and the integrasjonspunkt answers 500
 * (AsicReadException) there too. What a caller gives to be packed (file names, identifiers) has a row.
 */
type PackagingInternalCode = Extract<
  PackagingErrorCode,
  | "packaging-key-invalid"
  | "cms-malformed"
  | "cms-unsupported-algorithm"
  | "cms-wrong-recipient"
  | "cms-decrypt-failed"
  | "efm-asic-malformed"
  | "efm-asic-limit-exceeded"
  | "efm-asic-signature-missing"
  | "efm-asic-signature-malformed"
  | "efm-asic-signature-invalid"
  | "efm-asic-unsupported-algorithm"
  | "efm-asic-digest-mismatch"
  | "efm-asic-file-not-covered"
  | "efm-asic-file-missing"
  | "efm-asic-manifest-invalid"
  | "efm-asic-signer-untrusted"
>;

export type RestErrorCode = Exclude<DomainErrorCode, PkiErrorCode | PackagingInternalCode>;

/**
 * The integrasjonspunkt's status for its refusal of a NextMove SBD, which NextMove clients act on. Where it
 * fails with an unchecked exception (500) over what is the client's mistake, the kind's (400) instead, as
 * src/sbd/errors.ts decides: a 500 would tell the client the fault is ours.
 */
function ipStatus(err: DomainError): number {
  return err instanceof NextMoveError && err.ipStatus < 500 ? err.ipStatus : STATUS_BY_KIND[err.kind];
}

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
  // Served participants (onboarding, /admin/participants)
  "participant-invalid": { title: "Invalid participant or role" },
  "participant-not-found": { title: "Participant not served here" },
  "participant-smp-failed": { title: "SMP registration failed" },
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
  // NextMove API: the out-queue
  "nextmove-message-not-found": { title: "Message not found" },
  "nextmove-max-file-size-exceeded": { title: "Files too large for the channel" },
  "nextmove-sender-required": { title: "Sender required" },
  "nextmove-multipart-file-too-large": { title: "File too large for a multipart request" },
  // NextMove API: statuses, conversations, webhook subscriptions
  "nextmove-query-invalid": { title: "Invalid query parameters" },
  "conversation-not-found": { title: "Conversation not found" },
  "status-not-queued": { title: "Status not on the status queue" },
  "subscription-not-found": { title: "Subscription not found" },
  "subscription-invalid": { title: "Invalid subscription" },
  // NextMove API: the download links of DPF's level-4 mails
  "dpf-mail-link-not-found": { title: "No such mail download link" },
  "dpf-mail-link-expired": { title: "Mail download link expired", status: 410 },
  // The integrasjonspunkt answers 400 (SubscriptionWithSameNameAndPushEndpointAlreadyExists), and its clients expect it.
  "subscription-exists": { title: "Subscription already exists", status: 400 },
  // NextMove API: the SBD and its arkivmelding, answered with the integrasjonspunkt's status
  "nextmove-sbd-unreadable": { title: "Unreadable standard business document", status: ipStatus },
  "nextmove-constraint-violation": { title: "Standard business document breaks a constraint", status: ipStatus },
  "nextmove-partner-identifier-invalid": { title: "Invalid sender or receiver identifier", status: ipStatus },
  "nextmove-missing-conversation-scope": { title: "No ConversationId scope with a process", status: ipStatus },
  "nextmove-unknown-message-type": { title: "Unknown message type", status: ipStatus },
  "nextmove-message-type-mismatch": { title: "Message type does not fit the document type", status: ipStatus },
  "nextmove-service-not-enabled": { title: "Service not enabled", status: ipStatus },
  "nextmove-message-channel-invalid": { title: "Invalid message channel", status: ipStatus },
  "nextmove-forsendelse-type-not-found": { title: "Unknown forsendelseType", status: ipStatus },
  "nextmove-missing-svarut-credentials": { title: "No SvarUt credentials for the sender", status: ipStatus },
  "nextmove-missing-address-information": { title: "Address information missing", status: ipStatus },
  "nextmove-message-already-exists": { title: "Message already exists", status: ipStatus },
  "nextmove-receiver-does-not-accept-process": { title: "Receiver does not accept the process", status: ipStatus },
  "nextmove-time-to-live-expired": { title: "Time to live expired", status: ipStatus },
  "nextmove-missing-file": { title: "No file in the message", status: ipStatus },
  "nextmove-missing-arkivmelding": { title: "arkivmelding.xml missing", status: ipStatus },
  "nextmove-missing-arkivmelding-file": { title: "Files named in the arkivmelding missing", status: ipStatus },
  "nextmove-file-not-found": { title: "Files not found", status: ipStatus },
  "nextmove-missing-primary-document": { title: "Primary document missing", status: ipStatus },
  "nextmove-duplicate-filename": { title: "Filename already in the message", status: ipStatus },
  "nextmove-multiple-primary-documents": { title: "More than one primary document", status: ipStatus },
  "nextmove-missing-file-title": { title: "File title missing", status: ipStatus },
  "arkivmelding-unreadable": { title: "Unreadable arkivmelding", status: ipStatus },
  "arkivmelding-missing-saksmappe": { title: "Arkivmelding has no saksmappe", status: ipStatus },
  "arkivmelding-missing-journalpost": { title: "Arkivmelding has no journalpost", status: ipStatus },
  // NextMove API: a digital or print message as a DPI letter
  "nextmove-not-dpi": { title: "Not a DPI message" },
  "nextmove-field-missing": { title: "Required fields missing" },
  "nextmove-field-invalid": { title: "Invalid fields" },
  "nextmove-hoveddokument-missing": { title: "Hoveddokument missing" },
  "nextmove-metadata-file-missing": { title: "Files named in metadataFiler missing" },
  "nextmove-document-rejected": { title: "Document not allowed in a dokumentpakke" },
  "nextmove-signer-not-sender": { title: "Signing certificate is not the sender's" },
  "dpi-recipient-no-postbox": { title: "Recipient has no digital postbox" },
  "dpi-recipient-no-print": { title: "No print provider for the recipient" },
  "dpi-recipient-record-invalid": { title: "Recipient's record cannot be used" },
  // eFormidling packaging: what the caller gives to be packed (the rest: PackagingInternalCode)
  "efm-asic-input-invalid": { title: "Files cannot be packed" },
  // eFormidling routing. The integrasjonspunkt answers 400 (ReceiverDoesNotAcceptProcessException), and its clients expect it.
  "receiver-does-not-accept-process": { title: "Receiver does not accept the process", status: 400 },
  "eformidling-channel-not-supported": { title: "Receiver's channel not supported" },
  // Service Registry: no record (the integrasjonspunkt's capabilities answer 404 too), a question it refuses
  "service-registry-not-found": { title: "Not found in the Service Registry" },
  "service-registry-refused": { title: "Service Registry refused the lookup" },
  // Service Registry: answers that cannot be used
  "service-registry-response-unsigned": { title: "Service Registry response is not signed" },
  "service-registry-bad-signature": { title: "Service Registry response signature is invalid" },
  "service-registry-signing-key-unknown": { title: "Service Registry signing key unknown" },
  "service-registry-malformed-response": { title: "Service Registry response cannot be read" },
  "service-registry-identifier-mismatch": { title: "Service Registry answered for another party" },
  // Our own credential for the registry could not be had now, as with token-keys-unavailable: 503.
  "service-registry-token-unavailable": { title: "No access token for the Service Registry" },
  // A gateway's words whether or not trying again may help: the registry timed out (504) or failed otherwise (502).
  "service-registry-http-failure": {
    title: "Service Registry could not be queried",
    status: (err) => (err instanceof ServiceRegistryHttpError && err.failure === "timeout" ? 504 : 502),
  },
  // NextMove API: incoming messages. The integrasjonspunkt answers 400 (MessageNotLockedException).
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
