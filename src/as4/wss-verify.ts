import { createHash, timingSafeEqual, verify as cryptoVerify, type X509Certificate } from "node:crypto";
import { excC14n } from "../xml/exc-c14n.js";
import { attr, childElements, elementChildren, isElement, isNamed, textOf } from "../xml/dom.js";
import { DsReferenceFormatError, readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { decodeXml } from "../xml/safe-parse.js";
import { x509FromDer } from "../pki/x509-cache.js";
import { EbmsError, type EbmsErrorCode } from "./ebms-errors.js";
import { ALG, NS, WSS } from "./namespaces.js";
import { parseSoapEnvelope, type SoapEnvelope } from "./soap-parse.js";
import { partInfosOf } from "./user-message.js";

/**
 * Verification of an inbound AS4 message's WS-Security signature, with the Peppol policy around it:
 * exactly one signature, exc-c14n + RSA-SHA256 + SHA-256, KeyInfo as a direct reference to a
 * BinarySecurityToken, references that cover exactly eb:Messaging, S12:Body and every attachment, and
 * signed elements that are the real ones (not copies moved elsewhere: signature wrapping).
 *
 * Certificate trust (chain, validity, revocation) is NOT checked here; the caller does that with src/pki
 * on the returned certificate.
 *
 * Error mapping: the message is unsigned, a digest or the SignatureValue does not verify, or the token
 * cannot be read → EBMS:0101 FailedAuthentication. The signature is there but its algorithms, key
 * reference or scope break the policy → EBMS:0103 PolicyNoncompliance. A malformed envelope → EBMS:0009.
 */

export type SignedTarget = "messaging" | "body" | "attachment";

export interface SignedReference extends DsReference {
  target: SignedTarget;
  /** For attachment references: the Content-ID (the URI without `cid:`). */
  contentId?: string;
}

export interface VerifyOptions {
  /**
   * SHA-256 of the attachment with this Content-ID as received after decryption (the gzip bytes when
   * compressed), or undefined when the message has no such part.
   */
  attachmentDigest(contentId: string): Buffer | undefined;
  /**
   * What {@link claimedSignerOf} found in this very envelope, whose document has not changed since: verification
   * then uses its walk of the document and its certificate instead of making them again.
   */
  claimed?: ClaimedSigner | undefined;
}

/** The certificate a message claims to be signed with, and what was looked up in its document to find it. */
export interface ClaimedSigner {
  readonly certificate: X509Certificate;
  readonly envelope: SoapEnvelope;
  readonly signature: Element;
  /** Internal: the walk of the document (see DocumentIndex). */
  readonly index: unknown;
}

export interface VerifiedEnvelope {
  /** The parsed envelope, so the caller need not parse again. */
  envelope: SoapEnvelope;
  /** From the BinarySecurityToken; validate its chain and revocation before trusting the message. */
  signerCertificate: X509Certificate;
  references: SignedReference[];
  /**
   * The ds:Reference elements of SignedInfo, for a non-repudiation receipt (signal-message.ts
   * `ReceiptInput.references`, which copies them into the receipt). They are the envelope's own nodes: read them,
   * never change them.
   */
  signedInfoReferenceNodes: Element[];
}

const ID_ATTRIBUTES = ["Id", "ID", "id"]; // what a `#id` URI is matched against, in any namespace (as xml-crypto and Santuario do)

/** Verify the signature of an inbound AS4 envelope (SOAP part as text or UTF-8 bytes), or throw EbmsError. */
export function verifyEnvelope(input: string | Uint8Array, opts: VerifyOptions): VerifiedEnvelope {
  let xml: string;
  try {
    xml = decodeXml(input);
  } catch (e) {
    throw new EbmsError("EBMS:0009", e instanceof Error ? e.message : String(e), { cause: e });
  }
  return verifyParsedEnvelope(xml, parseSoapEnvelope(xml), opts);
}

/** verifyEnvelope for a caller that has already parsed `text` (unchanged) into `envelope`. */
export function verifyParsedEnvelope(text: string, envelope: SoapEnvelope, opts: VerifyOptions): VerifiedEnvelope {
  const xml = decodeXml(text); // strings only lose a leading BOM, as in verifyEnvelope
  const messageId = messageIdOf(envelope.messaging);
  try {
    return verifyParsed(xml, envelope, opts);
  } catch (e) {
    throw e instanceof EbmsError && messageId ? e.withRefToMessageId(messageId) : e;
  }
}

function verifyParsed(xml: string, envelope: SoapEnvelope, opts: VerifyOptions): VerifiedEnvelope {
  const { document, security } = envelope;
  const claimed = opts.claimed?.envelope === envelope ? opts.claimed : undefined;
  const index = claimed ? (claimed.index as DocumentIndex) : indexDocument(document);

  // --- policy: one signature, the profile's algorithms, a direct BST reference ------------------------
  const { signatures, signedInfos } = index;
  if (!security || signatures.length === 0) fail("EBMS:0101", "the message is not signed");
  const signature = signatures[0]!;
  if (signatures.length > 1) fail("EBMS:0103", `expected one ds:Signature, found ${signatures.length}`);
  if (signature.parentNode !== security) fail("EBMS:0103", "ds:Signature is not in the wsse:Security header");
  // One SignedInfo in the whole message, whatever its namespace: nothing for a confused verifier to pick instead.
  if (signedInfos !== 1) fail("EBMS:0103", "the message must contain exactly one SignedInfo");
  const signedInfo = exactlyOne(signature, NS.ds, "SignedInfo", "ds:Signature");
  const c14nMethod = exactlyOne(signedInfo, NS.ds, "CanonicalizationMethod", "ds:SignedInfo");
  const c14n = attr(c14nMethod, "Algorithm");
  if (c14n !== ALG.excC14n) fail("EBMS:0103", `SignedInfo canonicalisation must be exc-c14n, found ${c14n}`);
  const sigAlg = attr(exactlyOne(signedInfo, NS.ds, "SignatureMethod", "ds:SignedInfo"), "Algorithm");
  if (sigAlg !== ALG.rsaSha256) fail("EBMS:0103", `signature algorithm must be rsa-sha256, found ${sigAlg}`);

  const referenceNodes = childElements(signedInfo, NS.ds, "Reference");
  if (elementChildren(signedInfo).length !== 2 + referenceNodes.length) {
    fail("EBMS:0103", "SignedInfo may contain only CanonicalizationMethod, SignatureMethod and ds:Reference elements");
  }
  const references = referenceNodes.map(classifyReference);
  // The one ds:Signature, in wsse:Security: the very element claimedSignerOf resolved, to the same certificate.
  const signerCertificate = claimed?.signature === signature ? claimed.certificate : resolveCertificate(signature, security!, index);

  // --- policy: the references cover exactly Messaging, Body and the PartInfo attachments -------------
  const xmlRefs = references.filter((r) => r.uri.startsWith("#"));
  if (xmlRefs.length !== 2) fail("EBMS:0103", `expected references to eb:Messaging and S12:Body, found ${xmlRefs.length} same-document references`);
  const cidRefs = references.filter((r) => r.target === "attachment");
  const partHrefs = partInfosOf(envelope.messaging)
    .map((p) => attr(p, "href")?.trim() ?? "")
    .filter((h) => h.startsWith("cid:"));
  const signedCids = cidRefs.map((r) => r.uri);
  if (new Set(signedCids).size !== signedCids.length) fail("EBMS:0103", "an attachment is referenced twice");
  const unsignedParts = partHrefs.filter((h) => !signedCids.includes(h));
  if (unsignedParts.length > 0) fail("EBMS:0103", `attachments not covered by the signature: ${unsignedParts.join(", ")}`);
  const strayRefs = signedCids.filter((c) => !partHrefs.includes(c));
  if (strayRefs.length > 0) fail("EBMS:0103", `signed attachments without a PartInfo: ${strayRefs.join(", ")}`);

  // --- cryptography: each reference's digest, then the signature over SignedInfo ---------------------
  // Our own exclusive canonicaliser on the DOM we already have (src/xml/exc-c14n.ts): nothing is re-parsed.
  const resolved = new Map<string, SignedTarget | "elsewhere">();
  for (const ref of references) {
    if (ref.target === "attachment") {
      checkAttachment(ref, opts);
      continue;
    }
    const element = signedElement(index, ref.uri);
    const digest = createHash("sha256").update(excC14n(element, { inclusivePrefixes: ref.transforms[0]?.inclusiveNamespaces }), "utf8").digest();
    if (!sameBytes(digest, Buffer.from(ref.digestValue, "base64"))) fail("EBMS:0101", `digest of ${ref.uri} does not match`);
    resolved.set(ref.uri, targetOf(document, element));
  }
  const signatureValue = base64Of(exactlyOne(signature, NS.ds, "SignatureValue", "ds:Signature"));
  const inclusive = childElements(c14nMethod, NS.ec, "InclusiveNamespaces")[0];
  const prefixList = inclusive ? (attr(inclusive, "PrefixList") ?? "").split(/\s+/).filter((p) => p !== "") : undefined;
  let valid: boolean;
  try {
    valid = cryptoVerify("sha256", Buffer.from(excC14n(signedInfo, { inclusivePrefixes: prefixList }), "utf8"), signerCertificate.publicKey, signatureValue);
  } catch (e) {
    fail("EBMS:0101", `signature verification failed: ${firstLine(e)}`, e);
  }
  if (!valid) fail("EBMS:0101", "signature verification failed: the SignatureValue does not verify with the BinarySecurityToken's key");

  // --- wrapping defence: the signed elements are the real Messaging and Body --------------------------
  for (const ref of references) {
    if (!ref.uri.startsWith("#")) continue;
    const target = resolved.get(ref.uri);
    if (target !== "messaging" && target !== "body") {
      fail("EBMS:0103", `reference ${ref.uri} does not point at /Envelope/Header/eb:Messaging or /Envelope/Body`);
    }
    ref.target = target;
  }
  if (new Set(xmlRefs.map((r) => r.target)).size !== 2) fail("EBMS:0103", "eb:Messaging and S12:Body must both be signed");

  return {
    envelope,
    signerCertificate,
    references,
    signedInfoReferenceNodes: referenceNodes,
  };
}

function classifyReference(node: Element): SignedReference {
  let ref: DsReference;
  try {
    ref = readDsReference(node);
  } catch (e) {
    if (e instanceof DsReferenceFormatError) fail("EBMS:0103", e.message, e);
    throw e;
  }
  if (ref.digestMethod !== ALG.sha256) fail("EBMS:0103", `digest of ${ref.uri} must be sha256, found ${ref.digestMethod}`);
  const algorithms = ref.transforms.map((t) => t.algorithm);
  if (ref.uri.startsWith("#") && ref.uri.length > 1) {
    if (algorithms.length !== 1 || algorithms[0] !== ALG.excC14n) {
      fail("EBMS:0103", `reference ${ref.uri} must use exactly the exc-c14n transform`);
    }
    // Refined to messaging/body once we know what the id resolves to.
    return { ...ref, target: "body" };
  }
  if (ref.uri.startsWith("cid:") && ref.uri.length > 4) {
    if (algorithms.length !== 1 || algorithms[0] !== ALG.attachmentContentSignatureTransform) {
      fail("EBMS:0103", `reference ${ref.uri} must use exactly the Attachment-Content-Signature-Transform`);
    }
    return { ...ref, target: "attachment", contentId: ref.uri.slice(4) };
  }
  return fail("EBMS:0103", `unsupported reference URI ${JSON.stringify(ref.uri)}`);
}

/**
 * The certificate the message claims to be signed with (its BinarySecurityToken), before anything is verified:
 * lets a receiver refuse an untrusted sender before spending work on decryption. Throws EbmsError.
 */
export function signerCertificateOf(envelope: SoapEnvelope): X509Certificate {
  return claimedSignerOf(envelope).certificate;
}

/** {@link signerCertificateOf}, with what it looked up, for {@link VerifyOptions.claimed}. Throws EbmsError. */
export function claimedSignerOf(envelope: SoapEnvelope): ClaimedSigner {
  const signatures = envelope.security ? childElements(envelope.security, NS.ds, "Signature") : [];
  if (!envelope.security || signatures.length === 0) fail("EBMS:0101", "the message is not signed");
  if (signatures.length > 1) fail("EBMS:0103", `expected one ds:Signature, found ${signatures.length}`);
  const signature = signatures[0]!;
  const index = indexDocument(envelope.document);
  return { certificate: resolveCertificate(signature, envelope.security!, index), envelope, signature, index };
}

/** KeyInfo must be a SecurityTokenReference with a direct `#id` Reference to an X509v3 BST in this header. */
function resolveCertificate(signature: Element, security: Element, index: DocumentIndex): X509Certificate {
  const keyInfo = exactlyOne(signature, NS.ds, "KeyInfo", "ds:Signature");
  const kids = elementChildren(keyInfo);
  const str = kids[0];
  if (kids.length !== 1 || !str || !isNamed(str, NS.wsse, "SecurityTokenReference")) {
    fail("EBMS:0103", "KeyInfo must hold exactly one wsse:SecurityTokenReference");
  }
  const refs = elementChildren(str!);
  const ref = refs[0];
  if (refs.length !== 1 || !ref || !isNamed(ref, NS.wsse, "Reference")) {
    fail("EBMS:0103", "the SecurityTokenReference must be a direct wsse:Reference to a BinarySecurityToken");
  }
  const uri = attr(ref!, "URI") ?? "";
  if (!/^#[^'"\s]+$/.test(uri)) fail("EBMS:0103", `the token reference must be a same-document #id, found ${JSON.stringify(uri)}`);
  const valueType = attr(ref!, "ValueType");
  if (valueType !== undefined && valueType !== WSS.x509v3ValueType) fail("EBMS:0103", `token reference ValueType ${valueType} is not X509v3`);

  const id = uri.slice(1);
  const holders = index.elementsWithId.get(id) ?? [];
  const bst = holders[0];
  if (holders.length !== 1 || !bst || bst.parentNode !== security || !isNamed(bst, NS.wsse, "BinarySecurityToken")) {
    fail("EBMS:0103", `${uri} must identify exactly one BinarySecurityToken in wsse:Security`);
  }
  if (attr(bst!, "ValueType") !== WSS.x509v3ValueType) fail("EBMS:0103", "the BinarySecurityToken ValueType must be X509v3");
  const encoding = attr(bst!, "EncodingType");
  if (encoding !== undefined && encoding !== WSS.base64BinaryEncoding) fail("EBMS:0103", `unsupported token EncodingType ${encoding}`);
  const text = textOf(bst!);
  const known = tokenCertificates.get(text);
  if (known !== undefined) return known;
  const b64 = text.replace(/\s+/g, "");
  let cert: X509Certificate;
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error("not base64");
    cert = x509FromDer(Buffer.from(b64, "base64"));
  } catch (e) {
    return fail("EBMS:0101", `the BinarySecurityToken is not a readable X.509 certificate: ${firstLine(e)}`, e);
  }
  if (tokenCertificates.size >= MAX_TOKEN_CERTIFICATES) tokenCertificates.clear();
  // A copy as the key: the parsed text is a slice that would keep the whole envelope's text alive with it.
  tokenCertificates.set(Buffer.from(text, "utf8").toString("utf8"), cert);
  return cert;
}

// A BinarySecurityToken's text → the certificate it was read as. Peers send the same few tokens in every message and
// receipt, and checking, stripping and decoding the base64 cost three times a look-up of its text. Only texts that
// were read as a certificate are kept, so a bad one is refused afresh each time.
const tokenCertificates = new Map<string, X509Certificate>();
const MAX_TOKEN_CERTIFICATES = 200;

function checkAttachment(ref: SignedReference, opts: VerifyOptions): void {
  const actual = opts.attachmentDigest(ref.contentId!);
  if (!actual) fail("EBMS:0101", `no attachment ${ref.uri}`);
  if (!sameBytes(actual, Buffer.from(ref.digestValue, "base64"))) fail("EBMS:0101", `digest of ${ref.uri} does not match`);
}

/**
 * The one element a same-document `#id` reference names: an attribute of local name Id, ID or id (any namespace,
 * namespace declarations included, as XPath on xmldom sees them) with that value. Two such elements are refused
 * as a wrapping attempt, in the words xml-crypto used.
 */
function signedElement(index: DocumentIndex, uri: string): Element {
  const id = uri.slice(1);
  const found = index.idHolders.get(id) ?? [];
  if (found.length > 1) {
    fail(
      "EBMS:0101",
      "signature verification failed: Cannot validate a document which contains multiple elements with the same value for the ID / Id / Id attributes, in order to prevent signature wrapping attack.",
    );
  }
  if (found.length === 0) fail("EBMS:0101", `digest of ${uri} does not match: no element has that id`);
  return found[0]!;
}

function base64Of(el: Element): Buffer {
  const b64 = textOf(el).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) fail("EBMS:0101", "the SignatureValue is not base64");
  return Buffer.from(b64, "base64");
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Which of the two signable elements `el` (the one element a reference names) is. */
function targetOf(doc: Document, el: Element): SignedTarget | "elsewhere" {
  const root = doc.documentElement;
  if (!root || !isNamed(root, NS.S12, "Envelope")) return "elsewhere";
  const [header, body] = elementChildren(root);
  if (el === body && isNamed(body, NS.S12, "Body")) return "body";
  const parent = el.parentNode;
  if (header && parent === header && isNamed(header, NS.S12, "Header") && isNamed(el, NS.eb, "Messaging")) {
    return childElements(header, NS.eb, "Messaging").length === 1 ? "messaging" : "elsewhere";
  }
  return "elsewhere";
}

/**
 * What the checks look up in the document, from one walk of it (a message's verification used to walk it four
 * times):
 * - every ds:Signature, and the number of elements named SignedInfo in any namespace;
 * - idHolders: by id value, every element with an attribute of local name Id, ID or id (as XPath's local-name(),
 *   namespace declarations included) of that value, listed once for each of those names it carries, in document
 *   order: what a same-document reference may name;
 * - elementsWithId: by id value, each element carrying it in any of those attributes once: what a token
 *   reference may name.
 */
interface DocumentIndex {
  signatures: Element[];
  signedInfos: number;
  idHolders: Map<string, Element[]>;
  elementsWithId: Map<string, Element[]>;
}

function indexDocument(doc: Document): DocumentIndex {
  const index: DocumentIndex = { signatures: [], signedInfos: 0, idHolders: new Map(), elementsWithId: new Map() };
  const stack: Node[] = [];
  for (let c = doc.lastChild; c; c = c.previousSibling) stack.push(c);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!isElement(node)) continue;
    if (node.localName === "SignedInfo") index.signedInfos++;
    else if (node.localName === "Signature" && node.namespaceURI === NS.ds) index.signatures.push(node);
    const attrs = node.attributes;
    if (attrs.length > 0) indexIds(node, attrs, index);
    for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  }
  return index;
}

function indexIds(node: Element, all: NamedNodeMap, index: DocumentIndex): void {
  // Most elements carry no id attribute: one pass finds those that do, and only they are looked at below.
  let attrs: Attr[] | undefined;
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    if (isIdName(a.localName || a.nodeName || "") || isIdName(a.localName ?? a.name)) (attrs ??= []).push(a);
  }
  if (attrs === undefined) return;
  // A reference names an element by one of its id attributes; an element carrying two of them with one value is
  // listed twice, which the reference check refuses as ambiguous.
  for (const name of ID_ATTRIBUTES) {
    let listed: string[] | undefined; // values listed under this name (two attributes may share a local name)
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if ((a.localName || a.nodeName || "") !== name || listed?.includes(a.value)) continue;
      (listed ??= []).push(a.value);
      listUnder(index.idHolders, a.value, node);
    }
  }
  let listed: string[] | undefined;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    if (!ID_ATTRIBUTES.includes(a.localName ?? a.name) || listed?.includes(a.value)) continue;
    (listed ??= []).push(a.value);
    listUnder(index.elementsWithId, a.value, node);
  }
}

function isIdName(name: string): boolean {
  return name === "Id" || name === "ID" || name === "id";
}

function listUnder(map: Map<string, Element[]>, key: string, el: Element): void {
  const list = map.get(key);
  if (list) list.push(el);
  else map.set(key, [el]);
}

function exactlyOne(parent: Element, ns: string, localName: string, where: string): Element {
  const found = childElements(parent, ns, localName);
  if (found.length !== 1) fail("EBMS:0103", `${where} must contain exactly one ${localName}, found ${found.length}`);
  return found[0]!;
}

/** The text of the first eb:MessageInfo/eb:MessageId in a child of eb:Messaging, in document order, by a direct walk (an XPath query before). */
function messageIdOf(messaging: Element): string | undefined {
  for (let signal = messaging.firstChild; signal; signal = signal.nextSibling) {
    if (!isElement(signal)) continue;
    for (let info = signal.firstChild; info; info = info.nextSibling) {
      if (!isElement(info) || !isNamed(info, NS.eb, "MessageInfo")) continue;
      for (let id = info.firstChild; id; id = id.nextSibling) {
        if (!isElement(id) || !isNamed(id, NS.eb, "MessageId")) continue;
        const text = textOf(id).trim();
        return text ? text : undefined;
      }
    }
  }
  return undefined;
}

function fail(code: EbmsErrorCode, detail: string, cause?: unknown): never {
  throw new EbmsError(code, detail, cause === undefined ? {} : { cause });
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
