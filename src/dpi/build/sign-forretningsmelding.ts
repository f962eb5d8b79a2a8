import type { KeyObject, X509Certificate } from "node:crypto";
import { signRsCompact } from "../../jws/rs-compact.js";

const utf8 = new TextEncoder();

/**
 * Signs a forretningsmelding the way Digdir's integrasjonspunkt does: compact JWS, payload attached,
 * header {x5c: [leaf], alg}. The signer is the SBDH sender's business certificate.
 */
export async function signForretningsmelding(
  payload: unknown,
  signer: { privateKey: KeyObject; certificate: X509Certificate; chain?: readonly X509Certificate[] },
  alg: "RS256" | "RS512" = "RS256",
): Promise<string> {
  const x5c = [signer.certificate, ...(signer.chain ?? [])].map((c) => c.raw.toString("base64"));
  return signRsCompact({ x5c, alg }, utf8.encode(JSON.stringify(payload)), signer.privateKey);
}
