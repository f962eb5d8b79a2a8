import { createHash, sign, type KeyObject, type X509Certificate } from "node:crypto";
import * as pkijs from "pkijs";
import { ASIC_NS, canonicalize, XADES_ALG } from "../asic-verify.js";
import { parseXml } from "../../xml/safe-parse.js";
import { AsicInputError, escapeXmlAttr, escapeXmlText } from "./manifest.js";

/**
 * META-INF/signatures.xml of a dokumentpakke: one XAdES baseline-B signature (dpi.md §4) in the shape of
 * Digdir's producer, so a postbox that accepts theirs accepts ours. Default namespaces throughout
 * (XAdESSignatures, then ds on Signature, then XAdES on QualifyingProperties with `ns2` for ds), one
 * reference per file without transforms, a c14n-transformed reference to SignedProperties, inclusive
 * C14N 1.0 for SignedInfo, RSA-SHA256, SHA-256 digests, SHA-1 CertDigest as the profile prescribes, and
 * the certificate chain, leaf first, in KeyInfo.
 *
 * SignedProperties is digested as it sits in the finished document: inclusive c14n pulls in the namespaces
 * of its ancestors, so we render the document, parse it back and canonicalise the element in place. The
 * same canonicaliser verifies (src/dpi/asic-verify.ts).
 */

export interface XadesSigner {
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
  /** The issuers of `certificate`, upward; the root should be included (Digdir's profile asks for it). */
  readonly chain?: readonly X509Certificate[];
}

export interface XadesDataObject {
  /** Name of the file in the container; the reference URI is its percent-encoding. */
  readonly name: string;
  readonly mimeType: string;
  readonly bytes: Uint8Array;
}

const SIGNATURE_ID = "Signature";
const SIGNED_PROPERTIES_ID = "SignedProperties";

interface Parts {
  readonly references: ReadonlyArray<{ id: string; uri: string; digest: string; mimeType: string }>;
  readonly certificates: readonly string[];
  readonly signingTime: string;
  readonly certDigest: string;
  readonly issuerName: string;
  readonly serialNumber: string;
  signedPropertiesDigest: string;
  signatureValue: string;
}

/** signatures.xml (UTF-8) signing `files` in the given order. Throws AsicInputError for an unusable signer. */
export function createSignaturesXml(files: readonly XadesDataObject[], signer: XadesSigner, signingTime: Date): Uint8Array {
  checkSigner(signer);
  const leaf = signer.certificate;
  const chain = (signer.chain ?? []).filter((c) => c.fingerprint256 !== leaf.fingerprint256);
  const parts: Parts = {
    references: files.map((f, i) => ({
      id: `ID_${i}`,
      uri: encodeURIComponent(f.name),
      digest: createHash("sha256").update(f.bytes).digest("base64"),
      mimeType: f.mimeType,
    })),
    certificates: [leaf, ...chain].map((c) => c.raw.toString("base64")),
    signingTime: signingTime.toISOString(),
    certDigest: createHash("sha1").update(leaf.raw).digest("base64"),
    issuerName: issuerDistinguishedName(leaf),
    serialNumber: BigInt(`0x${leaf.serialNumber}`).toString(10),
    signedPropertiesDigest: "",
    signatureValue: "",
  };

  const signedProperties = find(parseXml(render(parts)), ASIC_NS.xades, "SignedProperties");
  parts.signedPropertiesDigest = createHash("sha256").update(canonicalize(signedProperties, XADES_ALG.c14n10)).digest("base64");

  const signedInfo = find(parseXml(render(parts)), ASIC_NS.ds, "SignedInfo");
  const toSign = Buffer.from(canonicalize(signedInfo, XADES_ALG.c14n10), "utf8");
  parts.signatureValue = sign("sha256", toSign, signer.privateKey).toString("base64");
  return new TextEncoder().encode(render(parts));
}

function checkSigner(signer: XadesSigner): void {
  if (signer.privateKey.asymmetricKeyType !== "rsa") throw new AsicInputError("the signing key must be RSA (rsa-sha256)");
  if (!signer.certificate.checkPrivateKey(signer.privateKey)) {
    throw new AsicInputError("the signing key does not belong to the signing certificate");
  }
}

function find(doc: Document, ns: string, localName: string): Element {
  const el = doc.getElementsByTagNameNS(ns, localName)[0];
  if (!el) throw new Error(`internal: rendered signature lacks ${localName}`);
  return el;
}

function render(p: Parts): string {
  const ref = (r: Parts["references"][number]) =>
    `<Reference Id="${r.id}" URI="${escapeXmlAttr(r.uri)}"><DigestMethod Algorithm="${XADES_ALG.sha256}"/><DigestValue>${r.digest}</DigestValue></Reference>`;
  const dataObjectFormat = (r: Parts["references"][number]) =>
    `<DataObjectFormat ObjectReference="#${r.id}"><MimeType>${escapeXmlText(r.mimeType)}</MimeType></DataObjectFormat>`;
  return [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
    `<XAdESSignatures xmlns="${ASIC_NS.asic}">`,
    `<Signature xmlns="${ASIC_NS.ds}" Id="${SIGNATURE_ID}">`,
    "<SignedInfo>",
    `<CanonicalizationMethod Algorithm="${XADES_ALG.c14n10}"/>`,
    `<SignatureMethod Algorithm="${XADES_ALG.rsaSha256}"/>`,
    ...p.references.map(ref),
    `<Reference Type="${XADES_ALG.signedPropertiesType}" URI="#${SIGNED_PROPERTIES_ID}">`,
    `<Transforms><Transform Algorithm="${XADES_ALG.c14n10}"/></Transforms>`,
    `<DigestMethod Algorithm="${XADES_ALG.sha256}"/><DigestValue>${p.signedPropertiesDigest}</DigestValue>`,
    "</Reference>",
    "</SignedInfo>",
    `<SignatureValue>${p.signatureValue}</SignatureValue>`,
    "<KeyInfo><X509Data>",
    ...p.certificates.map((c) => `<X509Certificate>${c}</X509Certificate>`),
    "</X509Data></KeyInfo>",
    `<Object><QualifyingProperties xmlns="${ASIC_NS.xades}" xmlns:ns2="${ASIC_NS.ds}" Target="#${SIGNATURE_ID}">`,
    `<SignedProperties Id="${SIGNED_PROPERTIES_ID}">`,
    "<SignedSignatureProperties>",
    `<SigningTime>${p.signingTime}</SigningTime>`,
    "<SigningCertificate><Cert>",
    `<CertDigest><ns2:DigestMethod Algorithm="${XADES_ALG.sha1}"/><ns2:DigestValue>${p.certDigest}</ns2:DigestValue></CertDigest>`,
    `<IssuerSerial><ns2:X509IssuerName>${escapeXmlText(p.issuerName)}</ns2:X509IssuerName>`,
    `<ns2:X509SerialNumber>${p.serialNumber}</ns2:X509SerialNumber></IssuerSerial>`,
    "</Cert></SigningCertificate>",
    "</SignedSignatureProperties>",
    "<SignedDataObjectProperties>",
    ...p.references.map(dataObjectFormat),
    "</SignedDataObjectProperties>",
    "</SignedProperties>",
    "</QualifyingProperties></Object>",
    "</Signature>",
    "</XAdESSignatures>",
  ].join("");
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
};

/**
 * The issuer DN in RFC 4514 form (most specific RDN first, RFC short names, other types as
 * `<oid>=#<hex DER>`), with ", " between RDNs as Digdir's samples write it. Multi-valued RDNs come out as
 * separate RDNs (pkijs flattens them); business CAs do not use them. Verifiers compare the CertDigest and
 * serial number; this name is informative.
 */
export function issuerDistinguishedName(cert: X509Certificate): string {
  const issuer = pkijs.Certificate.fromBER(cert.raw).issuer;
  return [...issuer.typesAndValues]
    .reverse()
    .map((tv) => {
      const short = SHORT_NAMES[tv.type];
      const value: unknown = (tv.value as { getValue?: () => unknown }).getValue?.();
      if (short && typeof value === "string") return `${short}=${escapeRdnValue(value)}`;
      return `${tv.type}=#${Buffer.from(tv.value.toBER(false)).toString("hex")}`;
    })
    .join(", ");
}

function escapeRdnValue(value: string): string {
  return value
    .replace(/[\\"+,;<>]/g, (c) => `\\${c}`)
    .replace(/\u0000/g, "\\00")
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}
