import type { CodesOf } from "./errors.js";

/**
 * Every domain error code, gathered (at the type level only) from the modules that define the errors, so the
 * edge tables that must cover them all (src/api/problem-map.ts) fail to compile when a new error is added
 * without its row.
 */

export type DpiErrorCode =
  | CodesOf<typeof import("./dpi/errors.js")>
  | CodesOf<typeof import("./dpi/intake.js")>
  | CodesOf<typeof import("./dpi/signed-forretningsmelding.js")>
  | CodesOf<typeof import("./dpi/from-nextmove-errors.js")>;

export type PeppolErrorCode = CodesOf<typeof import("./peppol/errors.js")> | CodesOf<typeof import("./peppol/smp-errors.js")>;

export type MaskinportenErrorCode = CodesOf<typeof import("./maskinporten/errors.js")>;

export type PkiErrorCode =
  | CodesOf<typeof import("./pki/errors.js")>
  | CodesOf<typeof import("./pki/crl.js")>
  | CodesOf<typeof import("./pki/ocsp.js")>
  | CodesOf<typeof import("./pki/revocation.js")>
  | CodesOf<typeof import("./pki/revocation-http.js")>
  | CodesOf<typeof import("./pki/peppol-trust.js")>;

export type NextMoveErrorCode =
  | CodesOf<typeof import("./api/nextmove/errors.js")>
  | CodesOf<typeof import("./api/nextmove/content-disposition.js")>
  | CodesOf<typeof import("./api/nextmove/status-errors.js")>
  | CodesOf<typeof import("./api/nextmove/messages-in-errors.js")>
  | CodesOf<typeof import("./api/nextmove/dpf-mail-errors.js")>;

/** The integrasjonspunkt's refusals of a NextMove SBD and its arkivmelding. */
export type SbdErrorCode = CodesOf<typeof import("./sbd/errors.js")>;

/** eFormidling's ASiC-E and CMS envelope. */
export type PackagingErrorCode = CodesOf<typeof import("./packaging/errors.js")>;

export type ServiceRegistryErrorCode = CodesOf<typeof import("./routing/service-registry/errors.js")>;

/** Choosing an eFormidling channel from the Service Registry's records. */
export type RoutingErrorCode = CodesOf<typeof import("./routing/eformidling.js")>;

/** Onboarding served participants (src/participants). */
export type ParticipantsErrorCode = CodesOf<typeof import("./participants/errors.js")>;

export type DomainErrorCode =
  | DpiErrorCode
  | ParticipantsErrorCode
  | PeppolErrorCode
  | MaskinportenErrorCode
  | PkiErrorCode
  | NextMoveErrorCode
  | SbdErrorCode
  | PackagingErrorCode
  | ServiceRegistryErrorCode
  | RoutingErrorCode;
