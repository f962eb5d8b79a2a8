import { BerReader, TAG, type Element } from "../asn1/ber.js";
import { berChecked, childrenOf, isA, isTagged } from "./cms-ber.js";
import { OID } from "./cms-algorithms.js";
import type { CertificateId } from "./certificates.js";
import { CmsMalformedError } from "./errors.js";

/**
 * Reads a CMS ContentInfo holding EnvelopedData or AuthEnvelopedData (RFC 5652 §6, RFC 5083) into what
 * decryption needs, with our BER reader: asn1js, which the envelope was read with before, took about 0.5 ms to
 * build its tree for a 25 kB package, more than the RSA decryption.
 *
 * The whole encoding is checked as BER first, as asn1js checked it by parsing all of it (and more strictly:
 * X.690's rules for universal types, which asn1js lets pass, are enforced). The fields are then walked by
 * position, accepting what the asn1js reading accepted: fields after the last one read are ignored, and
 * RecipientInfos other than key transport are skipped. test/packaging/cms-decrypt-differential.test.ts holds the
 * two readings side by side.
 */

export interface KeyTransportRecipient {
  readonly id: CertificateId;
  readonly algorithmId: string;
  readonly algorithmParams: Element | undefined;
  readonly encryptedKey: Uint8Array;
}

export interface Envelope {
  /** The reader of the envelope's bytes, for the algorithm parameters read later. */
  readonly reader: BerReader;
  readonly authenticated: boolean;
  readonly recipients: readonly KeyTransportRecipient[];
  readonly contentType: string;
  readonly cipherOid: string;
  readonly cipherParams: Element | undefined;
  readonly encryptedContent: Uint8Array;
  /** AuthEnvelopedData: DER of authAttrs as a SET (the GCM additional data), if present */
  readonly authAttrs?: Uint8Array;
  readonly mac?: Uint8Array;
}

/** Throws CmsMalformedError. */
export function readEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.byteLength === 0) throw new CmsMalformedError("the CMS is empty");
  const r = new BerReader(bytes);
  const root = berChecked(() => {
    const element = r.element(0, bytes.byteLength, 0, "ContentInfo");
    if (element.end !== bytes.byteLength) throw new CmsMalformedError(`${bytes.byteLength - element.end} bytes follow the CMS ContentInfo`);
    r.any(element, "ContentInfo");
    return element;
  });
  return berChecked(() => envelope(r, root));
}

function envelope(r: BerReader, root: Element): Envelope {
  const [contentType, explicitContent] = childrenOf(r, root);
  if (!isA(root, TAG.sequence) || !isA(contentType, TAG.oid) || !isTagged(explicitContent, 0)) {
    throw new CmsMalformedError("not a CMS ContentInfo");
  }
  const type = r.oid(contentType, "contentType");
  if (type !== OID.envelopedData && type !== OID.authEnvelopedData) {
    throw new CmsMalformedError(`the ContentInfo holds ${type}, not EnvelopedData or AuthEnvelopedData`);
  }
  const authenticated = type === OID.authEnvelopedData;
  const [body] = childrenOf(r, explicitContent);
  if (!isA(body, TAG.sequence)) throw new CmsMalformedError("the EnvelopedData is not a SEQUENCE");

  const fields = childrenOf(r, body);
  let at = 0;
  if (!isA(fields[at++], TAG.integer)) throw new CmsMalformedError("the EnvelopedData has no version");
  if (isTagged(fields[at], 0)) at++; // originatorInfo: certificates for key agreement, which we do not do
  const recipientInfos = fields[at++];
  const encryptedContentInfo = fields[at++];
  if (!isA(recipientInfos, TAG.set) || !isA(encryptedContentInfo, TAG.sequence)) {
    throw new CmsMalformedError("the EnvelopedData lacks recipientInfos or encryptedContentInfo");
  }
  let authAttrs: Uint8Array | undefined;
  let mac: Uint8Array | undefined;
  if (authenticated) {
    const attrs = fields[at];
    if (isTagged(attrs, 1)) {
      at++;
      // [1] IMPLICIT SET OF Attribute: GCM authenticates it as the SET it stands for (RFC 5083 §2.1).
      authAttrs = Uint8Array.from(r.encoding(attrs));
      authAttrs[0] = 0x31;
    }
    const macField = fields[at++];
    if (!isA(macField, TAG.octetString)) throw new CmsMalformedError("the AuthEnvelopedData has no MAC");
    mac = r.octets(macField, "mac");
  }

  const [eciType, eciAlgorithm, eciContent] = childrenOf(r, encryptedContentInfo);
  const [cipherOid, cipherParams] = childrenOf(r, eciAlgorithm);
  if (!isA(eciType, TAG.oid) || !isA(cipherOid, TAG.oid)) throw new CmsMalformedError("malformed EncryptedContentInfo");
  if (!isTagged(eciContent, 0)) throw new CmsMalformedError("the EnvelopedData carries no encrypted content");

  return {
    reader: r,
    authenticated,
    recipients: childrenOf(r, recipientInfos).flatMap((info) => keyTransportRecipient(r, info)),
    contentType: r.oid(eciType, "encryptedContentInfo.contentType"),
    cipherOid: r.oid(cipherOid, "encryptedContentInfo.contentEncryptionAlgorithm"),
    cipherParams,
    encryptedContent: r.octets(eciContent, "encryptedContent"),
    ...(authAttrs ? { authAttrs } : {}),
    ...(mac ? { mac } : {}),
  };
}

/* KeyTransRecipientInfo is the only untagged RecipientInfo choice; the others (agreement, KEK, password) are skipped. */
function keyTransportRecipient(r: BerReader, info: Element): KeyTransportRecipient[] {
  if (!isA(info, TAG.sequence)) return [];
  const [version, rid, algorithm, encryptedKey] = childrenOf(r, info);
  const [algorithmOid, algorithmParams] = childrenOf(r, algorithm);
  if (!isA(version, TAG.integer) || !isA(algorithmOid, TAG.oid) || !isA(encryptedKey, TAG.octetString)) {
    throw new CmsMalformedError("malformed KeyTransRecipientInfo");
  }
  let id: CertificateId;
  if (isA(rid, TAG.sequence)) {
    const [issuer, serialNumber] = childrenOf(r, rid);
    if (!isA(issuer, TAG.sequence) || !isA(serialNumber, TAG.integer)) throw new CmsMalformedError("malformed IssuerAndSerialNumber");
    id = { issuer: r.encoding(issuer), serialNumber: r.encoding(serialNumber) };
  } else if (isTagged(rid, 0)) {
    id = { subjectKeyIdentifier: r.octets(rid, "subjectKeyIdentifier") };
  } else {
    throw new CmsMalformedError("the KeyTransRecipientInfo names its recipient in no known way");
  }
  return [{ id, algorithmId: r.oid(algorithmOid, "keyEncryptionAlgorithm"), algorithmParams, encryptedKey: r.octets(encryptedKey, "encryptedKey") }];
}

