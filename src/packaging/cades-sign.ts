import { createHash, createPublicKey, sign, type KeyObject, type X509Certificate } from "node:crypto";
import { algorithm, derNull, integer, join, octetString, oid, sequence, setOf, TAG, time, tlv, tlvChunks, type Der } from "./der.js";
import { OID } from "./cms-algorithms.js";
import { assertRsa, certificateParts, issuerAndSerialNumber } from "./certificates.js";
import { PackagingKeyError } from "./errors.js";

/**
 * A detached CAdES-BES signature (ETSI EN 319 122-1) as CMS SignedData over bytes that travel beside it, the way
 * an ASiC-E with CAdES signs its ASiCManifest: signed attributes content-type, signing-time, message-digest and
 * signing-certificate-v2, SHA-256 with RSA, the signer's certificate and chain included. commons-asic (what the
 * integrasjonspunkt uses) signs SHA-1 with RSA and leaves out signing-certificate-v2; its verifier accepts this.
 */

export interface CadesSigner {
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
  /** The issuers of `certificate`, upward; carried in the signature so a receiver can build the path. */
  readonly chain?: readonly X509Certificate[];
}

/** DER ContentInfo(SignedData) without encapsulated content. Throws PackagingKeyError for a non-RSA or mismatched key. */
export function signDetachedCades(content: Uint8Array, signer: CadesSigner, signingTime: Date): Uint8Array {
  assertRsa(signer.privateKey, "the signing key");
  if (!createPublicKey(signer.privateKey).equals(signer.certificate.publicKey)) {
    throw new PackagingKeyError("the signing key does not belong to the signer's certificate");
  }
  const digest = createHash("sha256").update(content).digest();
  const signedAttributes = setOf([
    attribute(OID.contentTypeAttr, oid(OID.data)),
    attribute(OID.signingTimeAttr, time(signingTime)),
    attribute(OID.messageDigestAttr, octetString(digest)),
    attribute(OID.signingCertificateV2Attr, signingCertificateV2(signer.certificate)),
  ]);
  // The signature is over the attributes' DER as a SET; in the SignerInfo they sit under [0] IMPLICIT.
  const signature = sign("sha256", signedAttributes, signer.privateKey);
  const implicitAttributes = Uint8Array.from(signedAttributes);
  implicitAttributes[0] = 0xa0;

  const signerInfo = sequence(
    integer(1),
    issuerAndSerialNumber(signer.certificate),
    algorithm(OID.sha256),
    implicitAttributes,
    algorithm(OID.sha256WithRsa, derNull()),
    octetString(signature),
  );
  // The leaf last: some verifiers (pkijs among them) take the last certificate for the end entity.
  const certificates = [...(signer.chain ?? []), signer.certificate].map((c) => new Uint8Array(c.raw));
  const signedData = tlvChunks(TAG.sequence, [
    integer(1),
    tlv(TAG.set, algorithm(OID.sha256)),
    sequence(oid(OID.data)),
    tlv(0xa0, ...certificates),
    tlv(TAG.set, signerInfo),
  ]);
  return join(tlvChunks(TAG.sequence, [oid(OID.signedData), ...tlvChunks(0xa0, signedData)]));
}

function attribute(type: string, value: Der): Der {
  return sequence(oid(type), tlv(TAG.set, value));
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, one ESSCertIDv2 with the default hash
 * (SHA-256, so left out), the certificate's hash and IssuerSerial (RFC 5035).
 */
function signingCertificateV2(certificate: X509Certificate): Der {
  const { issuer, serialNumber } = certificateParts(certificate);
  const certHash = createHash("sha256").update(certificate.raw).digest();
  // IssuerSerial ::= SEQUENCE { issuer GeneralNames (directoryName [4] EXPLICIT Name), serialNumber }
  const issuerSerial = sequence(sequence(tlv(0xa4, issuer)), serialNumber);
  return sequence(sequence(sequence(octetString(certHash), issuerSerial)));
}
