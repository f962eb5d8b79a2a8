/**
 * Trust decisions about Peppol access point certificates: the one call the AS4 layer makes for the signer
 * of an inbound message and for the receiver's certificate published in the SMP.
 */
import type { X509Certificate } from "node:crypto";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import { validateChain } from "./chain.js";
import type { ChainOptions } from "./chain.js";
import { CertificateError } from "./errors.js";
import { keyUsageOf } from "./key-usage.js";
import { peppolSeatIdOf } from "./peppol-certificate.js";
import type { RevocationChecker, RevocationResult } from "./revocation.js";

export interface PeppolApTrustOptions {
  /**
   * The Peppol AP trust anchors: the AP issuing CA(s) and/or root(s). Production and test PKIs differ
   * (e.g. "PEPPOL ACCESS POINT CA - G3" vs "PEPPOL ACCESS POINT TEST CA - G3"); the caller takes them from
   * configuration and never mixes the two.
   */
  anchors: readonly X509Certificate[];
  /** CA certificates that may complete paths (e.g. the AP CA when only the root is an anchor). */
  intermediates?: readonly X509Certificate[];
  /** Revocation checker (hard-fail or soft-fail as configured). */
  revocation: RevocationChecker;
  clock?: Clock;
  chain?: ChainOptions;
}

/** A Peppol access point certificate that passed every check. */
export interface PeppolApCertificate {
  /** The seat id from the subject CN, e.g. "POP000123". */
  readonly seatId: string;
  readonly certificate: X509Certificate;
  /** Leaf first, anchor last. */
  readonly path: readonly X509Certificate[];
  /** Revocation outcome; `status: "unknown"` with warnings only in soft-fail mode. */
  readonly revocation: RevocationResult;
}

export interface PeppolApTrust {
  /**
   * Validates an AP certificate at `at` (default now): path to an anchor, seat id in the CN, keyUsage
   * digitalSignature, then revocation of every non-anchor certificate of the path.
   * @param extraIntermediates certificates that came with the message (e.g. a BinarySecurityToken chain)
   * @throws a PkiError: the chain errors of validateChain, InvalidPeppolSeatIdError, CertificateKeyUsageError,
   *   CertificateRevokedError, or RevocationUnknownError (hard-fail only). OCSP/CRL transport and response
   *   errors never escape on their own: they become RevocationUnknownError or a soft-fail warning.
   */
  validate(cert: X509Certificate, at?: Date, extraIntermediates?: readonly X509Certificate[]): Promise<PeppolApCertificate>;
}

/** The certificate's key may not be used for the purpose at hand. */
export class CertificateKeyUsageError extends CertificateError {
  readonly code = "ERR_PKI_KEY_USAGE";
}

export function createPeppolApTrust(options: PeppolApTrustOptions): PeppolApTrust {
  const clock = options.clock ?? systemClock;
  const intermediates = options.intermediates ?? [];
  return {
    async validate(cert, at = clock(), extraIntermediates = []) {
      const path = validateChain(cert, [...intermediates, ...extraIntermediates], options.anchors, at, options.chain);
      const seatId = peppolSeatIdOf(cert);
      const usage = keyUsageOf(cert);
      // Peppol AP certificates sign AS4 messages; a certificate without keyUsage is not a Peppol profile either.
      if (!usage?.has("digitalSignature")) {
        throw new CertificateKeyUsageError("Peppol AP certificate lacks the digitalSignature key usage", cert);
      }
      const revocation = await options.revocation.check(path, at);
      return { seatId, certificate: cert, path, revocation };
    },
  };
}
