import { expect } from "chai";
import { DOMParser } from "@xmldom/xmldom";
import { attr, childElements, textOf, trimmedText } from "../../src/xml/dom.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements, selectOneElement, selectString } from "../../src/xml/xpath.js";

const EB = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/";

describe("xml/xpath and dom helpers", () => {
  const doc = parseXml(
    `<x:Messaging xmlns:x="${EB}"><x:UserMessage><x:MessageInfo><x:MessageId> a@b </x:MessageId></x:MessageInfo></x:UserMessage>` +
      `<UserMessage xmlns="${EB}"/><UserMessage xmlns="urn:other"/></x:Messaging>`,
  );

  it("matches by namespace URI whatever prefix the document uses", () => {
    expect(selectElements("/eb:Messaging/eb:UserMessage", doc)).to.have.length(2);
    expect(selectString("string(//eb:MessageId)", doc)).to.equal(" a@b ");
    expect(selectString("//eb:MessageId", doc)).to.equal(" a@b ");
  });

  it("an expression compiled once answers for each document and context it is given", () => {
    const other = parseXml(`<Messaging xmlns="${EB}"><MessageInfo><MessageId>c@d</MessageId></MessageInfo></Messaging>`);
    for (let i = 0; i < 3; i++) {
      expect(selectString("//eb:MessageId", doc)).to.equal(" a@b ");
      expect(selectString("//eb:MessageId", other)).to.equal("c@d");
    }
    expect(selectString("count(//eb:UserMessage)", doc)).to.equal("2");
    expect(selectString("count(//eb:UserMessage) = 2", doc)).to.equal("true");
    expect(selectElements("eb:MessageInfo", other.documentElement!).map((e) => e.localName)).to.deep.equal(["MessageInfo"]);
    expect(selectElements("eb:MessageInfo", doc.documentElement!)).to.deep.equal([]);
    expect(selectElements("count(//eb:UserMessage)", doc)).to.deep.equal([]);
  });

  it("selectOneElement refuses ambiguity", () => {
    expect(selectOneElement("//eb:MessageId", doc)).to.not.equal(undefined);
    expect(selectOneElement("//eb:Nothing", doc)).to.equal(undefined);
    expect(() => selectOneElement("/eb:Messaging/eb:UserMessage", doc)).to.throw(/2 elements/);
  });

  it("childElements filters by namespace and local name; trimmedText trims", () => {
    const root = doc.documentElement!;
    expect(childElements(root, EB, "UserMessage")).to.have.length(2);
    expect(childElements(root, "urn:other", "UserMessage")).to.have.length(1);
    expect(trimmedText(selectElements("//eb:MessageId", doc)[0]!)).to.equal("a@b");
  });

  it("textOf gives every element's textContent: text and CDATA in document order, comments and processing instructions left out", () => {
    // xmldom's own parser, which keeps what ours refuses (processing instructions, entity references to nothing).
    const mixed = new DOMParser().parseFromString(
      `<r><a>one</a><b><![CDATA[<two>]]></b><c>x<!-- no --><?pi no?><d>y<e/><f>z<![CDATA[w]]></f></d>v</c><g/><h><i/></h><j><k><l>deep</l></k></j>tail</r>`,
      "text/xml",
    ) as unknown as Document;
    const all = [...(mixed.getElementsByTagName("*") as unknown as Iterable<Element>)];
    expect(all.map((el) => textOf(el))).to.deep.equal(all.map((el) => el.textContent));
    expect(textOf(mixed.documentElement!)).to.equal("one<two>xyzwvdeeptail");
    expect(textOf(mixed.getElementsByTagName("g")[0]!)).to.equal("");
    expect(textOf(mixed.getElementsByTagName("h")[0]!)).to.equal("");
  });

  it("attr gives an attribute's value, empty ones included, and undefined only when it is absent", () => {
    const el = parseXml(`<r xmlns:p="urn:p" a="1" e="" p:a="2" p:e=""/>`).documentElement!;
    expect([attr(el, "a"), attr(el, "e"), attr(el, "p:a"), attr(el, "missing")]).to.deep.equal(["1", "", "2", undefined]);
    expect([attr(el, "a", "urn:p"), attr(el, "e", "urn:p"), attr(el, "a", "urn:q"), attr(el, "a", "")]).to.deep.equal(["2", "", undefined, "1"]);
  });
});
