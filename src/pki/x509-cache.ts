import { X509Certificate } from "node:crypto";

/**
 * X509Certificate objects by DER content. Every AS4 message and forretningsmelding carries its signer's
 * certificate (BinarySecurityToken, x5c) — almost always one of a handful — and letting OpenSSL decode it
 * again for each one was a few per cent of an access point's CPU. X509Certificate is immutable, so
 * sharing one object is safe; sharing it also lets caches keyed by the object (WeakMap) hit. Only
 * certificates that decode are kept, so a bad one throws exactly as `new X509Certificate` does.
 */
const cache = new Map<string, X509Certificate>();
const MAX_ENTRIES = 1000;

/** `new X509Certificate(der)`, or the object made earlier for the same bytes. */
export function x509FromDer(der: Uint8Array): X509Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1");
  let cert = cache.get(key);
  if (cert) {
    cache.delete(key);
  } else {
    cert = new X509Certificate(der);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, cert);
  return cert;
}
