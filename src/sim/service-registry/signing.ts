/**
 * Signed answers as the real SR's PayloadSigner makes them ([SR] `security/PayloadSigner.java`,
 * `config/SRConfig.java#rsaKey`, `controller/JwkController.java`): a compact JWS, RS256, whose header carries
 * the signing certificate (`x5c`, one certificate) and `kid` = the RFC 7638 SHA-256 thumbprint of the key;
 * `/jwk` publishes that key as a JWK set with `use: sig`, `alg: RS256` and the same `x5c`.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { calculateJwkThumbprint, CompactSign, exportJWK } from "jose";
import type { JSONWebKeySet, JWK } from "jose";

export interface PayloadSignerKey {
  privateKey: KeyObject | string;
  certificate: X509Certificate | string;
}

export interface PayloadSigner {
  readonly kid: string;
  /** Signs the text as the JWS payload (the JSON of a response, a PEM, a SAS key). */
  sign(payload: string): Promise<string>;
  jwks(): JSONWebKeySet;
}

export async function createPayloadSigner(key: PayloadSignerKey): Promise<PayloadSigner> {
  const privateKey = typeof key.privateKey === "string" ? createPrivateKey(key.privateKey) : key.privateKey;
  const certificate = typeof key.certificate === "string" ? new X509Certificate(key.certificate) : key.certificate;
  if (privateKey.asymmetricKeyType !== "rsa") throw new TypeError("the Service Registry signs with an RSA key (RS256)");
  if (!certificate.checkPrivateKey(privateKey)) throw new TypeError("the signing certificate does not belong to the private key");
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  const x5c = [certificate.raw.toString("base64")];
  const jwk: JWK = { kty: "RSA", x5c, e: publicJwk.e!, use: "sig", kid, alg: "RS256", n: publicJwk.n! };
  const encoder = new TextEncoder();
  return {
    kid,
    sign: (payload) => new CompactSign(encoder.encode(payload)).setProtectedHeader({ x5c, kid, alg: "RS256" }).sign(privateKey),
    jwks: () => ({ keys: [structuredClone(jwk)] }),
  };
}
