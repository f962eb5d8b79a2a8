import type { X509Certificate } from "node:crypto";
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from "jose";
import type { Clock } from "../clock.js";
import { ProblemError } from "../problem.js";
import { validateChain } from "../pki/chain.js";
import { organisationNumberOf } from "../pki/business-certificate.js";
import { CertificateError } from "../pki/errors.js";
import { x509FromDer } from "../pki/x509-cache.js";
import { parseForretningsmelding, type Forretningsmelding } from "./sbd.js";

/**
 * A forretningsmelding is a compact JWS whose x5c header carries the signer's business certificate
 * (virksomhetssertifikat). Trust comes from that certificate chaining to a configured anchor, never from the
 * header alone; only then is the payload read as a Standard Business Document.
 */

export const FORRETNINGSMELDING_ALGORITHMS = ["RS256", "RS512"] as const;

export interface VerifiedForretningsmelding {
  jws: string;
  message: Forretningsmelding;
  signer: X509Certificate;
  /** "0192:<orgno>" from the signer's certificate. */
  signerOrg: string;
}

export class ForretningsmeldingMalformedError extends ProblemError {
  constructor(detail: string) {
    super(400, "forretningsmelding-malformed", "Malformed forretningsmelding", detail);
  }
}

export class ForretningsmeldingAlgorithmError extends ProblemError {
  constructor(alg: unknown) {
    super(400, "forretningsmelding-algorithm", "Signature algorithm not allowed", `alg ${JSON.stringify(alg)} is not one of ${FORRETNINGSMELDING_ALGORITHMS.join(", ")}`);
  }
}

export class ForretningsmeldingSignatureError extends ProblemError {
  constructor(detail: string) {
    super(400, "forretningsmelding-signature-invalid", "Invalid forretningsmelding signature", detail);
  }
}

export class SignerCertificateError extends ProblemError {
  constructor(detail: string, cause?: unknown) {
    super(400, "signer-certificate-invalid", "Signer certificate not accepted", detail, { cause });
  }
}

export interface ForretningsmeldingVerifierOptions {
  anchors: X509Certificate[];
  clock: Clock;
}

export function createForretningsmeldingVerifier(opts: ForretningsmeldingVerifierOptions) {
  return async function verify(jws: string): Promise<VerifiedForretningsmelding> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) {
      throw new ForretningsmeldingMalformedError("not a compact JWS with an attached payload (three base64url segments)");
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jws);
    } catch {
      throw new ForretningsmeldingMalformedError("the JWS header is not valid base64url JSON");
    }
    if (!FORRETNINGSMELDING_ALGORITHMS.includes(header.alg as (typeof FORRETNINGSMELDING_ALGORITHMS)[number])) {
      throw new ForretningsmeldingAlgorithmError(header.alg);
    }
    if (header.crit !== undefined) throw new ForretningsmeldingMalformedError("the JWS header has crit parameters, which are not supported");
    const chain = certificatesOf(header.x5c);
    const [leaf, ...intermediates] = chain;
    try {
      validateChain(leaf!, intermediates, opts.anchors, opts.clock());
    } catch (err) {
      if (err instanceof CertificateError) throw new SignerCertificateError(`x5c certificate: ${err.message}`, err);
      throw err;
    }
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, leaf!.publicKey, { algorithms: [...FORRETNINGSMELDING_ALGORITHMS] }));
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new ForretningsmeldingSignatureError("the signature does not verify with the x5c certificate's key");
      if (err instanceof joseErrors.JOSEError) throw new ForretningsmeldingSignatureError(`${err.code}: ${err.message}`);
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
    return { jws, message: parseForretningsmelding(json), signer: leaf!, signerOrg };
  };
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
