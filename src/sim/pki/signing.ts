/** Keys of the simulated CA as WebCrypto keys, which pkijs signs with. */
import { webcrypto } from "node:crypto";
import type { KeyObject, X509Certificate } from "node:crypto";

/** A certificate with its private key; the cert factory's `Issued` fits. */
export interface SigningIdentity {
  readonly cert: X509Certificate;
  readonly privateKey: KeyObject;
}

const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** The private key as a SHA-256 signing CryptoKey (RSA PKCS#1 v1.5 or ECDSA). */
export async function signingKeyOf(privateKey: KeyObject): Promise<CryptoKey> {
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  if (privateKey.asymmetricKeyType === "rsa") {
    return webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]) as Promise<CryptoKey>;
  }
  if (privateKey.asymmetricKeyType === "ec") {
    const curve = CURVES[privateKey.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve) throw new Error(`unsupported EC curve ${privateKey.asymmetricKeyDetails?.namedCurve}`);
    return webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve }, false, ["sign"]) as Promise<CryptoKey>;
  }
  throw new Error(`unsupported key type ${privateKey.asymmetricKeyType}`);
}

/** Whole seconds: OCSP and CRL times are written without fractions, as most producers do. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
