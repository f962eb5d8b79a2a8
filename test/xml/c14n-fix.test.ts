import { expect } from "chai";
import { C14nCanonicalization, ExclusiveCanonicalization } from "xml-crypto";
import { compareCodePoints, installC14nFix, isC14nFixInstalled } from "../../src/xml/c14n-fix.js";
import { parseXml } from "../../src/xml/safe-parse.js";

const S12 = "http://www.w3.org/2003/05/soap-envelope";
const EB = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/";

// phase4's shape: the eb:Messaging element uses S12:mustUnderstand, so both prefixes are rendered on it.
const MESSAGING = `<eb:Messaging xmlns:eb="${EB}" xmlns:S12="${S12}" S12:mustUnderstand="true"><eb:x/></eb:Messaging>`;
const EXPECTED = `<eb:Messaging xmlns:S12="${S12}" xmlns:eb="${EB}" S12:mustUnderstand="true"><eb:x></eb:x></eb:Messaging>`;

describe("xml/c14n-fix", () => {
  it("is installed on import and stays installed when installed again", () => {
    expect(isC14nFixInstalled()).to.equal(true);
    installC14nFix();
    expect(isC14nFixInstalled()).to.equal(true);
  });

  it("orders namespace declarations by code point: S12 before eb (exclusive C14N)", () => {
    const el = parseXml(MESSAGING).documentElement!;
    expect(new ExclusiveCanonicalization().process(el as never, {}).toString()).to.equal(EXPECTED);
  });

  it("orders namespace declarations by code point: S12 before eb (inclusive C14N)", () => {
    const el = parseXml(MESSAGING).documentElement!;
    expect(new C14nCanonicalization().process(el as never, {}).toString()).to.equal(EXPECTED);
  });

  it("documents the defect it fixes: ICU collation puts eb before S12", () => {
    // If this ever flips, the patch is still correct, merely no longer necessary.
    expect("eb".localeCompare("S12")).to.be.lessThan(0);
    expect(compareCodePoints("S12", "eb")).to.be.lessThan(0);
  });

  it("orders attributes by namespace URI, then local name", () => {
    // xml-crypto compared namespaceURI + localName, so urn:a + bc and urn:ab + c tied and kept document order.
    const doc = parseXml('<r xmlns:p="urn:ab" xmlns:q="urn:a" p:c="1" q:bc="2" z="0"/>');
    const out = new ExclusiveCanonicalization().process(doc.documentElement as never, {}).toString();
    expect(out).to.equal('<r xmlns:p="urn:ab" xmlns:q="urn:a" z="0" q:bc="2" p:c="1"></r>');
  });

  it("compares by code point, not UTF-16 code unit", () => {
    expect(compareCodePoints("\uFFFF", "\u{10000}")).to.equal(-1);
    expect("\u{10000}" < "\uFFFF").to.equal(true); // what a naive comparison would say
    expect(compareCodePoints("a", "ab")).to.equal(-1);
    expect(compareCodePoints("ab", "ab")).to.equal(0);
    expect(compareCodePoints("b", "ab")).to.equal(1);
  });
});
