/**
 * Signs a SignedServiceMetadata the way Peppol SMPs do: an enveloped ds:Signature appended to the root,
 * one Reference URI="" with enveloped-signature + c14n transforms, KeyInfo/X509Data with the certificate.
 * Defaults: exclusive c14n and RSA-SHA256 / SHA-256; tests can pick inclusive c14n or SHA-1 like older SMPs.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import "../../xml/c14n-fix.js"; // before xml-crypto is used: code-point namespace order in c14n
import { SignedXml } from "xml-crypto";
import { DSIG_ALGORITHMS } from "../../peppol/smp-signature.js";

export interface SmpSigner {
  privateKey: KeyObject | string;
  certificate: X509Certificate | string;
}

export interface SmpSigningOptions {
  /** Default exclusive c14n; used for SignedInfo and as the Reference's second transform. */
  canonicalizationAlgorithm?: string;
  /** Default rsa-sha256. */
  signatureAlgorithm?: string;
  /** Default sha256. */
  digestAlgorithm?: string;
}

export function signServiceMetadata(xml: string, signer: SmpSigner, options: SmpSigningOptions = {}): string {
  const c14n = options.canonicalizationAlgorithm ?? DSIG_ALGORITHMS.excC14n;
  const privateKey = typeof signer.privateKey === "string" ? createPrivateKey(signer.privateKey) : signer.privateKey;
  const certificate = typeof signer.certificate === "string" ? new X509Certificate(signer.certificate) : signer.certificate;
  const sig = new SignedXml({
    privateKey,
    publicCert: certificate.toString(),
    signatureAlgorithm: options.signatureAlgorithm ?? DSIG_ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: c14n,
  });
  sig.addReference({
    xpath: "/*",
    isEmptyUri: true,
    transforms: [DSIG_ALGORITHMS.enveloped, c14n],
    digestAlgorithm: options.digestAlgorithm ?? DSIG_ALGORITHMS.sha256,
  });
  sig.computeSignature(xml, { prefix: "ds", location: { reference: "/*", action: "append" } });
  return sig.getSignedXml();
}
