import { createDecipheriv, createPublicKey } from "node:crypto";
import * as asn1js from "asn1js";
import { CONTENT_CIPHER_BY_OID, OID, type ContentCipher, type KeyTransportScheme } from "./cms-algorithms.js";
import { childrenOf, isContext, isOctetString, joinBytes, octetsOf, retagged } from "./asn1-read.js";
import { assertRsa, identifies, type CertificateId, toCertificate, toPrivateKey, type CertificateInput, type PrivateKeyInput } from "./certificates.js";
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

interface KeyTransportRecipient {
  readonly id: CertificateId;
  readonly algorithmId: string;
  readonly algorithmParams: asn1js.AsnType | undefined;
  readonly encryptedKey: Uint8Array;
}

interface Envelope {
  readonly authenticated: boolean;
  readonly recipients: readonly KeyTransportRecipient[];
  readonly contentType: string;
  readonly cipherOid: string;
  readonly cipherParams: asn1js.AsnType | undefined;
  readonly encryptedContent: Uint8Array;
  /** AuthEnvelopedData: DER of authAttrs as a SET (the GCM additional data), if present */
  readonly authAttrs?: Uint8Array;
  readonly mac?: Uint8Array;
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

  const envelope = parseEnvelope(bytes);
  const cipher = contentCipher(envelope);
  const recipient = envelope.recipients.find((r) => identifies(r.id, cert));
  if (!recipient) throw new CmsWrongRecipientError("no key transport recipient is addressed to the given certificate");
  const transport = parseKeyTransportAlgorithm(recipient.algorithmId, recipient.algorithmParams);
  const cek = unwrapContentKey(recipient.encryptedKey, key, transport, cipher.keyLength);
  const content = cipher.mode === "cbc" ? decryptCbc(envelope, cipher, cek) : decryptGcm(envelope, cipher, cek);
  return { content, contentType: envelope.contentType, keyTransport: transport.scheme, contentEncryption: cipher.name };
}

function decryptCbc(envelope: Envelope, cipher: ContentCipher, cek: Uint8Array): Uint8Array {
  const iv = envelope.cipherParams;
  if (!(iv instanceof asn1js.OctetString) || iv.valueBlock.valueHexView.byteLength !== 16) {
    throw new CmsMalformedError(`${cipher.name} parameters are not a 16-byte IV`);
  }
  try {
    const decipher = createDecipheriv(cipher.name, cek, iv.valueBlock.valueHexView);
    return joinBytes([decipher.update(envelope.encryptedContent), decipher.final()]);
  } catch (cause) {
    throw new CmsDecryptError("the content could not be decrypted", { cause });
  }
}

/* The whole plaintext is held until final() has checked the tag: nothing unauthenticated leaves. */
function decryptGcm(envelope: Envelope, cipher: ContentCipher, cek: Uint8Array): Uint8Array {
  // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen AES-GCM-ICVlen DEFAULT 12 }
  const [nonce, icvLen] = childrenOf(envelope.cipherParams);
  if (!(envelope.cipherParams instanceof asn1js.Sequence) || !(nonce instanceof asn1js.OctetString)) {
    throw new CmsMalformedError(`${cipher.name} parameters are not GCMParameters`);
  }
  const tagLength = icvLen instanceof asn1js.Integer ? icvLen.valueBlock.valueDec : 12;
  const mac = envelope.mac!;
  if (tagLength < 12 || tagLength > 16 || mac.byteLength !== tagLength) {
    throw new CmsMalformedError(`the GCM tag is ${mac.byteLength} bytes, parameters say ${tagLength}`);
  }
  try {
    const decipher = createDecipheriv(cipher.name as "aes-256-gcm", cek, nonce.valueBlock.valueHexView, { authTagLength: tagLength });
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

// ---- parsing ----------------------------------------------------------------------------------------------

function parseEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.byteLength === 0) throw new CmsMalformedError("the CMS is empty");
  // A CMS in 1 KiB BER pieces has about one node per 256 bytes; the input is bounded by whoever read it.
  const asn = asn1js.fromBER(bytes, {
    copyInput: false,
    parseEmbedded: false,
    maxContentLength: bytes.byteLength,
    maxNodes: Math.max(10_000, Math.ceil(bytes.byteLength / 256)),
  });
  if (asn.offset === -1 || asn.result.error) throw new CmsMalformedError(`not BER-encoded ASN.1: ${asn.result.error || "decoding failed"}`);
  if (asn.offset !== bytes.byteLength) throw new CmsMalformedError(`${bytes.byteLength - asn.offset} bytes follow the CMS ContentInfo`);

  const [contentType, explicitContent] = childrenOf(asn.result);
  if (!(asn.result instanceof asn1js.Sequence) || !(contentType instanceof asn1js.ObjectIdentifier) || !isContext(explicitContent, 0)) {
    throw new CmsMalformedError("not a CMS ContentInfo");
  }
  const type = contentType.valueBlock.toString();
  if (type !== OID.envelopedData && type !== OID.authEnvelopedData) {
    throw new CmsMalformedError(`the ContentInfo holds ${type}, not EnvelopedData or AuthEnvelopedData`);
  }
  const authenticated = type === OID.authEnvelopedData;
  const [body] = childrenOf(explicitContent);
  if (!(body instanceof asn1js.Sequence)) throw new CmsMalformedError("the EnvelopedData is not a SEQUENCE");

  const fields = childrenOf(body);
  let at = 0;
  if (!(fields[at++] instanceof asn1js.Integer)) throw new CmsMalformedError("the EnvelopedData has no version");
  if (isContext(fields[at], 0)) at++; // originatorInfo: certificates for key agreement, which we do not do
  const recipientInfos = fields[at++];
  const encryptedContentInfo = fields[at++];
  if (!(recipientInfos instanceof asn1js.Set) || !(encryptedContentInfo instanceof asn1js.Sequence)) {
    throw new CmsMalformedError("the EnvelopedData lacks recipientInfos or encryptedContentInfo");
  }
  let authAttrs: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  if (authenticated) {
    if (isContext(fields[at], 1)) authAttrs = retagged(fields[at++]!, 0x31);
    const macField = fields[at++];
    if (!(macField instanceof asn1js.OctetString)) throw new CmsMalformedError("the AuthEnvelopedData has no MAC");
    mac = requireOctets(macField);
  }

  const [eciType, eciAlgorithm, eciContent] = childrenOf(encryptedContentInfo);
  const [cipherOid, cipherParams] = childrenOf(eciAlgorithm);
  if (!(eciType instanceof asn1js.ObjectIdentifier) || !(cipherOid instanceof asn1js.ObjectIdentifier)) {
    throw new CmsMalformedError("malformed EncryptedContentInfo");
  }
  if (!isContext(eciContent, 0)) throw new CmsMalformedError("the EnvelopedData carries no encrypted content");

  return {
    authenticated,
    recipients: childrenOf(recipientInfos).flatMap(keyTransportRecipient),
    contentType: eciType.valueBlock.toString(),
    cipherOid: cipherOid.valueBlock.toString(),
    cipherParams,
    encryptedContent: requireOctets(eciContent),
    ...(authAttrs ? { authAttrs } : {}),
    ...(mac ? { mac } : {}),
  };
}

/* KeyTransRecipientInfo is the only untagged RecipientInfo choice; the others (agreement, KEK, password) are skipped. */
function keyTransportRecipient(info: asn1js.AsnType): KeyTransportRecipient[] {
  if (!(info instanceof asn1js.Sequence)) return [];
  const [version, rid, algorithm, encryptedKey] = childrenOf(info);
  const [algorithmOid, algorithmParams] = childrenOf(algorithm);
  if (!(version instanceof asn1js.Integer) || !(algorithmOid instanceof asn1js.ObjectIdentifier) || !isOctetString(encryptedKey)) {
    throw new CmsMalformedError("malformed KeyTransRecipientInfo");
  }
  let id: KeyTransportRecipient["id"];
  if (rid instanceof asn1js.Sequence) {
    const [issuer, serialNumber] = childrenOf(rid);
    if (!(issuer instanceof asn1js.Sequence) || !(serialNumber instanceof asn1js.Integer)) {
      throw new CmsMalformedError("malformed IssuerAndSerialNumber");
    }
    id = { issuer: new Uint8Array(issuer.valueBeforeDecodeView), serialNumber: new Uint8Array(serialNumber.valueBeforeDecodeView) };
  } else if (isContext(rid, 0)) {
    id = { subjectKeyIdentifier: requireOctets(rid) };
  } else {
    throw new CmsMalformedError("the KeyTransRecipientInfo names its recipient in no known way");
  }
  return [{ id, algorithmId: algorithmOid.valueBlock.toString(), algorithmParams, encryptedKey: requireOctets(encryptedKey) }];
}

function requireOctets(el: asn1js.AsnType): Uint8Array {
  const bytes = octetsOf(el);
  if (bytes === undefined) throw new CmsMalformedError("a constructed OCTET STRING holds something else");
  return bytes;
}
