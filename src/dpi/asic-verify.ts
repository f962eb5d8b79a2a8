import "../xml/c14n-fix.js";
import { createHash, timingSafeEqual, verify as verifySignature, X509Certificate } from "node:crypto";
import { C14nCanonicalization } from "xml-crypto";
import { systemClock, type Clock } from "../clock.js";
import { organisationNumberOf, validateChain } from "../pki/index.js";
import { attr, elementChildren, isElement } from "../xml/dom.js";
import { readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { parseXml, XmlParseError } from "../xml/safe-parse.js";
import { decryptDokumentpakke, type CertificateInput, type PrivateKeyInput } from "./dokumentpakke.js";
import { readZip, type ZipEntry, type ZipReadLimits } from "./zip.js";

/**
 * Opens and verifies a DPI dokumentpakke (dpi.md §4): an ASiC-E container whose `META-INF/signatures.xml`
 * holds one XAdES baseline-B signature over every file outside META-INF, and whose `manifest.xml` names the
 * sender, the recipient and the documents. This is what a postbox provider (corner 4) checks after
 * decrypting the CMS; it is also the shared vocabulary (namespaces, algorithms, MIME types, the
 * canonicaliser) for the producer in `src/client/`.
 *
 * Order of the checks: container (zip limits, `mimetype`), layout of the entries, the signature (every
 * reference digest, SignedProperties, SignatureValue, signing certificate), the signer's chain, and last the
 * manifest and its agreement with the files. Each failure is its own error class with a stable `code`.
 */

// ---- vocabulary -----------------------------------------------------------------------------------------

export const ASIC_E_MIMETYPE = "application/vnd.etsi.asic-e+zip";
export const MANIFEST_FILE = "manifest.xml";
export const SIGNATURES_FILE = "META-INF/signatures.xml";
/** Digdir's own producer writes an ODF manifest here although its profile forbids it; we tolerate it. */
export const ODF_MANIFEST_FILE = "META-INF/manifest.xml";

export const ASIC_NS = {
  asic: "http://uri.etsi.org/02918/v1.2.1#",
  ds: "http://www.w3.org/2000/09/xmldsig#",
  xades: "http://uri.etsi.org/01903/v1.3.2#",
  sdp: "http://begrep.difi.no/sdp/schema_v10",
} as const;

export const XADES_ALG = {
  c14n10: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  c14n11: "http://www.w3.org/2006/12/xml-c14n11",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  rsaSha384: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  rsaSha512: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
  sha512: "http://www.w3.org/2001/04/xmlenc#sha512",
  signedPropertiesType: "http://uri.etsi.org/01903#SignedProperties",
} as const;

const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  [XADES_ALG.rsaSha256]: "sha256",
  [XADES_ALG.rsaSha384]: "sha384",
  [XADES_ALG.rsaSha512]: "sha512",
};
const REFERENCE_HASH: Readonly<Record<string, string>> = {
  [XADES_ALG.sha256]: "sha256",
  [XADES_ALG.sha384]: "sha384",
  [XADES_ALG.sha512]: "sha512",
};
/** CertDigest may be SHA-1: Digdir's profile prescribes it, and it only identifies a certificate we hold. */
const CERT_DIGEST_HASH: Readonly<Record<string, string>> = { [XADES_ALG.sha1]: "sha1", ...REFERENCE_HASH };
const INCLUSIVE_C14N: ReadonlySet<string> = new Set([XADES_ALG.c14n10, XADES_ALG.c14n11]);

/** Document MIME types a DPI letter may carry (Digdir's mimetypes.md, plus EHF from the main spec). */
export const DOCUMENT_MIME_TYPES: ReadonlySet<string> = new Set([
  "application/pdf",
  "text/html",
  "application/xml",
  "text/plain",
  "application/ehf+xml",
  "application/vnd.oasis.opendocument.formula",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
  "application/vnd.oasis.opendocument.graphics",
  "image/gif",
  "image/jpeg",
  "image/png",
  "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/octet-stream",
]);

/** The extension ("utvidelse") types carried in a document's `<data>` element. */
export const EXTENSION_MIME_TYPES: ReadonlySet<string> = new Set([
  "application/vnd.difi.dpi.bevis+xml",
  "application/vnd.difi.dpi.lenke+xml",
  "application/vnd.difi.dpi.arrangement+xml",
]);

export const MAX_VEDLEGG = 200;
/** "Dokumentpakken kan ikke overstige 30Mb"; read as MiB, the generous reading. */
export const MAX_PACKAGE_SIZE = 30 * 1024 * 1024;

// ---- errors ---------------------------------------------------------------------------------------------

export abstract class AsicError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The container is larger than a dokumentpakke may be. (Zip-level failures are ZipErrors from zip.ts.) */
export class AsicTooLargeError extends AsicError {
  readonly code = "ASIC_TOO_LARGE";
}

/** `mimetype` is not the first entry, is compressed, has an extra field, or has the wrong content. */
export class AsicMimetypeError extends AsicError {
  readonly code = "ASIC_MIMETYPE";
}

/** Required entries missing (manifest.xml, META-INF/signatures.xml) or unexpected ones present in META-INF. */
export class AsicStructureError extends AsicError {
  readonly code = "ASIC_STRUCTURE";
}

/** signatures.xml is not one XAdES signature of the expected shape. */
export class AsicSignatureFormatError extends AsicError {
  readonly code = "ASIC_SIGNATURE_MALFORMED";
}

export class AsicUnsupportedAlgorithmError extends AsicError {
  readonly code = "ASIC_UNSUPPORTED_ALGORITHM";
}

/** A file outside META-INF that the signature does not cover. */
export class AsicUnsignedFileError extends AsicError {
  readonly code = "ASIC_UNSIGNED_FILE";
  constructor(readonly fileName: string) {
    super(`${JSON.stringify(fileName)} is not covered by the signature`);
  }
}

/** A reference to a file the container does not hold (or may not be referenced). */
export class AsicReferencedFileMissingError extends AsicError {
  readonly code = "ASIC_REFERENCED_FILE_MISSING";
  constructor(readonly uri: string) {
    super(`the signature references ${JSON.stringify(uri)}, which the container does not hold`);
  }
}

/** A reference's digest does not match its file or the SignedProperties. */
export class AsicDigestMismatchError extends AsicError {
  readonly code = "ASIC_DIGEST_MISMATCH";
  constructor(readonly uri: string) {
    super(`the digest of ${JSON.stringify(uri)} does not match its reference`);
  }
}

/** SignatureValue does not verify over SignedInfo with the signing certificate's key. */
export class AsicSignatureInvalidError extends AsicError {
  readonly code = "ASIC_SIGNATURE_INVALID";
}

/** The signing certificate is absent from KeyInfo or does not match SigningCertificate. */
export class AsicSigningCertificateError extends AsicError {
  readonly code = "ASIC_SIGNING_CERTIFICATE";
}

/** No valid path from the signing certificate to a trust anchor, or no organisation number in it. */
export class AsicSignerUntrustedError extends AsicError {
  readonly code = "ASIC_SIGNER_UNTRUSTED";
}

/** manifest.xml is not a valid SDP manifest. */
export class AsicManifestError extends AsicError {
  readonly code = "ASIC_MANIFEST_INVALID";
}

/** The manifest and the files disagree, or the manifest names other parties than expected. */
export class AsicManifestMismatchError extends AsicError {
  readonly code = "ASIC_MANIFEST_MISMATCH";
}

export class AsicMimeTypeNotAllowedError extends AsicError {
  readonly code = "ASIC_MIME_TYPE_NOT_ALLOWED";
  constructor(
    readonly fileName: string,
    readonly mimeType: string,
  ) {
    super(`${JSON.stringify(fileName)} has MIME type ${JSON.stringify(mimeType)}, which DPI does not allow`);
  }
}

// ---- canonicalisation -----------------------------------------------------------------------------------

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/**
 * Inclusive canonical XML (1.0 or 1.1, without comments) of the subtree at `el`, as a signature over it
 * sees it: the namespaces in scope from its ancestors are rendered on `el`. xml-crypto's canonicaliser
 * does the rendering; the in-scope namespaces are computed here (nearest declaration wins, undeclarations
 * bind nothing). C14N would also import `xml:*` attributes from the ancestors, which xml-crypto cannot, so
 * a document that has any there is refused rather than digested wrongly. Without them, 1.0 and 1.1 agree.
 */
export function canonicalize(el: Element, algorithm: string): string {
  if (!INCLUSIVE_C14N.has(algorithm)) throw new AsicUnsupportedAlgorithmError(`canonicalisation ${algorithm} is not supported`);
  const declared = new Map<string, string>();
  for (let p = el.parentNode; isElement(p); p = p.parentNode) {
    for (const a of Array.from(p.attributes)) {
      if (a.namespaceURI === XML_NS) {
        throw new AsicUnsupportedAlgorithmError(`an ancestor of ${el.localName} carries ${a.name}, which inclusive c14n would import`);
      }
      if (a.namespaceURI !== XMLNS_NS) continue;
      const prefix = a.name === "xmlns" ? "" : a.localName ?? "";
      if (!declared.has(prefix)) declared.set(prefix, a.value);
    }
  }
  // The element's own declarations and its own prefix are rendered by the canonicaliser itself.
  const own = new Set<string>([el.prefix ?? ""]);
  for (const a of Array.from(el.attributes)) {
    if (a.namespaceURI === XMLNS_NS) own.add(a.name === "xmlns" ? "" : a.localName ?? "");
  }
  const ancestorNamespaces = [...declared]
    .filter(([prefix, uri]) => uri !== "" && !own.has(prefix))
    .map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
  return new C14nCanonicalization().process(el as unknown as Node, { ancestorNamespaces });
}

// ---- manifest -------------------------------------------------------------------------------------------

export interface ManifestTittel {
  readonly text: string;
  /** ISO 639-1, two letters. */
  readonly lang: string;
}

export interface ManifestDokument {
  /** File name in the container. */
  readonly href: string;
  readonly mime: string;
  readonly tittel?: ManifestTittel;
  /** An extension file ("utvidelse") enriching this document. */
  readonly data?: { readonly href: string; readonly mime: string };
}

export interface Manifest {
  /** Absent for print letters. */
  readonly mottaker?: { readonly postkasseadresse: string; readonly personidentifikator?: string };
  readonly avsender: {
    /** As written, `0192:<orgno>`. */
    readonly organisasjon: string;
    /** The nine-digit organisation number when `organisasjon` is `0192:` or the legacy `9908:` + 9 digits. */
    readonly orgnr?: string;
    readonly avsenderidentifikator?: string;
    readonly fakturaReferanse?: string;
  };
  readonly hoveddokument: ManifestDokument;
  readonly vedlegg: readonly ManifestDokument[];
}

const ISO6523_ACTORID = "iso6523-actorid-upis";
/** XSD `[0-9]{4}:\w{1,35}`, where XSD's \w is every character except punctuation, separators and "other". */
const ISO6523_IDENTITY = /^[0-9]{4}:[^\p{P}\p{Z}\p{C}]{1,35}$/u;

/** Parses manifest.xml against the SDP manifest schema's structure and limits. Throws AsicManifestError. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let doc: Document;
  try {
    doc = parseXml(bytes, { maxLength: 1024 * 1024 });
  } catch (cause) {
    throw new AsicManifestError(`manifest.xml is not acceptable XML: ${(cause as Error).message}`, { cause });
  }
  const root = doc.documentElement;
  if (!isSdp(root, "manifest")) throw new AsicManifestError("manifest.xml's root is not sdp:manifest");
  const seq = sequence(root, ["mottaker", "avsender", "hoveddokument", "vedlegg", "lenke"]);
  const mottakerEl = seq.optional("mottaker");
  const avsenderEl = seq.one("avsender");
  const hoveddokumentEl = seq.one("hoveddokument");
  const vedleggEls = seq.many("vedlegg");
  seq.optional("lenke");
  seq.end();
  if (vedleggEls.length > MAX_VEDLEGG) throw new AsicManifestError(`${vedleggEls.length} vedlegg, at most ${MAX_VEDLEGG} are allowed`);

  return {
    ...(mottakerEl ? { mottaker: parseMottaker(mottakerEl) } : {}),
    avsender: parseAvsender(avsenderEl),
    hoveddokument: parseDokument(hoveddokumentEl),
    vedlegg: vedleggEls.map(parseDokument),
  };
}

function parseMottaker(el: Element): NonNullable<Manifest["mottaker"]> {
  const seq = sequence(el, ["person"]);
  const person = seq.one("person");
  seq.end();
  const p = sequence(person, ["personidentifikator", "postkasseadresse"]);
  const personidentifikator = p.optional("personidentifikator");
  const postkasseadresse = text(p.one("postkasseadresse"), 1, 1000);
  p.end();
  const pid = personidentifikator ? text(personidentifikator, 11, 11) : undefined;
  if (pid !== undefined && !/^[0-9]{11}$/.test(pid)) throw new AsicManifestError("personidentifikator is not 11 digits");
  return { postkasseadresse, ...(pid !== undefined ? { personidentifikator: pid } : {}) };
}

function parseAvsender(el: Element): Manifest["avsender"] {
  const seq = sequence(el, ["organisasjon", "avsenderidentifikator", "fakturaReferanse"]);
  const orgEl = seq.one("organisasjon");
  const idEl = seq.optional("avsenderidentifikator");
  const fakturaEl = seq.optional("fakturaReferanse");
  seq.end();
  const authority = attr(orgEl, "authority");
  if (authority !== undefined && authority !== ISO6523_ACTORID) {
    throw new AsicManifestError(`organisasjon authority ${JSON.stringify(authority)} is not ${ISO6523_ACTORID}`);
  }
  const organisasjon = text(orgEl, 1, 40);
  if (!ISO6523_IDENTITY.test(organisasjon)) throw new AsicManifestError(`organisasjon ${JSON.stringify(organisasjon)} is not an ISO 6523 identity`);
  const orgnr = /^(?:0192|9908):([0-9]{9})$/.exec(organisasjon)?.[1];
  return {
    organisasjon,
    ...(orgnr !== undefined ? { orgnr } : {}),
    ...(idEl ? { avsenderidentifikator: text(idEl, 0, 100) } : {}),
    ...(fakturaEl ? { fakturaReferanse: text(fakturaEl, 0, 40) } : {}),
  };
}

function parseDokument(el: Element): ManifestDokument {
  const href = boundedAttr(el, "href", 4, 100);
  const mime = boundedAttr(el, "mime", 1, 100);
  const seq = sequence(el, ["tittel", "data"]);
  const tittelEl = seq.optional("tittel");
  const dataEl = seq.optional("data");
  seq.end();
  let tittel: ManifestTittel | undefined;
  if (tittelEl) {
    if (elementChildren(tittelEl).length > 0) throw new AsicManifestError("tittel has child elements");
    const raw = tittelEl.textContent ?? "";
    if (charLength(raw) < 1 || charLength(raw) > 255) throw new AsicManifestError("tittel must be 1 to 255 characters");
    tittel = { text: raw, lang: boundedAttr(tittelEl, "lang", 2, 2) };
  }
  let data: ManifestDokument["data"];
  if (dataEl) {
    if (dataEl.hasChildNodes()) throw new AsicManifestError("data must be empty");
    data = { href: boundedAttr(dataEl, "href", 4, 100), mime: boundedAttr(dataEl, "mime", 1, 100) };
  }
  return { href, mime, ...(tittel ? { tittel } : {}), ...(data ? { data } : {}) };
}

function isSdp(el: Element, localName: string): boolean {
  return el.namespaceURI === ASIC_NS.sdp && el.localName === localName;
}

/**
 * Walks an element's children as an XSD sequence of sdp elements: only whitespace text in between, each
 * name in the order given, nothing unknown.
 */
function sequence(parent: Element, order: readonly string[]) {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (!isElement(c) && (c.nodeType !== 3 || (c.nodeValue ?? "").trim() !== "") && c.nodeType !== 8) {
      throw new AsicManifestError(`${parent.localName} has text or other content between its elements`);
    }
  }
  const children = elementChildren(parent);
  for (const c of children) {
    if (c.namespaceURI !== ASIC_NS.sdp || !order.includes(c.localName)) {
      throw new AsicManifestError(`unexpected element ${c.nodeName} in ${parent.localName}`);
    }
  }
  let i = 0;
  const take = (name: string, max: number): Element[] => {
    const out: Element[] = [];
    while (out.length < max && children[i]?.localName === name) out.push(children[i++]!);
    return out;
  };
  return {
    one(name: string): Element {
      const [el] = take(name, 1);
      if (!el) throw new AsicManifestError(`${parent.localName} lacks ${name} (or has it out of order)`);
      return el;
    },
    optional: (name: string): Element | undefined => take(name, 1)[0],
    many: (name: string): Element[] => take(name, Number.MAX_SAFE_INTEGER),
    end(): void {
      const extra = children[i];
      if (extra) throw new AsicManifestError(`${parent.localName} has ${extra.localName} out of order or repeated`);
    },
  };
}

function text(el: Element, min: number, max: number): string {
  if (elementChildren(el).length > 0) throw new AsicManifestError(`${el.localName} has child elements`);
  const value = (el.textContent ?? "").trim();
  if (charLength(value) < min || charLength(value) > max) {
    throw new AsicManifestError(`${el.localName} must be ${min} to ${max} characters, is ${charLength(value)}`);
  }
  return value;
}

function boundedAttr(el: Element, name: string, min: number, max: number): string {
  const value = attr(el, name);
  if (value === undefined) throw new AsicManifestError(`${el.localName} lacks the ${name} attribute`);
  if (charLength(value) < min || charLength(value) > max) {
    throw new AsicManifestError(`${el.localName}/@${name} must be ${min} to ${max} characters, is ${charLength(value)}`);
  }
  return value;
}

/** XSD lengths count characters (code points), not UTF-16 units. */
function charLength(value: string): number {
  return [...value].length;
}

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
      return new X509Certificate(base64Of(el, "X509Certificate"));
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

// ---- the container --------------------------------------------------------------------------------------

export interface VerifyAsicEOptions {
  /** Trust anchors for the signer's virksomhetssertifikat (e.g. Buypass and Commfides roots). */
  readonly anchors: readonly X509Certificate[];
  /** The chain is validated at this clock's time (default: now). */
  readonly clock?: Clock;
  /** Zip limits; defaults fit a dokumentpakke (256 entries, 100 MiB inflated, 512-byte names). */
  readonly zipLimits?: ZipReadLimits;
  /** Largest container accepted, in bytes (default 30 MiB). */
  readonly maxPackageSize?: number;
  /** MIME types accepted for documents (default DOCUMENT_MIME_TYPES) and `<data>` files (+ EXTENSION_MIME_TYPES). */
  readonly allowedMimeTypes?: ReadonlySet<string>;
}

export interface VerifiedAsicE {
  /** Organisation number of the signer's virksomhetssertifikat (behandlingsansvarlig or databehandler). */
  readonly signerOrg: string;
  readonly signerCertificate: X509Certificate;
  /** The validated path, signer first and anchor last; check revocation on it if policy requires. */
  readonly signerPath: readonly X509Certificate[];
  readonly signingTime: Date;
  readonly manifest: Manifest;
  /** Every signed file (manifest.xml included) by name, in container order. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

const ASIC_ZIP_LIMITS: Required<ZipReadLimits> = { maxEntries: 256, maxTotalSize: 100 * 1024 * 1024, maxNameLength: 512 };
const MIMETYPE_BYTES = Buffer.from(ASIC_E_MIMETYPE, "ascii");

/** Reads, verifies and returns a decrypted dokumentpakke. Throws a ZipError or an AsicError. */
export function verifyAsicE(container: Uint8Array, options: VerifyAsicEOptions): VerifiedAsicE {
  const maxPackageSize = options.maxPackageSize ?? MAX_PACKAGE_SIZE;
  if (container.byteLength > maxPackageSize) {
    throw new AsicTooLargeError(`the container is ${container.byteLength} bytes, more than ${maxPackageSize}`);
  }
  const archive = readZip(container, { ...ASIC_ZIP_LIMITS, ...options.zipLimits });
  checkMimetypeEntry(archive.entries);

  const files = new Map<string, Uint8Array>();
  let signaturesXml: Uint8Array | undefined;
  for (const entry of archive.entries.slice(1)) {
    if (entry.isDirectory) {
      if (entry.data.length > 0) throw new AsicStructureError(`directory entry ${JSON.stringify(entry.name)} has content`);
      continue;
    }
    if (entry.name === SIGNATURES_FILE) signaturesXml = entry.data;
    else if (entry.name === ODF_MANIFEST_FILE) continue;
    else if (entry.name.startsWith("META-INF/")) throw new AsicStructureError(`unexpected ${JSON.stringify(entry.name)} in META-INF`);
    else files.set(entry.name, entry.data);
  }
  if (signaturesXml === undefined) throw new AsicStructureError(`the container has no ${SIGNATURES_FILE}`);
  const manifestBytes = files.get(MANIFEST_FILE);
  if (manifestBytes === undefined) throw new AsicStructureError(`the container has no ${MANIFEST_FILE}`);

  const signature = verifyXadesSignature(signaturesXml, files);
  const at = (options.clock ?? systemClock)();
  let signerPath: X509Certificate[];
  let signerOrg: string;
  try {
    signerPath = validateChain(signature.certificate, signature.otherCertificates, options.anchors, at);
    signerOrg = organisationNumberOf(signature.certificate);
  } catch (cause) {
    throw new AsicSignerUntrustedError(`the signing certificate is not acceptable: ${(cause as Error).message}`, { cause });
  }

  const manifest = parseManifest(manifestBytes);
  checkManifestAgainstFiles(manifest, files, options.allowedMimeTypes ?? DOCUMENT_MIME_TYPES);
  return { signerOrg, signerCertificate: signature.certificate, signerPath, signingTime: signature.signingTime, manifest, files };
}

function checkMimetypeEntry(entries: readonly ZipEntry[]): void {
  const first = entries[0];
  if (!first || first.name !== "mimetype" || first.localHeaderOffset !== 0) {
    throw new AsicMimetypeError("the first entry of the container is not `mimetype`");
  }
  if (first.method !== "store") throw new AsicMimetypeError("`mimetype` is compressed");
  if (first.hasLocalExtra) throw new AsicMimetypeError("`mimetype` has an extra field");
  if (!Buffer.from(first.data).equals(MIMETYPE_BYTES)) throw new AsicMimetypeError(`\`mimetype\` is not ${ASIC_E_MIMETYPE}`);
}

/** Each document the manifest names exists, is named once, has an allowed type; no file goes undescribed. */
function checkManifestAgainstFiles(manifest: Manifest, files: ReadonlyMap<string, Uint8Array>, allowed: ReadonlySet<string>): void {
  const described = new Set<string>([MANIFEST_FILE]);
  const describe = (href: string, mime: string, types: ReadonlySet<string>, extra?: ReadonlySet<string>): void => {
    if (described.has(href)) throw new AsicManifestMismatchError(`the manifest names ${JSON.stringify(href)} twice`);
    if (!files.has(href)) throw new AsicManifestMismatchError(`the manifest names ${JSON.stringify(href)}, which the container does not hold`);
    if (!types.has(mime) && !extra?.has(mime)) throw new AsicMimeTypeNotAllowedError(href, mime);
    described.add(href);
  };
  for (const doc of [manifest.hoveddokument, ...manifest.vedlegg]) {
    describe(doc.href, doc.mime, allowed);
    if (doc.data) describe(doc.data.href, doc.data.mime, allowed, EXTENSION_MIME_TYPES);
  }
  for (const name of files.keys()) {
    if (!described.has(name)) throw new AsicManifestMismatchError(`${JSON.stringify(name)} is not described by the manifest`);
  }
}

// ---- for corner 4 ---------------------------------------------------------------------------------------

export interface OpenDokumentpakkeRecipient {
  readonly privateKey: PrivateKeyInput;
  readonly certificate: CertificateInput;
}

/** Decrypts the CMS with the recipient's key, then verifies the ASiC-E inside (see verifyAsicE). */
export async function openDokumentpakke(
  cms: Uint8Array,
  recipient: OpenDokumentpakkeRecipient,
  options: VerifyAsicEOptions,
): Promise<VerifiedAsicE> {
  return verifyAsicE(await decryptDokumentpakke(cms, recipient.privateKey, recipient.certificate), options);
}

export interface ExpectedParties {
  /** The forretningsmelding's avsender (behandlingsansvarlig), nine digits. */
  readonly avsenderOrgnr?: string;
  /** The forretningsmelding's postkasseadresse; `null` for a print letter, which has no mottaker. */
  readonly postkasseadresse?: string | null;
}

/**
 * Corner 4 must check that the package belongs to its forretningsmelding: same avsender, same recipient
 * postbox address. Throws AsicManifestMismatchError.
 */
export function expectManifestParties(manifest: Manifest, expected: ExpectedParties): void {
  if (expected.avsenderOrgnr !== undefined && manifest.avsender.orgnr !== expected.avsenderOrgnr) {
    throw new AsicManifestMismatchError(
      `the manifest's avsender ${manifest.avsender.organisasjon} is not the forretningsmelding's ${expected.avsenderOrgnr}`,
    );
  }
  if (expected.postkasseadresse !== undefined && (manifest.mottaker?.postkasseadresse ?? null) !== expected.postkasseadresse) {
    throw new AsicManifestMismatchError("the manifest's postkasseadresse is not the forretningsmelding's");
  }
}
