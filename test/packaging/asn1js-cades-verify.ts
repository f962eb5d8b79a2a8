import { createHash, timingSafeEqual, verify, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import { childrenOf, isContext, isOctetString, octetsOf, oidOf, retagged } from "./asn1js-read.js";
import { HASH_BY_OID, OID, RSA_SIGNATURE_HASH_BY_OID } from "../../src/packaging/cms-algorithms.js";
import type { CertificateId } from "../../src/packaging/certificates.js";
import type { VerifiedCades, VerifyCadesOptions } from "../../src/packaging/cades-verify.js";
import { EfmAsicSignatureInvalidError, EfmAsicSignatureMalformedError, EfmAsicUnsupportedAlgorithmError } from "../../src/packaging/errors.js";
import { oldIdentifies } from "./asn1js-cms-decrypt.js";

/**
 * verifyDetachedCades as it was before it read the signature with our BER reader: asn1js' tree walked by position,
 * the signer's certificate matched with the asn1js reading of certificates. Kept, unchanged but for names, as the
 * reference of cades-verify-differential.test.ts.
 */

const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

/**
 * Throws EfmAsicSignatureMalformedError (not SignedData of the expected shape), EfmAsicUnsupportedAlgorithmError
 * or EfmAsicSignatureInvalidError (signer certificate absent, digest or signature wrong).
 */
export function verifyDetachedCadesWithAsn1js(signature: Uint8Array, content: Uint8Array, options: VerifyCadesOptions = {}): VerifiedCades {
  const signedData = parseSignedData(signature);
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
  if (oidOf(contentType) !== signedData.contentType) {
    throw new EfmAsicSignatureInvalidError("the content-type attribute differs from the signed content's type");
  }
  const messageDigest = single(attributes, OID.messageDigestAttr);
  const claimed = isOctetString(messageDigest) ? octetsOf(messageDigest) : undefined;
  if (claimed === undefined) throw new EfmAsicSignatureMalformedError("the message-digest attribute is not an OCTET STRING");
  const actual = createHash(hash).update(content).digest();
  if (claimed.byteLength !== actual.byteLength || !timingSafeEqual(claimed, actual)) {
    throw new EfmAsicSignatureInvalidError("the signed message digest does not match the content");
  }

  const signerCertificate = signedData.certificates.find((c) => oldIdentifies(signer.sid, c));
  if (!signerCertificate) throw new EfmAsicSignatureInvalidError("the signature does not carry the signer's certificate");
  if (signerCertificate.publicKey.asymmetricKeyType !== "rsa") {
    throw new EfmAsicUnsupportedAlgorithmError(`the signer's key is ${signerCertificate.publicKey.asymmetricKeyType}, not RSA`);
  }
  if (!verify(signatureHash, signer.signedAttributes, signerCertificate.publicKey, signer.signature)) {
    throw new EfmAsicSignatureInvalidError("the signature value does not verify with the signer's certificate");
  }
  checkSigningCertificateAttribute(attributes, signerCertificate);

  const signingTime = signingTimeOf(attributes.get(OID.signingTimeAttr)?.[0]);
  return {
    signerCertificate,
    certificates: signedData.certificates,
    ...(signingTime ? { signingTime } : {}),
    digestAlgorithm: hash,
  };
}

/** ESS signing-certificate(-v2), if present, must name the certificate that verified: no substitution. */
function checkSigningCertificateAttribute(attributes: Attributes, signer: X509Certificate): void {
  for (const [type, defaultHash] of [
    [OID.signingCertificateV2Attr, "sha256"],
    [OID.signingCertificateAttr, "sha1"],
  ] as const) {
    const value = attributes.get(type)?.[0];
    if (value === undefined) continue;
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), ... }; the first names the signer.
    const first = childrenOf(childrenOf(value)[0])[0];
    const fields = childrenOf(first);
    const hasAlgorithm = type === OID.signingCertificateV2Attr && fields[0] instanceof asn1js.Sequence;
    const hashName = hasAlgorithm ? HASH_BY_OID[oidOf(childrenOf(fields[0])[0]) ?? ""] : defaultHash;
    const certHash = fields[hasAlgorithm ? 1 : 0];
    const expected = certHash && isOctetString(certHash) ? octetsOf(certHash) : undefined;
    if (hashName === undefined || expected === undefined) throw new EfmAsicSignatureMalformedError("malformed signing-certificate attribute");
    if (!createHash(hashName).update(signer.raw).digest().equals(expected)) {
      throw new EfmAsicSignatureInvalidError("the signing-certificate attribute names another certificate");
    }
  }
}

function signingTimeOf(value: asn1js.AsnType | undefined): Date | undefined {
  if (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime) return value.toDate();
  return undefined;
}

// ---- parsing ----------------------------------------------------------------------------------------------

type Attributes = ReadonlyMap<string, readonly asn1js.AsnType[]>;

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
  readonly contentType: string;
  readonly certificates: X509Certificate[];
  readonly signerInfo: SignerInfo;
}

function parseSignedData(bytes: Uint8Array): SignedData {
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_SIGNATURE_BYTES) {
    throw new EfmAsicSignatureMalformedError(`the signature is ${bytes.byteLength} bytes`);
  }
  const asn = asn1js.fromBER(bytes, { parseEmbedded: false });
  if (asn.offset !== bytes.byteLength || asn.result.error) {
    throw new EfmAsicSignatureMalformedError("the signature is not one BER-encoded value");
  }
  const [type, explicitContent] = childrenOf(asn.result);
  if (oidOf(type) !== OID.signedData || !isContext(explicitContent, 0)) {
    throw new EfmAsicSignatureMalformedError("the signature is not a CMS ContentInfo holding SignedData");
  }
  const fields = childrenOf(childrenOf(explicitContent)[0]);
  let at = 1; // version
  if (!(fields[at++] instanceof asn1js.Set)) throw new EfmAsicSignatureMalformedError("SignedData has no digestAlgorithms");
  const encapsulated = childrenOf(fields[at++]);
  const contentType = oidOf(encapsulated[0]);
  if (contentType === undefined) throw new EfmAsicSignatureMalformedError("SignedData has no encapsulated content type");
  if (encapsulated.length > 1) {
    throw new EfmAsicSignatureMalformedError("the signature encapsulates its content; a detached signature was expected");
  }
  const certificates = isContext(fields[at], 0) ? childrenOf(fields[at++]).flatMap(certificateOf) : [];
  if (isContext(fields[at], 1)) at++; // revocation information, which we do not use
  const signerInfos = childrenOf(fields[at]);
  if (!(fields[at] instanceof asn1js.Set) || signerInfos.length !== 1) {
    throw new EfmAsicSignatureMalformedError(`SignedData has ${signerInfos.length} signer infos; exactly one is expected`);
  }
  return { contentType, certificates, signerInfo: parseSignerInfo(signerInfos[0]!) };
}

/* CertificateChoices: only plain X.509 certificates (a SEQUENCE); attribute and other certificates are skipped. */
function certificateOf(el: asn1js.AsnType): X509Certificate[] {
  if (!(el instanceof asn1js.Sequence)) return [];
  try {
    return [new X509Certificate(Buffer.from(el.valueBeforeDecodeView))];
  } catch (cause) {
    throw new EfmAsicSignatureMalformedError("the signature carries an unreadable certificate", { cause });
  }
}

function parseSignerInfo(el: asn1js.AsnType): SignerInfo {
  const [, sid, digestAlgorithm, ...rest] = childrenOf(el);
  const signedAttrs = isContext(rest[0], 0) ? rest.shift() : undefined;
  const [signatureAlgorithm, signatureValue] = rest;
  const digestOid = oidOf(childrenOf(digestAlgorithm)[0]);
  const signatureOid = oidOf(childrenOf(signatureAlgorithm)[0]);
  const signature = isOctetString(signatureValue) ? octetsOf(signatureValue) : undefined;
  if (digestOid === undefined || signatureOid === undefined || signature === undefined) {
    throw new EfmAsicSignatureMalformedError("malformed SignerInfo");
  }
  if (signedAttrs === undefined) throw new EfmAsicSignatureMalformedError("the signature has no signed attributes, which CAdES requires");
  return {
    sid: signerId(sid),
    digestAlgorithm: digestOid,
    signedAttributes: retagged(signedAttrs, 0x31),
    attributes: attributesOf(signedAttrs),
    signatureAlgorithm: signatureOid,
    signature,
  };
}

function signerId(sid: asn1js.AsnType | undefined): SignerInfo["sid"] {
  if (sid instanceof asn1js.Sequence) {
    const [issuer, serialNumber] = childrenOf(sid);
    if (issuer instanceof asn1js.Sequence && serialNumber instanceof asn1js.Integer) {
      return { issuer: new Uint8Array(issuer.valueBeforeDecodeView), serialNumber: new Uint8Array(serialNumber.valueBeforeDecodeView) };
    }
  } else if (isContext(sid, 0)) {
    const subjectKeyIdentifier = octetsOf(sid);
    if (subjectKeyIdentifier) return { subjectKeyIdentifier };
  }
  throw new EfmAsicSignatureMalformedError("the SignerInfo names its certificate in no known way");
}

function attributesOf(signedAttrs: asn1js.AsnType): Attributes {
  const attributes = new Map<string, asn1js.AsnType[]>();
  for (const attribute of childrenOf(signedAttrs)) {
    const [type, values] = childrenOf(attribute);
    const id = oidOf(type);
    if (id === undefined || !(values instanceof asn1js.Set)) throw new EfmAsicSignatureMalformedError("malformed signed attribute");
    // RFC 5652 §11: content-type, message-digest and signing-time occur once, with one value.
    if (attributes.has(id)) throw new EfmAsicSignatureMalformedError(`signed attribute ${id} occurs twice`);
    attributes.set(id, childrenOf(values));
  }
  return attributes;
}

function single(attributes: Attributes, type: string): asn1js.AsnType {
  const values = attributes.get(type);
  if (values?.length !== 1) throw new EfmAsicSignatureMalformedError(`signed attribute ${type} must be present with one value`);
  return values[0]!;
}
