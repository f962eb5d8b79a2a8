import { expect } from "chai";
import { ALG, NS, WSS } from "../../src/as4/namespaces.js";
import { parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { buildUserMessageEnvelope, parseUserMessage, partInfosOf } from "../../src/as4/user-message.js";
import { signedReferencesOf, signEnvelope } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { attr, serialize } from "../../src/xml/dom.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements } from "../../src/xml/xpath.js";
import { FIXED_IDS, selfSigned, sha256, testAttachments, testSigner, testUserMessage } from "./sign-fixtures.js";

describe("as4/wss-sign", () => {
  for (const n of [0, 1, 2]) {
    it(`build → sign → verify round trip with ${n} attachment(s)`, () => {
      const atts = testAttachments(n);
      const um = testUserMessage(atts);
      const signer = testSigner();
      const signed = signEnvelope(
        buildUserMessageEnvelope(um, FIXED_IDS),
        signer,
        atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })),
      );
      const digests = new Map(atts.map((a) => [a.contentId, sha256(a.bytes)]));
      const v = verifyEnvelope(signed, { attachmentDigest: (cid) => digests.get(cid) });

      expect(v.signerCertificate.fingerprint256).to.equal(signer.certificate.fingerprint256);
      expect(v.references.map((r) => [r.target, r.uri])).to.deep.equal([
        ["messaging", "#msg-1"],
        ["body", "#body-1"],
        ...atts.map((a) => ["attachment", `cid:${a.contentId}`]),
      ]);
      expect(v.references.filter((r) => r.target === "attachment").map((r) => r.contentId)).to.deep.equal(atts.map((a) => a.contentId));
      expect(v.signedInfoReferenceNodes).to.have.length(2 + n);
      expect(v.signedInfoReferenceNodes.every((el) => (el.parentNode as Element | null)?.localName === "SignedInfo")).to.equal(true);
      expect(parseUserMessage(v.envelope.messaging)).to.deep.equal(um);
      expect(signedReferencesOf(signed).map((r) => r.uri)).to.deep.equal(v.references.map((r) => r.uri));
    });
  }

  it("works with any RSA certificate (trust is the caller's business)", () => {
    const signer = selfSigned("PNO999999");
    const v = verifyEnvelope(signEnvelope(buildUserMessageEnvelope(testUserMessage()), signer, []), { attachmentDigest: () => undefined });
    expect(v.signerCertificate.subject).to.contain("CN=PNO999999");
  });

  it("writes the Peppol algorithms, a direct BST reference and the attachment transform", () => {
    const [att] = testAttachments(1);
    const signed = signEnvelope(
      buildUserMessageEnvelope(testUserMessage([att!]), FIXED_IDS),
      testSigner(),
      [{ contentId: att!.contentId, sha256: sha256(att!.bytes) }],
      { bstId: "X509-test", signatureId: "SIG-test" },
    );
    const doc = parseSoapEnvelope(signed).document;
    const sig = selectElements("/S12:Envelope/S12:Header/wsse:Security/ds:Signature", doc);
    expect(sig).to.have.length(1);
    expect(sig[0]!.getAttribute("Id")).to.equal("SIG-test");
    const attrOf = (xp: string) => selectElements(xp, sig[0]!).map((e) => e.getAttribute("Algorithm"));
    expect(attrOf("ds:SignedInfo/ds:CanonicalizationMethod")).to.deep.equal([ALG.excC14n]);
    expect(selectElements("ds:SignedInfo/ds:CanonicalizationMethod/ec:InclusiveNamespaces", sig[0]!)[0]!.getAttribute("PrefixList")).to.equal("S12");
    expect(attrOf("ds:SignedInfo/ds:SignatureMethod")).to.deep.equal([ALG.rsaSha256]);
    expect(attrOf("ds:SignedInfo/ds:Reference/ds:DigestMethod")).to.deep.equal([ALG.sha256, ALG.sha256, ALG.sha256]);
    expect(attrOf("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform")).to.deep.equal([ALG.excC14n, ALG.excC14n, ALG.attachmentContentSignatureTransform]);
    const cidDigest = selectElements("ds:SignedInfo/ds:Reference[3]/ds:DigestValue", sig[0]!)[0]!.textContent;
    expect(cidDigest).to.equal(sha256(att!.bytes).toString("base64"));

    const ref = selectElements("ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", sig[0]!);
    expect(ref).to.have.length(1);
    expect(ref[0]!.getAttribute("URI")).to.equal("#X509-test");
    expect(ref[0]!.getAttribute("ValueType")).to.equal(WSS.x509v3ValueType);
    const bst = selectElements("/S12:Envelope/S12:Header/wsse:Security/wsse:BinarySecurityToken", doc);
    expect(bst).to.have.length(1);
    expect(bst[0]!.getAttributeNS(NS.wsu, "Id")).to.equal("X509-test");
    expect(bst[0]!.getAttribute("ValueType")).to.equal(WSS.x509v3ValueType);
    expect(bst[0]!.getAttribute("EncodingType")).to.equal(WSS.base64BinaryEncoding);
    expect(Buffer.from(bst[0]!.textContent!, "base64").equals(testSigner().certificate.raw)).to.equal(true);
    // BST before Signature, as WSS4J lays out the header.
    expect(bst[0]!.nextSibling).to.equal(sig[0]);
  });

  it("refuses attachments that do not match the PartInfo list", () => {
    const atts = testAttachments(2);
    const xml = buildUserMessageEnvelope(testUserMessage(atts));
    const digests = atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) }));
    expect(() => signEnvelope(xml, testSigner(), digests.slice(1))).to.throw(/missing digests/);
    expect(() => signEnvelope(xml, testSigner(), [...digests, { contentId: "extra@x", sha256: sha256("x") }])).to.throw(/no PartInfo/);
    expect(() => signEnvelope(xml, testSigner(), [digests[0]!, { ...digests[1]!, sha256: Buffer.alloc(20) }])).to.throw(/SHA-256/);
  });

  it("finds the PartInfos by walking eb:UserMessage/eb:PayloadInfo/eb:PartInfo as the XPath did", () => {
    const messaging = parseXml(
      `<m:Messaging xmlns:m="${NS.eb}" xmlns:o="urn:other"><m:UserMessage><o:PayloadInfo><m:PartInfo href="cid:no-1"/></o:PayloadInfo>` +
        `<m:PayloadInfo><m:PartInfo href="cid:a"/><o:PartInfo href="cid:no-2"/><x:PartInfo xmlns:x="${NS.eb}" href="cid:b"/><m:Other><m:PartInfo href="cid:no-3"/></m:Other></m:PayloadInfo>` +
        `<m:PayloadInfo><m:PartInfo href="cid:c"/></m:PayloadInfo></m:UserMessage><m:PartInfo href="cid:no-4"/></m:Messaging>`,
    ).documentElement!;
    expect(partInfosOf(messaging).map((p) => attr(p, "href"))).to.deep.equal(["cid:a", "cid:b", "cid:c"]);
    const byXPath = selectElements("eb:UserMessage/eb:PayloadInfo/eb:PartInfo", messaging);
    expect(byXPath).to.have.length(3);
    expect(partInfosOf(messaging).every((p, i) => p === byXPath[i])).to.equal(true);
  });

  it("refuses to sign twice or without a Security header", () => {
    const xml = buildUserMessageEnvelope(testUserMessage());
    const signed = signEnvelope(xml, testSigner(), []);
    expect(() => signEnvelope(signed, testSigner(), [])).to.throw(/already signed/);
    const doc = parseSoapEnvelope(xml);
    doc.header.removeChild(doc.security!);
    expect(() => signEnvelope(serialize(doc.document), testSigner(), [])).to.throw(/wsse:Security/);
  });
});
