import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ExclusiveCanonicalization } from "xml-crypto";
import "../../src/xml/c14n-fix.js";
import { excC14n } from "../../src/xml/exc-c14n.js";
import { parseXml } from "../../src/xml/safe-parse.js";

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));

function elementsOf(doc: Document): Element[] {
  const out: Element[] = [];
  const walk = (n: Node) => {
    if (n.nodeType === 1) out.push(n as Element);
    for (let c = n.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(doc);
  return out;
}

/** xml-crypto's exclusive canonicaliser (with our code-point ordering fix), the reference we were built against. */
const reference = (el: Element) => new ExclusiveCanonicalization().process(el as never, {}) as string;

/** Namespace corner cases: redeclared defaults, xmlns="", prefixes used only by attributes, URIs that are prefixes of each other. */
const TRICKY = `<?xml version="1.0" encoding="UTF-8"?>
<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope" xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/" xmlns:unused="urn:unused" xmlns="urn:default">
  <S12:Header>
    <eb:Messaging S12:mustUnderstand="true" wsu:Id="m1" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:a="urn:x" xmlns:b="urn:xy" b:z="2" a:z="1" plain="p">
      <eb:UserMessage><plainChild xmlns="">no namespace &amp; &lt;tag&gt; &#xD; end</plainChild><inDefault attr="tab&#x9;nl&#xA;cr&#xD;q&quot;amp&amp;lt&lt;gt>">x</inDefault></eb:UserMessage>
    </eb:Messaging>
  </S12:Header>
  <S12:Body wsu:Id="b1" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><!-- dropped --><payload xmlns="urn:other"><![CDATA[a < b & c]]><inner xml:lang="nb"/></payload></S12:Body>
</S12:Envelope>`;

describe("exclusive canonicalisation (exc-c14n without comments)", () => {
  it("gives the exc-c14n specification's example: only visibly utilised namespaces, xml:lang kept, empty elements with end tags", () => {
    const doc = parseXml(`<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`);
    const elem2 = doc.documentElement!.firstChild as Element;
    expect(excC14n(elem2)).to.equal(`<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`);
  });

  it("renders in-scope prefixes of the InclusiveNamespaces PrefixList at the apex, once", () => {
    const doc = parseXml(`<r xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q"><p:a><p:b/><c/></p:a></r>`);
    const a = doc.documentElement!.firstChild as Element;
    expect(excC14n(a)).to.equal(`<p:a xmlns:p="urn:p"><p:b></p:b><c xmlns="urn:d"></c></p:a>`);
    expect(excC14n(a, { inclusivePrefixes: ["q", "#default", "missing"] })).to.equal(
      `<p:a xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q"><p:b></p:b><c></c></p:a>`,
    );
  });

  it("follows a PrefixList prefix declared again below the apex, and the default namespace undeclared", () => {
    const doc = parseXml(`<r xmlns="urn:d" xmlns:q="urn:q"><a><b xmlns:q="urn:q2"><c xmlns=""><d xmlns:q="urn:q"/></c></b><e/></a></r>`);
    const a = doc.documentElement!.firstChild as Element;
    expect(excC14n(a, { inclusivePrefixes: ["q", "#default"] })).to.equal(
      `<a xmlns="urn:d" xmlns:q="urn:q"><b xmlns:q="urn:q2"><c xmlns=""><d xmlns:q="urn:q"></d></c></b><e></e></a>`,
    );
    const c = a.firstChild!.firstChild as Element;
    expect(excC14n(c, { inclusivePrefixes: ["q", "#default"] })).to.equal(`<c xmlns:q="urn:q2"><d xmlns:q="urn:q"></d></c>`);
  });

  it("writes xmlns=\"\" for an unprefixed element in no namespace under a rendered default namespace", () => {
    const doc = parseXml(`<r xmlns="urn:d"><x xmlns=""><y/></x></r>`);
    expect(excC14n(doc.documentElement!)).to.equal(`<r xmlns="urn:d"><x xmlns=""><y></y></x></r>`);
    expect(excC14n(doc.documentElement!.firstChild as Element)).to.equal(`<x><y></y></x>`);
  });

  it("carries several PrefixList prefixes down, each followed where redeclared or undeclared; xml, xmlns and unbound prefixes are not rendered", () => {
    const doc = parseXml(`<r xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xmlns:z="urn:z"><p:a><p:b xmlns:z="urn:z2"><q:x xmlns=""><y xmlns:q="urn:q3" q:at="1"/></q:x></p:b><c/></p:a></r>`);
    const a = doc.documentElement!.firstChild as Element;
    expect(excC14n(a, { inclusivePrefixes: ["z", "q"] })).to.equal(
      `<p:a xmlns:p="urn:p" xmlns:q="urn:q" xmlns:z="urn:z"><p:b xmlns:z="urn:z2"><q:x><y xmlns:q="urn:q3" q:at="1"></y></q:x></p:b><c xmlns="urn:d"></c></p:a>`,
    );
    expect(excC14n(a, { inclusivePrefixes: ["q", "z", "p", "#default", "xml", "xmlns", "missing"] })).to.equal(
      `<p:a xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xmlns:z="urn:z"><p:b xmlns:z="urn:z2"><q:x xmlns=""><y xmlns:q="urn:q3" q:at="1"></y></q:x></p:b><c></c></p:a>`,
    );
  });

  it("orders declarations and attributes by code point where UTF-16 order differs (U+10000 after U+FF01)", () => {
    const doc = parseXml(`<r xmlns:p="urn:\u{10000}" xmlns:q="urn:\uFF01" xmlns:\u{10000}x="urn:s" xmlns:\uFF01x="urn:t"><e p:a="1" q:a="2" \u{10000}x:b="3" \uFF01x:b="4" q:\u{10000}="5" q:\uFF01="6"/></r>`);
    const e = doc.documentElement!.firstChild as Element;
    expect(excC14n(e)).to.equal(
      `<e xmlns:p="urn:\u{10000}" xmlns:q="urn:\uFF01" xmlns:\uFF01x="urn:t" xmlns:\u{10000}x="urn:s" \u{10000}x:b="3" \uFF01x:b="4" q:a="2" q:\uFF01="6" q:\u{10000}="5" p:a="1"></e>`,
    );
    expect(excC14n(e)).to.equal(reference(e));
  });

  it("matches xml-crypto on every element of a document full of namespace and escaping corner cases", () => {
    const doc = parseXml(TRICKY);
    const all = elementsOf(doc);
    expect(all.length).to.equal(9);
    for (const el of all) expect(excC14n(el), el.nodeName).to.equal(reference(el));
  });

  it("matches xml-crypto on every element of the third-party AS4 and SMP vectors", function () {
    const files = [
      ...["governikus-receipt.as4in", "phase4-receipt.as4in"].map((f) => `as4/${f}`),
      ...(existsSync(`${VECTORS}as4/shapes`) ? readdirSync(`${VECTORS}as4/shapes`).map((f) => `as4/shapes/${f}`) : []),
      "smp/signed-service-metadata-exc-c14n.xml",
    ].filter((f) => existsSync(VECTORS + f));
    if (files.length === 0) this.skip();
    let compared = 0;
    for (const f of files) {
      let text = readFileSync(VECTORS + f, "utf8");
      if (f.endsWith(".as4in")) text = text.slice(/\r?\n\r?\n/.exec(text)!.index).trim();
      let doc: Document;
      try {
        doc = parseXml(text);
      } catch {
        continue; // some shape files are templates, not well-formed XML
      }
      for (const el of elementsOf(doc)) {
        expect(excC14n(el), `${f}: ${el.nodeName}`).to.equal(reference(el));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(100);
  });
});
