import { expect } from "chai";
import { EbmsError, type EbmsErrorCode } from "../../src/as4/ebms-errors.js";
import { ALG, NS } from "../../src/as4/namespaces.js";
import { buildUserMessageEnvelope } from "../../src/as4/user-message.js";
import { signEnvelope } from "../../src/as4/wss-sign.js";
import { parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import { claimedSignerOf, signerCertificateOf, verifyEnvelope, verifyParsedEnvelope, type VerifiedEnvelope, type VerifyOptions } from "../../src/as4/wss-verify.js";
import { serialize } from "../../src/xml/dom.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements } from "../../src/xml/xpath.js";
import { FIXED_IDS, sha256, testAttachments, testSigner, testUserMessage } from "./sign-fixtures.js";

const atts = testAttachments(2);
const um = testUserMessage(atts);
const SIGNED = signEnvelope(
  buildUserMessageEnvelope(um, FIXED_IDS),
  testSigner(),
  atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })),
);
const DIGESTS = new Map(atts.map((a) => [a.contentId, sha256(a.bytes)]));
const OPTS: VerifyOptions = { attachmentDigest: (cid) => DIGESTS.get(cid) };

function verify(xml: string, opts: VerifyOptions = OPTS): VerifiedEnvelope {
  return verifyEnvelope(xml, opts);
}

function expectRejected(xml: string, code: EbmsErrorCode, detail: RegExp, opts: VerifyOptions = OPTS): EbmsError {
  try {
    verify(xml, opts);
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(EbmsError);
    const err = e as EbmsError;
    expect(err.code, err.message).to.equal(code);
    expect(err.detail).to.match(detail);
    return err;
  }
  expect.fail("verifyEnvelope accepted a tampered message");
}

/** Parse, let the test change the DOM, serialise. */
function mutate(xml: string, change: (doc: Document) => void): string {
  const doc = parseXml(xml);
  change(doc);
  return serialize(doc);
}

function one(doc: Node, xpath: string): Element {
  const found = selectElements(xpath, doc);
  expect(found, xpath).to.have.length(1);
  return found[0]!;
}

const HEADER = "/S12:Envelope/S12:Header";
const SIG = `${HEADER}/wsse:Security/ds:Signature`;
const MESSAGING = `${HEADER}/eb:Messaging`;

describe("as4/wss-verify", () => {
  it("accepts the untouched message, also after a DOM round trip and as bytes", () => {
    expect(verify(SIGNED).references).to.have.length(4);
    expect(verify(mutate(SIGNED, () => {})).references).to.have.length(4);
    expect(verifyEnvelope(Buffer.from(SIGNED, "utf8"), OPTS).references).to.have.length(4);
  });

  /** SIGNED's envelope with the Messaging start tag changed before signing: its id attributes are what a test needs. */
  function signedWithMessagingTag(replace: (tag: string) => string): string {
    const envelope = buildUserMessageEnvelope(um, FIXED_IDS);
    const tag = /<eb:Messaging [^>]*>/.exec(envelope)![0];
    const signed = signEnvelope(envelope.replace(tag, replace(tag)), testSigner(), atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })));
    return signed;
  }

  it("finds the signed element by its id when another attribute of the same local name comes first", () => {
    const xml = signedWithMessagingTag((tag) => tag.replace("<eb:Messaging ", '<eb:Messaging xmlns:x="urn:x" x:Id="alias" '));
    expect(xml).to.match(/x:Id="alias"[^>]*wsu:Id="msg-1"/);
    expect(verify(xml).references.map((r) => r.target)).to.deep.equal(["messaging", "body", "attachment", "attachment"]);
  });

  describe("rejects tampering with EBMS:0101", () => {
    it("Messaging text (reference digest: xml-crypto returns false)", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${MESSAGING}/eb:UserMessage/eb:CollaborationInfo/eb:ConversationId`).textContent = "other";
      });
      const e = expectRejected(xml, "EBMS:0101", /digest of #msg-1/);
      expect(e.refToMessageId).to.equal(um.messageId);
    });

    it("Body content", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, "/S12:Envelope/S12:Body").appendChild(d.createElementNS("urn:x", "x:payload"));
      });
      expectRejected(xml, "EBMS:0101", /digest of #body-1/);
    });

    it("an attachment's bytes", () => {
      const other = new Map(DIGESTS);
      other.set(atts[1]!.contentId, sha256(Buffer.concat([atts[1]!.bytes, Buffer.from("!")])));
      expectRejected(SIGNED, "EBMS:0101", /digest of cid:att-2/, { attachmentDigest: (c) => other.get(c) });
    });

    it("a missing attachment", () => {
      expectRejected(SIGNED, "EBMS:0101", /cid:att-1/, { attachmentDigest: () => undefined });
    });

    it("the SignatureValue (xml-crypto throws)", () => {
      const xml = mutate(SIGNED, (d) => {
        const sv = one(d, `${SIG}/ds:SignatureValue`);
        const v = sv.textContent!;
        sv.textContent = (v[10] === "A" ? "B" : "A").padStart(11, v.slice(0, 10)) + v.slice(11);
      });
      expectRejected(xml, "EBMS:0101", /signature verification failed/);
    });

    it("the BinarySecurityToken swapped for another certificate", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${HEADER}/wsse:Security/wsse:BinarySecurityToken`).textContent = testSigner("POP000002").certificate.raw.toString("base64");
      });
      expectRejected(xml, "EBMS:0101", /signature verification failed/);
    });

    it("a BinarySecurityToken that is not a certificate", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${HEADER}/wsse:Security/wsse:BinarySecurityToken`).textContent = "AAAA";
      });
      expectRejected(xml, "EBMS:0101", /not a readable X.509/);
    });

    it("a BinarySecurityToken that is not a certificate, each time, also after its certificate's own text was read", () => {
      const bst = `${HEADER}/wsse:Security/wsse:BinarySecurityToken`;
      const good = testSigner().certificate.raw.toString("base64");
      // Wrapped as Santuario wraps base64: read as the same certificate as the unwrapped text.
      const wrapped = mutate(SIGNED, (d) => {
        one(d, bst).textContent = `\n${good.replace(/(.{64})/g, "$1\n")}\n`;
      });
      expect(verify(wrapped).signerCertificate).to.equal(verify(SIGNED).signerCertificate);
      for (const text of [good.slice(0, -8), `${good}!`, good.slice(4)]) {
        const xml = mutate(SIGNED, (d) => {
          one(d, bst).textContent = text;
        });
        for (let i = 0; i < 2; i++) expectRejected(xml, "EBMS:0101", /not a readable X.509/);
      }
      expect(verify(SIGNED).signerCertificate.fingerprint256).to.equal(testSigner().certificate.fingerprint256);
    });

    it("an unsigned message", () => {
      const xml = mutate(SIGNED, (d) => {
        const sig = one(d, SIG);
        sig.parentNode!.removeChild(sig);
      });
      expectRejected(xml, "EBMS:0101", /not signed/);
    });

    it("wrapping with a second element carrying the signed id", () => {
      const xml = mutate(SIGNED, (d) => {
        const signed = one(d, MESSAGING);
        const header = signed.parentNode!;
        const wrapper = header.appendChild(d.createElementNS("urn:evil", "x:Wrapper"));
        const forged = signed.cloneNode(true) as Element;
        forged.getElementsByTagNameNS(NS.eb, "ConversationId")[0]!.textContent = "forged";
        header.replaceChild(forged, signed);
        wrapper.appendChild(signed);
      });
      expectRejected(xml, "EBMS:0101", /signature verification failed.*same value for the ID/);
    });

    it("a second element carrying the signed id in an attribute of another id name (ID)", () => {
      const xml = mutate(SIGNED, (d) => {
        const messagingId = one(d, MESSAGING).getAttributeNS(NS.wsu, "Id") ?? "";
        expect(messagingId).to.not.equal("");
        const extra = one(d, HEADER).appendChild(d.createElementNS("urn:evil", "x:Extra"));
        extra.setAttribute("ID", messagingId);
      });
      expectRejected(xml, "EBMS:0101", /signature verification failed.*same value for the ID/);
    });

    it("the signed element carrying the signed id in two id names (Id and id)", () => {
      const xml = signedWithMessagingTag((tag) => tag.replace("<eb:Messaging ", '<eb:Messaging id="msg-1" '));
      expectRejected(xml, "EBMS:0101", /signature verification failed.*same value for the ID/);
    });

    it("the signed id removed from the Messaging", () => {
      const xml = mutate(SIGNED, (d) => {
        const messaging = one(d, MESSAGING);
        messaging.setAttributeNS(NS.wsu, "wsu:Id", "renamed");
      });
      expectRejected(xml, "EBMS:0101", /does not match|does not verify/);
    });

    it("a SignedInfo rewritten to reference the Messaging twice", () => {
      const xml = mutate(SIGNED, (d) => {
        const refs = selectElements(`${SIG}/ds:SignedInfo/ds:Reference`, d);
        const copy = refs[0]!.cloneNode(true);
        refs[1]!.parentNode!.replaceChild(copy, refs[1]!);
      });
      expectRejected(xml, "EBMS:0101", /signature verification failed/);
    });
  });

  describe("rejects policy violations with EBMS:0103", () => {
    it("wrapping: the signed Messaging moved elsewhere, an unsigned one in its place", () => {
      const xml = mutate(SIGNED, (d) => {
        const signed = one(d, MESSAGING);
        const header = signed.parentNode!;
        const forged = signed.cloneNode(true) as Element;
        forged.setAttributeNS(NS.wsu, "wsu:Id", "msg-forged");
        forged.getElementsByTagNameNS(NS.eb, "ConversationId")[0]!.textContent = "forged";
        header.replaceChild(forged, signed);
        header.appendChild(d.createElementNS("urn:evil", "x:Wrapper")).appendChild(signed);
      });
      // The forged Messaging still lists the same PartInfo, so only the identity check can catch this.
      expectRejected(xml, "EBMS:0103", /#msg-1 does not point at/);
    });

    it("wrapping: the signed Messaging moved into wsse:Security", () => {
      const xml = mutate(SIGNED, (d) => {
        const signed = one(d, MESSAGING);
        const forged = signed.cloneNode(true) as Element;
        forged.setAttributeNS(NS.wsu, "wsu:Id", "msg-forged");
        signed.parentNode!.replaceChild(forged, signed);
        one(d, `${HEADER}/wsse:Security`).appendChild(signed);
      });
      expectRejected(xml, "EBMS:0103", /#msg-1 does not point at/);
    });

    it("wrapping: the signed Body moved into the header, a new Body with content", () => {
      const xml = mutate(SIGNED, (d) => {
        const body = one(d, "/S12:Envelope/S12:Body");
        const forged = body.cloneNode(true) as Element;
        forged.setAttributeNS(NS.wsu, "wsu:Id", "body-forged");
        forged.appendChild(d.createElementNS("urn:x", "x:payload"));
        body.parentNode!.replaceChild(forged, body);
        one(d, HEADER).appendChild(d.createElementNS("urn:evil", "x:Wrapper")).appendChild(body);
      });
      expectRejected(xml, "EBMS:0103", /#body-1 does not point at/);
    });

    it("a signed cid reference without a PartInfo", () => {
      const xml = mutate(SIGNED, (d) => {
        const part = selectElements(`${MESSAGING}/eb:UserMessage/eb:PayloadInfo/eb:PartInfo`, d)[1]!;
        part.parentNode!.removeChild(part);
      });
      expectRejected(xml, "EBMS:0103", /without a PartInfo: cid:att-2/);
    });

    it("a PartInfo without a cid reference", () => {
      const xml = mutate(SIGNED, (d) => {
        const ref = one(d, `${SIG}/ds:SignedInfo/ds:Reference[@URI='cid:${atts[0]!.contentId}']`);
        ref.parentNode!.removeChild(ref);
      });
      expectRejected(xml, "EBMS:0103", /not covered by the signature: cid:att-1/);
    });

    it("the Body not signed", () => {
      const xml = mutate(SIGNED, (d) => {
        const ref = one(d, `${SIG}/ds:SignedInfo/ds:Reference[@URI='#body-1']`);
        ref.parentNode!.removeChild(ref);
      });
      expectRejected(xml, "EBMS:0103", /found 1 same-document/);
    });

    it("two signatures", () => {
      const xml = mutate(SIGNED, (d) => {
        const sig = one(d, SIG);
        sig.parentNode!.appendChild(sig.cloneNode(true));
      });
      expectRejected(xml, "EBMS:0103", /one ds:Signature, found 2/);
    });

    it("a signature outside wsse:Security", () => {
      const xml = mutate(SIGNED, (d) => {
        const sig = one(d, SIG);
        one(d, HEADER).appendChild(sig);
      });
      expectRejected(xml, "EBMS:0103", /not in the wsse:Security/);
    });

    it("a SignedInfo element smuggled elsewhere", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, HEADER).appendChild(d.createElementNS("urn:evil", "x:SignedInfo"));
      });
      expectRejected(xml, "EBMS:0103", /exactly one SignedInfo/);
    });

    it("a foreign element inside SignedInfo", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${SIG}/ds:SignedInfo`).appendChild(d.createElementNS("urn:evil", "x:Reference"));
      });
      expectRejected(xml, "EBMS:0103", /SignedInfo may contain only/);
    });

    it("KeyInfo by key identifier instead of a direct BST reference", () => {
      const xml = mutate(SIGNED, (d) => {
        const ref = one(d, `${SIG}/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference`);
        const ki = d.createElementNS(NS.wsse, "wsse:KeyIdentifier");
        ki.setAttribute("ValueType", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier");
        ki.textContent = "AAAA";
        ref.parentNode!.replaceChild(ki, ref);
      });
      expectRejected(xml, "EBMS:0103", /direct wsse:Reference/);
    });

    it("a token reference to something other than a BST", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${SIG}/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference`).setAttribute("URI", "#msg-1");
      });
      expectRejected(xml, "EBMS:0103", /exactly one BinarySecurityToken/);
    });

    it("an external token reference", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${SIG}/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference`).setAttribute("URI", "http://evil/cert");
      });
      expectRejected(xml, "EBMS:0103", /same-document #id/);
    });

    it("a BST that is not X509v3", () => {
      const xml = mutate(SIGNED, (d) => {
        one(d, `${HEADER}/wsse:Security/wsse:BinarySecurityToken`).setAttribute("ValueType", "urn:x509-pkipath");
      });
      expectRejected(xml, "EBMS:0103", /X509v3/);
    });

    for (const alg of ["http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"]) {
      it(`signature method ${alg.split("#")[1]}`, () => {
        const xml = mutate(SIGNED, (d) => one(d, `${SIG}/ds:SignedInfo/ds:SignatureMethod`).setAttribute("Algorithm", alg));
        expectRejected(xml, "EBMS:0103", /rsa-sha256/);
      });
    }

    it("inclusive C14N for SignedInfo", () => {
      const xml = mutate(SIGNED, (d) =>
        one(d, `${SIG}/ds:SignedInfo/ds:CanonicalizationMethod`).setAttribute("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
      );
      expectRejected(xml, "EBMS:0103", /exc-c14n/);
    });

    it("a SHA-1 digest", () => {
      const xml = mutate(SIGNED, (d) =>
        one(d, `${SIG}/ds:SignedInfo/ds:Reference[1]/ds:DigestMethod`).setAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1"),
      );
      expectRejected(xml, "EBMS:0103", /sha256/);
    });

    it("an extra transform on an XML reference", () => {
      const xml = mutate(SIGNED, (d) => {
        const transforms = one(d, `${SIG}/ds:SignedInfo/ds:Reference[1]/ds:Transforms`);
        const t = d.createElementNS(NS.ds, "ds:Transform");
        t.setAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
        transforms.insertBefore(t, transforms.firstChild);
      });
      expectRejected(xml, "EBMS:0103", /exactly the exc-c14n transform/);
    });

    it("the complete-attachment transform instead of content-only", () => {
      const xml = mutate(SIGNED, (d) =>
        one(d, `${SIG}/ds:SignedInfo/ds:Reference[3]/ds:Transforms/ds:Transform`).setAttribute("Algorithm", ALG.attachmentCompleteSignatureTransform),
      );
      expectRejected(xml, "EBMS:0103", /Attachment-Content-Signature-Transform/);
    });

    it("a reference with an empty or external URI", () => {
      for (const uri of ["", "http://evil/x"]) {
        const xml = mutate(SIGNED, (d) => one(d, `${SIG}/ds:SignedInfo/ds:Reference[2]`).setAttribute("URI", uri));
        expectRejected(xml, "EBMS:0103", /unsupported reference URI/);
      }
    });
  });

  describe("names the message in a refusal", () => {
    /** A message whose Body digest fails, with eb:Messaging's children rewritten by `change`. */
    function refusedWith(change: (messaging: Element, d: Document) => void): EbmsError {
      const xml = mutate(SIGNED, (d) => {
        change(one(d, MESSAGING), d);
        one(d, `${HEADER}/../S12:Body`).appendChild(d.createElementNS("urn:x", "x:Added"));
      });
      return expectRejected(xml, "EBMS:0101", /does not match/);
    }
    const messageInfo = (d: Document, id: string): Element => {
      const info = d.createElementNS(NS.eb, "eb:MessageInfo");
      info.appendChild(d.createElementNS(NS.eb, "eb:MessageId")).appendChild(d.createTextNode(id));
      return info;
    };

    it("by the first MessageInfo/MessageId of any child of eb:Messaging, in document order, trimmed", () => {
      const err = refusedWith((m, d) => {
        const other = m.insertBefore(d.createElementNS("urn:x", "x:First"), m.firstChild);
        other.appendChild(d.createElementNS("urn:x", "x:MessageInfo")).appendChild(d.createElementNS(NS.eb, "eb:MessageId")).appendChild(d.createTextNode("not-eb-info"));
        other.appendChild(d.createElementNS(NS.eb, "eb:Other"));
        other.appendChild(messageInfo(d, "  first@x \n"));
      });
      expect(err.refToMessageId).to.equal("first@x");
    });

    it("by none when that MessageId is empty, even if a later one is not", () => {
      const err = refusedWith((m, d) => {
        m.insertBefore(d.createElementNS("urn:x", "x:First"), m.firstChild).appendChild(messageInfo(d, " "));
      });
      expect(err.refToMessageId).to.equal(undefined);
    });

    it("by the UserMessage's own MessageId otherwise", () => {
      expect(refusedWith(() => {}).refToMessageId).to.equal(um.messageId);
    });
  });

  describe("with the claimed signer looked up before (claimedSignerOf)", () => {
    it("verifies as without it, and finds the same certificate signerCertificateOf finds", () => {
      const envelope = parseSoapEnvelope(SIGNED);
      const claimed = claimedSignerOf(envelope);
      expect(claimed.certificate.fingerprint256).to.equal(testSigner().certificate.fingerprint256);
      expect(signerCertificateOf(envelope)).to.equal(claimed.certificate);
      const fresh = verifyParsedEnvelope(SIGNED, envelope, OPTS);
      const reused = verifyParsedEnvelope(SIGNED, envelope, { ...OPTS, claimed });
      expect(reused.signerCertificate).to.equal(fresh.signerCertificate);
      expect(reused.references).to.deep.equal(fresh.references);
      expect(reused.signedInfoReferenceNodes).to.deep.equal(fresh.signedInfoReferenceNodes);
    });

    it("ignores what was claimed for another envelope: its certificate is not taken for this one's", () => {
      const other = signEnvelope(buildUserMessageEnvelope(um, FIXED_IDS), testSigner("POP000002"), atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })));
      const claimed = claimedSignerOf(parseSoapEnvelope(other));
      expect(claimed.certificate.fingerprint256).to.not.equal(testSigner().certificate.fingerprint256);
      const envelope = parseSoapEnvelope(SIGNED);
      expect(verifyParsedEnvelope(SIGNED, envelope, { ...OPTS, claimed }).signerCertificate.fingerprint256).to.equal(testSigner().certificate.fingerprint256);
      // And a message signed by the other key is refused with this envelope's own certificate, not passed with the claimed one.
      const forged = mutate(SIGNED, (d) => {
        const value = parseXml(other).getElementsByTagNameNS(NS.ds, "SignatureValue")[0]!.textContent ?? "";
        one(d, `${SIG}/ds:SignatureValue`).textContent = value;
      });
      const forgedEnvelope = parseSoapEnvelope(forged);
      expect(() => verifyParsedEnvelope(forged, forgedEnvelope, { ...OPTS, claimed })).to.throw(EbmsError, /SignatureValue does not verify/);
    });
  });

  describe("rejects unsafe XML with EBMS:0009 before any cryptography", () => {
    it("a DOCTYPE", () => {
      expectRejected(`<!DOCTYPE x [<!ENTITY e "x">]>${SIGNED}`, "EBMS:0009", /doctype/);
    });

    it("a processing instruction inside signed content", () => {
      const xml = SIGNED.replace("<eb:ConversationId>", "<eb:ConversationId><?x y?>");
      expect(xml).to.not.equal(SIGNED);
      expectRejected(xml, "EBMS:0009", /processing instructions/);
    });

    it("bytes that are not UTF-8", () => {
      expectRejected(Buffer.from([0xff, 0xfe, 0x3c]) as unknown as string, "EBMS:0009", /UTF-8/);
    });
  });
});
