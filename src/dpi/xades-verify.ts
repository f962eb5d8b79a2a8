import "../xml/c14n-fix.js";
import { createHash, timingSafeEqual, verify as verifySignature, X509Certificate } from "node:crypto";
import { x509FromDer } from "../pki/x509-cache.js";
import { attr, elementChildren } from "../xml/dom.js";
import { readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { canonicalize } from "./asic-c14n.js";
import {
  ASIC_NS,
  XADES_ALG,
  SIGNATURE_HASH,
  REFERENCE_HASH,
  CERT_DIGEST_HASH,
  INCLUSIVE_C14N,
  AsicError,
  AsicSignatureFormatError,
  AsicUnsupportedAlgorithmError,
  AsicUnsignedFileError,
  AsicReferencedFileMissingError,
  AsicDigestMismatchError,
  AsicSignatureInvalidError,
  AsicSigningCertificateError,
} from "./asic-profile.js";

/** The XAdES baseline-B signature in META-INF/signatures.xml: every reference, SignedProperties, SignatureValue. */

// ---- the signature --------------------------------------------------------------------------------------

export interface XadesSignatureInfo {
  /** The signing certificate (first in KeyInfo, matched by SigningCertificate). */
  readonly certificate: X509Certificate;
  /** The other KeyInfo certificates, in document order. */
  readonly otherCertificates: readonly X509Certificate[];
  readonly signingTime: Date;
  /** The files the signature covers, by name (percent-decoded reference URIs). */
  readonly signedFiles: ReadonlySet<string>;
  /** SignedDataObjectProperties: MIME type by file name, where the signature states one. */
  readonly mimeTypes: ReadonlyMap<string, string>;
}

/**
 * Verifies signatures.xml over the container's files (name → bytes, META-INF excluded): every reference
 * digest, the SignedProperties digest, the SignatureValue with the signing certificate's key, and the
 * SigningCertificate binding. Trust in the certificate is not checked here. Every file must be covered.
 */
export function verifyXadesSignature(signaturesXml: Uint8Array, files: ReadonlyMap<string, Uint8Array>): XadesSignatureInfo {
  let doc: Document;
  try {
    doc = parseXml(signaturesXml, { maxLength: 8 * 1024 * 1024 });
  } catch (cause) {
    if (cause instanceof XmlParseError) throw new AsicSignatureFormatError(`signatures.xml: ${cause.message}`, { cause });
    throw cause;
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== ASIC_NS.asic || root.localName !== "XAdESSignatures") {
    throw new AsicSignatureFormatError("signatures.xml's root is not asic:XAdESSignatures");
  }
  const signature = only(elementChildren(root), ASIC_NS.ds, "Signature", "XAdESSignatures", true);
  const parts = elementChildren(signature);
  const signedInfo = only(parts, ASIC_NS.ds, "SignedInfo", "ds:Signature");
  const signatureValueEl = only(parts, ASIC_NS.ds, "SignatureValue", "ds:Signature");
  const keyInfo = only(parts, ASIC_NS.ds, "KeyInfo", "ds:Signature");
  for (const p of parts) {
    if (p.namespaceURI !== ASIC_NS.ds || !["SignedInfo", "SignatureValue", "KeyInfo", "Object"].includes(p.localName)) {
      throw new AsicSignatureFormatError(`unexpected ${p.nodeName} in ds:Signature`);
    }
  }
  const qualifying = parts
    .filter((p) => p.localName === "Object")
    .flatMap((o) => elementChildren(o).filter((c) => c.namespaceURI === ASIC_NS.xades && c.localName === "QualifyingProperties"));
  if (qualifying.length !== 1) throw new AsicSignatureFormatError(`expected one xades:QualifyingProperties, found ${qualifying.length}`);
  const qp = qualifying[0]!;
  const signatureId = attr(signature, "Id");
  if (signatureId === undefined || attr(qp, "Target") !== `#${signatureId}`) {
    throw new AsicSignatureFormatError("QualifyingProperties/@Target does not point at the ds:Signature");
  }
  const signedProperties = only(elementChildren(qp), ASIC_NS.xades, "SignedProperties", "QualifyingProperties");

  // SignedInfo: algorithms, then the references.
  const siChildren = elementChildren(signedInfo);
  const c14n = algorithmOf(only(siChildren, ASIC_NS.ds, "CanonicalizationMethod", "SignedInfo"));
  if (!INCLUSIVE_C14N.has(c14n)) throw new AsicUnsupportedAlgorithmError(`SignedInfo canonicalisation ${c14n} is not c14n 1.0 or 1.1`);
  const signatureMethod = algorithmOf(only(siChildren, ASIC_NS.ds, "SignatureMethod", "SignedInfo"));
  const signatureHash = SIGNATURE_HASH[signatureMethod];
  if (!signatureHash) throw new AsicUnsupportedAlgorithmError(`signature method ${signatureMethod} is not RSA with SHA-2`);
  const referenceEls = siChildren.filter((c) => c.localName === "Reference" && c.namespaceURI === ASIC_NS.ds);
  if (referenceEls.length + 2 !== siChildren.length) throw new AsicSignatureFormatError("unexpected elements in SignedInfo");

  const signedFiles = new Set<string>();
  const referenceIds = new Map<string, string>();
  let signedPropertiesChecked = false;
  for (const refEl of referenceEls) {
    const ref = readReference(refEl);
    const hash = REFERENCE_HASH[ref.digestMethod];
    if (!hash) throw new AsicUnsupportedAlgorithmError(`reference digest ${ref.digestMethod} is not SHA-2`);
    if (attr(refEl, "Type") === XADES_ALG.signedPropertiesType) {
      if (signedPropertiesChecked) throw new AsicSignatureFormatError("more than one SignedProperties reference");
      checkSignedPropertiesReference(doc, ref, signedProperties);
      const transform = ref.transforms[0]!.algorithm;
      if (!digestEquals(hash, canonicalize(signedProperties, transform), ref.digestValue)) throw new AsicDigestMismatchError(ref.uri);
      signedPropertiesChecked = true;
      continue;
    }
    if (ref.transforms.length > 0) throw new AsicSignatureFormatError(`reference ${JSON.stringify(ref.uri)} has transforms`);
    const name = fileNameOf(ref.uri);
    if (signedFiles.has(name)) throw new AsicSignatureFormatError(`${JSON.stringify(name)} is referenced twice`);
    const bytes = files.get(name);
    if (bytes === undefined) throw new AsicReferencedFileMissingError(ref.uri);
    if (!digestEquals(hash, bytes, ref.digestValue)) throw new AsicDigestMismatchError(name);
    signedFiles.add(name);
    const id = attr(refEl, "Id");
    if (id !== undefined) referenceIds.set(id, name);
  }
  if (!signedPropertiesChecked) throw new AsicSignatureFormatError("no reference to the SignedProperties");
  for (const name of files.keys()) if (!signedFiles.has(name)) throw new AsicUnsignedFileError(name);

  // The signing certificate: first in KeyInfo, bound by SigningCertificate, then the signature value.
  const certificates = keyInfoCertificates(keyInfo);
  const certificate = certificates[0]!;
  const signedSignatureProperties = only(elementChildren(signedProperties), ASIC_NS.xades, "SignedSignatureProperties", "SignedProperties");
  checkSigningCertificate(signedSignatureProperties, certificate);
  const signatureValue = base64Of(signatureValueEl, "SignatureValue");
  if (certificate.publicKey.asymmetricKeyType !== "rsa") {
    throw new AsicUnsupportedAlgorithmError(`the signing certificate's key is ${certificate.publicKey.asymmetricKeyType}, not RSA`);
  }
  let valid: boolean;
  try {
    valid = verifySignature(signatureHash, Buffer.from(canonicalize(signedInfo, c14n), "utf8"), certificate.publicKey, signatureValue);
  } catch (cause) {
    throw new AsicSignatureInvalidError("the signature value cannot be checked with the signing certificate's key", { cause });
  }
  if (!valid) throw new AsicSignatureInvalidError("the signature value does not verify over SignedInfo");

  return {
    certificate,
    otherCertificates: certificates.slice(1),
    signingTime: signingTimeOf(signedSignatureProperties),
    signedFiles,
    mimeTypes: dataObjectMimeTypes(signedProperties, referenceIds),
  };
}

function only(elements: readonly Element[], ns: string, localName: string, where: string, alone = false): Element {
  const found = elements.filter((e) => e.namespaceURI === ns && e.localName === localName);
  if (found.length !== 1 || (alone && elements.length !== 1)) {
    throw new AsicSignatureFormatError(`${where} must hold exactly one ${localName}${alone ? " and nothing else" : ""}`);
  }
  return found[0]!;
}

function algorithmOf(el: Element): string {
  const alg = attr(el, "Algorithm");
  if (!alg) throw new AsicSignatureFormatError(`${el.localName} has no Algorithm`);
  return alg;
}

function readReference(el: Element): DsReference {
  try {
    return readDsReference(el);
  } catch (cause) {
    throw new AsicSignatureFormatError(`malformed ds:Reference: ${(cause as Error).message}`, { cause });
  }
}

/**
 * The SignedProperties reference must point, by a document-unique Id, at the SignedProperties inside this
 * signature's QualifyingProperties (so no element elsewhere can stand in for it), with one c14n transform.
 */
function checkSignedPropertiesReference(doc: Document, ref: DsReference, signedProperties: Element): void {
  if (!ref.uri.startsWith("#")) throw new AsicSignatureFormatError("the SignedProperties reference is not a same-document reference");
  const id = ref.uri.slice(1);
  const holders: Element[] = [];
  const stack: Element[] = [doc.documentElement];
  while (stack.length > 0) {
    const el = stack.pop()!;
    for (const name of ["Id", "ID", "id"]) if (attr(el, name) === id) holders.push(el);
    stack.push(...elementChildren(el));
  }
  if (holders.length !== 1 || holders[0] !== signedProperties) {
    throw new AsicSignatureFormatError(`${ref.uri} must identify the SignedProperties, and only it`);
  }
  const [transform, ...more] = ref.transforms;
  if (!transform || more.length > 0 || !INCLUSIVE_C14N.has(transform.algorithm)) {
    throw new AsicUnsupportedAlgorithmError("the SignedProperties reference must have exactly one c14n transform");
  }
}

/**
 * A file reference is a relative URI inside the container: no fragment, scheme, query or absolute path, and
 * nothing under META-INF. Percent-encoding is decoded, since a correct producer must encode e.g. spaces.
 */
function fileNameOf(uri: string): string {
  if (uri === "" || uri.startsWith("#") || uri.startsWith("/") || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) || /[?#]/.test(uri)) {
    throw new AsicSignatureFormatError(`reference ${JSON.stringify(uri)} does not name a file in the container`);
  }
  let name: string;
  try {
    name = decodeURIComponent(uri);
  } catch (cause) {
    throw new AsicSignatureFormatError(`reference ${JSON.stringify(uri)} is not a valid URI`, { cause });
  }
  if (name.startsWith("META-INF/") || name.split("/").some((s) => s === ".." || s === ".")) {
    throw new AsicSignatureFormatError(`reference ${JSON.stringify(uri)} may not point there`);
  }
  return name;
}

function digestEquals(hash: string, content: Uint8Array | string, expectedBase64: string): boolean {
  const actual = createHash(hash).update(content).digest();
  const expected = Buffer.from(expectedBase64, "base64");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function base64Of(el: Element, what: string): Buffer {
  const b64 = (el.textContent ?? "").replace(/\s+/g, "");
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new AsicSignatureFormatError(`${what} is not base64`);
  return Buffer.from(b64, "base64");
}

function keyInfoCertificates(keyInfo: Element): X509Certificate[] {
  const x509Data = elementChildren(keyInfo).filter((c) => c.namespaceURI === ASIC_NS.ds && c.localName === "X509Data");
  const certEls = x509Data.flatMap((d) => elementChildren(d).filter((c) => c.namespaceURI === ASIC_NS.ds && c.localName === "X509Certificate"));
  if (certEls.length === 0) throw new AsicSigningCertificateError("KeyInfo holds no X509Certificate");
  if (certEls.length > 16) throw new AsicSignatureFormatError("KeyInfo holds more than 16 certificates");
  return certEls.map((el) => {
    try {
      return x509FromDer(base64Of(el, "X509Certificate"));
    } catch (cause) {
      if (cause instanceof AsicError) throw cause;
      throw new AsicSigningCertificateError("a KeyInfo certificate cannot be parsed", { cause });
    }
  });
}

/**
 * SigningCertificate must reference the signing certificate: a Cert whose CertDigest is the digest of its
 * DER and whose IssuerSerial has its serial number. The issuer name is not compared: producers spell the
 * same DN differently (OID forms, escaping), and the digest already binds the certificate.
 */
function checkSigningCertificate(ssp: Element, certificate: X509Certificate): void {
  const signingCertificate = only(elementChildren(ssp), ASIC_NS.xades, "SigningCertificate", "SignedSignatureProperties");
  const certs = elementChildren(signingCertificate).filter((c) => c.namespaceURI === ASIC_NS.xades && c.localName === "Cert");
  if (certs.length === 0) throw new AsicSignatureFormatError("SigningCertificate holds no Cert");
  const serial = BigInt(`0x${certificate.serialNumber}`);
  for (const cert of certs) {
    const children = elementChildren(cert);
    const certDigest = only(children, ASIC_NS.xades, "CertDigest", "Cert");
    const method = algorithmOf(only(elementChildren(certDigest), ASIC_NS.ds, "DigestMethod", "CertDigest"));
    const hash = CERT_DIGEST_HASH[method];
    if (!hash) throw new AsicUnsupportedAlgorithmError(`CertDigest method ${method} is not supported`);
    const value = base64Of(only(elementChildren(certDigest), ASIC_NS.ds, "DigestValue", "CertDigest"), "CertDigest/DigestValue");
    if (!digestEquals(hash, certificate.raw, value.toString("base64"))) continue;
    const issuerSerial = only(children, ASIC_NS.xades, "IssuerSerial", "Cert");
    const serialText = (only(elementChildren(issuerSerial), ASIC_NS.ds, "X509SerialNumber", "IssuerSerial").textContent ?? "").trim();
    if (!/^-?[0-9]+$/.test(serialText) || BigInt(serialText) !== serial) {
      throw new AsicSigningCertificateError("IssuerSerial's serial number is not the signing certificate's");
    }
    return;
  }
  throw new AsicSigningCertificateError("SigningCertificate does not reference the first KeyInfo certificate");
}

const XSD_DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function signingTimeOf(ssp: Element): Date {
  const el = only(elementChildren(ssp), ASIC_NS.xades, "SigningTime", "SignedSignatureProperties");
  const value = (el.textContent ?? "").trim();
  const time = XSD_DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new AsicSignatureFormatError(`SigningTime ${JSON.stringify(value)} is not a dateTime with a zone`);
  return time;
}

function dataObjectMimeTypes(signedProperties: Element, referenceIds: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const sdop = elementChildren(signedProperties).find((c) => c.namespaceURI === ASIC_NS.xades && c.localName === "SignedDataObjectProperties");
  if (!sdop) return out;
  for (const dof of elementChildren(sdop)) {
    if (dof.namespaceURI !== ASIC_NS.xades || dof.localName !== "DataObjectFormat") continue;
    const file = referenceIds.get((attr(dof, "ObjectReference") ?? "").replace(/^#/, ""));
    const mime = elementChildren(dof).find((c) => c.namespaceURI === ASIC_NS.xades && c.localName === "MimeType");
    if (file !== undefined && mime) out.set(file, (mime.textContent ?? "").trim());
  }
  return out;
}

