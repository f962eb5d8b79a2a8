import { createHash, randomUUID, sign, type KeyObject, type X509Certificate } from "node:crypto";
import { attr, serialize } from "../xml/dom.js";
import { excC14n } from "../xml/exc-c14n.js";
import { readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { parseXml } from "../xml/safe-parse.js";
import { canonicalXml, serializeXml, xmlAttr, xmlElement, xmlns, type XmlAttr, type XmlElement, type XmlNode } from "../xml/xml-text.js";
import type { EnvelopeTree } from "./envelope-text.js";
import { selectElements } from "../xml/xpath.js";
import { ALG, NS, WSS } from "./namespaces.js";
import { locateSoapParts } from "./soap-parse.js";
import { partInfosOf } from "./user-message.js";

/**
 * WS-Security signing of an AS4 envelope as the Peppol profile wants it: RSA-SHA256 over exclusive C14N,
 * SHA-256 digests, one reference each to eb:Messaging and S12:Body by wsu:Id, one `cid:` reference per
 * attachment (Attachment-Content-Signature-Transform), and KeyInfo as a direct SecurityTokenReference to a
 * BinarySecurityToken carrying the signer's certificate.
 */

export interface Signer {
  privateKey: KeyObject;
  certificate: X509Certificate;
}

export interface AttachmentDigest {
  /** Content-ID without angle brackets; the PartInfo href is `cid:` + this. */
  contentId: string;
  /** SHA-256 of the attachment content as sent before encryption (the gzip bytes when compressed). */
  sha256: Buffer;
}

export interface SignIds {
  bstId: string;
  signatureId: string;
}

/** WSS4J puts `S12` in the PrefixList; verifiers recompute with whatever list we declare, so we match it. */
const INCLUSIVE_PREFIXES = ["S12"];

/**
 * Sign an envelope built by envelope.ts (its wsse:Security must be empty of signatures) and return the
 * signed XML. The attachments must be exactly the PartInfo hrefs of the message. Given as a document (from
 * envelope.ts buildEnvelopeDocument), it is signed in place rather than serialised and parsed first; given as a
 * tree (envelope-text.ts), it is signed and written without a DOM ({@link signEnvelopeTree}).
 */
export function signEnvelope(
  xml: string | Document | EnvelopeTree,
  signer: Signer,
  attachments: readonly AttachmentDigest[],
  ids?: SignIds,
): string {
  return signEnvelopeWithReferences(xml, signer, attachments, ids).xml;
}

/**
 * {@link signEnvelope}, also returning what {@link signedReferencesOf} would read from the result (the
 * signature check reads them anyway; a sender keeps them, and need not parse the signed XML again).
 */
export function signEnvelopeWithReferences(
  xml: string | Document | EnvelopeTree,
  signer: Signer,
  attachments: readonly AttachmentDigest[],
  ids: SignIds = { bstId: `X509-${randomUUID()}`, signatureId: `SIG-${randomUUID()}` },
): { xml: string; references: DsReference[] } {
  if (typeof xml !== "string" && !("nodeType" in xml)) {
    const references = signEnvelopeTree(xml, signer, attachments, ids);
    return { xml: serializeXml(xml.envelope), references };
  }
  const doc = typeof xml === "string" ? parseXml(xml) : xml;
  const references = signEnvelopeDocument(doc, signer, attachments, ids);
  return { xml: serialize(doc), references };
}

/**
 * Signs a parsed envelope in place and returns the references it signed: for a caller that goes on working on
 * the same document (the sender adds its encryption header next) instead of parsing the signed text again.
 */
export function signEnvelopeDocument(
  doc: Document,
  signer: Signer,
  attachments: readonly AttachmentDigest[],
  ids: SignIds = { bstId: `X509-${randomUUID()}`, signatureId: `SIG-${randomUUID()}` },
): DsReference[] {
  const soap = locateSoapParts(doc);
  const security = soap.security;
  if (!security) throw new Error("the envelope has no wsse:Security header to sign into");
  if (doc.getElementsByTagNameNS(NS.ds, "Signature").length > 0) throw new Error("the envelope is already signed");
  for (const [el, what] of [[soap.messaging, "eb:Messaging"], [soap.body, "S12:Body"]] as const) {
    if (!attr(el, "Id", NS.wsu)) throw new Error(`${what} needs a wsu:Id to be referenced`);
  }
  checkAttachmentsMatchPartInfo(partInfoHrefs(soap.messaging), attachments);

  // The certificate travels in a BST that KeyInfo references directly (Peppol requires this form).
  const bst = doc.createElementNS(NS.wsse, "wsse:BinarySecurityToken");
  bst.setAttribute("EncodingType", WSS.base64BinaryEncoding);
  bst.setAttribute("ValueType", WSS.x509v3ValueType);
  bst.setAttributeNS(NS.wsu, "wsu:Id", ids.bstId);
  bst.appendChild(doc.createTextNode(signer.certificate.raw.toString("base64")));
  security.appendChild(bst);

  // The signature, built in place: digests of Messaging and Body by our exclusive canonicaliser (the one the
  // verifier uses), one cid reference per attachment, then RSA-SHA256 over the canonical SignedInfo.
  const signature = el(security, "ds:Signature", NS.ds);
  signature.setAttribute("Id", ids.signatureId);
  signature.setAttributeNS(XMLNS, "xmlns:ds", NS.ds);
  const signedInfo = el(signature, "ds:SignedInfo", NS.ds);
  inclusiveNamespaces(algorithm(el(signedInfo, "ds:CanonicalizationMethod", NS.ds), ALG.excC14n));
  algorithm(el(signedInfo, "ds:SignatureMethod", NS.ds), ALG.rsaSha256);
  const references: DsReference[] = [];
  for (const target of [soap.messaging, soap.body]) {
    const digestValue = createHash("sha256").update(excC14n(target, { inclusivePrefixes: INCLUSIVE_PREFIXES }), "utf8").digest("base64");
    const reference: DsReference = {
      uri: `#${attr(target, "Id", NS.wsu)!}`,
      transforms: [{ algorithm: ALG.excC14n, inclusiveNamespaces: [...INCLUSIVE_PREFIXES] }],
      digestMethod: ALG.sha256,
      digestValue,
    };
    references.push(reference);
    appendReference(signedInfo, reference);
  }
  for (const a of attachments) {
    const reference: DsReference = {
      uri: `cid:${a.contentId}`,
      transforms: [{ algorithm: ALG.attachmentContentSignatureTransform }],
      digestMethod: ALG.sha256,
      digestValue: a.sha256.toString("base64"),
    };
    references.push(reference);
    appendReference(signedInfo, reference);
  }
  const value = sign("sha256", Buffer.from(excC14n(signedInfo, { inclusivePrefixes: INCLUSIVE_PREFIXES }), "utf8"), signer.privateKey);
  el(signature, "ds:SignatureValue", NS.ds).appendChild(doc.createTextNode(value.toString("base64")));
  const tokenReference = el(el(el(signature, "ds:KeyInfo", NS.ds), "wsse:SecurityTokenReference", NS.wsse), "wsse:Reference", NS.wsse);
  tokenReference.setAttribute("URI", `#${ids.bstId}`);
  tokenReference.setAttribute("ValueType", WSS.x509v3ValueType);
  return references;
}

const XMLNS = "http://www.w3.org/2000/xmlns/";

function el(parent: Element, qname: string, ns: string): Element {
  return parent.appendChild(parent.ownerDocument.createElementNS(ns, qname)) as Element;
}

function algorithm(element: Element, uri: string): Element {
  element.setAttribute("Algorithm", uri);
  return element;
}

/** `<InclusiveNamespaces PrefixList="S12" xmlns="…exc-c14n#"/>`, as WSS4J and xml-crypto write it. */
function inclusiveNamespaces(parent: Element): void {
  const list = el(parent, "InclusiveNamespaces", NS.ec);
  list.setAttribute("PrefixList", INCLUSIVE_PREFIXES.join(" "));
  list.setAttributeNS(XMLNS, "xmlns", NS.ec);
}

function appendReference(signedInfo: Element, r: DsReference): void {
  const ref = el(signedInfo, "ds:Reference", NS.ds);
  ref.setAttribute("URI", r.uri);
  const transforms = el(ref, "ds:Transforms", NS.ds);
  for (const t of r.transforms) {
    const transform = algorithm(el(transforms, "ds:Transform", NS.ds), t.algorithm);
    if (t.inclusiveNamespaces) inclusiveNamespaces(transform);
  }
  algorithm(el(ref, "ds:DigestMethod", NS.ds), r.digestMethod);
  el(ref, "ds:DigestValue", NS.ds).appendChild(signedInfo.ownerDocument.createTextNode(r.digestValue));
}

/** The ds:References of a signed envelope's SignedInfo; a sender keeps them to check the receipt. */
export function signedReferencesOf(signedXml: string): DsReference[] {
  const doc = parseXml(signedXml);
  return selectElements("/S12:Envelope/S12:Header/wsse:Security/ds:Signature/ds:SignedInfo/ds:Reference", doc).map(
    readDsReference,
  );
}

function partInfoHrefs(messaging: Element): string[] {
  return partInfosOf(messaging).map((p) => attr(p, "href") ?? "");
}

/** The `cid:` hrefs of the PartInfos (each href must be one, else the attachments cannot match). */
function checkAttachmentsMatchPartInfo(partHrefs: readonly string[], attachments: readonly AttachmentDigest[]): void {
  const ids = attachments.map((a) => a.contentId);
  for (const a of attachments) {
    if (!/^[^\s<>"]+$/.test(a.contentId)) throw new Error(`invalid Content-ID ${JSON.stringify(a.contentId)}`);
    if (a.sha256.length !== 32) throw new Error(`digest of ${a.contentId} is not a SHA-256 value`);
  }
  if (new Set(ids).size !== ids.length) throw new Error("attachments repeat a Content-ID");
  const hrefs = partHrefs.filter((h) => h.startsWith("cid:")).map((h) => h.slice(4));
  const missing = hrefs.filter((h) => !ids.includes(h));
  const extra = ids.filter((i) => !hrefs.includes(i));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`attachments do not match PartInfo: missing digests for [${missing}], no PartInfo for [${extra}]`);
  }
}

// ------------------------------------------------------------------------------------- without a DOM

/**
 * {@link signEnvelopeDocument} on an envelope built as a plain tree (envelope-text.ts): the same checks, the same
 * BinarySecurityToken and ds:Signature appended to wsse:Security, digests and the signature over the canonical
 * forms written from the tree (src/xml/xml-text.ts canonicalXml) instead of a DOM. Serialised, the tree is the
 * DOM path's text byte for byte (test/as4/envelope-text.test.ts).
 */
export function signEnvelopeTree(
  tree: EnvelopeTree,
  signer: Signer,
  attachments: readonly AttachmentDigest[],
  ids: SignIds = { bstId: `X509-${randomUUID()}`, signatureId: `SIG-${randomUUID()}` },
): DsReference[] {
  const { envelope, header, security, messaging, body } = tree;
  if (security.children.some((c) => typeof c !== "string" && c.ns === NS.ds && c.name.endsWith(":Signature"))) {
    throw new Error("the envelope is already signed");
  }
  const messagingId = idOf(messaging, "eb:Messaging");
  const bodyId = idOf(body, "S12:Body");
  checkAttachmentsMatchPartInfo(treePartInfoHrefs(messaging), attachments);

  security.children.push(
    xmlElement(
      "wsse:BinarySecurityToken",
      NS.wsse,
      [xmlAttr("EncodingType", WSS.base64BinaryEncoding), xmlAttr("ValueType", WSS.x509v3ValueType), xmlAttr("wsu:Id", ids.bstId, NS.wsu)],
      [signer.certificate.raw.toString("base64")],
    ),
  );
  const signedInfo = ds("ds:SignedInfo", [], [
    ds("ds:CanonicalizationMethod", [xmlAttr("Algorithm", ALG.excC14n)], [inclusiveNamespacesElement()]),
    ds("ds:SignatureMethod", [xmlAttr("Algorithm", ALG.rsaSha256)]),
  ]);
  const signature = ds("ds:Signature", [xmlAttr("Id", ids.signatureId), xmlns("ds", NS.ds)], [signedInfo]);
  security.children.push(signature);

  const references: DsReference[] = [];
  for (const [path, id] of [
    [[envelope, header, messaging], messagingId],
    [[envelope, body], bodyId],
  ] as const) {
    const digestValue = createHash("sha256").update(canonicalXml(path, INCLUSIVE_PREFIXES), "utf8").digest("base64");
    const reference: DsReference = {
      uri: `#${id}`,
      transforms: [{ algorithm: ALG.excC14n, inclusiveNamespaces: [...INCLUSIVE_PREFIXES] }],
      digestMethod: ALG.sha256,
      digestValue,
    };
    references.push(reference);
    signedInfo.children.push(referenceElement(reference));
  }
  for (const a of attachments) {
    const reference: DsReference = {
      uri: `cid:${a.contentId}`,
      transforms: [{ algorithm: ALG.attachmentContentSignatureTransform }],
      digestMethod: ALG.sha256,
      digestValue: a.sha256.toString("base64"),
    };
    references.push(reference);
    signedInfo.children.push(referenceElement(reference));
  }
  const canonicalSignedInfo = canonicalXml([envelope, header, security, signature, signedInfo], INCLUSIVE_PREFIXES);
  const value = sign("sha256", Buffer.from(canonicalSignedInfo, "utf8"), signer.privateKey);
  signature.children.push(
    ds("ds:SignatureValue", [], [value.toString("base64")]),
    ds("ds:KeyInfo", [], [
      xmlElement("wsse:SecurityTokenReference", NS.wsse, [], [
        xmlElement("wsse:Reference", NS.wsse, [xmlAttr("URI", `#${ids.bstId}`), xmlAttr("ValueType", WSS.x509v3ValueType)]),
      ]),
    ]),
  );
  return references;
}

function ds(name: string, attrs: XmlAttr[] = [], children: XmlNode[] = []): XmlElement {
  return xmlElement(name, NS.ds, attrs, children);
}

function inclusiveNamespacesElement(): XmlElement {
  return xmlElement("InclusiveNamespaces", NS.ec, [xmlAttr("PrefixList", INCLUSIVE_PREFIXES.join(" ")), xmlns("", NS.ec)]);
}

function referenceElement(r: DsReference): XmlElement {
  const transforms = r.transforms.map((t) =>
    ds("ds:Transform", [xmlAttr("Algorithm", t.algorithm)], t.inclusiveNamespaces ? [inclusiveNamespacesElement()] : []),
  );
  const digestValue = ds("ds:DigestValue", [], [r.digestValue]);
  return ds("ds:Reference", [xmlAttr("URI", r.uri)], [ds("ds:Transforms", [], transforms), ds("ds:DigestMethod", [xmlAttr("Algorithm", r.digestMethod)]), digestValue]);
}

function idOf(el: XmlElement, what: string): string {
  const id = el.attrs.find((a) => a.ns === NS.wsu && a.name.endsWith(":Id"))?.value;
  if (!id) throw new Error(`${what} needs a wsu:Id to be referenced`);
  return id;
}

function elementChildrenOf(el: XmlElement, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (typeof c !== "string" && c.ns === NS.eb && (c.name === localName || c.name.endsWith(`:${localName}`))) out.push(c);
  }
  return out;
}

/** The href of each eb:UserMessage/eb:PayloadInfo/eb:PartInfo, as {@link partInfosOf} finds them in a DOM. */
function treePartInfoHrefs(messaging: XmlElement): string[] {
  return elementChildrenOf(messaging, "UserMessage")
    .flatMap((u) => elementChildrenOf(u, "PayloadInfo"))
    .flatMap((p) => elementChildrenOf(p, "PartInfo"))
    .map((p) => p.attrs.find((a) => a.name === "href" && a.ns === null)?.value ?? "");
}
