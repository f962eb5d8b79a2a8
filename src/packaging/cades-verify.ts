import { createHash, timingSafeEqual, verify, X509Certificate, type KeyObject } from "node:crypto";
import { BerError, BerReader, isContext, isUniversal, TAG, type Element } from "../asn1/ber.js";
import { HASH_BY_OID, OID, RSA_SIGNATURE_HASH_BY_OID } from "./cms-algorithms.js";
import { identifies, type CertificateId } from "./certificates.js";
import { EfmAsicSignatureInvalidError, EfmAsicSignatureMalformedError, EfmAsicUnsupportedAlgorithmError } from "./errors.js";

/**
 * Verifies a detached CAdES / CMS SignedData signature over bytes given beside it: one signer, signed attributes
 * present (content-type, message-digest), the signature made with an RSA key over them, and the signer's
 * certificate carried in the signature. Whether that certificate is trusted is the caller's question.
 *
 * The signature is read with our BER reader, checked as BER throughout and then walked by position as the
 * asn1js reading before it was (about 1 ms of asn1js per package for a 2.5 kB signature): fields after the last
 * one read are ignored, and so are the version and certificates other than X.509.
 * test/packaging/cades-verify-differential.test.ts holds the two side by side.
 */

export interface VerifiedCades {
  readonly signerCertificate: X509Certificate;
  /** Every certificate the signature carries, the signer's included, in the order given. */
  readonly certificates: readonly X509Certificate[];
  /** The signing-time attribute, if present; the signer's claim, not a timestamp. */
  readonly signingTime?: Date;
  /** node:crypto's name of the message digest ("sha1" from commons-asic, "sha256" from us). */
  readonly digestAlgorithm: string;
}

export interface VerifyCadesOptions {
  /**
   * Accept SHA-1 (default true): commons-asic, which every integrasjonspunkt packs with, signs SHA-1 with RSA,
   * so refusing it would refuse every real package.
   */
  readonly allowSha1?: boolean;
}

const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

/**
 * Throws EfmAsicSignatureMalformedError (not SignedData of the expected shape), EfmAsicUnsupportedAlgorithmError
 * or EfmAsicSignatureInvalidError (signer certificate absent, digest or signature wrong).
 */
export function verifyDetachedCades(signature: Uint8Array, content: Uint8Array, options: VerifyCadesOptions = {}): VerifiedCades {
  const signedData = malformedOnBer(() => parseSignedData(signature));
  const r = signedData.reader;
  const signer = signedData.signerInfo;
  const hash = HASH_BY_OID[signer.digestAlgorithm];
  if (hash === undefined || (hash === "sha1" && options.allowSha1 === false)) {
    throw new EfmAsicUnsupportedAlgorithmError(`digest algorithm ${signer.digestAlgorithm} is not accepted`);
  }
  const signatureHash = signer.signatureAlgorithm === OID.rsaEncryption ? hash : RSA_SIGNATURE_HASH_BY_OID[signer.signatureAlgorithm];
  if (signatureHash === undefined || (signatureHash === "sha1" && options.allowSha1 === false)) {
    throw new EfmAsicUnsupportedAlgorithmError(`signature algorithm ${signer.signatureAlgorithm} is not accepted`);
  }

  const attributes = signer.attributes;
  const contentType = single(attributes, OID.contentTypeAttr);
  if (oidOf(r, contentType) !== signedData.contentType) {
    throw new EfmAsicSignatureInvalidError("the content-type attribute differs from the signed content's type");
  }
  const messageDigest = single(attributes, OID.messageDigestAttr);
  const claimed = isA(messageDigest, TAG.octetString) ? octetsOf(r, messageDigest) : undefined;
  if (claimed === undefined) throw new EfmAsicSignatureMalformedError("the message-digest attribute is not an OCTET STRING");
  const actual = createHash(hash).update(content).digest();
  if (claimed.byteLength !== actual.byteLength || !timingSafeEqual(claimed, actual)) {
    throw new EfmAsicSignatureInvalidError("the signed message digest does not match the content");
  }

  const signerCertificate = signedData.certificates.find((c) => identifies(signer.sid, c));
  if (!signerCertificate) throw new EfmAsicSignatureInvalidError("the signature does not carry the signer's certificate");
  const publicKey = publicKeyOf(signerCertificate);
  if (publicKey.asymmetricKeyType !== "rsa") {
    throw new EfmAsicUnsupportedAlgorithmError(`the signer's key is ${publicKey.asymmetricKeyType}, not RSA`);
  }
  if (!verify(signatureHash, signer.signedAttributes, publicKey, signer.signature)) {
    throw new EfmAsicSignatureInvalidError("the signature value does not verify with the signer's certificate");
  }
  checkSigningCertificateAttribute(r, attributes, signerCertificate);

  const signingTime = signingTimeOf(r, attributes.get(OID.signingTimeAttr)?.[0]);
  return {
    signerCertificate,
    certificates: signedData.certificates,
    ...(signingTime ? { signingTime } : {}),
    digestAlgorithm: hash,
  };
}

/* node:crypto reads a certificate whose key it cannot decode, and throws a plain error only when asked for the key. */
function publicKeyOf(certificate: X509Certificate): KeyObject {
  try {
    return certificate.publicKey;
  } catch (cause) {
    throw new EfmAsicSignatureMalformedError("the signer's certificate carries an unreadable public key", { cause });
  }
}

/** ESS signing-certificate(-v2), if present, must name the certificate that verified: no substitution. */
function checkSigningCertificateAttribute(r: BerReader, attributes: Attributes, signer: X509Certificate): void {
  for (const [type, defaultHash] of [
    [OID.signingCertificateV2Attr, "sha256"],
    [OID.signingCertificateAttr, "sha1"],
  ] as const) {
    const value = attributes.get(type)?.[0];
    if (value === undefined) continue;
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), ... }; the first names the signer.
    const first = childrenOf(r, childrenOf(r, value)[0])[0];
    const fields = childrenOf(r, first);
    const hasAlgorithm = type === OID.signingCertificateV2Attr && isA(fields[0], TAG.sequence);
    const hashName = hasAlgorithm ? HASH_BY_OID[oidOf(r, childrenOf(r, fields[0])[0]) ?? ""] : defaultHash;
    const certHash = fields[hasAlgorithm ? 1 : 0];
    const expected = isA(certHash, TAG.octetString) ? octetsOf(r, certHash) : undefined;
    if (hashName === undefined || expected === undefined) throw new EfmAsicSignatureMalformedError("malformed signing-certificate attribute");
    if (!createHash(hashName).update(signer.raw).digest().equals(expected)) {
      throw new EfmAsicSignatureInvalidError("the signing-certificate attribute names another certificate");
    }
  }
}

/* UTCTime YYMMDDhhmm[ss](Z|±hhmm), GeneralizedTime YYYYMMDDhh[mm[ss]][.f](Z|±hh[mm]); a local time is no instant. */
const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:Z|([+-])(\d{2})(\d{2}))$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2}))?)?(?:\.(\d+))?(?:Z|([+-])(\d{2})(\d{2})?)$/;

function signingTimeOf(r: BerReader, value: Element | undefined): Date | undefined {
  if (value === undefined || value.constructed || !(isA(value, TAG.utcTime) || isA(value, TAG.generalizedTime))) return undefined;
  const text = Buffer.from(r.bytes.subarray(value.contentStart, value.contentEnd)).toString("latin1");
  if (isA(value, TAG.utcTime)) {
    const m = UTC_TIME.exec(text);
    if (!m) return undefined;
    const yy = Number(m[1]);
    // RFC 5280 §4.1.2.5.1: 50 and above are 19xx
    return instant(yy < 50 ? 2000 + yy : 1900 + yy, m[2]!, m[3]!, m[4]!, m[5]!, m[6], undefined, m[7], m[8], m[9]);
  }
  const m = GENERALIZED_TIME.exec(text);
  return m ? instant(Number(m[1]), m[2]!, m[3]!, m[4]!, m[5], m[6], m[7], m[8], m[9], m[10]) : undefined;
}

function instant(year: number, month: string, day: string, hour: string, minute = "0", second = "0", fraction = "", sign?: string, offsetHours = "0", offsetMinutes = "0"): Date {
  const utc = Date.UTC(year, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(`0.${fraction || "0"}`) * 1000);
  const offset = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return new Date(utc - offset);
}

// ---- parsing ----------------------------------------------------------------------------------------------

type Attributes = ReadonlyMap<string, readonly Element[]>;

interface SignerInfo {
  readonly sid: CertificateId;
  readonly digestAlgorithm: string;
  /** DER of the signed attributes as a SET: what the signature is over */
  readonly signedAttributes: Uint8Array;
  readonly attributes: Attributes;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

interface SignedData {
  /** The reader of the signature's bytes, for the attribute values read later. */
  readonly reader: BerReader;
  readonly contentType: string;
  readonly certificates: X509Certificate[];
  readonly signerInfo: SignerInfo;
}

function malformedOnBer<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof BerError) throw new EfmAsicSignatureMalformedError(`the signature is not BER-encoded ASN.1: ${err.message}`, { cause: err });
    throw err;
  }
}

const isA = (e: Element | undefined, tagNumber: number): e is Element => e !== undefined && isUniversal(e, tagNumber);
const isTagged = (e: Element | undefined, tagNumber: number): e is Element => e !== undefined && isContext(e, tagNumber);
const childrenOf = (r: BerReader, e: Element | undefined): Element[] => (e === undefined ? [] : r.children(e, "SignedData"));
const oidOf = (r: BerReader, e: Element | undefined): string | undefined => (isA(e, TAG.oid) ? r.oid(e, "SignedData") : undefined);

/* The octets of an OCTET STRING or an IMPLICIT-tagged one; undefined when a piece of a constructed one is none. */
function octetsOf(r: BerReader, e: Element): Uint8Array | undefined {
  try {
    return r.octets(e, "SignedData");
  } catch (err) {
    if (err instanceof BerError) return undefined;
    throw err;
  }
}

function parseSignedData(bytes: Uint8Array): SignedData {
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_SIGNATURE_BYTES) {
    throw new EfmAsicSignatureMalformedError(`the signature is ${bytes.byteLength} bytes`);
  }
  const r = new BerReader(bytes);
  const root = r.element(0, bytes.byteLength, 0, "ContentInfo");
  if (root.end !== bytes.byteLength) throw new EfmAsicSignatureMalformedError("the signature is not one BER-encoded value");
  r.any(root, "ContentInfo");
  const [type, explicitContent] = childrenOf(r, root);
  if (oidOf(r, type) !== OID.signedData || !isTagged(explicitContent, 0)) {
    throw new EfmAsicSignatureMalformedError("the signature is not a CMS ContentInfo holding SignedData");
  }
  const fields = childrenOf(r, childrenOf(r, explicitContent)[0]);
  let at = 1; // version
  if (!isA(fields[at++], TAG.set)) throw new EfmAsicSignatureMalformedError("SignedData has no digestAlgorithms");
  const encapsulated = childrenOf(r, fields[at++]);
  const contentType = oidOf(r, encapsulated[0]);
  if (contentType === undefined) throw new EfmAsicSignatureMalformedError("SignedData has no encapsulated content type");
  if (encapsulated.length > 1) {
    throw new EfmAsicSignatureMalformedError("the signature encapsulates its content; a detached signature was expected");
  }
  const certificates = isTagged(fields[at], 0) ? childrenOf(r, fields[at++]).flatMap((c) => certificateOf(r, c)) : [];
  if (isTagged(fields[at], 1)) at++; // revocation information, which we do not use
  const signerInfos = childrenOf(r, fields[at]);
  if (!isA(fields[at], TAG.set) || signerInfos.length !== 1) {
    throw new EfmAsicSignatureMalformedError(`SignedData has ${signerInfos.length} signer infos; exactly one is expected`);
  }
  return { reader: r, contentType, certificates, signerInfo: parseSignerInfo(r, signerInfos[0]!) };
}

/* CertificateChoices: only plain X.509 certificates (a SEQUENCE); attribute and other certificates are skipped. */
function certificateOf(r: BerReader, el: Element): X509Certificate[] {
  if (!isA(el, TAG.sequence)) return [];
  try {
    return [new X509Certificate(Buffer.from(r.encoding(el)))];
  } catch (cause) {
    throw new EfmAsicSignatureMalformedError("the signature carries an unreadable certificate", { cause });
  }
}

function parseSignerInfo(r: BerReader, el: Element): SignerInfo {
  const [, sid, digestAlgorithm, ...rest] = childrenOf(r, el);
  const signedAttrs = isTagged(rest[0], 0) ? rest.shift() : undefined;
  const [signatureAlgorithm, signatureValue] = rest;
  const digestOid = oidOf(r, childrenOf(r, digestAlgorithm)[0]);
  const signatureOid = oidOf(r, childrenOf(r, signatureAlgorithm)[0]);
  const signature = isA(signatureValue, TAG.octetString) ? octetsOf(r, signatureValue) : undefined;
  if (digestOid === undefined || signatureOid === undefined || signature === undefined) {
    throw new EfmAsicSignatureMalformedError("malformed SignerInfo");
  }
  if (signedAttrs === undefined) throw new EfmAsicSignatureMalformedError("the signature has no signed attributes, which CAdES requires");
  // [0] IMPLICIT SET OF Attribute: the signature is over it as the SET it stands for (RFC 5652 §5.4).
  const signedAttributes = Uint8Array.from(r.encoding(signedAttrs));
  signedAttributes[0] = 0x31;
  return {
    sid: signerId(r, sid),
    digestAlgorithm: digestOid,
    signedAttributes,
    attributes: attributesOf(r, signedAttrs),
    signatureAlgorithm: signatureOid,
    signature,
  };
}

function signerId(r: BerReader, sid: Element | undefined): SignerInfo["sid"] {
  if (isA(sid, TAG.sequence)) {
    const [issuer, serialNumber] = childrenOf(r, sid);
    if (isA(issuer, TAG.sequence) && isA(serialNumber, TAG.integer)) {
      return { issuer: r.encoding(issuer), serialNumber: r.encoding(serialNumber) };
    }
  } else if (isTagged(sid, 0)) {
    const subjectKeyIdentifier = octetsOf(r, sid);
    if (subjectKeyIdentifier) return { subjectKeyIdentifier };
  }
  throw new EfmAsicSignatureMalformedError("the SignerInfo names its certificate in no known way");
}

function attributesOf(r: BerReader, signedAttrs: Element): Attributes {
  const attributes = new Map<string, Element[]>();
  for (const attribute of childrenOf(r, signedAttrs)) {
    const [type, values] = childrenOf(r, attribute);
    const id = oidOf(r, type);
    if (id === undefined || !isA(values, TAG.set)) throw new EfmAsicSignatureMalformedError("malformed signed attribute");
    // RFC 5652 §11: content-type, message-digest and signing-time occur once, with one value.
    if (attributes.has(id)) throw new EfmAsicSignatureMalformedError(`signed attribute ${id} occurs twice`);
    attributes.set(id, childrenOf(r, values));
  }
  return attributes;
}

function single(attributes: Attributes, type: string): Element {
  const values = attributes.get(type);
  if (values?.length !== 1) throw new EfmAsicSignatureMalformedError(`signed attribute ${type} must be present with one value`);
  return values[0]!;
}
