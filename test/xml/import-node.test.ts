import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DOMImplementation, XMLSerializer } from "@xmldom/xmldom";
import { buildReceiptEnvelope } from "../../src/as4/signal-message.js";
import { buildUserMessageEnvelope } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { newDocument } from "../../src/xml/dom.js";
import { importNodeDeep } from "../../src/xml/import-node.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { FIXED_IDS, sha256, testAttachments, testSigner, testUserMessage } from "../as4/sign-fixtures.js";
import { objectGraph } from "./dom-graph.js";

/**
 * importNodeDeep against xmldom's importNode: every field of every copied node, xmldom's private ones included,
 * for every element of real envelopes, vectors and documents with every node kind, and the same bytes when
 * serialised. One difference is deliberate: xmldom leaves the copied attributes owned by the source document
 * (and counts their insertion as a change of the source document); ours belong to the document they were
 * imported into, as the DOM specifies.
 */

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/as4/", import.meta.url));
const serializer = new XMLSerializer();

function corpus(): Array<[string, Document]> {
  const atts = testAttachments(2);
  const signer = testSigner();
  const signed = signEnvelope(buildUserMessageEnvelope(testUserMessage(atts), FIXED_IDS), signer, atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })));
  const digests = new Map(atts.map((a) => [a.contentId, sha256(a.bytes)]));
  const verified = verifyEnvelope(signed, { attachmentDigest: (cid) => digests.get(cid) });
  const receipt = signEnvelope(buildReceiptEnvelope({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "m@x", references: verified.signedInfoReferenceNodes }), signer, []);
  const out: Array<[string, Document]> = [
    ["signed user message", parseXml(signed)],
    ["signed receipt", parseXml(receipt)],
    ["every node kind", parseXml("<?xml version='1.0'?><r xmlns='urn:d' xmlns:p='urn:p'><p:a p:x='1' y='' xml:lang='no'> t <![CDATA[ c ]]><!-- k --><b xmlns=''/>\u00e6&#x1F600;</p:a></r>")],
  ];
  // A tree built through the DOM: a processing instruction, an empty text node, an attribute without a namespace.
  const built = newDocument();
  const root = built.appendChild(built.createElementNS("urn:b", "b:root")) as Element;
  root.setAttribute("plain", "v");
  root.appendChild(built.createProcessingInstruction("target", "data"));
  root.appendChild(built.createTextNode(""));
  root.appendChild(built.createElementNS(null, "child")).appendChild(built.createComment(""));
  out.push(["built through the DOM", built]);
  if (existsSync(VECTORS)) {
    for (const name of readdirSync(VECTORS).filter((n) => n.endsWith(".as4in"))) {
      const raw = readFileSync(`${VECTORS}${name}`, "utf8");
      out.push([name, parseXml(raw.slice(/\r?\n\r?\n/.exec(raw)!.index).trimStart())]);
    }
  }
  return out;
}

function* elementsOf(node: Node): Generator<Element> {
  if (node.nodeType === 1) yield node as Element;
  for (let c = node.firstChild; c; c = c.nextSibling) yield* elementsOf(c);
}

function* attributesUnder(node: Node): Generator<Attr> {
  for (const el of elementsOf(node)) yield* Array.from(el.attributes);
}

describe("xml/import-node", () => {
  it("copies every element of real envelopes and vectors as xmldom's importNode does, field for field", () => {
    let compared = 0;
    for (const [label, doc] of corpus()) {
      for (const el of elementsOf(doc)) {
        const theirDoc = newDocument();
        const ourDoc = newDocument();
        const sourceChanges = (doc as unknown as { _inc: number })._inc;
        const theirs = theirDoc.importNode(el, true);
        const ours = importNodeDeep(ourDoc, el);
        // xmldom counted its attribute insertions in the source document; ours leaves the source alone.
        (doc as unknown as { _inc: number })._inc = sourceChanges;
        const attributes = [...attributesUnder(theirs)];
        const instead = new Map<object, Record<string, unknown>>(attributes.map((a) => [a, { ownerDocument: theirDoc }]));
        instead.set(theirDoc, { _inc: (theirDoc as unknown as { _inc: number })._inc + attributes.length });
        expect(objectGraph(ours), `${label}: <${el.tagName}>`).to.deep.equal(objectGraph(theirs, new Set(), instead));
        for (const a of attributesUnder(ours)) expect(a.ownerDocument, `${label}: @${a.name}`).to.equal(ourDoc);
        expect(serializer.serializeToString(ours as never)).to.equal(serializer.serializeToString(theirs as never));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(100);
  });

  it("copies a tree of any depth, as importNode does", () => {
    const depth = 30_000;
    const doc = parseXml(`<r>${"<e a='1'>t".repeat(depth)}${"</e>".repeat(depth)}<after/></r>`);
    const deep = doc.documentElement!.firstChild!;
    const ours = importNodeDeep(newDocument(), deep);
    expect(ours.nextSibling).to.equal(null);
    expect(serializer.serializeToString(ours as never)).to.equal(serializer.serializeToString(newDocument().importNode(deep, true) as never));
  });

  it("leaves HTML documents, and attributes and fragments to import on their own, to xmldom", () => {
    const html = new DOMImplementation().createHTMLDocument("t") as unknown as Document;
    const source = parseXml("<Upper Attr='1'><Child/></Upper>").documentElement!;
    expect(serializer.serializeToString(importNodeDeep(html, source) as never)).to.equal(serializer.serializeToString(html.importNode(source, true) as never));

    // An attribute and a document fragment on their own.
    const doc = parseXml("<r a='1'><b/>t</r>");
    const attr = doc.documentElement!.getAttributeNode("a")!;
    const fragment = doc.createDocumentFragment();
    fragment.appendChild(doc.createElementNS(null, "f"));
    fragment.appendChild(doc.createTextNode("x"));
    for (const node of [attr, fragment]) {
      const ours = importNodeDeep(newDocument(), node);
      const theirs = newDocument().importNode(node, true);
      expect([ours.nodeType, ours.nodeName, ours.nodeValue, ours.childNodes.length, serializer.serializeToString(ours as never)]).to.deep.equal(
        [theirs.nodeType, theirs.nodeName, theirs.nodeValue, theirs.childNodes.length, serializer.serializeToString(theirs as never)]);
    }
  });
});
