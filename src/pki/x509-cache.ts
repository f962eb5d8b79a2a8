import { X509Certificate } from "node:crypto";
import { MalformedCertificateError } from "./errors.js";

/**
 * X509Certificate objects by DER content. Every AS4 message and forretningsmelding carries its signer's
 * certificate (BinarySecurityToken, x5c) — almost always one of a handful — and letting OpenSSL decode it
 * again for each one was a few per cent of an access point's CPU. X509Certificate is immutable, so
 * sharing one object is safe; sharing it also lets caches keyed by the object (WeakMap) hit. Only
 * certificates that decode are kept; bytes that do not decode throw a MalformedCertificateError
 * (`ERR_PKI_CERT_MALFORMED`, OpenSSL's reason as its cause) every time.
 */
const cache = new Map<string, X509Certificate>();
const MAX_ENTRIES = 1000;

/** `new X509Certificate(der)`, or the object made earlier for the same bytes; MalformedCertificateError if they are none. */
export function x509FromDer(der: Uint8Array): X509Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1");
  let cert = cache.get(key);
  if (cert) {
    cache.delete(key);
  } else {
    try {
      cert = new X509Certificate(der);
    } catch (cause) {
      throw new MalformedCertificateError(`not an X.509 certificate: ${(cause as Error).message}`, undefined, { cause });
    }
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, cert);
  return cert;
}
