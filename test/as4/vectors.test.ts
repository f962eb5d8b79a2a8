import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { ALG } from "../../src/as4/namespaces.js";
import { parseSignalMessages, type ReceiptSignal } from "../../src/as4/signal-message.js";
import { messagingKind, parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { parseUserMessage, readUserMessage, toPeppolUserMessage } from "../../src/as4/user-message.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { excC14n } from "../../src/xml/exc-c14n.js";

/** Third-party AS4 data from ../shared/vectors (never copied into the project); skipped when absent. */
const VECTORS = fileURLToPath(new URL("../../../shared/vectors/as4/", import.meta.url));

function vector(ctx: Mocha.Context, name: string): string {
  const path = VECTORS + name;
  if (!existsSync(path)) ctx.skip();
  return readFileSync(path, "utf8");
}

/** The .as4in files are HTTP responses: headers, a blank line, then the SOAP body. */
function httpBody(raw: string): string {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) throw new Error("no blank line after the HTTP headers");
  const headers = raw.slice(0, m.index);
  expect(headers).to.match(/^Content-Type: application\/soap\+xml/im);
  return raw.slice(m.index + m[0].length);
}

const NO_ATTACHMENTS = { attachmentDigest: () => undefined };

const RECEIPTS = [
  { file: "governikus-receipt.as4in", cn: "POP000260", refTo: "6b52b4c0-de6a-46b8-8286-27bac7d1a463@phase4", ts: "2022-03-07T17:41:28.705Z", cid: "cid:phase4-att-a9c35290-9a50-4496-98c5-16d4741b4d99@cid" },
  { file: "phase4-receipt.as4in", cn: "POP000306", refTo: "3b3775c9-e88d-47f9-be5a-8e045ca2bc07@phase4", ts: "2022-03-07T17:36:50.173Z", cid: "cid:phase4-att-8f153eee-52ce-4a39-96a6-2a13296991bb@cid" },
];

describe("as4 third-party vectors", () => {
  for (const r of RECEIPTS) {
    describe(r.file, () => {
      it("verifies and parses into a typed receipt with its NRI references", function () {
        const xml = httpBody(vector(this, r.file));
        const v = verifyEnvelope(xml, NO_ATTACHMENTS);
        expect(v.signerCertificate.subject).to.contain(`CN=${r.cn}`);
        expect(v.references.map((x) => x.target)).to.deep.equal(["messaging", "body"]);
        expect(messagingKind(v.envelope.messaging)).to.equal("SignalMessage");

        const signals = parseSignalMessages(v.envelope.messaging);
        expect(signals).to.have.length(1);
        const receipt = signals[0] as ReceiptSignal;
        expect(receipt.kind).to.equal("receipt");
        expect(receipt.info.refToMessageId).to.equal(r.refTo);
        expect(receipt.info.timestamp.toISOString()).to.equal(r.ts);
        expect(receipt.nonRepudiation).to.equal(true);
        expect(receipt.references).to.have.length(3);
        const [msg, body, cid] = receipt.references;
        expect(msg!.uri).to.match(/^#phase4-msg-/);
        expect(body!.uri).to.match(/^#id-/);
        for (const x of [msg!, body!]) {
          expect(x.transforms).to.deep.equal([{ algorithm: ALG.excC14n }]);
          expect(x.digestMethod).to.equal(ALG.sha256);
          expect(Buffer.from(x.digestValue, "base64")).to.have.length(32);
        }
        expect(cid!.uri).to.equal(r.cid);
        expect(cid!.transforms).to.deep.equal([{ algorithm: ALG.attachmentContentSignatureTransform }]);
      });

      it("fails after a one-byte change inside the signed Messaging", function () {
        const xml = httpBody(vector(this, r.file));
        const tampered = xml.replace(r.ts, r.ts.replace(/\.(\d)/, (_m, d: string) => `.${(Number(d) + 1) % 10}`));
        expect(tampered.length).to.equal(xml.length);
        expect(tampered).to.not.equal(xml);
        try {
          verifyEnvelope(tampered, NO_ATTACHMENTS);
          expect.fail("tampered receipt verified");
        } catch (e) {
          expect(e).to.be.instanceOf(EbmsError);
          expect((e as EbmsError).code).to.equal("EBMS:0101");
          expect((e as EbmsError).detail).to.match(/digest of #/);
        }
      });
    });
  }

  it("phase4's receipt: its signed Messaging canonicalises with the namespaces in code-point order (S12 before eb)", function () {
    const xml = httpBody(vector(this, "phase4-receipt.as4in"));
    const v = verifyEnvelope(xml, NO_ATTACHMENTS);
    expect(v.references).to.have.length(2);
    // phase4 puts S12:mustUnderstand on eb:Messaging: a locale-aware order (eb before S12) would digest differently.
    const canon = excC14n(v.envelope.messaging);
    expect(canon.indexOf('xmlns:S12="')).to.be.greaterThan(0);
    expect(canon.indexOf('xmlns:S12="')).to.be.lessThan(canon.indexOf('xmlns:eb="'));
  });

  describe("unsigned UserMessage shapes", () => {
    it("test-2023-03-15.xml: whitespace in Action, 7-digit fraction with offset, ns2 prefix", function () {
      const xml = vector(this, "shapes/test-2023-03-15.xml");
      const raw = readUserMessage(parseSoapEnvelope(xml).messaging);
      expect(raw.timestamp.toISOString()).to.equal("2023-03-09T09:23:26.854Z");
      expect(raw.action).to.equal(
        "busdox-docid-qns::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1",
      );
      expect(raw.parts).to.deep.equal([{ href: "cid:sbdhID", properties: [{ name: "MimeType", value: "application/xml" }, { name: "CompressionType", value: "application/gzip" }] }]);
      // Its MessageId has no '@', which the profile (and Oxalis) rejects; everything else is Peppol-valid.
      expect(() => toPeppolUserMessage(raw)).to.throw(EbmsError, /left@right/);
      const um = toPeppolUserMessage({ ...raw, messageId: `${raw.messageId}@sender` });
      expect(um).to.deep.include({
        fromPartyId: "PDE000556",
        toPartyId: "PDE000556",
        conversationId: "testid",
        originalSender: { value: "9930:de322532962", type: "iso6523-actorid-upis" },
        finalRecipient: { value: "9930:de322532962", type: "iso6523-actorid-upis" },
        service: { value: "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", type: "cenbii-procid-ubl" },
      });
      expect(um.parts).to.deep.equal([{ href: "cid:sbdhID", mimeType: "application/xml", compressionType: "application/gzip" }]);
    });

    it("UserMessage12.xml: generic AS4 sample reads, but is not a Peppol message", function () {
      const xml = vector(this, "shapes/UserMessage12.xml");
      const messaging = parseSoapEnvelope(xml).messaging;
      const raw = readUserMessage(messaging);
      expect(raw.from.partyIds).to.deep.equal([{ value: "5209999001264", type: "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088" }]);
      expect(raw.service.value).to.equal("http://docs.oasis-open.org/ebxml-msg/as4/200902/service");
      expect(raw.action).to.equal("http://docs.oasis-open.org/ebxml-msg/as4/200902/action");
      expect(raw.parts).to.deep.equal([{ href: "#_f8aa8b55-b31c-4364-94d0-3615ca65aa40", properties: [] }]);
      expect(() => parseUserMessage(messaging)).to.throw(EbmsError, /PartyId\/@type/);
    });

    it("UserMessageWithCompressedPayload12.xml: malformed XML is refused with EBMS:0009", function () {
      const xml = vector(this, "shapes/UserMessageWithCompressedPayload12.xml");
      expect(() => parseSoapEnvelope(xml)).to.throw(EbmsError, /EBMS:0009.*not well-formed/);
    });
  });
});
