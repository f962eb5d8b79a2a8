import { createHash, randomUUID, sign, type KeyObject, type X509Certificate } from "node:crypto";
import { attr, serialize } from "../xml/dom.js";
import { excC14n } from "../xml/exc-c14n.js";
import { readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { parseXml } from "../xml/safe-parse.js";
import { canonicalXml, serializeXml, toDomElement, xmlAttr, xmlElement, xmlns, type XmlAttr, type XmlElement, type XmlNode } from "../xml/xml-text.js";
import type { EnvelopeTree } from "./envelope.js";
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
 * Sign an envelope (its wsse:Security must be empty of signatures) and return the signed XML. The attachments
 * must be exactly the PartInfo hrefs of the message. Ours come as trees (envelope.ts) and are signed and written
 * without a DOM ({@link signEnvelopeTree}); text (envelopes from elsewhere, tests) is parsed and signed as a
 * document, as is a receipt only a document can hold (signal-message.ts buildReceiptDocument).
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
 * Signs a parsed envelope in place and returns the references it signed. The envelopes we build are signed as
 * trees ({@link signEnvelopeTree}); this is for documents that did not come from our tree builders — envelope text
 * signed by {@link signEnvelope}, a receipt holding references only a DOM can copy — whose digests must be taken
 * from the DOM itself (exc-c14n.ts) because the tree does not model all of it. The elements it adds are the
 * tree signer's ({@link signatureElements}) made DOM nodes, so both write the same signature.
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
  checkAttachmentsMatchPartInfo(partInfosOf(soap.messaging).map((p) => attr(p, "href") ?? ""), attachments);

  // Digests of Messaging and Body by our exclusive canonicaliser (the one the verifier uses).
  const digests = [soap.messaging, soap.body].map((target) => ({
    id: attr(target, "Id", NS.wsu)!,
    digest: createHash("sha256").update(excC14n(target, { inclusivePrefixes: INCLUSIVE_PREFIXES }), "utf8").digest("base64"),
  }));
  const parts = signatureElements(signer, ids, digests, attachments);
  security.appendChild(toDomElement(doc, parts.token));
  const signature = security.appendChild(toDomElement(doc, parts.signature)) as Element;
  const value = sign("sha256", Buffer.from(excC14n(signature.firstChild as Element, { inclusivePrefixes: INCLUSIVE_PREFIXES }), "utf8"), signer.privateKey);
  for (const el of parts.finish(value)) signature.appendChild(toDomElement(doc, el));
  return parts.references;
}

/**
 * Signs an envelope built as a plain tree (envelope.ts): the checks of {@link signEnvelopeDocument}, the same
 * BinarySecurityToken and ds:Signature appended to wsse:Security, digests and the signature over the canonical
 * forms written from the tree (src/xml/xml-text.ts canonicalXml) instead of a DOM.
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

  const digests = ([[[envelope, header, messaging], messagingId], [[envelope, body], bodyId]] as const).map(([path, id]) => ({
    id,
    digest: createHash("sha256").update(canonicalXml(path, INCLUSIVE_PREFIXES), "utf8").digest("base64"),
  }));
  const parts = signatureElements(signer, ids, digests, attachments);
  security.children.push(parts.token, parts.signature);
  const signedInfo = parts.signature.children[0] as XmlElement;
  const value = sign("sha256", Buffer.from(canonicalXml([envelope, header, security, parts.signature, signedInfo], INCLUSIVE_PREFIXES), "utf8"), signer.privateKey);
  parts.signature.children.push(...parts.finish(value));
  return parts.references;
}

/**
 * What signing adds to wsse:Security: the certificate in a BST that KeyInfo references directly (Peppol requires
 * this form), and ds:Signature with its SignedInfo (one reference each to eb:Messaging and S12:Body by wsu:Id,
 * one cid reference per attachment); `finish` gives the SignatureValue and KeyInfo that follow the SignedInfo
 * once it has been signed.
 */
function signatureElements(
  signer: Signer,
  ids: SignIds,
  digests: readonly { id: string; digest: string }[],
  attachments: readonly AttachmentDigest[],
): { token: XmlElement; signature: XmlElement; references: DsReference[]; finish: (value: Buffer) => XmlElement[] } {
  const token = xmlElement(
    "wsse:BinarySecurityToken",
    NS.wsse,
    [xmlAttr("EncodingType", WSS.base64BinaryEncoding), xmlAttr("ValueType", WSS.x509v3ValueType), xmlAttr("wsu:Id", ids.bstId, NS.wsu)],
    [signer.certificate.raw.toString("base64")],
  );
  const references: DsReference[] = [
    ...digests.map(({ id, digest }) => ({
      uri: `#${id}`,
      transforms: [{ algorithm: ALG.excC14n, inclusiveNamespaces: [...INCLUSIVE_PREFIXES] }],
      digestMethod: ALG.sha256,
      digestValue: digest,
    })),
    ...attachments.map((a) => ({
      uri: `cid:${a.contentId}`,
      transforms: [{ algorithm: ALG.attachmentContentSignatureTransform }],
      digestMethod: ALG.sha256,
      digestValue: a.sha256.toString("base64"),
    })),
  ];
  const signedInfo = ds("ds:SignedInfo", [], [
    ds("ds:CanonicalizationMethod", [xmlAttr("Algorithm", ALG.excC14n)], [inclusiveNamespacesElement()]),
    ds("ds:SignatureMethod", [xmlAttr("Algorithm", ALG.rsaSha256)]),
    ...references.map(referenceElement),
  ]);
  const signature = ds("ds:Signature", [xmlAttr("Id", ids.signatureId), xmlns("ds", NS.ds)], [signedInfo]);
  const finish = (value: Buffer): XmlElement[] => [
    ds("ds:SignatureValue", [], [value.toString("base64")]),
    ds("ds:KeyInfo", [], [
      xmlElement("wsse:SecurityTokenReference", NS.wsse, [], [
        xmlElement("wsse:Reference", NS.wsse, [xmlAttr("URI", `#${ids.bstId}`), xmlAttr("ValueType", WSS.x509v3ValueType)]),
      ]),
    ]),
  ];
  return { token, signature, references, finish };
}

/** The ds:References of a signed envelope's SignedInfo; a sender keeps them to check the receipt. */
export function signedReferencesOf(signedXml: string): DsReference[] {
  const doc = parseXml(signedXml);
  return selectElements("/S12:Envelope/S12:Header/wsse:Security/ds:Signature/ds:SignedInfo/ds:Reference", doc).map(
    readDsReference,
  );
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
