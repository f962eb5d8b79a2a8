import { expect } from "chai";
import { parseXml, XmlForbiddenError, XmlMalformedError, XmlParseError } from "../../src/xml/safe-parse.js";

function rejects(xml: string | Uint8Array): XmlParseError {
  try {
    parseXml(xml);
  } catch (e) {
    expect(e).to.be.instanceOf(XmlParseError);
    return e as XmlParseError;
  }
  expect.fail("parseXml accepted the input");
}

describe("xml/safe-parse", () => {
  it("parses a plain document, with or without an XML declaration and BOM", () => {
    expect(parseXml("<a><b>x</b></a>").documentElement!.localName).to.equal("a");
    expect(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a/>').documentElement!.localName).to.equal("a");
    expect(parseXml("\uFEFF<a/>").documentElement!.localName).to.equal("a");
    expect(parseXml(Buffer.from('<?xml version="1.0" encoding="utf-8"?><a>\u00e6</a>')).documentElement!.textContent).to.equal("\u00e6");
  });

  it("keeps comments and CDATA (they are harmless and canonicalisation drops comments)", () => {
    const doc = parseXml("<!-- hi --><a><![CDATA[<b>]]><!-- c --></a>");
    expect(doc.documentElement!.textContent).to.equal("<b>");
  });

  it("rejects a DOCTYPE, even without an internal subset", () => {
    const e = rejects("<!DOCTYPE a><a/>");
    expect(e).to.be.instanceOf(XmlForbiddenError);
    expect((e as XmlForbiddenError).construct).to.equal("doctype");
    expect(e.code).to.equal("XML_FORBIDDEN");
  });

  it("rejects entity declarations (billion laughs) before parsing", () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>';
    expect(rejects(bomb)).to.be.instanceOf(XmlForbiddenError);
    expect((rejects('<!ENTITY x "y"><a/>') as XmlForbiddenError).construct).to.equal("entity");
  });

  it("refuses DOCTYPE, ENTITY and NOTATION anywhere, in any case, in that precedence, as the regular expressions did", () => {
    const patterns: Array<[RegExp, string]> = [
      [/<!DOCTYPE/i, "doctype"],
      [/<!ENTITY/i, "entity"],
      [/<!NOTATION/i, "notation"],
    ];
    const expected = (xml: string) => patterns.find(([p]) => p.test(xml))?.[1] ?? "none";
    const actual = (xml: string) => {
      try {
        parseXml(xml);
        return "none";
      } catch (e) {
        return e instanceof XmlForbiddenError && ["doctype", "entity", "notation"].includes(e.construct) ? e.construct : "none";
      }
    };
    const pieces = ["<!DOCTYPE a>", "<!doctype a>", "<!DocType", "<!ENTITY x 'y'>", "<!entity", "<!eNtItY", "<!NOTATION n>", "<!notation",
      "<!DOCTYP", "<!ENTIT", "<!NOTATIO", "<!<!ENTITY", "<<!NOTATION", "<!-- <!DOCTYPE --> ", "<![CDATA[<!entity]]>", "<!\u0130NTITY", "<!ENT\u0130TY",
      "<!D\u00d8CTYPE", "<!doctype\u0000", "<!", "<", "!", "<a/>", "<a>", "</a>", "x"];
    let checked = 0;
    for (const a of pieces) {
      for (const b of pieces) {
        for (const xml of [`${a}${b}`, `<r>${a}</r>${b}`, `${b}<r/>${a}`]) {
          expect(actual(xml), JSON.stringify(xml)).to.equal(expected(xml));
          checked++;
        }
      }
    }
    expect(checked).to.be.greaterThan(1500);
    expect(actual("<a><!-- <!notation --><!Doctype</a>")).to.equal("doctype");
  });

  it("rejects undeclared entity references as malformed", () => {
    expect(rejects("<a>&nbsp;</a>")).to.be.instanceOf(XmlMalformedError);
  });

  it("rejects processing instructions anywhere, but not the XML declaration", () => {
    for (const xml of ["<?pi x?><a/>", "<a><?pi x?></a>", "<a/><?pi x?>", '<a><b>not-an-<?p x?>admin</b></a>']) {
      const e = rejects(xml);
      expect(e, xml).to.be.instanceOf(XmlForbiddenError);
      expect((e as XmlForbiddenError).construct).to.equal("processing-instruction");
    }
    // A second declaration-like PI, or one after a comment, is not a declaration.
    expect(rejects('<!-- c --><?xml version="1.0"?><a/>')).to.be.instanceOf(XmlParseError);
  });

  it("rejects malformed XML with a typed error", () => {
    for (const xml of ["", "   ", "hello", "<a><b></a>", "<a/><b/>", "<a x='1' x='2'/>", "<a"]) {
      const e = rejects(xml);
      expect(e, JSON.stringify(xml)).to.be.instanceOf(XmlMalformedError);
      expect(e.code).to.equal("XML_MALFORMED");
    }
  });

  it("rejects invalid UTF-8 bytes and non-UTF-8 declarations", () => {
    expect(rejects(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).to.be.instanceOf(XmlMalformedError);
    expect(rejects('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')).to.be.instanceOf(XmlMalformedError);
  });

  it("rejects documents over the size limit", () => {
    expect(() => parseXml(`<a>${"x".repeat(100)}</a>`, { maxLength: 50 })).to.throw(XmlMalformedError);
  });
});
