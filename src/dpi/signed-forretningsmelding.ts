import type { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.js";
import { DomainError } from "../errors.js";
import { validateChain } from "../pki/chain.js";
import { assertSigningKeyUsage, organisationNumberOf } from "../pki/business-certificate.js";
import { CertificateError } from "../pki/errors.js";
import { CertificateKeyUsageError } from "../pki/peppol-trust.js";
import { CertificateRevokedError, type RevocationChecker } from "../pki/revocation.js";
import { evidenceUses, type RevocationEvidenceUse } from "../pki/revocation-evidence.js";
import { x509FromDer } from "../pki/x509-cache.js";
import { decodeBase64urlSegment, decodeProtectedHeaderSegment, JwsError, verifyRsSignature } from "../jws/rs-compact.js";
import { parseForretningsmelding, type Forretningsmelding } from "./sbd.js";

/**
 * A forretningsmelding is a compact JWS whose x5c header carries the signer's business certificate
 * (virksomhetssertifikat). Trust comes from that certificate chaining to a configured anchor, its key usage
 * allowing signatures, and (where a revocation checker is given) it not being revoked, never from the header
 * alone; only then is the payload read as a Standard Business Document.
 */

export const FORRETNINGSMELDING_ALGORITHMS = ["RS256", "RS512"] as const;

export interface VerifiedForretningsmelding {
  jws: string;
  message: Forretningsmelding;
  signer: X509Certificate;
  /** "0192:<orgno>" from the signer's certificate. */
  signerOrg: string;
  /** The OCSP/CRL answers the x5c path's "not revoked" rests on (none without a revocation checker). */
  revocation: RevocationEvidenceUse[];
}

export class ForretningsmeldingMalformedError extends DomainError {
  readonly code = "forretningsmelding-malformed";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}

export class ForretningsmeldingAlgorithmError extends DomainError {
  readonly code = "forretningsmelding-algorithm";
  readonly kind = "invalid";
  constructor(alg: unknown) {
    super(`alg ${JSON.stringify(alg)} is not one of ${FORRETNINGSMELDING_ALGORITHMS.join(", ")}`);
  }
}

export class ForretningsmeldingSignatureError extends DomainError {
  readonly code = "forretningsmelding-signature-invalid";
  readonly kind = "invalid";
  constructor(detail: string) {
    super(detail);
  }
}

export class SignerCertificateError extends DomainError {
  readonly code = "signer-certificate-invalid";
  readonly kind = "invalid";
  constructor(detail: string, cause?: unknown) {
    super(detail, { cause });
  }
}

/**
 * Invalid, like an expired certificate (signer-certificate-invalid): the forretningsmelding is unacceptable as
 * it stands and sending it again cannot help; the caller itself (its token) is not what is refused.
 */
export class SignerCertificateRevokedError extends DomainError {
  readonly code = "signer-certificate-revoked";
  readonly kind = "invalid";
  constructor(detail: string, cause?: unknown) {
    super(detail, { cause });
  }
}

export class SignerCertificateKeyUsageError extends DomainError {
  readonly code = "signer-certificate-key-usage";
  readonly kind = "invalid";
  constructor(detail: string, cause?: unknown) {
    super(detail, { cause });
  }
}

/**
 * No OCSP responder or CRL answered (hard-fail). That is an outage on our side or the CA's, not a verdict on
 * the certificate, so the sender should try again rather than give the letter up.
 */
export class SignerRevocationUnavailableError extends DomainError {
  readonly code = "signer-certificate-revocation-unavailable";
  readonly kind = "unavailable";
  constructor(detail: string, cause?: unknown) {
    super(detail, { cause });
  }
}

export interface ForretningsmeldingVerifierOptions {
  anchors: X509Certificate[];
  clock: Clock;
  /**
   * Checks the x5c path for revocation (OCSP, then CRL) in its hard- or soft-fail mode. Without it nothing
   * is checked: only the postbox simulator and tests, which verify what an access point already checked.
   */
  revocation?: RevocationChecker;
  /** Told the soft-fail warnings when some certificate's revocation status could not be established. */
  onRevocationWarnings?: (warnings: readonly string[], signer: X509Certificate) => void;
}

export function createForretningsmeldingVerifier(opts: ForretningsmeldingVerifierOptions) {
  return async function verify(jws: string): Promise<VerifiedForretningsmelding> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) {
      throw new ForretningsmeldingMalformedError("not a compact JWS with an attached payload (three base64url segments)");
    }
    const [headerSegment, payloadSegment, signatureSegment] = jws.split(".") as [string, string, string];
    const header = decodeProtectedHeaderSegment(headerSegment);
    if (header === undefined) throw new ForretningsmeldingMalformedError("the JWS header is not valid base64url JSON");
    if (!FORRETNINGSMELDING_ALGORITHMS.includes(header.alg as (typeof FORRETNINGSMELDING_ALGORITHMS)[number])) {
      throw new ForretningsmeldingAlgorithmError(header.alg);
    }
    if (header.crit !== undefined) throw new ForretningsmeldingMalformedError("the JWS header has crit parameters, which are not supported");
    const chain = certificatesOf(header.x5c);
    const [leaf, ...intermediates] = chain;
    const at = opts.clock();
    let path: X509Certificate[];
    try {
      path = validateChain(leaf!, intermediates, opts.anchors, at);
      assertSigningKeyUsage(leaf!);
    } catch (err) {
      if (err instanceof CertificateKeyUsageError) throw new SignerCertificateKeyUsageError(`x5c certificate: ${err.message}`, err);
      if (err instanceof CertificateError) throw new SignerCertificateError(`x5c certificate: ${err.message}`, err);
      throw err;
    }
    // The signature and key checks of jose's compactVerify, on node:crypto (X509Certificate keeps its publicKey).
    let payload: Buffer;
    try {
      verifyRsSignature(header.alg as (typeof FORRETNINGSMELDING_ALGORITHMS)[number], `${headerSegment}.${payloadSegment}`, signatureSegment, leaf!.publicKey);
      const decoded = decodeBase64urlSegment(payloadSegment);
      if (decoded === undefined) throw new JwsError("ERR_JWS_INVALID", "Failed to base64url decode the payload");
      payload = decoded;
    } catch (err) {
      if (err instanceof JwsError && err.code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw new ForretningsmeldingSignatureError("the signature does not verify with the x5c certificate's key");
      if (err instanceof JwsError) throw new ForretningsmeldingSignatureError(`${err.code}: ${err.message}`);
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
    } catch {
      throw new ForretningsmeldingMalformedError("the JWS payload is not UTF-8 JSON");
    }
    let signerOrg: string;
    try {
      signerOrg = `0192:${organisationNumberOf(leaf!)}`;
    } catch (err) {
      if (err instanceof CertificateError) throw new SignerCertificateError(err.message, err);
      throw err;
    }
    const message = parseForretningsmelding(json);
    // Last, because it may go to the network: everything that can be refused locally has been.
    const revocation = opts.revocation ? await checkRevocation(opts, path, at) : [];
    return { jws, message, signer: leaf!, signerOrg, revocation };
  };
}

async function checkRevocation(opts: ForretningsmeldingVerifierOptions, path: X509Certificate[], at: Date): Promise<RevocationEvidenceUse[]> {
  try {
    const result = await opts.revocation!.check(path, at);
    if (result.warnings.length > 0) opts.onRevocationWarnings?.(result.warnings, path[0]!);
    return evidenceUses(result, at);
  } catch (err) {
    if (err instanceof CertificateRevokedError) throw new SignerCertificateRevokedError(`x5c certificate: ${err.message}`, err);
    // No OCSP/CRL answer (RevocationUnknownError, kind unavailable): an outage, no verdict on the certificate.
    if (err instanceof DomainError && err.kind === "unavailable") throw new SignerRevocationUnavailableError(`x5c certificate: ${err.message}`, err);
    throw err;
  }
}

function certificatesOf(x5c: unknown): X509Certificate[] {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 10 || !x5c.every((c) => typeof c === "string")) {
    throw new ForretningsmeldingMalformedError("the JWS header must carry x5c: the signer's certificate chain, leaf first");
  }
  try {
    // x5c is standard base64 (not base64url), RFC 7515 §4.1.6.
    return x5c.map((c: string) => x509FromDer(Buffer.from(c, "base64")));
  } catch {
    throw new ForretningsmeldingMalformedError("an x5c entry is not a base64 DER certificate");
  }
}
