import { createCipheriv, randomBytes as nodeRandomBytes } from "node:crypto";
import { algorithm, integer, join, octetString, oid, sequence, setOf, TAG, tlvChunks } from "./der.js";
import { OID, type KeyTransportScheme } from "./cms-algorithms.js";
import { assertRsa, issuerAndSerialNumber, toCertificate, type CertificateInput } from "./certificates.js";
import { wrapContentKey } from "./rsa-key-transport.js";

/**
 * The envelope the integrasjonspunkt puts around a document package (efm-common CreateCMSDocument): CMS
 * EnvelopedData, one KeyTransRecipientInfo naming the recipient's certificate by issuer and serial number,
 * AES-256-CBC content. Key transport is RSAES-OAEP SHA-256/MGF1-SHA-256 for DPO and the other channels, RSA
 * PKCS#1 v1.5 for DPE (spec/eformidling.md §6.3).
 */

export interface EncryptCmsOptions {
  /** Source of the content key and IV (default node:crypto's CSPRNG). */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/** DER ContentInfo(EnvelopedData) of `content` for the holder of `recipientCertificate`. Throws PackagingKeyError. */
export function encryptCms(
  content: Uint8Array,
  recipientCertificate: CertificateInput,
  scheme: KeyTransportScheme,
  options: EncryptCmsOptions = {},
): Uint8Array {
  const certificate = toCertificate(recipientCertificate);
  assertRsa(certificate.publicKey, "the recipient's certificate key");
  const random = options.randomBytes ?? nodeRandomBytes;
  const cek = random(32);
  const iv = random(16);

  const cipher = createCipheriv("aes-256-cbc", cek, iv);
  const ciphertext = [cipher.update(content), cipher.final()];

  const wrapped = wrapContentKey(cek, certificate.publicKey, scheme);
  // KeyTransRecipientInfo ::= SEQUENCE { version 0, rid IssuerAndSerialNumber, keyEncryptionAlgorithm, encryptedKey }
  const recipientInfo = sequence(integer(0), issuerAndSerialNumber(certificate), wrapped.algorithm, octetString(wrapped.encryptedKey));
  // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, [0] IMPLICIT encryptedContent }
  const encryptedContentInfo = tlvChunks(TAG.sequence, [
    oid(OID.data),
    algorithm(OID.aes256Cbc, octetString(iv)),
    ...tlvChunks(0x80, ciphertext),
  ]);
  // version 0: no originator info, no unprotected attributes, only version-0 recipient infos (RFC 5652 §6.1)
  const envelopedData = tlvChunks(TAG.sequence, [integer(0), setOf([recipientInfo]), ...encryptedContentInfo]);
  return join(tlvChunks(TAG.sequence, [oid(OID.envelopedData), ...tlvChunks(0xa0, envelopedData)]));
}
