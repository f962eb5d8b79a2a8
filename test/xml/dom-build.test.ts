import { expect } from "chai";
import { DOMImplementation } from "@xmldom/xmldom";
import { appendElement, declareNamespace, newDocument } from "../../src/xml/dom.js";
import { objectGraph } from "./dom-graph.js";

/**
 * appendElement and declareNamespace check a name through xmldom's DOM methods the first time and build without
 * the check after: the tree must be the one the DOM methods build, field for field, and a bad name must be
 * refused every time.
 */

const XMLNS = "http://www.w3.org/2000/xmlns/";

type Build = (doc: Document) => Document;

/** The same envelope-like tree twice over, through the helpers (`helpers`) or the DOM methods they stand for. */
function build(helpers: boolean): Build {
  const element = (parent: Element, ns: string, qname: string, text?: string): Element => {
    if (helpers) return appendElement(parent, ns, qname, text);
    const el = parent.ownerDocument.createElementNS(ns, qname);
    if (text !== undefined) el.appendChild(parent.ownerDocument.createTextNode(text));
    parent.appendChild(el);
    return el;
  };
  const declare = (el: Element, prefix: string, ns: string) => (helpers ? declareNamespace(el, prefix, ns) : el.setAttributeNS(XMLNS, `xmlns:${prefix}`, ns));
  return (doc) => {
    const root = doc.createElementNS("urn:s", "s:Envelope");
    doc.appendChild(root);
    for (let round = 0; round < 3; round++) {
      declare(root, "s", "urn:s");
      const header = element(root, "urn:s", "s:Header");
      const messaging = element(header, "urn:eb", "eb:Messaging");
      declare(messaging, "eb", "urn:eb");
      declare(messaging, "wsu", "urn:wsu");
      declare(messaging, "wsu", `urn:wsu:${round}`); // declared again: the value changes in place
      element(messaging, "urn:eb", "eb:MessageId", `id-${round}`);
      element(messaging, "urn:eb", "Unprefixed", "");
      element(messaging, "", "none");
      element(element(messaging, "urn:eb", "eb:Empty"), "urn:x", "x:Deep", "\u00e6 < & >");
    }
    return doc;
  };
}

describe("xml/dom building helpers", () => {
  it("build the tree xmldom's createElementNS, appendChild and setAttributeNS build, field for field", () => {
    const ours = build(true)(newDocument());
    const theirs = build(false)(newDocument());
    expect(objectGraph(ours)).to.deep.equal(objectGraph(theirs));
    expect(ours.documentElement!.lookupNamespaceURI("s")).to.equal("urn:s");
  });

  it("refuse a bad name every time, not only the first", () => {
    const doc = newDocument();
    const root = doc.appendChild(doc.createElementNS("urn:a", "a:r")) as Element;
    for (let i = 0; i < 3; i++) {
      expect(() => appendElement(root, "urn:a", "1bad"), "element name").to.throw(/invalid character/);
      expect(() => appendElement(root, "", "p:x"), "prefix without a namespace").to.throw(/namespace/);
      expect(() => declareNamespace(root, "a b", "urn:a"), "prefix").to.throw(/invalid character/);
    }
    expect(root.childNodes.length).to.equal(0);
    expect(root.attributes.length).to.equal(0);
  });

  it("leave HTML documents to xmldom's methods", () => {
    const html = new DOMImplementation().createHTMLDocument("t") as unknown as Document;
    const body = html.getElementsByTagName("body")[0]!;
    const made = [0, 1].map(() => appendElement(body, "urn:s", "s:Envelope", "x"));
    const expected = html.createElementNS("urn:s", "s:Envelope");
    for (const el of made) expect([el.nodeName, el.namespaceURI, el.prefix, el.localName, el.parentNode]).to.deep.equal([expected.nodeName, "urn:s", "s", "Envelope", body]);
  });
});
