import type { EbmsErrorCode } from "../as4/ebms-errors.js";
import { ProblemError } from "../problem.js";

/**
 * Failures of Peppol discovery (identifiers, SML/DNS) and of the SBDH envelope. One class per failure kind,
 * each with a stable `code`. All extend ProblemError so a REST handler can render them as they are; the
 * SBDH errors also name the ebMS error an inbound AS4 message answers with.
 */

export type IdentifierKind = "participant" | "document-type" | "process";

// ---- identifiers -------------------------------------------------------------------------------------

/** A participant, document type or process identifier (or its scheme) breaks the Peppol identifier policy. */
export class IdentifierInvalidError extends ProblemError {
  constructor(
    readonly identifierKind: IdentifierKind,
    readonly input: string,
    reason: string,
  ) {
    super(400, "peppol-identifier-invalid", "Invalid Peppol identifier", `${identifierKind} identifier ${JSON.stringify(clip(input))}: ${reason}`);
    this.name = "IdentifierInvalidError";
  }
}

// ---- DNS and SML --------------------------------------------------------------------------------------

/** Common shape of SML lookup failures: whether trying again later can help. */
export interface RetryableFailure {
  readonly retryable: boolean;
}

/** The DNS name does not exist (NXDOMAIN), or exists without records of the asked type (NODATA). */
export class DnsNameNotFoundError extends ProblemError implements RetryableFailure {
  readonly retryable = false;
  constructor(
    readonly dnsName: string,
    readonly rrType: string,
    readonly dnsCode: string,
  ) {
    super(404, "dns-name-not-found", "DNS name not found", `no ${rrType} record for ${dnsName} (${dnsCode})`);
    this.name = "DnsNameNotFoundError";
  }
}

/** DNS did not answer usefully: timeout, SERVFAIL, refused, unreachable server. Worth retrying. */
export class DnsLookupError extends ProblemError implements RetryableFailure {
  readonly retryable = true;
  constructor(
    readonly dnsName: string,
    readonly rrType: string,
    readonly dnsCode: string,
    options?: { cause?: unknown },
  ) {
    super(503, "dns-lookup-failed", "DNS lookup failed", `${rrType} lookup of ${dnsName} failed (${dnsCode})`, options);
    this.name = "DnsLookupError";
  }
}

/** The SML has no record for the participant: it is not registered in this Peppol network (zone). */
export class ParticipantNotRegisteredError extends ProblemError implements RetryableFailure {
  readonly retryable = false;
  constructor(
    readonly participant: string,
    readonly dnsName: string,
    options?: { cause?: unknown },
  ) {
    super(404, "peppol-participant-not-registered", "Participant not registered in the SML", `${participant} has no SML record (${dnsName})`, options);
    this.name = "ParticipantNotRegisteredError";
  }
}

/** NAPTR records exist for the participant, but none is a usable `Meta:SMP` record with flag `U`. */
export class SmlNoSmpRecordError extends ProblemError implements RetryableFailure {
  readonly retryable = false;
  constructor(
    readonly participant: string,
    readonly dnsName: string,
    detail: string,
  ) {
    super(502, "peppol-sml-no-smp-record", "No SMP record in the SML", `${participant} (${dnsName}): ${detail}`);
    this.name = "SmlNoSmpRecordError";
  }
}

/** A NAPTR regexp field is not of the form `<d>ere<d>replacement<d>flags`, or cannot be applied safely. */
export class SmlBadRegexpError extends ProblemError implements RetryableFailure {
  readonly retryable = false;
  constructor(
    readonly regexp: string,
    reason: string,
  ) {
    super(502, "peppol-sml-bad-regexp", "Unusable NAPTR regexp in the SML", `${JSON.stringify(clip(regexp))}: ${reason}`);
    this.name = "SmlBadRegexpError";
  }
}

/** The SMP URL the SML points to is not an absolute https URL (http only when explicitly allowed). */
export class SmlBadSmpUrlError extends ProblemError implements RetryableFailure {
  readonly retryable = false;
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(502, "peppol-sml-bad-smp-url", "Unusable SMP URL in the SML", `${JSON.stringify(clip(url))}: ${reason}`);
    this.name = "SmlBadSmpUrlError";
  }
}

// ---- SBDH ---------------------------------------------------------------------------------------------

/** ebMS error an inbound message gets when its SBDH payload is unusable. */
const SBDH_EBMS_CODE: EbmsErrorCode = "EBMS:0004";

/** Base of all SBDH failures; `path` locates the offending element (e.g. `StandardBusinessDocumentHeader/Sender`). */
export abstract class SbdhError extends ProblemError {
  readonly ebmsCode: EbmsErrorCode = SBDH_EBMS_CODE;
  constructor(
    code: string,
    title: string,
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(400, code, title, path ? `${path}: ${detail}` : detail, options);
  }
}

/** Not well-formed XML, or a forbidden construct (DOCTYPE, entity, processing instruction). */
export class SbdhMalformedError extends SbdhError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super("sbdh-malformed", "Malformed SBD XML", "", detail, options);
    this.name = "SbdhMalformedError";
  }
}

/** An element is missing, repeated, misplaced or in the wrong namespace. */
export class SbdhStructureError extends SbdhError {
  constructor(path: string, detail: string) {
    super("sbdh-structure", "Invalid SBDH structure", path, detail);
    this.name = "SbdhStructureError";
  }
}

/** An element is where it belongs but its value breaks a rule (version, authority, identifier, date...). */
export class SbdhValueError extends SbdhError {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super("sbdh-value", "Invalid SBDH value", path, detail, options);
    this.name = "SbdhValueError";
  }
}

/** A mandatory BusinessScope (DOCUMENTID, PROCESSID, COUNTRY_C1) is missing or given twice. */
export class SbdhScopeError extends SbdhError {
  constructor(
    readonly scopeType: string,
    detail: string,
  ) {
    super("sbdh-scope", "Invalid SBDH business scope", "StandardBusinessDocumentHeader/BusinessScope", `${scopeType}: ${detail}`);
    this.name = "SbdhScopeError";
  }
}

/** The business message (for DPI: the Innbyggerpost element) is missing or does not match the header. */
export class SbdhPayloadError extends SbdhError {
  constructor(path: string, detail: string) {
    super("sbdh-payload", "Invalid SBD payload", path, detail);
    this.name = "SbdhPayloadError";
  }
}

/** A size cap of the reader was exceeded (header part, trailer, or decoded dokumentpakke). */
export class SbdhTooLargeError extends SbdhError {
  constructor(
    readonly part: "head" | "tail" | "dokumentpakke",
    readonly limit: number,
  ) {
    super("sbdh-too-large", "SBD too large", "", `the ${part} exceeds ${limit} bytes`);
    this.name = "SbdhTooLargeError";
  }
}

function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
