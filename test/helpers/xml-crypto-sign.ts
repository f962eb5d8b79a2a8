import { randomUUID } from "node:crypto";
import { ExclusiveCanonicalization, SignedXml } from "xml-crypto";
import "../../src/xml/c14n-fix.js";
import { ALG, NS, WSS } from "../../src/as4/namespaces.js";
import { locateSoapParts } from "../../src/as4/soap-parse.js";
import { signedReferencesOf, type AttachmentDigest, type SignIds, type Signer } from "../../src/as4/wss-sign.js";
import { attr, childElements, serialize } from "../../src/xml/dom.js";
import type { DsReference } from "../../src/xml/dsig-reference.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements } from "../../src/xml/xpath.js";

/**
 * A second WS-Security signer, on xml-crypto (the library the access point signed with before it had its own
 * canonicaliser), for tests that need a message from another signer: with `localeOrder` it orders namespace
 * declarations with localeCompare, the interop trap `dpi-ap as4 verify` recognises.
 */

const INCLUSIVE_PREFIXES = ["S12"];

/** Signs with xml-crypto, its namespace order switched to localeCompare while `localeOrder` is set. */
export function signWithXmlCryptoOrder(xml: string, signer: Signer, attachments: readonly AttachmentDigest[], o: { localeOrder: boolean }): string {
  const proto = ExclusiveCanonicalization.prototype as unknown as Record<string, unknown>;
  const fixed = proto.nsCompare;
  if (o.localeOrder) proto.nsCompare = (a: { prefix: string }, b: { prefix: string }) => (a.prefix ?? "").localeCompare(b.prefix ?? "");
  try {
    return signWithXmlCrypto(xml, signer, attachments).xml;
  } finally {
    proto.nsCompare = fixed;
  }
}

/** Internals of xml-crypto 6.3 we hook; the sign test fails loudly if a release renames them. */
interface SignedXmlInternals {
  addAllReferences(doc: unknown, signatureElem: Element, referenceTargets: unknown, prefix?: string): void;
}

/**
 * {@link signEnvelope}, also returning what {@link signedReferencesOf} would read from the result (the
 * signature check reads them anyway; a sender keeps them, and need not parse the signed XML again).
 */
export function signWithXmlCrypto(
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

  return { xml: signed, references: signedReferencesOf(signed) };
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

