import { readFileSync } from "node:fs";
import path from "node:path";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const CERTS = path.join(ROOT, "certs-example");
export const VECTORS = path.resolve(ROOT, "../shared/vectors");

export interface Signer {
  privateKey: KeyObject;
  certificate: X509Certificate;
}

/** A business certificate (virksomhetssertifikat) from certs-example, by organisation number. */
export function businessSigner(orgno: string): Signer {
  return {
    privateKey: createPrivateKey(readFileSync(path.join(CERTS, `business/${orgno}.key.pem`))),
    certificate: new X509Certificate(readFileSync(path.join(CERTS, `business/${orgno}.pem`))),
  };
}

export function certificate(rel: string): X509Certificate {
  return new X509Certificate(readFileSync(path.join(CERTS, rel)));
}
