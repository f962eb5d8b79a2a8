import { createDecipheriv, createPublicKey, type X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import { CONTENT_CIPHER_BY_OID, HASH_BY_OID, OID, type ContentCipher, type KeyTransportScheme } from "../../src/packaging/cms-algorithms.js";
import { childrenOf, isContext, isOctetString, joinBytes, octetsOf, retagged } from "./asn1js-read.js";
import { assertRsa, type CertificateId, toCertificate, toPrivateKey, type CertificateInput, type PrivateKeyInput } from "../../src/packaging/certificates.js";
import { CmsDecryptError, CmsMalformedError, CmsUnsupportedAlgorithmError, CmsWrongRecipientError, PackagingKeyError } from "../../src/packaging/errors.js";
import { unwrapContentKey, type KeyTransportAlgorithm } from "../../src/packaging/rsa-key-transport.js";

/**
 * decryptCms as it was before it read the envelope with our BER reader: asn1js' tree walked by position, the
 * recipient's certificate read with asn1js too. Kept, unchanged but for names, as the reference of
 * cms-decrypt-differential.test.ts; the RSA unwrapping and the content ciphers are the shared ones, which did not
 * change.
 */

export interface DecryptedCms {
  readonly content: Uint8Array;
  readonly contentType: string;
  readonly keyTransport: KeyTransportScheme;
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
export function decryptCmsWithAsn1js(bytes: Uint8Array, privateKey: PrivateKeyInput, certificate: CertificateInput): DecryptedCms {
  const key = toPrivateKey(privateKey);
  const cert = toCertificate(certificate);
  assertRsa(key, "the private key");
  if (!createPublicKey(key).equals(cert.publicKey)) throw new PackagingKeyError("the private key does not belong to the certificate");

  const envelope = parseEnvelope(bytes);
  const cipher = contentCipher(envelope);
  const recipient = envelope.recipients.find((r) => oldIdentifies(r.id, cert));
  if (!recipient) throw new CmsWrongRecipientError("no key transport recipient is addressed to the given certificate");
  const transport = oldKeyTransportAlgorithm(recipient.algorithmId, recipient.algorithmParams);
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

// ---- key transport, as rsa-key-transport.ts read it -------------------------------------------------------

function oldKeyTransportAlgorithm(algorithmId: string, params: asn1js.AsnType | undefined): KeyTransportAlgorithm {
  if (algorithmId === OID.rsaEncryption) return { scheme: "rsa-pkcs1v15" };
  if (algorithmId !== OID.rsaesOaep) {
    throw new CmsUnsupportedAlgorithmError(`key transport ${algorithmId} is neither RSAES-OAEP nor RSAES-PKCS1-v1_5`);
  }

  let hash = "sha1";
  let mgfHash = "sha1";
  let label: Uint8Array = new Uint8Array(0);
  const fields = params instanceof asn1js.Sequence ? childrenOf(params) : [];
  if (params !== undefined && !(params instanceof asn1js.Sequence) && !(params instanceof asn1js.Null)) {
    throw new CmsMalformedError("the RSAES-OAEP parameters are not a SEQUENCE");
  }
  for (const field of fields) {
    const [inner] = childrenOf(field);
    const [innerOid, innerParams] = childrenOf(inner);
    if (field.idBlock.tagClass !== 3 || !(innerOid instanceof asn1js.ObjectIdentifier)) {
      throw new CmsMalformedError("malformed RSAES-OAEP parameters");
    }
    const id = innerOid.valueBlock.toString();
    switch (field.idBlock.tagNumber) {
      case 0:
        hash = hashName(id);
        break;
      case 1: {
        if (id !== OID.mgf1) throw new CmsUnsupportedAlgorithmError(`OAEP mask generation ${id} is not MGF1`);
        const [mgfHashOid] = childrenOf(innerParams);
        if (!(mgfHashOid instanceof asn1js.ObjectIdentifier)) throw new CmsMalformedError("MGF1 names no hash algorithm");
        mgfHash = hashName(mgfHashOid.valueBlock.toString());
        break;
      }
      case 2:
        if (id !== OID.pSpecified || !(innerParams instanceof asn1js.OctetString)) {
          throw new CmsUnsupportedAlgorithmError(`OAEP label source ${id} is not pSpecified`);
        }
        label = new Uint8Array(innerParams.valueBlock.valueHexView);
        break;
      default:
        throw new CmsMalformedError(`unknown RSAES-OAEP parameter [${field.idBlock.tagNumber}]`);
    }
  }
  if (hash !== mgfHash) throw new CmsUnsupportedAlgorithmError(`OAEP with ${hash} and MGF1-${mgfHash} is not supported`);
  return { scheme: "rsaes-oaep", oaepHash: hash, oaepLabel: label };
}

function hashName(id: string): string {
  const name = HASH_BY_OID[id];
  if (name === undefined) throw new CmsUnsupportedAlgorithmError(`hash algorithm ${id} is not supported`);
  return name;
}

// ---- the certificate, as certificates.ts read it (also for asn1js-cades-verify.ts) ------------------------------------------------------------

interface CertificateParts {
  readonly issuer: Uint8Array;
  readonly serialNumber: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
}

export function oldIdentifies(id: CertificateId, cert: X509Certificate): boolean {
  const mine = certificateParts(cert);
  if ("subjectKeyIdentifier" in id) {
    return mine.subjectKeyIdentifier !== undefined && Buffer.from(mine.subjectKeyIdentifier).equals(id.subjectKeyIdentifier);
  }
  return Buffer.from(mine.issuer).equals(id.issuer) && sameInteger(mine.serialNumber, id.serialNumber);
}

function certificateParts(cert: X509Certificate): CertificateParts {
  const asn = asn1js.fromBER(cert.raw);
  const tbs = asn.offset === -1 ? undefined : childrenOf(childrenOf(asn.result)[0]);
  // TBSCertificate: [0] version (absent for v1), serialNumber, signature, issuer, validity, subject, spki, ...
  const offset = tbs?.[0]?.idBlock.tagClass === 3 && tbs[0].idBlock.tagNumber === 0 ? 1 : 0;
  const serial = tbs?.[offset];
  const issuer = tbs?.[offset + 2];
  if (!(serial instanceof asn1js.Integer) || !(issuer instanceof asn1js.Sequence)) {
    throw new PackagingKeyError("the certificate's TBSCertificate has no serial number or issuer");
  }
  const ski = tbs === undefined ? undefined : subjectKeyIdentifierOf(tbs);
  const result: CertificateParts = {
    issuer: new Uint8Array(issuer.valueBeforeDecodeView),
    serialNumber: new Uint8Array(serial.valueBeforeDecodeView),
    ...(ski ? { subjectKeyIdentifier: ski } : {}),
  };
  return result;
}

/** INTEGER encodings compared by value: a producer may have re-encoded the serial (BER allows it). */
function sameInteger(a: Uint8Array, b: Uint8Array): boolean {
  const value = (der: Uint8Array) => {
    const asn = asn1js.fromBER(der);
    if (!(asn.result instanceof asn1js.Integer)) return "";
    return Buffer.from(asn.result.valueBlock.valueHexView).toString("hex").replace(/^(00)+(?=.)/, "");
  };
  const va = value(a);
  return va !== "" && va === value(b);
}

function subjectKeyIdentifierOf(tbs: asn1js.AsnType[]): Uint8Array | undefined {
  const extensions = tbs.find((el) => el.idBlock.tagClass === 3 && el.idBlock.tagNumber === 3);
  for (const ext of childrenOf(childrenOf(extensions)[0])) {
    const [id, ...rest] = childrenOf(ext);
    const value = rest[rest.length - 1];
    if (!(id instanceof asn1js.ObjectIdentifier) || id.valueBlock.toString() !== OID.subjectKeyIdentifier) continue;
    if (!(value instanceof asn1js.OctetString)) return undefined;
    const inner = asn1js.fromBER(value.valueBlock.valueHexView);
    return inner.result instanceof asn1js.OctetString ? new Uint8Array(inner.result.valueBlock.valueHexView) : undefined;
  }
  return undefined;
}
