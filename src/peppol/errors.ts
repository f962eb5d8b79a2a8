import { DomainError } from "../errors.js";

/**
 * Failures of Peppol discovery (identifiers, SML/DNS) and of the SBDH envelope. One class per failure kind,
 * each with a stable `code` and a `kind`; the REST and AS4 edges decide how each is answered.
 */

export type IdentifierKind = "participant" | "document-type" | "process";

// ---- identifiers -------------------------------------------------------------------------------------

/** A participant, document type or process identifier (or its scheme) breaks the Peppol identifier policy. */
export class IdentifierInvalidError extends DomainError {
  readonly code = "peppol-identifier-invalid";
  readonly kind = "invalid";
  constructor(
    readonly identifierKind: IdentifierKind,
    readonly input: string,
    reason: string,
  ) {
    super(`${identifierKind} identifier ${JSON.stringify(clip(input))}: ${reason}`);
  }
}

// ---- DNS and SML --------------------------------------------------------------------------------------

/** The DNS name does not exist (NXDOMAIN), or exists without records of the asked type (NODATA). */
export class DnsNameNotFoundError extends DomainError {
  readonly code = "dns-name-not-found";
  readonly kind = "not-found";
  constructor(
    readonly dnsName: string,
    readonly rrType: string,
    readonly dnsCode: string,
  ) {
    super(`no ${rrType} record for ${dnsName} (${dnsCode})`);
  }
}

/** DNS did not answer usefully: timeout, SERVFAIL, refused, unreachable server. Worth retrying. */
export class DnsLookupError extends DomainError {
  readonly code = "dns-lookup-failed";
  readonly kind = "unavailable";
  constructor(
    readonly dnsName: string,
    readonly rrType: string,
    readonly dnsCode: string,
    options?: { cause?: unknown },
  ) {
    super(`${rrType} lookup of ${dnsName} failed (${dnsCode})`, options);
  }
}

/** The SML has no record for the participant: it is not registered in this Peppol network (zone). */
export class ParticipantNotRegisteredError extends DomainError {
  readonly code = "peppol-participant-not-registered";
  readonly kind = "not-found";
  constructor(
    readonly participant: string,
    readonly dnsName: string,
    options?: { cause?: unknown },
  ) {
    super(`${participant} has no SML record (${dnsName})`, options);
  }
}

/** NAPTR records exist for the participant, but none is a usable `Meta:SMP` record with flag `U`. */
export class SmlNoSmpRecordError extends DomainError {
  readonly code = "peppol-sml-no-smp-record";
  readonly kind = "upstream";
  constructor(
    readonly participant: string,
    readonly dnsName: string,
    detail: string,
  ) {
    super(`${participant} (${dnsName}): ${detail}`);
  }
}

/** A NAPTR regexp field is not of the form `<d>ere<d>replacement<d>flags`, or cannot be applied safely. */
export class SmlBadRegexpError extends DomainError {
  readonly code = "peppol-sml-bad-regexp";
  readonly kind = "upstream";
  constructor(
    readonly regexp: string,
    reason: string,
  ) {
    super(`${JSON.stringify(clip(regexp))}: ${reason}`);
  }
}

/** The SMP URL the SML points to is not an absolute https URL (http only when explicitly allowed). */
export class SmlBadSmpUrlError extends DomainError {
  readonly code = "peppol-sml-bad-smp-url";
  readonly kind = "upstream";
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`${JSON.stringify(clip(url))}: ${reason}`);
  }
}

// ---- SBDH ---------------------------------------------------------------------------------------------

/** Base of all SBDH failures (the sender's to fix); `path` locates the offending element (e.g. `StandardBusinessDocumentHeader/Sender`). */
export abstract class SbdhError extends DomainError {
  readonly kind = "invalid";
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${detail}` : detail, options);
  }
}

/** Not well-formed XML, or a forbidden construct (DOCTYPE, entity, processing instruction). */
export class SbdhMalformedError extends SbdhError {
  readonly code = "sbdh-malformed";
  constructor(detail: string, options?: { cause?: unknown }) {
    super("", detail, options);
  }
}

/** An element is missing, repeated, misplaced or in the wrong namespace. */
export class SbdhStructureError extends SbdhError {
  readonly code = "sbdh-structure";
  constructor(path: string, detail: string) {
    super(path, detail);
  }
}

/** An element is where it belongs but its value breaks a rule (version, authority, identifier, date...). */
export class SbdhValueError extends SbdhError {
  readonly code = "sbdh-value";
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(path, detail, options);
  }
}

/** A mandatory BusinessScope (DOCUMENTID, PROCESSID, COUNTRY_C1) is missing or given twice. */
export class SbdhScopeError extends SbdhError {
  readonly code = "sbdh-scope";
  constructor(
    readonly scopeType: string,
    detail: string,
  ) {
    super("StandardBusinessDocumentHeader/BusinessScope", `${scopeType}: ${detail}`);
  }
}

/** The business message (for DPI: the Innbyggerpost element) is missing or does not match the header. */
export class SbdhPayloadError extends SbdhError {
  readonly code = "sbdh-payload";
  constructor(path: string, detail: string) {
    super(path, detail);
  }
}

/** A size cap of the reader was exceeded (header part, trailer, or decoded dokumentpakke). */
export class SbdhTooLargeError extends SbdhError {
  readonly code = "sbdh-too-large";
  constructor(
    readonly part: "head" | "tail" | "dokumentpakke",
    readonly limit: number,
  ) {
    super("", `the ${part} exceeds ${limit} bytes`);
  }
}

function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
