import { BerError, BerReader, CONTEXT, TAG, describe, isContext, isUniversal, type Element, type Items } from "../asn1/ber.js";
import { CMS_OIDS } from "./cms-oids.js";
import { DokumentpakkeNotCmsError } from "./errors.js";

/**
 * The structure check of a dokumentpakke, read from its skeleton (cms-skeleton.ts): ContentInfo, EnvelopedData
 * and every RecipientInfo checked against RFC 5652's syntax, and the algorithms described. It reads the BER
 * directly instead of through asn1js and pkijs, which build their ASN.1 schemas anew on every call: for a
 * skeleton of under 1 KiB that was 8 % of the sending access point's CPU per letter, and is now a few µs.
 *
 * It accepts what pkijs accepts where a test or a producer depends on it, and is stricter where pkijs is lax
 * (test/dpi/cms-summary.test.ts holds the two side by side and lists every difference): elements after the
 * last field of a SEQUENCE are refused, except after the encrypted content and after ContentInfo's content,
 * where pkijs' acceptance is part of the skeleton's contract.
 */

export interface KeyTransportRecipientSummary {
  /** keyEncryptionAlgorithm OID, 1.2.840.113549.1.1.7 for RSAES-OAEP */
  readonly keyEncryptionAlgorithm: string;
  /** OAEP only: hash OID (the RFC 8017 default SHA-1 when the parameters leave it out) */
  readonly oaepHashAlgorithm?: string;
  /** OAEP only: mask generation function OID (MGF1 = 1.2.840.113549.1.1.8) */
  readonly oaepMaskGenAlgorithm?: string;
  /** OAEP with MGF1 only: MGF1's hash OID */
  readonly oaepMgf1HashAlgorithm?: string;
  /** OAEP only: whether the label (pSpecified) is empty, as every DPI producer writes it */
  readonly oaepEmptyLabel?: boolean;
  readonly identifiedBy: "issuerAndSerialNumber" | "subjectKeyIdentifier";
}

export interface EnvelopedDataSummary {
  readonly version: number;
  readonly recipientCount: number;
  /** The KeyTransRecipientInfos, in order; other recipient kinds are only counted. */
  readonly keyTransportRecipients: readonly KeyTransportRecipientSummary[];
  /** Shortcuts for the first KeyTransRecipientInfo (DPI has exactly one). */
  readonly keyTransportAlgorithm?: string;
  readonly oaepHashAlgorithm?: string;
  readonly oaepMgf1HashAlgorithm?: string;
  /** Type of the encrypted content, 1.2.840.113549.1.7.1 (data) for DPI */
  readonly contentType: string;
  readonly contentEncryptionAlgorithm: string;
}

/** Describes the CMS whose skeleton this is. Throws DokumentpakkeNotCmsError. */
export function summarizeEnvelopedData(skeleton: Uint8Array): EnvelopedDataSummary {
  const r = new BerReader(skeleton);
  const enveloped = within("not a CMS ContentInfo", () => contentInfo(r));
  return within("malformed EnvelopedData", () => envelopedData(r, enveloped));
}

/* The reader's errors say what is wrong where; this says in which structure. */
function within<T>(structure: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof BerError) throw new DokumentpakkeNotCmsError(`${structure}: ${err.message}`, { cause: err });
    throw err;
  }
}

function sequence(e: Element, where: string): void {
  if (!isUniversal(e, TAG.sequence)) throw new BerError(`${where}: ${describe(e)}, not a SEQUENCE`);
}

function constructedContext(e: Element, tagNumber: number, where: string): void {
  if (!isContext(e, tagNumber) || !e.constructed) {
    throw new BerError(`${where}: ${e.constructed ? "" : "primitive "}${describe(e)}, not a constructed [${tagNumber}]`);
  }
}

/* Elements that pkijs lets follow the last field (see the module comment) must still be BER. */
function anyRest(r: BerReader, items: Items, where: string): void {
  for (let e = items.take(); e !== undefined; e = items.take()) r.any(e, where);
}

/** ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }; returns the content. */
function contentInfo(r: BerReader): Element {
  const size = r.bytes.byteLength;
  if (size === 0) throw new BerError("no bytes");
  const ci = r.element(0, size, 0, "ContentInfo");
  sequence(ci, "ContentInfo");
  if (ci.end !== size) throw new DokumentpakkeNotCmsError(`${size - ci.end} bytes follow the CMS ContentInfo`);
  const items = r.items(ci, "ContentInfo");
  const contentType = r.oid(items.next("contentType"), "contentType");
  if (contentType !== CMS_OIDS.envelopedData) {
    throw new DokumentpakkeNotCmsError(`ContentInfo content type is ${contentType}, not EnvelopedData (${CMS_OIDS.envelopedData})`);
  }
  const content = items.next("content");
  constructedContext(content, 0, "content");
  anyRest(r, items, "ContentInfo");
  const explicit = r.items(content, "content");
  const enveloped = explicit.next("EnvelopedData");
  explicit.end("EnvelopedData");
  return enveloped;
}

/*
 * EnvelopedData ::= SEQUENCE { version CMSVersion, originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *   recipientInfos SET OF RecipientInfo, encryptedContentInfo EncryptedContentInfo,
 *   unprotectedAttrs [1] IMPLICIT SET OF Attribute OPTIONAL }
 */
function envelopedData(r: BerReader, ed: Element): EnvelopedDataSummary {
  sequence(ed, "EnvelopedData");
  const items = r.items(ed, "EnvelopedData");
  const version = r.smallInteger(items.next("version"), "version");
  let field = items.next("recipientInfos");
  if (isContext(field, 0)) {
    originatorInfo(r, field);
    field = items.next("recipientInfos");
  }
  if (!isUniversal(field, TAG.set)) throw new BerError(`recipientInfos: ${describe(field)}, not a SET`);
  const recipients = r.items(field, "recipientInfos");
  const keyTransportRecipients: KeyTransportRecipientSummary[] = [];
  let recipientCount = 0;
  for (let ri = recipients.take(); ri !== undefined; ri = recipients.take()) {
    const summary = recipientInfo(r, ri, `recipientInfos[${recipientCount}]`);
    if (summary) keyTransportRecipients.push(summary);
    recipientCount++;
  }
  if (recipientCount === 0) throw new BerError("recipientInfos is empty");
  const { contentType, contentEncryptionAlgorithm } = encryptedContentInfo(r, items.next("encryptedContentInfo"));
  let last = "encryptedContentInfo";
  let extra = items.take();
  if (extra !== undefined && isContext(extra, 1)) {
    unprotectedAttrs(r, extra);
    last = "unprotectedAttrs";
    extra = items.take();
  }
  if (extra !== undefined) throw new BerError(`${describe(extra)} after ${last}`);
  const first = keyTransportRecipients[0];
  return {
    version,
    recipientCount,
    keyTransportRecipients,
    ...(first ? { keyTransportAlgorithm: first.keyEncryptionAlgorithm } : {}),
    ...(first?.oaepHashAlgorithm ? { oaepHashAlgorithm: first.oaepHashAlgorithm } : {}),
    ...(first?.oaepMgf1HashAlgorithm ? { oaepMgf1HashAlgorithm: first.oaepMgf1HashAlgorithm } : {}),
    contentType,
    contentEncryptionAlgorithm,
  };
}

/*
 * EncryptedContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, contentEncryptionAlgorithm
 *   AlgorithmIdentifier, encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }. The content is primitive, or
 * constructed from primitive OCTET STRINGs (pkijs' schema); in a skeleton it is empty.
 */
function encryptedContentInfo(r: BerReader, eci: Element): { contentType: string; contentEncryptionAlgorithm: string } {
  const where = "encryptedContentInfo";
  sequence(eci, where);
  const items = r.items(eci, where);
  const contentType = r.oid(items.next("contentType"), `${where}.contentType`);
  const contentEncryptionAlgorithm = algorithmIdentifier(r, items.next("contentEncryptionAlgorithm"), `${where}.contentEncryptionAlgorithm`).oid;
  const content = items.take();
  if (content === undefined) throw new DokumentpakkeNotCmsError("EnvelopedData carries no encrypted content");
  if (!isContext(content, 0)) throw new BerError(`${where}: ${describe(content)} where the encrypted content [0] belongs`);
  if (content.constructed) {
    const chunks = r.items(content, `${where}.encryptedContent`);
    for (let chunk = chunks.take(); chunk !== undefined; chunk = chunks.take()) {
      r.primitiveOctetString(chunk, `${where}.encryptedContent`);
    }
  }
  anyRest(r, items, where);
  return { contentType, contentEncryptionAlgorithm };
}

interface Algorithm {
  readonly oid: string;
  readonly parameters: Element | undefined;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function algorithmIdentifier(r: BerReader, e: Element, where: string): Algorithm {
  sequence(e, where);
  const items = r.items(e, where);
  const oid = r.oid(items.next("algorithm"), `${where}.algorithm`);
  const parameters = items.take();
  if (parameters !== undefined) {
    r.any(parameters, `${where}.parameters`);
    items.end("parameters");
  }
  return { oid, parameters };
}

/* RecipientInfo ::= CHOICE { ktri KeyTransRecipientInfo, kari [1], kekri [2], pwri [3], ori [4] } */
function recipientInfo(r: BerReader, e: Element, where: string): KeyTransportRecipientSummary | undefined {
  if (isUniversal(e, TAG.sequence)) return keyTransRecipientInfo(r, e, where);
  if (e.tagClass === CONTEXT && e.constructed) {
    switch (e.tagNumber) {
      case 1:
        keyAgreeRecipientInfo(r, e, `${where} (KeyAgreeRecipientInfo)`);
        return undefined;
      case 2:
        kekRecipientInfo(r, e, `${where} (KEKRecipientInfo)`);
        return undefined;
      case 3:
        passwordRecipientInfo(r, e, `${where} (PasswordRecipientInfo)`);
        return undefined;
      case 4:
        otherRecipientInfo(r, e, `${where} (OtherRecipientInfo)`);
        return undefined;
    }
  }
  throw new BerError(`${where}: ${e.constructed ? "" : "primitive "}${describe(e)}, not a RecipientInfo`);
}

/*
 * KeyTransRecipientInfo ::= SEQUENCE { version CMSVersion, rid RecipientIdentifier, keyEncryptionAlgorithm
 *   AlgorithmIdentifier, encryptedKey OCTET STRING }
 * RecipientIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber, subjectKeyIdentifier [0] }
 */
function keyTransRecipientInfo(r: BerReader, e: Element, where: string): KeyTransportRecipientSummary {
  const items = r.items(e, where);
  r.integer(items.next("version"), `${where}.version`);
  const rid = items.next("rid");
  let identifiedBy: KeyTransportRecipientSummary["identifiedBy"];
  if (isUniversal(rid, TAG.sequence)) {
    issuerAndSerialNumber(r, rid, `${where}.rid`);
    identifiedBy = "issuerAndSerialNumber";
  } else if (isContext(rid, 0) && !rid.constructed) {
    identifiedBy = "subjectKeyIdentifier";
  } else {
    throw new BerError(`${where}.rid: ${rid.constructed ? "constructed " : ""}${describe(rid)}, not a RecipientIdentifier`);
  }
  const algorithm = algorithmIdentifier(r, items.next("keyEncryptionAlgorithm"), `${where}.keyEncryptionAlgorithm`);
  r.primitiveOctetString(items.next("encryptedKey"), `${where}.encryptedKey`);
  items.end("encryptedKey");
  const keyEncryptionAlgorithm = algorithm.oid;
  if (keyEncryptionAlgorithm !== CMS_OIDS.rsaesOaep) return { keyEncryptionAlgorithm, identifiedBy };
  const oaep = within("malformed RSAES-OAEP parameters", () => oaepParameters(r, algorithm.parameters, `${where}.keyEncryptionAlgorithm.parameters`));
  return {
    keyEncryptionAlgorithm,
    oaepHashAlgorithm: oaep.hash,
    oaepMaskGenAlgorithm: oaep.maskGen,
    ...(oaep.mgf1Hash ? { oaepMgf1HashAlgorithm: oaep.mgf1Hash } : {}),
    oaepEmptyLabel: oaep.emptyLabel,
    identifiedBy,
  };
}

interface Oaep {
  readonly hash: string;
  readonly maskGen: string;
  readonly mgf1Hash: string | undefined;
  readonly emptyLabel: boolean;
}

/** RFC 8017 A.2.1's defaults: SHA-1, MGF1 with SHA-1, the empty label. */
const DEFAULT_OAEP: Oaep = { hash: CMS_OIDS.sha1, maskGen: CMS_OIDS.mgf1, mgf1Hash: CMS_OIDS.sha1, emptyLabel: true };

/*
 * RSAES-OAEP-params ::= SEQUENCE { hashAlgorithm [0] HashAlgorithm DEFAULT sha1, maskGenAlgorithm [1]
 *   MaskGenAlgorithm DEFAULT mgf1SHA1, pSourceAlgorithm [2] PSourceAlgorithm DEFAULT pSpecifiedEmpty }
 * Absent (or NULL) parameters mean all defaults. BouncyCastle writes NULL parameters on the hash
 * AlgorithmIdentifiers and OpenSSL omits them; both read the same. The label counts as empty only when it is
 * pSpecified with an empty OCTET STRING, as every DPI producer writes it.
 */
function oaepParameters(r: BerReader, parameters: Element | undefined, where: string): Oaep {
  if (parameters === undefined || isUniversal(parameters, TAG.null)) return DEFAULT_OAEP;
  sequence(parameters, where);
  const items = r.items(parameters, where);
  let { hash, maskGen, mgf1Hash, emptyLabel } = DEFAULT_OAEP;
  let e = items.take();
  if (e !== undefined && isContext(e, 0)) {
    hash = explicitAlgorithm(r, e, 0, `${where}.hashAlgorithm`).oid;
    e = items.take();
  }
  if (e !== undefined && isContext(e, 1)) {
    const mgf = explicitAlgorithm(r, e, 1, `${where}.maskGenAlgorithm`);
    maskGen = mgf.oid;
    mgf1Hash = maskGen === CMS_OIDS.mgf1 ? mgf1HashOf(r, mgf.parameters, `${where}.maskGenAlgorithm.parameters`) : undefined;
    e = items.take();
  }
  if (e !== undefined && isContext(e, 2)) {
    const pSource = explicitAlgorithm(r, e, 2, `${where}.pSourceAlgorithm`);
    const label = pSource.parameters;
    emptyLabel =
      pSource.oid === CMS_OIDS.pSpecified &&
      label !== undefined &&
      isUniversal(label, TAG.octetString) &&
      r.octetStringLength(label, `${where}.pSourceAlgorithm.parameters`) === 0;
    e = items.take();
  }
  if (e !== undefined) throw new BerError(`${where}: ${describe(e)} out of place`);
  return { hash, maskGen, mgf1Hash, emptyLabel };
}

/* [n] EXPLICIT AlgorithmIdentifier */
function explicitAlgorithm(r: BerReader, e: Element, tagNumber: number, where: string): Algorithm {
  constructedContext(e, tagNumber, where);
  const items = r.items(e, where);
  const algorithm = algorithmIdentifier(r, items.next("AlgorithmIdentifier"), where);
  items.end("AlgorithmIdentifier");
  return algorithm;
}

/* MGF1's parameters are the hash it uses (RFC 8017 B.2.1): required. */
function mgf1HashOf(r: BerReader, parameters: Element | undefined, where: string): string {
  if (parameters === undefined) throw new BerError(`${where}: MGF1 without its hash algorithm`);
  return algorithmIdentifier(r, parameters, where).oid;
}

/** IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER } */
function issuerAndSerialNumber(r: BerReader, e: Element, where: string): void {
  sequence(e, where);
  const items = r.items(e, where);
  name(r, items.next("issuer"), `${where}.issuer`);
  r.integer(items.next("serialNumber"), `${where}.serialNumber`);
  items.end("serialNumber");
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName; RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
 * AttributeTypeAndValue; AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }.
 * The values are only checked as BER: which string types a certificate uses is its issuer's business.
 */
function name(r: BerReader, e: Element, where: string): void {
  sequence(e, where);
  const rdns = r.items(e, where);
  for (let rdn = rdns.take(); rdn !== undefined; rdn = rdns.take()) {
    if (!isUniversal(rdn, TAG.set)) throw new BerError(`${where}: ${describe(rdn)}, not a SET`);
    const atvs = r.items(rdn, where);
    if (atvs.peek() === undefined) throw new BerError(`${where}: an empty RelativeDistinguishedName`);
    for (let atv = atvs.take(); atv !== undefined; atv = atvs.take()) {
      sequence(atv, where);
      const fields = r.items(atv, where);
      r.oid(fields.next("type"), where);
      r.any(fields.next("value"), where);
      fields.end("value");
    }
  }
}

/*
 * KeyAgreeRecipientInfo ::= SEQUENCE { version CMSVersion, originator [0] EXPLICIT OriginatorIdentifierOrKey,
 *   ukm [1] EXPLICIT OCTET STRING OPTIONAL, keyEncryptionAlgorithm AlgorithmIdentifier,
 *   recipientEncryptedKeys SEQUENCE OF RecipientEncryptedKey }
 */
function keyAgreeRecipientInfo(r: BerReader, e: Element, where: string): void {
  const items = r.items(e, where);
  r.integer(items.next("version"), `${where}.version`);
  const originator = items.next("originator");
  constructedContext(originator, 0, `${where}.originator`);
  const choice = r.items(originator, `${where}.originator`);
  const id = choice.next("OriginatorIdentifierOrKey");
  if (isUniversal(id, TAG.sequence)) issuerAndSerialNumber(r, id, `${where}.originator`);
  else if (isContext(id, 1) && id.constructed) {
    const key = r.items(id, `${where}.originator.originatorKey`);
    algorithmIdentifier(r, key.next("algorithm"), `${where}.originator.originatorKey.algorithm`);
    const publicKey = key.next("publicKey");
    if (!isUniversal(publicKey, TAG.bitString) || publicKey.constructed) {
      throw new BerError(`${where}.originator.originatorKey.publicKey: ${describe(publicKey)}, not a primitive BIT STRING`);
    }
    r.any(publicKey, `${where}.originator.originatorKey.publicKey`);
    key.end("publicKey");
  } else if (!(isContext(id, 0) && !id.constructed)) {
    throw new BerError(`${where}.originator: ${describe(id)}, not an OriginatorIdentifierOrKey`);
  }
  choice.end("OriginatorIdentifierOrKey");
  let field = items.next("keyEncryptionAlgorithm");
  if (isContext(field, 1)) {
    constructedContext(field, 1, `${where}.ukm`);
    const ukm = r.items(field, `${where}.ukm`);
    r.primitiveOctetString(ukm.next("OCTET STRING"), `${where}.ukm`);
    ukm.end("OCTET STRING");
    field = items.next("keyEncryptionAlgorithm");
  }
  algorithmIdentifier(r, field, `${where}.keyEncryptionAlgorithm`);
  const keys = items.next("recipientEncryptedKeys");
  sequence(keys, `${where}.recipientEncryptedKeys`);
  const each = r.items(keys, `${where}.recipientEncryptedKeys`);
  // A key agreement for nobody is no recipient (pkijs fails on it too).
  if (each.peek() === undefined) throw new BerError(`${where}.recipientEncryptedKeys is empty`);
  for (let key = each.take(), i = 0; key !== undefined; key = each.take(), i++) {
    recipientEncryptedKey(r, key, `${where}.recipientEncryptedKeys[${i}]`);
  }
  items.end("recipientEncryptedKeys");
}

/*
 * RecipientEncryptedKey ::= SEQUENCE { rid KeyAgreeRecipientIdentifier, encryptedKey OCTET STRING }
 * KeyAgreeRecipientIdentifier ::= CHOICE { issuerAndSerialNumber, rKeyId [0] IMPLICIT RecipientKeyIdentifier }
 */
function recipientEncryptedKey(r: BerReader, e: Element, where: string): void {
  sequence(e, where);
  const items = r.items(e, where);
  const rid = items.next("rid");
  if (isUniversal(rid, TAG.sequence)) issuerAndSerialNumber(r, rid, `${where}.rid`);
  else if (isContext(rid, 0) && rid.constructed) keyIdentifier(r, rid, `${where}.rid`);
  else throw new BerError(`${where}.rid: ${describe(rid)}, not a KeyAgreeRecipientIdentifier`);
  r.primitiveOctetString(items.next("encryptedKey"), `${where}.encryptedKey`);
  items.end("encryptedKey");
}

/*
 * RecipientKeyIdentifier and KEKIdentifier, the same fields: SEQUENCE { OCTET STRING, date GeneralizedTime
 * OPTIONAL, other OtherKeyAttribute OPTIONAL }; OtherKeyAttribute ::= SEQUENCE { keyAttrId OBJECT IDENTIFIER,
 * keyAttr ANY OPTIONAL }
 */
function keyIdentifier(r: BerReader, e: Element, where: string): void {
  const items = r.items(e, where);
  r.primitiveOctetString(items.next("key identifier"), where);
  let field = items.take();
  if (field !== undefined && isUniversal(field, TAG.generalizedTime)) {
    r.generalizedTime(field, `${where}.date`);
    field = items.take();
  }
  if (field !== undefined) {
    sequence(field, `${where}.other`);
    const other = r.items(field, `${where}.other`);
    r.oid(other.next("keyAttrId"), `${where}.other`);
    const keyAttr = other.take();
    if (keyAttr !== undefined) {
      r.any(keyAttr, `${where}.other`);
      other.end("keyAttr");
    }
    items.end("other");
  }
}

/*
 * KEKRecipientInfo ::= SEQUENCE { version CMSVersion, kekid KEKIdentifier, keyEncryptionAlgorithm
 *   AlgorithmIdentifier, encryptedKey OCTET STRING }
 */
function kekRecipientInfo(r: BerReader, e: Element, where: string): void {
  const items = r.items(e, where);
  r.integer(items.next("version"), `${where}.version`);
  const kekid = items.next("kekid");
  sequence(kekid, `${where}.kekid`);
  keyIdentifier(r, kekid, `${where}.kekid`);
  algorithmIdentifier(r, items.next("keyEncryptionAlgorithm"), `${where}.keyEncryptionAlgorithm`);
  r.primitiveOctetString(items.next("encryptedKey"), `${where}.encryptedKey`);
  items.end("encryptedKey");
}

/*
 * PasswordRecipientInfo ::= SEQUENCE { version CMSVersion, keyDerivationAlgorithm [0] IMPLICIT
 *   AlgorithmIdentifier OPTIONAL, keyEncryptionAlgorithm AlgorithmIdentifier, encryptedKey OCTET STRING }
 */
function passwordRecipientInfo(r: BerReader, e: Element, where: string): void {
  const items = r.items(e, where);
  r.integer(items.next("version"), `${where}.version`);
  let field = items.next("keyEncryptionAlgorithm");
  if (isContext(field, 0)) {
    constructedContext(field, 0, `${where}.keyDerivationAlgorithm`);
    const kdf = r.items(field, `${where}.keyDerivationAlgorithm`);
    r.oid(kdf.next("algorithm"), `${where}.keyDerivationAlgorithm`);
    const parameters = kdf.take();
    if (parameters !== undefined) {
      r.any(parameters, `${where}.keyDerivationAlgorithm`);
      kdf.end("parameters");
    }
    field = items.next("keyEncryptionAlgorithm");
  }
  algorithmIdentifier(r, field, `${where}.keyEncryptionAlgorithm`);
  r.primitiveOctetString(items.next("encryptedKey"), `${where}.encryptedKey`);
  items.end("encryptedKey");
}

/* OtherRecipientInfo ::= SEQUENCE { oriType OBJECT IDENTIFIER, oriValue ANY } */
function otherRecipientInfo(r: BerReader, e: Element, where: string): void {
  const items = r.items(e, where);
  r.oid(items.next("oriType"), `${where}.oriType`);
  r.any(items.next("oriValue"), `${where}.oriValue`);
  items.end("oriValue");
}

/*
 * OriginatorInfo ::= SEQUENCE { certs [0] IMPLICIT CertificateSet OPTIONAL, crls [1] IMPLICIT
 * RevocationInfoChoices OPTIONAL }. The certificates and CRLs are only checked as BER, not as X.509: nothing
 * here uses them, and no DPI producer sends them.
 */
function originatorInfo(r: BerReader, e: Element): void {
  const where = "originatorInfo";
  constructedContext(e, 0, where);
  const items = r.items(e, where);
  let field = items.take();
  if (field !== undefined && isContext(field, 0)) {
    constructedContext(field, 0, `${where}.certs`);
    const certs = r.items(field, `${where}.certs`);
    for (let cert = certs.take(); cert !== undefined; cert = certs.take()) {
      // CertificateChoices: a Certificate, or [0] to [3] for the older and other formats.
      const ok = isUniversal(cert, TAG.sequence) || (cert.tagClass === CONTEXT && cert.constructed && cert.tagNumber <= 3);
      if (!ok) throw new BerError(`${where}.certs: ${describe(cert)}, not a CertificateChoices`);
      r.any(cert, `${where}.certs`);
    }
    field = items.take();
  }
  if (field !== undefined && isContext(field, 1)) {
    constructedContext(field, 1, `${where}.crls`);
    const crls = r.items(field, `${where}.crls`);
    for (let crl = crls.take(); crl !== undefined; crl = crls.take()) {
      if (isUniversal(crl, TAG.sequence)) r.any(crl, `${where}.crls`);
      else if (isContext(crl, 1) && crl.constructed) {
        // OtherRevocationInfoFormat ::= SEQUENCE { otherRevInfoFormat OBJECT IDENTIFIER, otherRevInfo ANY }
        const other = r.items(crl, `${where}.crls`);
        r.oid(other.next("otherRevInfoFormat"), `${where}.crls`);
        r.any(other.next("otherRevInfo"), `${where}.crls`);
        other.end("otherRevInfo");
      } else throw new BerError(`${where}.crls: ${describe(crl)}, not a RevocationInfoChoice`);
    }
    field = items.take();
  }
  if (field !== undefined) throw new BerError(`${where}: ${describe(field)} out of place`);
}

/* unprotectedAttrs [1] IMPLICIT SET SIZE (1..MAX) OF Attribute; Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF ANY } */
function unprotectedAttrs(r: BerReader, e: Element): void {
  const where = "unprotectedAttrs";
  constructedContext(e, 1, where);
  const attributes = r.items(e, where);
  if (attributes.peek() === undefined) throw new BerError(`${where} is empty`);
  for (let attribute = attributes.take(), i = 0; attribute !== undefined; attribute = attributes.take(), i++) {
    const at = `${where}[${i}]`;
    sequence(attribute, at);
    const fields = r.items(attribute, at);
    r.oid(fields.next("attrType"), `${at}.attrType`);
    const values = fields.next("attrValues");
    if (!isUniversal(values, TAG.set)) throw new BerError(`${at}.attrValues: ${describe(values)}, not a SET`);
    r.any(values, `${at}.attrValues`);
    fields.end("attrValues");
  }
}
