import { randomUUID, type KeyObject, type X509Certificate } from "node:crypto";
import { SignedXml } from "xml-crypto";
import "../xml/c14n-fix.js";
import { attr, childElements, serialize } from "../xml/dom.js";
import { readDsReference, type DsReference } from "../xml/dsig-reference.js";
import { parseXml } from "../xml/safe-parse.js";
import { selectElements } from "../xml/xpath.js";
import { ALG, NS, WSS } from "./namespaces.js";
import { locateSoapParts } from "./soap-parse.js";

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

/** Internals of xml-crypto 6.3 we hook; the sign test fails loudly if a release renames them. */
interface SignedXmlInternals {
  addAllReferences(doc: unknown, signatureElem: Element, referenceTargets: unknown, prefix?: string): void;
}

/**
 * Sign an envelope built by envelope.ts (its wsse:Security must be empty of signatures) and return the
 * signed XML. The attachments must be exactly the PartInfo hrefs of the message.
 */
export function signEnvelope(
  xml: string,
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
  xml: string,
  signer: Signer,
  attachments: readonly AttachmentDigest[],
  ids: SignIds = { bstId: `X509-${randomUUID()}`, signatureId: `SIG-${randomUUID()}` },
): { xml: string; references: DsReference[] } {
  const doc = parseXml(xml);
  const soap = locateSoapParts(doc);
  const security = soap.security;
  if (!security) throw new Error("the envelope has no wsse:Security header to sign into");
  if (selectElements(".//ds:Signature", doc).length > 0) throw new Error("the envelope is already signed");
  for (const [el, what] of [[soap.messaging, "eb:Messaging"], [soap.body, "S12:Body"]] as const) {
    if (!attr(el, "Id", NS.wsu)) throw new Error(`${what} needs a wsu:Id to be referenced`);
  }
  checkAttachmentsMatchPartInfo(soap.messaging, attachments);

  // The certificate travels in a BST that KeyInfo references directly (Peppol requires this form).
  const bst = doc.createElementNS(NS.wsse, "wsse:BinarySecurityToken");
  bst.setAttribute("EncodingType", WSS.base64BinaryEncoding);
  bst.setAttribute("ValueType", WSS.x509v3ValueType);
  bst.setAttributeNS(NS.wsu, "wsu:Id", ids.bstId);
  bst.appendChild(doc.createTextNode(signer.certificate.raw.toString("base64")));
  security.appendChild(bst);

  const sig = new SignedXml({
    idMode: "wssecurity",
    privateKey: signer.privateKey,
    signatureAlgorithm: ALG.rsaSha256,
    canonicalizationAlgorithm: ALG.excC14n,
    inclusiveNamespacesPrefixList: INCLUSIVE_PREFIXES,
    getKeyInfoContent: () =>
      `<wsse:SecurityTokenReference><wsse:Reference URI="#${ids.bstId}" ValueType="${WSS.x509v3ValueType}"/></wsse:SecurityTokenReference>`,
  });
  for (const xpath of ["/S12:Envelope/S12:Header/eb:Messaging", "/S12:Envelope/S12:Body"]) {
    sig.addReference({
      xpath,
      transforms: [ALG.excC14n],
      digestAlgorithm: ALG.sha256,
      inclusiveNamespacesPrefixList: INCLUSIVE_PREFIXES,
    });
  }
  addCidReferences(sig, attachments);

  sig.computeSignature(serialize(doc), {
    prefix: "ds",
    attrs: { Id: ids.signatureId },
    // xml-crypto evaluates `location` without the prefix map.
    location: { reference: `/*/*[namespace-uri()='${NS.S12}' and local-name()='Header']/*[namespace-uri()='${NS.wsse}' and local-name()='Security']`, action: "append" },
    existingPrefixes: { S12: NS.S12, eb: NS.eb, wsse: NS.wsse, wsu: NS.wsu },
  });
  const signed = sig.getSignedXml();

  const references = signedReferencesOf(signed);
  if (references.length !== 2 + attachments.length) {
    throw new Error(`signature has ${references.length} references, expected ${2 + attachments.length}; xml-crypto internals changed?`);
  }
  return { xml: signed, references };
}

/** The ds:References of a signed envelope's SignedInfo; a sender keeps them to check the receipt. */
export function signedReferencesOf(signedXml: string): DsReference[] {
  const doc = parseXml(signedXml);
  return selectElements("/S12:Envelope/S12:Header/wsse:Security/ds:Signature/ds:SignedInfo/ds:Reference", doc).map(
    readDsReference,
  );
}

/**
 * xml-crypto only writes `URI="#id"` references. The cid references are appended to SignedInfo right after
 * it adds its own and before it computes the SignatureValue over SignedInfo.
 */
function addCidReferences(sig: SignedXml, attachments: readonly AttachmentDigest[]): void {
  if (attachments.length === 0) return;
  const internals = sig as unknown as SignedXmlInternals;
  if (typeof internals.addAllReferences !== "function") {
    throw new Error("xml-crypto no longer has addAllReferences; cid references cannot be added");
  }
  const original = internals.addAllReferences.bind(sig);
  internals.addAllReferences = (doc, signatureElem, referenceTargets, prefix) => {
    original(doc, signatureElem, referenceTargets, prefix);
    const signedInfo = childElements(signatureElem, NS.ds, "SignedInfo")[0];
    if (!signedInfo) throw new Error("xml-crypto built no SignedInfo");
    const d = signedInfo.ownerDocument;
    const add = (parent: Element, name: string): Element => parent.appendChild(d.createElementNS(NS.ds, `ds:${name}`));
    for (const a of attachments) {
      const ref = add(signedInfo, "Reference");
      ref.setAttribute("URI", `cid:${a.contentId}`);
      add(add(ref, "Transforms"), "Transform").setAttribute("Algorithm", ALG.attachmentContentSignatureTransform);
      add(ref, "DigestMethod").setAttribute("Algorithm", ALG.sha256);
      add(ref, "DigestValue").appendChild(d.createTextNode(a.sha256.toString("base64")));
    }
  };
}

function checkAttachmentsMatchPartInfo(messaging: Element, attachments: readonly AttachmentDigest[]): void {
  const ids = attachments.map((a) => a.contentId);
  for (const a of attachments) {
    if (!/^[^\s<>"]+$/.test(a.contentId)) throw new Error(`invalid Content-ID ${JSON.stringify(a.contentId)}`);
    if (a.sha256.length !== 32) throw new Error(`digest of ${a.contentId} is not a SHA-256 value`);
  }
  if (new Set(ids).size !== ids.length) throw new Error("attachments repeat a Content-ID");
  const hrefs = selectElements("eb:UserMessage/eb:PayloadInfo/eb:PartInfo", messaging)
    .map((p) => attr(p, "href") ?? "")
    .filter((h) => h.startsWith("cid:"))
    .map((h) => h.slice(4));
  const missing = hrefs.filter((h) => !ids.includes(h));
  const extra = ids.filter((i) => !hrefs.includes(i));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`attachments do not match PartInfo: missing digests for [${missing}], no PartInfo for [${extra}]`);
  }
}
