import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NS } from "../../src/as4/namespaces.js";
import { buildErrorDocument, buildErrorEnvelope, buildReceiptDocument, buildReceiptEnvelope, type ReceiptInput } from "../../src/as4/signal-message.js";
import { buildUserMessageDocument, buildUserMessageEnvelope, parseUserMessage, type UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope, signEnvelopeDocument, type AttachmentDigest } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { serialize } from "../../src/xml/dom.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements } from "../../src/xml/xpath.js";
import { signWithXmlCrypto } from "../helpers/xml-crypto-sign.js";
import { FIXED_IDS, sha256, testAttachments, testSigner, testUserMessage } from "./sign-fixtures.js";

/**
 * Outgoing envelopes are built as documents and signed in place, no longer serialised and parsed in between.
 * The signature must still be over what the receiver parses: signing the built document has to give the same
 * bytes as signing the parse of its serialisation (RSA PKCS#1 v1.5 is deterministic, so the whole signed
 * envelope can be compared).
 */

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));
const SIGN_IDS = { bstId: "X509-fixed", signatureId: "SIG-fixed" };
const signer = testSigner();

function bothWays(built: () => Document, text: () => string, attachments: readonly AttachmentDigest[] = []): { direct: string; reparsed: string } {
  const doc = built();
  signEnvelopeDocument(doc, signer, attachments, SIGN_IDS);
  return { direct: serialize(doc), reparsed: signEnvelope(text(), signer, attachments, SIGN_IDS) };
}

function userMessageCase(um: UserMessage, attachments: readonly AttachmentDigest[]): { direct: string; reparsed: string } {
  return bothWays(
    () => buildUserMessageDocument(um, FIXED_IDS),
    () => buildUserMessageEnvelope(um, FIXED_IDS),
    attachments,
  );
}

/** ds:Reference elements as a foreign stack wrote them, from the receipts in the vectors. */
function foreignReferences(file: string): Element[] {
  let text = readFileSync(VECTORS + file, "utf8");
  text = text.slice(/\r?\n\r?\n/.exec(text)!.index).trim();
  return selectElements("//ebbp:MessagePartNRInformation/ds:Reference", parseXml(text));
}

describe("as4: signing a built envelope in place", () => {
  for (const n of [0, 1, 3]) {
    it(`a UserMessage with ${n} attachment(s): the same signed bytes as signing its serialisation parsed again`, () => {
      const atts = testAttachments(n);
      const digests = atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) }));
      const { direct, reparsed } = userMessageCase(testUserMessage(atts), digests);
      expect(direct).to.equal(reparsed);
      const byCid = new Map(digests.map((d) => [d.contentId, d.sha256]));
      expect(verifyEnvelope(direct, { attachmentDigest: (cid) => byCid.get(cid) }).references).to.have.length(2 + n);
    });
  }

  it("text a parser would change (carriage returns) is signed as the receiver will read it", () => {
    const um: UserMessage = { ...testUserMessage(), conversationId: "line one\r\nline two\rline three & <four> \"five\" \u00e6\u00f8\u00e5 \u{1F600}" };
    const { direct, reparsed } = userMessageCase(um, []);
    expect(direct).to.equal(reparsed);
    expect(direct).to.contain("line one\nline two\nline three &amp; &lt;four&gt; \"five\"");
    expect(direct).not.to.contain("\r");
    const verified = verifyEnvelope(direct, { attachmentDigest: () => undefined });
    expect(parseUserMessage(verified.envelope.messaging).messageId).to.equal(um.messageId);
  });

  it("a receipt repeating our own signed references: the same signed bytes both ways", () => {
    const atts = testAttachments(2);
    const digests = atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) }));
    const received = verifyEnvelope(signEnvelope(buildUserMessageEnvelope(testUserMessage(atts), FIXED_IDS), signer, digests), {
      attachmentDigest: (cid) => digests.find((d) => d.contentId === cid)?.sha256,
    });
    const receipt: ReceiptInput = {
      messageId: "receipt-1@dpi-ap.test",
      timestamp: new Date("2026-03-01T12:35:00.000Z"),
      refToMessageId: "0d7b1c8e-4c2f-4e4a-9a36-1f2d3c4b5a69@dpi-ap.test",
      references: received.signedInfoReferenceNodes,
    };
    const ids = { messagingId: "msg-r", bodyId: "body-r" };
    const { direct, reparsed } = bothWays(() => buildReceiptDocument(receipt, ids), () => buildReceiptEnvelope(receipt, ids));
    expect(direct).to.equal(reparsed);
    expect(selectElements("//ebbp:MessagePartNRInformation/ds:Reference", parseXml(direct))).to.have.length(4);
    // The references are the received envelope's own nodes, copied into the receipt, not moved out of it.
    expect(received.signedInfoReferenceNodes.every((r) => (r.parentNode as Element | null)?.localName === "SignedInfo")).to.equal(true);
  });

  it("a receipt repeating references xml-crypto wrote: the same signed bytes both ways", () => {
    const [att] = testAttachments(1);
    const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
    const foreign = signWithXmlCrypto(buildUserMessageEnvelope(testUserMessage([att!]), FIXED_IDS), signer, [digest]).xml;
    const received = verifyEnvelope(foreign, { attachmentDigest: () => digest.sha256 });
    const receipt: ReceiptInput = { messageId: "receipt-2@dpi-ap.test", timestamp: new Date(0), refToMessageId: "x@y", references: received.signedInfoReferenceNodes };
    const { direct, reparsed } = bothWays(() => buildReceiptDocument(receipt, FIXED_IDS), () => buildReceiptEnvelope(receipt, FIXED_IDS));
    expect(direct).to.equal(reparsed);
  });

  it("a receipt repeating references phase4 and Governikus wrote (vectors): the same signed bytes both ways", function () {
    const files = ["as4/phase4-receipt.as4in", "as4/governikus-receipt.as4in"].filter((f) => existsSync(VECTORS + f));
    if (files.length === 0) this.skip();
    for (const f of files) {
      const references = foreignReferences(f);
      expect(references.length, f).to.be.greaterThan(0);
      const receipt: ReceiptInput = { messageId: "receipt-3@dpi-ap.test", timestamp: new Date(0), refToMessageId: "x@y", references };
      const { direct, reparsed } = bothWays(() => buildReceiptDocument(receipt, FIXED_IDS), () => buildReceiptEnvelope(receipt, FIXED_IDS));
      expect(direct, f).to.equal(reparsed);
      expect(verifyEnvelope(direct, { attachmentDigest: () => undefined }).signerCertificate.fingerprint256).to.equal(signer.certificate.fingerprint256);
    }
  });

  it("an error signal: the same signed bytes both ways", () => {
    const input = {
      messageId: "err-1@dpi-ap.test",
      timestamp: new Date("2026-03-01T12:35:00.000Z"),
      refToMessageId: "x@y",
      errors: [
        {
          category: "Content",
          errorCode: "EBMS:0004",
          origin: "ebMS",
          refToMessageInError: "x@y",
          severity: "failure",
          shortDescription: "Other",
          description: { lang: "en", text: "a description\r\nover two lines & <brackets>" },
          errorDetail: "detail\rwith a carriage return",
        },
      ],
    };
    const { direct, reparsed } = bothWays(() => buildErrorDocument(input, FIXED_IDS), () => buildErrorEnvelope(input, FIXED_IDS));
    expect(direct).to.equal(reparsed);
    expect(selectElements("//eb:Error/eb:ErrorDetail", parseXml(direct))[0]!.textContent).to.equal("detail\nwith a carriage return");
  });

  it("the receipt's references carry the namespace they were written in", () => {
    const [att] = testAttachments(1);
    const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
    const received = verifyEnvelope(signEnvelope(buildUserMessageEnvelope(testUserMessage([att!]), FIXED_IDS), signer, [digest]), {
      attachmentDigest: () => digest.sha256,
    });
    const doc = buildReceiptDocument({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: received.signedInfoReferenceNodes }, FIXED_IDS);
    const copied = selectElements("//ebbp:MessagePartNRInformation/ds:Reference", doc);
    expect(copied.map((r) => [r.namespaceURI, r.ownerDocument === doc])).to.deep.equal(copied.map(() => [NS.ds, true]));
  });
});
