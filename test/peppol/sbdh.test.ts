import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  SbdhError,
  SbdhMalformedError,
  SbdhPayloadError,
  SbdhScopeError,
  SbdhStructureError,
  SbdhValueError,
} from "../../src/peppol/errors.js";
import { documentTypeId, formatIdentifier, participantId, processId } from "../../src/peppol/identifiers.js";
import { SBD_CLOSING, parseSbd, sbdOpening, sbdhHeaderXml, type SbdhHeaderInput } from "../../src/peppol/sbdh.js";

const SBDH_VECTORS = fileURLToPath(new URL("../../../shared/vectors/sbdh/", import.meta.url));

function rejects(xml: string | Uint8Array, options?: Parameters<typeof parseSbd>[1]): SbdhError {
  try {
    parseSbd(xml, options);
  } catch (e) {
    expect(e).to.be.instanceOf(SbdhError);
    expect((e as SbdhError).kind).to.equal("invalid");
    return e as SbdhError;
  }
  return expect.fail("the SBD was accepted");
}

const INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const INVOICE_DOCTYPE = `${INVOICE_NS}::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1`;
const BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

/** A valid generic SBD; `edit` rewrites parts of its text to make it invalid. */
function sbd(edit?: (xml: string) => string): string {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<sh:StandardBusinessDocument xmlns:sh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader">
  <sh:StandardBusinessDocumentHeader>
    <sh:HeaderVersion>1.0</sh:HeaderVersion>
    <sh:Sender><sh:Identifier Authority="iso6523-actorid-upis">0192:991825827</sh:Identifier></sh:Sender>
    <sh:Receiver><sh:Identifier Authority="iso6523-actorid-upis">0088:4562458856624</sh:Identifier></sh:Receiver>
    <sh:DocumentIdentification>
      <sh:Standard>${INVOICE_NS}</sh:Standard>
      <sh:TypeVersion>2.1</sh:TypeVersion>
      <sh:InstanceIdentifier>3739db04-7e4e-4c89-b170-c543dd252249</sh:InstanceIdentifier>
      <sh:Type>Invoice</sh:Type>
      <sh:CreationDateAndTime>2024-02-29T23:10:10.5+01:00</sh:CreationDateAndTime>
    </sh:DocumentIdentification>
    <sh:BusinessScope>
      <sh:Scope><sh:Type>DOCUMENTID</sh:Type><sh:InstanceIdentifier>${INVOICE_DOCTYPE}</sh:InstanceIdentifier><sh:Identifier>busdox-docid-qns</sh:Identifier></sh:Scope>
      <sh:Scope><sh:Type>PROCESSID</sh:Type><sh:InstanceIdentifier>${BILLING}</sh:InstanceIdentifier></sh:Scope>
      <sh:Scope><sh:Type>COUNTRY_C1</sh:Type><sh:InstanceIdentifier>NO</sh:InstanceIdentifier></sh:Scope>
    </sh:BusinessScope>
  </sh:StandardBusinessDocumentHeader>
  <Invoice xmlns="${INVOICE_NS}"><ID>1</ID></Invoice>
</sh:StandardBusinessDocument>`;
  if (!edit) return xml;
  const edited = edit(xml);
  if (edited === xml) throw new Error("the edit changed nothing");
  return edited;
}

describe("peppol/sbdh (generic Peppol envelope)", () => {
  describe("reading", () => {
    it("reads a valid SBD with a prefixed SBDH namespace", () => {
      const { header, businessMessage } = parseSbd(sbd());
      expect(formatIdentifier(header.sender)).to.equal("iso6523-actorid-upis::0192:991825827");
      expect(header.receiver.value).to.equal("0088:4562458856624");
      expect(header).to.include({ standard: INVOICE_NS, typeVersion: "2.1", type: "Invoice", instanceIdentifier: "3739db04-7e4e-4c89-b170-c543dd252249", countryC1: "NO" });
      expect(header.createdAt.toISOString()).to.equal("2024-02-29T22:10:10.500Z");
      expect(header.creationDateAndTime).to.equal("2024-02-29T23:10:10.5+01:00");
      expect(formatIdentifier(header.documentType)).to.equal(`busdox-docid-qns::${INVOICE_DOCTYPE}`);
      expect(formatIdentifier(header.process)).to.equal(`cenbii-procid-ubl::${BILLING}`);
      expect(header.scopes.map((s) => s.type)).to.deep.equal(["DOCUMENTID", "PROCESSID", "COUNTRY_C1"]);
      expect(businessMessage.localName).to.equal("Invoice");
    });

    it("takes identifier schemes from Scope/Identifier", () => {
      const { header } = parseSbd(
        sbd((x) => x.replace(`${BILLING}</sh:InstanceIdentifier>`, `${BILLING}</sh:InstanceIdentifier><sh:Identifier>other-procid-x</sh:Identifier>`)),
      );
      expect(header.process.scheme).to.equal("other-procid-x");
      const bad = rejects(sbd((x) => x.replace("<sh:Identifier>busdox-docid-qns</sh:Identifier>", "<sh:Identifier>bad scheme</sh:Identifier>")));
      expect(bad).to.be.instanceOf(SbdhScopeError);
      expect((bad as SbdhScopeError).scopeType).to.equal("DOCUMENTID");
    });

    it("requires COUNTRY_C1 unless told otherwise, and checks its form", () => {
      const without = sbd((x) => x.replace(/<sh:Scope><sh:Type>COUNTRY_C1<\/sh:Type>.*?<\/sh:Scope>/, ""));
      const e = rejects(without);
      expect(e).to.be.instanceOf(SbdhScopeError);
      expect(e.message).to.contain("COUNTRY_C1: is missing");
      expect(parseSbd(without, { requireCountryC1: false }).header.countryC1).to.equal(undefined);
      expect(rejects(sbd((x) => x.replace(">NO<", ">nor<"))).message).to.contain("two-character country code");
      expect(parseSbd(sbd((x) => x.replace(">NO<", ">1A<"))).header.countryC1).to.equal("1A");
    });

    it("refuses repeated mandatory scopes", () => {
      const twice = sbd((x) => x.replace("<sh:Scope><sh:Type>PROCESSID", `<sh:Scope><sh:Type>PROCESSID</sh:Type><sh:InstanceIdentifier>${BILLING}</sh:InstanceIdentifier></sh:Scope><sh:Scope><sh:Type>PROCESSID`));
      expect(rejects(twice).message).to.contain("PROCESSID: occurs more than once");
    });

    it("reads MLS_TO and MLS_TYPE", () => {
      const { header } = parseSbd(
        sbd((x) =>
          x.replace(
            "</sh:BusinessScope>",
            "<sh:Scope><sh:Type>MLS_TO</sh:Type><sh:InstanceIdentifier>0242:000111</sh:InstanceIdentifier><sh:Identifier>iso6523-actorid-upis</sh:Identifier></sh:Scope><sh:Scope><sh:Type>MLS_TYPE</sh:Type><sh:InstanceIdentifier>FAILURE_ONLY</sh:InstanceIdentifier></sh:Scope></sh:BusinessScope>",
          ),
        ),
      );
      expect(header.mlsTo?.value).to.equal("0242:000111");
      expect(header.mlsType).to.equal("FAILURE_ONLY");
    });

    const structural: Array<[string, (x: string) => string, new (...args: never[]) => SbdhError, string]> = [
      ["a wrong root namespace", (x) => x.replace('xmlns:sh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"', 'xmlns:sh="urn:other"'), SbdhStructureError, "root element"],
      ["header version 2.0", (x) => x.replace(">1.0</sh:HeaderVersion>", ">2.0</sh:HeaderVersion>"), SbdhValueError, "HeaderVersion"],
      ["a creation time without timezone", (x) => x.replace("23:10:10.5+01:00", "23:10:10"), SbdhValueError, "with a timezone"],
      ["an impossible date", (x) => x.replace("2024-02-29", "2023-02-29"), SbdhValueError, "not a valid date"],
      ["receiver before sender", (x) => x.replace(/(<sh:Sender>.*?<\/sh:Sender>)\s*(<sh:Receiver>.*?<\/sh:Receiver>)/, "$2$1"), SbdhStructureError, "out of order"],
      ["an unknown header element", (x) => x.replace("<sh:BusinessScope>", "<sh:Extra/><sh:BusinessScope>"), SbdhStructureError, "unexpected element"],
      ["a foreign element in the header", (x) => x.replace("<sh:BusinessScope>", '<x:Extra xmlns:x="urn:x"/><sh:BusinessScope>'), SbdhStructureError, "unexpected element {urn:x}Extra"],
      ["text between header elements", (x) => x.replace("<sh:BusinessScope>", "junk<sh:BusinessScope>"), SbdhStructureError, "unexpected text"],
      ["two business messages", (x) => x.replace("</sh:StandardBusinessDocument>", "<Other/></sh:StandardBusinessDocument>"), SbdhStructureError, "more than one business message"],
      ["a business message in the SBDH namespace", (x) => x.replace(/<Invoice xmlns=".*?"><ID>1<\/ID><\/Invoice>/, "<sh:Invoice/>"), SbdhStructureError, "must not be in the SBDH namespace"],
      ["a missing Authority", (x) => x.replace(' Authority="iso6523-actorid-upis">0192', ">0192"), SbdhValueError, "Authority attribute is missing"],
      ["a bad participant value", (x) => x.replace(">0192:991825827<", ">991825827<"), SbdhValueError, "4-digit ICD"],
      ["a sender with two identifiers", (x) => x.replace("</sh:Identifier></sh:Sender>", '</sh:Identifier><sh:Identifier Authority="iso6523-actorid-upis">0192:1</sh:Identifier></sh:Sender>'), SbdhStructureError, "exactly one Identifier"],
      ["a missing TypeVersion", (x) => x.replace("<sh:TypeVersion>2.1</sh:TypeVersion>", ""), SbdhStructureError, "TypeVersion is missing"],
      ["a scope without Type first", (x) => x.replace("<sh:Scope><sh:Type>PROCESSID</sh:Type>", "<sh:Scope>"), SbdhStructureError, "Type must come first"],
      ["an empty BusinessScope", (x) => x.replace(/<sh:BusinessScope>[\s\S]*<\/sh:BusinessScope>/, "<sh:BusinessScope/>"), SbdhStructureError, "no Scope"],
      ["a bad MLS_TYPE", (x) => x.replace("</sh:BusinessScope>", "<sh:Scope><sh:Type>MLS_TYPE</sh:Type><sh:InstanceIdentifier>NEVER</sh:InstanceIdentifier></sh:Scope></sh:BusinessScope>"), SbdhScopeError, "MLS_TYPE"],
      ["a DOCTYPE", (x) => x.replace("<sh:StandardBusinessDocument ", '<!DOCTYPE x [<!ENTITY e "e">]><sh:StandardBusinessDocument '), SbdhMalformedError, "doctype"],
      ["a processing instruction", (x) => x.replace("<sh:StandardBusinessDocumentHeader>", "<?evil x?><sh:StandardBusinessDocumentHeader>"), SbdhMalformedError, "processing instruction"],
      ["broken XML", (x) => x.replace("</sh:HeaderVersion>", "</sh:HeaderVersio>"), SbdhMalformedError, "not well-formed"],
    ];
    for (const [what, edit, errorClass, fragment] of structural) {
      it(`refuses ${what}`, () => {
        const e = rejects(sbd(edit));
        expect(e).to.be.instanceOf(errorClass);
        expect(e.message).to.contain(fragment);
      });
    }

    it("checks Standard against the payload namespace unless asked not to", () => {
      const mismatch = sbd((x) => x.replace(`<sh:Standard>${INVOICE_NS}`, "<sh:Standard>urn:other"));
      expect(rejects(mismatch)).to.be.instanceOf(SbdhValueError);
      expect(parseSbd(mismatch, { checkStandard: false }).header.standard).to.equal("urn:other");
    });

    it("refuses documents longer than the cap", () => {
      expect(rejects(sbd(), { maxLength: 100 })).to.be.instanceOf(SbdhMalformedError);
    });
  });

  describe("building", () => {
    const input: SbdhHeaderInput = {
      sender: participantId("0192:991825827"),
      receiver: participantId("0192:984661185"),
      standard: INVOICE_NS,
      typeVersion: "2.1",
      instanceIdentifier: "id-1",
      type: "Invoice",
      createdAt: new Date("2025-03-01T12:00:00.123Z"),
      documentType: documentTypeId(INVOICE_DOCTYPE),
      process: processId(BILLING),
      countryC1: "NO",
      extraScopes: [{ type: "MLS_TYPE", instanceIdentifier: "ALWAYS_SEND" }],
    };

    it("writes a header that reads back to the same values", () => {
      const xml = sbdOpening() + sbdhHeaderXml(input) + `  <Invoice xmlns="${INVOICE_NS}"/>\n` + SBD_CLOSING;
      const { header } = parseSbd(xml);
      expect(header).to.deep.include({
        sender: input.sender,
        receiver: input.receiver,
        standard: INVOICE_NS,
        typeVersion: "2.1",
        instanceIdentifier: "id-1",
        type: "Invoice",
        creationDateAndTime: "2025-03-01T12:00:00.123Z",
        documentType: input.documentType,
        process: input.process,
        countryC1: "NO",
        mlsType: "ALWAYS_SEND",
      });
      expect(header.scopes[0]).to.deep.equal({ type: "DOCUMENTID", instanceIdentifier: INVOICE_DOCTYPE, identifier: "busdox-docid-qns" });
      expect(header.scopes[1]).to.deep.equal({ type: "PROCESSID", instanceIdentifier: BILLING, identifier: "cenbii-procid-ubl" });
    });

    it("escapes text", () => {
      const xml = sbdOpening() + sbdhHeaderXml({ ...input, instanceIdentifier: "a<b&c" }) + `  <Invoice xmlns="${INVOICE_NS}"/>\n` + SBD_CLOSING;
      expect(parseSbd(xml).header.instanceIdentifier).to.equal("a<b&c");
    });

    it("refuses inputs a reader would refuse", () => {
      expect(() => sbdhHeaderXml({ ...input, sender: participantId("x", "foo-bar-baz") })).to.throw(SbdhValueError, /authority/);
      expect(() => sbdhHeaderXml({ ...input, countryC1: "Norway" })).to.throw(SbdhScopeError);
      expect(() => sbdhHeaderXml({ ...input, type: " " })).to.throw(SbdhValueError);
      expect(() => sbdhHeaderXml({ ...input, createdAt: new Date("x") })).to.throw(SbdhValueError);
    });
  });

  describe("third-party samples (../shared/vectors/sbdh, peppol-commons)", () => {
    const files = (kind: "good" | "bad"): string[] => {
      const dir = join(SBDH_VECTORS, kind);
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".xml")) : [];
    };
    const read = (ctx: Mocha.Context, kind: string, file: string): Buffer => {
      const path = join(SBDH_VECTORS, kind, file);
      if (!existsSync(path)) ctx.skip();
      return readFileSync(path);
    };

    it("has samples to check (skips when the folder is absent)", function () {
      if (!existsSync(SBDH_VECTORS)) this.skip();
      expect(files("good").length).to.be.greaterThan(0);
      expect(files("bad").length).to.be.greaterThan(0);
    });

    for (const file of files("good")) {
      it(`accepts good/${file}`, function () {
        const { header } = parseSbd(read(this, "good", file));
        expect(header.countryC1).to.match(/^[A-Z0-9]{2}$/);
      });
    }

    it("reads the fields of good-gxs1.xml (Manifest, timezone, scope order)", function () {
      const { header, businessMessage } = parseSbd(read(this, "good", "good-gxs1.xml"));
      expect(header.sender.value).to.equal("9958:99000000-peppol10-99");
      expect(header.receiver.value).to.equal("0204:991-33333TEST-33");
      expect(header.createdAt.toISOString()).to.equal("2019-10-17T23:53:29.385Z");
      expect(header.process.value).to.equal(BILLING);
      expect(header.documentType.value).to.contain("xrechnung_1.2::2.1");
      expect(businessMessage.namespaceURI).to.equal(INVOICE_NS);
    });

    it("reads MLS_TYPE of good-bis3-with-mls-type.xml", function () {
      expect(parseSbd(read(this, "good", "good-bis3-with-mls-type.xml")).header.mlsType).to.equal("ALWAYS_SEND");
    });

    // Each bad sample fails for its own reason, not for some other defect.
    const expected: Record<string, [new (...args: never[]) => SbdhError, string]> = {
      "bad-invalid-business-message.xml": [SbdhPayloadError, "no business message"],
      "bad-invalid-document-type-identifier.xml": [SbdhScopeError, "DOCUMENTID"],
      "bad-invalid-instance-identifier.xml": [SbdhValueError, "InstanceIdentifier"],
      "bad-invalid-receiver-authority.xml": [SbdhValueError, "Receiver/Identifier: Authority"],
      "bad-invalid-sender-authority.xml": [SbdhValueError, "Sender/Identifier: Authority"],
      "bad-invalid-standard.xml": [SbdhValueError, "Standard"],
      "bad-invalid-type.xml": [SbdhValueError, "DocumentIdentification/Type"],
      "bad-mls-to-invalid-value.xml": [SbdhScopeError, "MLS_TO"],
      "bad-mls-to-no-value.xml": [SbdhStructureError, "InstanceIdentifier"],
      "bad-mls-type-invalid-value.xml": [SbdhScopeError, "MLS_TYPE"],
      "bad-no-business-scope.xml": [SbdhStructureError, "BusinessScope is missing"],
      "bad-no-document-type-identifier.xml": [SbdhScopeError, "DOCUMENTID: is missing"],
      "bad-no-sbdh.xml": [SbdhStructureError, "StandardBusinessDocumentHeader must be the first"],
      "bad-too-few-receivers.xml": [SbdhStructureError, "no receiver"],
      "bad-too-few-senders.xml": [SbdhStructureError, "no sender"],
      "bad-too-many-senders.xml": [SbdhStructureError, "2 senders"],
    };
    for (const file of files("bad")) {
      it(`refuses bad/${file}`, function () {
        const e = rejects(read(this, "bad", file));
        const reason = expected[file];
        if (reason) {
          expect(e).to.be.instanceOf(reason[0]);
          expect(e.message).to.contain(reason[1]);
        }
      });
    }
  });
});
