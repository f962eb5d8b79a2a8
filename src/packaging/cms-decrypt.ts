import { createDecipheriv, createPublicKey } from "node:crypto";
import { TAG } from "../asn1/ber.js";
import { CONTENT_CIPHER_BY_OID, type ContentCipher, type KeyTransportScheme } from "./cms-algorithms.js";
import { assertRsa, identifies, toCertificate, toPrivateKey, type CertificateInput, type PrivateKeyInput } from "./certificates.js";
import { childrenOf, isA } from "./cms-ber.js";
import { readEnvelope, type Envelope } from "./cms-envelope.js";
import { CmsDecryptError, CmsMalformedError, CmsUnsupportedAlgorithmError, CmsWrongRecipientError, PackagingKeyError } from "./errors.js";
import { parseKeyTransportAlgorithm, unwrapContentKey } from "./rsa-key-transport.js";

/**
 * Opens the envelope of an incoming document package: CMS EnvelopedData with AES-CBC content, or
 * AuthEnvelopedData (RFC 5083) with AES-GCM, the key transported to our certificate with RSAES-OAEP or RSA
 * PKCS#1 v1.5. BER is accepted (BouncyCastle's streaming generator writes indefinite lengths and the content in
 * pieces). CBC content carries no integrity of its own: what makes a package trustworthy is the ASiC signature
 * inside, checked after this.
 */

export interface DecryptedCms {
  readonly content: Uint8Array;
  /** The encrypted content's type, 1.2.840.113549.1.7.1 (data) for a document package */
  readonly contentType: string;
  readonly keyTransport: KeyTransportScheme;
  /** node:crypto's name of the content cipher, e.g. "aes-256-cbc" */
  readonly contentEncryption: string;
}

/**
 * Decrypts with the recipient's key, finding its KeyTransRecipientInfo by the certificate's issuer and serial
 * number or subject key identifier. Throws CmsMalformedError, CmsUnsupportedAlgorithmError,
 * CmsWrongRecipientError, CmsDecryptError or PackagingKeyError.
 */
export function decryptCms(bytes: Uint8Array, privateKey: PrivateKeyInput, certificate: CertificateInput): DecryptedCms {
  const key = toPrivateKey(privateKey);
  const cert = toCertificate(certificate);
  assertRsa(key, "the private key");
  if (!createPublicKey(key).equals(cert.publicKey)) throw new PackagingKeyError("the private key does not belong to the certificate");

  const envelope = readEnvelope(bytes);
  const cipher = contentCipher(envelope);
  const recipient = envelope.recipients.find((r) => identifies(r.id, cert));
  if (!recipient) throw new CmsWrongRecipientError("no key transport recipient is addressed to the given certificate");
  const transport = parseKeyTransportAlgorithm(envelope.reader, recipient.algorithmId, recipient.algorithmParams);
  const cek = unwrapContentKey(recipient.encryptedKey, key, transport, cipher.keyLength);
  const content = cipher.mode === "cbc" ? decryptCbc(envelope, cipher, cek) : decryptGcm(envelope, cipher, cek);
  return { content, contentType: envelope.contentType, keyTransport: transport.scheme, contentEncryption: cipher.name };
}

/** AES-CBC content with its 16-byte IV. Throws CmsMalformedError (no such IV) or CmsDecryptError. */
export function decryptCbc(envelope: Envelope, cipher: ContentCipher, cek: Uint8Array): Uint8Array {
  const params = envelope.cipherParams;
  // A primitive OCTET STRING, as every producer writes it; a constructed one was never taken for an IV here.
  const iv = isA(params, TAG.octetString) && !params.constructed ? envelope.reader.octets(params, "IV") : undefined;
  if (iv?.byteLength !== 16) throw new CmsMalformedError(`${cipher.name} parameters are not a 16-byte IV`);
  try {
    const decipher = createDecipheriv(cipher.name, cek, iv);
    return joinBytes([decipher.update(envelope.encryptedContent), decipher.final()]);
  } catch (cause) {
    throw new CmsDecryptError("the content could not be decrypted", { cause });
  }
}

/* The whole plaintext is held until final() has checked the tag: nothing unauthenticated leaves. */
function decryptGcm(envelope: Envelope, cipher: ContentCipher, cek: Uint8Array): Uint8Array {
  // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen AES-GCM-ICVlen DEFAULT 12 }
  const r = envelope.reader;
  const [nonce, icvLen] = childrenOf(r, envelope.cipherParams);
  // The nonce primitive, as for the CBC IV (asn1js read a constructed one as empty, which failed as a wrong key).
  if (!isA(envelope.cipherParams, TAG.sequence) || !isA(nonce, TAG.octetString) || nonce.constructed) {
    throw new CmsMalformedError(`${cipher.name} parameters are not GCMParameters`);
  }
  const tagLength = isA(icvLen, TAG.integer) ? shortInteger(r.bytes.subarray(icvLen.contentStart, icvLen.contentEnd)) : 12;
  const mac = envelope.mac!;
  if (tagLength < 12 || tagLength > 16 || mac.byteLength !== tagLength) {
    throw new CmsMalformedError(`the GCM tag is ${mac.byteLength} bytes, parameters say ${tagLength}`);
  }
  try {
    const decipher = createDecipheriv(cipher.name as "aes-256-gcm", cek, r.octets(nonce, "nonce"), { authTagLength: tagLength });
    if (envelope.authAttrs) decipher.setAAD(envelope.authAttrs);
    decipher.setAuthTag(mac);
    return joinBytes([decipher.update(envelope.encryptedContent), decipher.final()]);
  } catch (cause) {
    throw new CmsDecryptError("the content could not be decrypted", { cause });
  }
}

function contentCipher(envelope: Envelope): ContentCipher {
  const cipher = CONTENT_CIPHER_BY_OID[envelope.cipherOid];
  if (!cipher) throw new CmsUnsupportedAlgorithmError(`content encryption ${envelope.cipherOid} is not AES-CBC or AES-GCM`);
  if ((cipher.mode === "gcm") !== envelope.authenticated) {
    throw new CmsUnsupportedAlgorithmError(
      `${cipher.name} in ${envelope.authenticated ? "AuthEnvelopedData" : "EnvelopedData"} is not supported`,
    );
  }
  return cipher;
}

/* An INTEGER's two's complement content; -1 for one of more than two octets, which is no tag length either. */
function shortInteger(content: Uint8Array): number {
  if (content.byteLength > 2) return -1;
  let value = content[0]! & 0x80 ? -1 : 0;
  for (const octet of content) value = value * 256 + octet;
  return value;
}

function joinBytes(parts: readonly Buffer[]): Uint8Array {
  const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}
