/**
 * Verification of the enveloped XML-DSig on a busdox SMP 1.x SignedServiceMetadata, on the exact text the
 * SMP sent (never re-serialised: any reformatting breaks the digest, which is the point).
 *
 * Policy, decided here once:
 * - exactly one ds:Signature in the whole document, a direct child of the SignedServiceMetadata root. The
 *   busdox XSD allows exactly one; a second one could only serve to confuse which signature was checked.
 * - SignedInfo holds exactly one Reference with URI="" (the whole document) whose transforms are
 *   enveloped-signature, optionally followed by one c14n (exclusive or inclusive 1.0, without comments).
 *   URI="" resolves to the document element, so the signature covers SignedServiceMetadata itself and
 *   nothing can be wrapped around or beside it; we also re-check the element the digest was computed over.
 * - SignedInfo canonicalisation: exclusive or inclusive c14n 1.0. Signature: RSA with SHA-1, SHA-256 or
 *   SHA-512 (real SMPs still sign with rsa-sha1). Digest: SHA-1, SHA-256 or SHA-512.
 * - the key comes only from KeyInfo/X509Data/X509Certificate (never from a URL or a key value), and that
 *   certificate must chain to one of the configured SMP CA anchors at the given time (src/pki).
 *   Revocation is not checked here; callers can check the returned path.
 */
import type { X509Certificate } from "node:crypto";
import { X509Certificate as X509 } from "node:crypto";
import "../xml/c14n-fix.js"; // before xml-crypto is used: code-point namespace order in c14n
import { SignedXml } from "xml-crypto";
import { attr, childElements, elementChildren, NodeType } from "../xml/dom.js";
import { DsReferenceFormatError, readDsReference } from "../xml/dsig-reference.js";
import { decodeXml, parseXml, XmlParseError } from "../xml/safe-parse.js";
import { PkiError } from "../pki/errors.js";
import { validateChain } from "../pki/chain.js";
import { subjectAttributes } from "../pki/certificate-fields.js";
import {
  SmpBadSignatureError,
  SmpMalformedResponseError,
  SmpMissingSignatureError,
  SmpUntrustedCertificateError,
} from "./smp-errors.js";
import { SMP_NS } from "./smp-xml.js";

const DS = "http://www.w3.org/2000/09/xmldsig#";

export const DSIG_ALGORITHMS = {
  excC14n: "http://www.w3.org/2001/10/xml-exc-c14n#",
  c14n: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  enveloped: "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
  rsaSha1: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  rsaSha512: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha512: "http://www.w3.org/2001/04/xmlenc#sha512",
} as const;

const CANONICALISATIONS: readonly string[] = [DSIG_ALGORITHMS.excC14n, DSIG_ALGORITHMS.c14n];
const SIGNATURE_METHODS: readonly string[] = [DSIG_ALGORITHMS.rsaSha1, DSIG_ALGORITHMS.rsaSha256, DSIG_ALGORITHMS.rsaSha512];
const DIGEST_METHODS: readonly string[] = [DSIG_ALGORITHMS.sha1, DSIG_ALGORITHMS.sha256, DSIG_ALGORITHMS.sha512];

export interface SmpSignatureOptions {
  /** SMP CA certificates (roots or pinned issuing CAs) the signer must chain to. */
  anchors: readonly X509Certificate[];
  /** Extra CA certificates that may complete the path (those in KeyInfo are used too). */
  intermediates?: readonly X509Certificate[];
  /** When the signer certificate and its path must be valid (the lookup time). */
  at: Date;
}

export interface VerifiedSmpDocument {
  /** The document parsed (safely) from the verified text; hand it to smp-xml.ts. */
  document: Document;
  signerCertificate: X509Certificate;
  /** Leaf first, anchor last, as validateChain returns it. */
  certificatePath: X509Certificate[];
  canonicalizationAlgorithm: string;
  signatureAlgorithm: string;
  digestAlgorithm: string;
}

/** xml-crypto 6.3 internals we read; the tests fail loudly if a release changes them. */
interface XmlCryptoReference {
  uri?: string;
  validationError?: Error;
}

/**
 * Verifies the signature of a SignedServiceMetadata given as the exact response bytes (or their text).
 * @throws SmpMalformedResponseError (not well-formed, forbidden constructs, not a SignedServiceMetadata),
 *   SmpMissingSignatureError, SmpBadSignatureError, SmpUntrustedCertificateError
 */
export function verifySmpSignature(input: string | Uint8Array, options: SmpSignatureOptions): VerifiedSmpDocument {
  let xml: string;
  let document: Document;
  try {
    xml = decodeXml(input);
    document = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlParseError) throw new SmpMalformedResponseError(e.message, { cause: e });
    throw e;
  }
  const root = document.documentElement!;
  if (root.namespaceURI !== SMP_NS.smp || root.localName !== "SignedServiceMetadata") {
    throw new SmpMalformedResponseError(`expected a busdox SignedServiceMetadata, found {${root.namespaceURI ?? ""}}${root.localName}`);
  }

  // --- shape and policy ------------------------------------------------------------------------------
  const signatures = Array.from(document.getElementsByTagNameNS(DS, "Signature"));
  if (signatures.length === 0) throw new SmpMissingSignatureError("SignedServiceMetadata carries no ds:Signature");
  if (signatures.length > 1) bad(`expected exactly one ds:Signature, found ${signatures.length}`);
  const signature = signatures[0]!;
  if (signature.parentNode !== root) bad("ds:Signature must be a direct child of SignedServiceMetadata (enveloped)");
  // xml-crypto locates SignedInfo's in-scope namespaces through the first element named SignedInfo anywhere.
  if (elementsByLocalName(document, "SignedInfo") !== 1) bad("the document must contain exactly one SignedInfo");

  const signedInfo = exactlyOne(signature, "SignedInfo");
  const canonicalizationAlgorithm = algorithmOf(exactlyOne(signedInfo, "CanonicalizationMethod"));
  if (!CANONICALISATIONS.includes(canonicalizationAlgorithm)) bad(`unsupported SignedInfo canonicalisation ${canonicalizationAlgorithm}`);
  const signatureAlgorithm = algorithmOf(exactlyOne(signedInfo, "SignatureMethod"));
  if (!SIGNATURE_METHODS.includes(signatureAlgorithm)) bad(`unsupported signature algorithm ${signatureAlgorithm}`);
  const digestAlgorithm = checkReference(signedInfo);
  const signatureValue = exactlyOne(signature, "SignatureValue");
  if (!hasOnlyText(signatureValue)) bad("SignatureValue must hold base64 text only");

  const { signer, others } = certificatesFromKeyInfo(signature);

  // --- cryptography ----------------------------------------------------------------------------------
  const sx = new SignedXml({ publicCert: signer.toString() });
  let ok: boolean;
  try {
    sx.loadSignature(signature as never);
    ok = sx.checkSignature(xml);
  } catch (e) {
    bad(`signature does not verify: ${firstLine(e)}`, e);
  }
  if (!ok!) {
    const failed = (sx.getReferences() as XmlCryptoReference[]).find((r) => r.validationError);
    bad(failed?.validationError ? "the digest of the signed document does not match" : "the signed reference does not verify");
  }
  checkSignedElementIsRoot(sx.getSignedReferences(), root);

  // --- trust -----------------------------------------------------------------------------------------
  let certificatePath: X509Certificate[];
  try {
    certificatePath = validateChain(signer, [...others, ...(options.intermediates ?? [])], options.anchors, options.at);
  } catch (e) {
    if (e instanceof PkiError) {
      throw new SmpUntrustedCertificateError(`SMP certificate ${oneLine(signer.subject)}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  return { document, signerCertificate: signer, certificatePath, canonicalizationAlgorithm, signatureAlgorithm, digestAlgorithm };
}

/** The one Reference: URI="", enveloped-signature (+ one c14n), an accepted digest. Returns the digest. */
function checkReference(signedInfo: Element): string {
  const refs = childElements(signedInfo, DS, "Reference");
  if (refs.length !== 1) bad(`SignedInfo must hold exactly one Reference, found ${refs.length}`);
  let ref;
  try {
    ref = readDsReference(refs[0]!);
  } catch (e) {
    if (e instanceof DsReferenceFormatError) bad(e.message, e);
    throw e;
  }
  if (ref!.uri !== "") bad(`the Reference must have URI="" (the whole document), found URI=${JSON.stringify(ref!.uri)}`);
  const [first, ...rest] = ref!.transforms.map((t) => t.algorithm);
  if (first !== DSIG_ALGORITHMS.enveloped) bad("the first transform must be enveloped-signature");
  if (rest.length > 1 || (rest[0] !== undefined && !CANONICALISATIONS.includes(rest[0]))) {
    bad(`after enveloped-signature only one c14n transform is accepted, found ${rest.join(", ")}`);
  }
  if (!DIGEST_METHODS.includes(ref!.digestMethod)) bad(`unsupported digest algorithm ${ref!.digestMethod}`);
  return ref!.digestMethod;
}

/**
 * The signer and any further certificates of KeyInfo/X509Data. With one certificate it is the signer; with
 * several, the signer is the only one that is not a CA (the rest may complete its path).
 */
function certificatesFromKeyInfo(signature: Element): { signer: X509Certificate; others: X509Certificate[] } {
  const keyInfo = exactlyOne(signature, "KeyInfo");
  const values = childElements(keyInfo, DS, "X509Data").flatMap((d) => childElements(d, DS, "X509Certificate"));
  if (values.length === 0) bad("KeyInfo has no X509Data/X509Certificate");
  const certs = values.map((el) => {
    const b64 = (el.textContent ?? "").replace(/\s+/g, "");
    try {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error("not base64");
      return new X509(Buffer.from(b64, "base64"));
    } catch (e) {
      return bad(`KeyInfo X509Certificate is not a readable certificate: ${firstLine(e)}`, e);
    }
  });
  if (certs.length === 1) return { signer: certs[0]!, others: [] };
  const leaves = certs.filter((c) => !c.ca);
  if (leaves.length !== 1) bad(`KeyInfo holds ${certs.length} certificates and ${leaves.length} end-entity certificates; cannot tell the signer`);
  return { signer: leaves[0]!, others: certs.filter((c) => c !== leaves[0]) };
}

/**
 * xml-crypto resolves URI="" to the first element of its own parse of the same text; confirm that what it
 * digested is the SignedServiceMetadata element (same name, same ServiceMetadata children) and nothing else.
 */
function checkSignedElementIsRoot(signed: string[], root: Element): void {
  if (signed.length !== 1) bad(`expected one signed reference, xml-crypto reports ${signed.length}`);
  let signedRoot: Element;
  try {
    signedRoot = parseXml(signed[0]!).documentElement!;
  } catch (e) {
    return bad("the signed content cannot be read back", e);
  }
  const sameElement =
    signedRoot.namespaceURI === root.namespaceURI &&
    signedRoot.localName === root.localName &&
    childElements(signedRoot, SMP_NS.smp, "ServiceMetadata").length === childElements(root, SMP_NS.smp, "ServiceMetadata").length &&
    childElements(signedRoot, DS, "Signature").length === 0;
  if (!sameElement) bad("the signature does not cover the SignedServiceMetadata element");
}

// --- distinguished names -------------------------------------------------------------------------------

const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: "2.5.4.3",
  SN: "2.5.4.4",
  SURNAME: "2.5.4.4",
  SERIALNUMBER: "2.5.4.5",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  S: "2.5.4.8",
  STREET: "2.5.4.9",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  T: "2.5.4.12",
  TITLE: "2.5.4.12",
  GIVENNAME: "2.5.4.42",
  G: "2.5.4.42",
  DNQUALIFIER: "2.5.4.46",
  ORGANIZATIONIDENTIFIER: "2.5.4.97",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
  E: "1.2.840.113549.1.9.1",
  EMAILADDRESS: "1.2.840.113549.1.9.1",
};

export interface DnAttribute {
  readonly oid: string;
  readonly value: string;
}

/**
 * Parses a distinguished name string into its relative distinguished names, each a list of attributes.
 * Accepts RFC 4514/2253 (`CN=x,O=y`), RFC 1779 forms (`;` separators, spaces, "quoted" values), `\,` and
 * `\xx` escapes, attribute names or dotted OIDs (`OID.` prefix allowed), and newlines as separators (the
 * form node:crypto prints). Returns undefined for anything else, including `#hex` BER values.
 */
export function parseDistinguishedName(dn: string): DnAttribute[][] | undefined {
  const rdns: DnAttribute[][] = [];
  let current: DnAttribute[] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = () => {
    while (i < n && (dn[i] === " " || dn[i] === "\t")) i++;
  };
  for (;;) {
    skipSpaces();
    if (i >= n) break;
    // attribute type
    const eq = dn.indexOf("=", i);
    if (eq < 0) return undefined;
    const oid = attributeOid(dn.slice(i, eq).trim());
    if (!oid) return undefined;
    i = eq + 1;
    skipSpaces();
    // attribute value
    const bytes: number[] = [];
    const push = (s: string) => bytes.push(...Buffer.from(s, "utf8"));
    if (dn[i] === "#") return undefined;
    if (dn[i] === '"') {
      i++;
      while (i < n && dn[i] !== '"') {
        if (dn[i] === "\\" && i + 1 < n) i++;
        push(dn[i]!);
        i++;
      }
      if (i >= n) return undefined;
      i++;
      skipSpaces();
    } else {
      while (i < n && !",;+\n".includes(dn[i]!)) {
        if (dn[i] === "\\") {
          const hex = dn.slice(i + 1, i + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
            bytes.push(parseInt(hex, 16));
            i += 3;
            continue;
          }
          if (i + 1 >= n) return undefined;
          i++;
        }
        push(dn[i]!);
        i++;
      }
    }
    let value: string;
    try {
      value = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      return undefined;
    }
    current.push({ oid, value: value.trim() });
    if (i >= n) break;
    const sep = dn[i]!;
    i++;
    if (sep === "+") continue;
    if (!",;\n".includes(sep)) return undefined;
    rdns.push(current);
    current = [];
  }
  if (current.length > 0) rdns.push(current);
  return rdns.length > 0 ? rdns : undefined;
}

/**
 * Whether `dn` names the subject of `cert`. Attributes are matched by type OID and by value under
 * caseIgnoreMatch with insignificant spaces (trimmed, inner runs collapsed, case folded); their order is
 * not significant, because DN strings are printed in both directions (RFC 2253 leaf-first, .NET and
 * OpenSSL root-first) and within an SMP CA the set of attributes identifies the certificate.
 */
export function certificateSubjectEquals(cert: X509Certificate, dn: string): boolean {
  const parsed = parseDistinguishedName(dn);
  if (!parsed) return false;
  const expected = parsed.flat().map(avaKey).sort();
  const actual = subjectAttributes(cert).map(avaKey).sort();
  return expected.length === actual.length && expected.every((k, i) => k === actual[i]);
}

function avaKey(a: DnAttribute): string {
  return `${a.oid}=${a.value.trim().replace(/\s+/g, " ").normalize("NFKC").toLowerCase()}`;
}

function attributeOid(type: string): string | undefined {
  const t = type.replace(/^OID\./i, "");
  if (/^\d+(\.\d+)+$/.test(t)) return t;
  return ATTRIBUTE_OIDS[t.toUpperCase()];
}

// --- helpers -------------------------------------------------------------------------------------------

function exactlyOne(parent: Element, localName: string): Element {
  const found = childElements(parent, DS, localName);
  if (found.length !== 1) bad(`${parent.localName} must hold exactly one ds:${localName}, found ${found.length}`);
  return found[0]!;
}

function algorithmOf(el: Element): string {
  const alg = attr(el, "Algorithm");
  if (!alg) bad(`ds:${el.localName} has no Algorithm`);
  return alg!;
}

function hasOnlyText(el: Element): boolean {
  if (elementChildren(el).length > 0) return false;
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType !== NodeType.TEXT) return false;
  return true;
}

function elementsByLocalName(doc: Document, localName: string): number {
  let count = 0;
  const all = doc.getElementsByTagName("*");
  for (let i = 0; i < all.length; i++) if (all.item(i)?.localName === localName) count++;
  return count;
}

function bad(detail: string, cause?: unknown): never {
  throw new SmpBadSignatureError(detail, cause === undefined ? undefined : { cause });
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
