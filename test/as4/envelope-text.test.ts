import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import { PEPPOL } from "../../src/as4/namespaces.js";
import { addEncryptionHeaderTo, type EncryptionHeaderInput } from "../../src/as4/encrypt.js";
import { addEncryptionHeaderToTree } from "../../src/as4/encryption-header-text.js";
import {
  buildErrorDocument,
  buildErrorTree,
  buildReceiptDocument,
  buildReceiptTree,
  errorEntryOf,
  type ErrorSignalInput,
  type ReceiptInput,
} from "../../src/as4/signal-message.js";
import { buildUserMessageDocument, buildUserMessageEnvelope, type UserMessage } from "../../src/as4/user-message.js";
import { buildUserMessageTree } from "../../src/as4/user-message-text.js";
import { signEnvelope, signEnvelopeDocument, signEnvelopeTree, signEnvelopeWithReferences, type AttachmentDigest } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { serialize } from "../../src/xml/dom.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { serializeXml } from "../../src/xml/xml-text.js";
import { selectElements } from "../../src/xml/xpath.js";
import { signWithXmlCrypto } from "../helpers/xml-crypto-sign.js";
import { FIXED_IDS, sha256, testAttachments, testSigner, testUserMessage } from "./sign-fixtures.js";

/**
 * The envelopes we send are built and signed as plain trees (src/xml/xml-text.ts) instead of xmldom documents.
 * Differential: for a spread of inputs the tree path must give the DOM path's bytes exactly — the unsigned
 * envelope, the signed one (RSA PKCS#1 v1.5 is deterministic, so digests and signature value are compared too),
 * with the encryption header, and the references returned — and fail with the same message where it fails.
 */

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));
const SIGN_IDS = { bstId: "X509-fixed", signatureId: "SIG-fixed" };
const signer = testSigner();
const recipient = testSigner("POP000002").certificate;

/** Needs escaping in text (& < >), in attributes (& < > " TAB LF CR), and normalising (CR); plus ' and non-ASCII. */
const NASTY = `a & b < c > d " e ' f\tg\rh\r\ni\nj \u00e6\u00f8\u00e5 \u00df \u4e2d \u{1F600} ]]> &amp;`;

function encryption(digests: readonly AttachmentDigest[], mimeTypes: readonly string[]): EncryptionHeaderInput {
  return {
    cek: Buffer.alloc(16, 7),
    recipient,
    attachments: digests.map((d, i) => ({ contentId: d.contentId, mimeType: mimeTypes[i]! })),
    ids: { recipientToken: "X509-recipient", encryptedKey: "EK-1", encryptedData: digests.map((_, i) => `ED-${i}`) },
    wrappedKey: Buffer.alloc(256, 3),
  };
}

function domUserMessage(um: UserMessage, digests: readonly AttachmentDigest[], enc?: EncryptionHeaderInput) {
  const doc = buildUserMessageDocument(um, FIXED_IDS);
  const unsigned = serialize(doc);
  const references = signEnvelopeDocument(doc, signer, digests, SIGN_IDS);
  if (enc) addEncryptionHeaderTo(doc, enc);
  return { unsigned, xml: serialize(doc), references };
}

function treeUserMessage(um: UserMessage, digests: readonly AttachmentDigest[], enc?: EncryptionHeaderInput) {
  const tree = buildUserMessageTree(um, FIXED_IDS);
  const unsigned = serializeXml(tree.envelope);
  const references = signEnvelopeTree(tree, signer, digests, SIGN_IDS);
  if (enc) addEncryptionHeaderToTree(tree, enc);
  return { unsigned, xml: serializeXml(tree.envelope), references };
}

/** The result of `f`, or the error it throws (class name and message), to compare the two paths' failures. */
function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

interface Case {
  name: string;
  um: UserMessage;
  digests: AttachmentDigest[];
  mimeTypes: string[];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [0, 1, 3, 5]) {
    const atts = testAttachments(n);
    const um = testUserMessage(atts);
    out.push({ name: `${n} attachment(s)`, um, digests: atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })), mimeTypes: atts.map(() => "application/gzip") });
  }
  // Every value we write as text or attribute, with characters that need escaping or normalising.
  const cids = ["a&b'c@x", "plain@x", "\u00e6\u00f8\u00e5@x"];
  const base = testUserMessage();
  out.push({
    name: "values needing escaping, optional parts mixed",
    um: {
      ...base,
      messageId: `m&"'\u00e6x@host`,
      conversationId: NASTY,
      action: `act ${NASTY}`,
      service: { value: `svc ${NASTY}`, type: `type ${NASTY}` },
      originalSender: { type: `t1 ${NASTY}`, value: `0192:${NASTY}` },
      finalRecipient: { type: "iso6523-actorid-upis", value: `\t${NASTY}\r` },
      parts: [
        { href: `cid:${cids[0]}`, mimeType: `text/plain; a="${NASTY}"`, characterSet: "x&'{}~" },
        { href: `cid:${cids[1]}`, mimeType: "application/xml", compressionType: "application/gzip" },
        { href: `cid:${cids[2]}`, mimeType: "application/pdf", compressionType: "application/gzip", characterSet: "UTF-8" },
      ],
    },
    digests: cids.map((c) => ({ contentId: c, sha256: sha256(c) })),
    mimeTypes: [`text/plain; a="${NASTY}"`, "application/gzip", "application/gzip"],
  });
  out.push({ name: "a service without type, empty values", um: { ...base, service: { value: PEPPOL.testService }, action: "", conversationId: "" }, digests: [], mimeTypes: [] });
  return out;
}

describe("as4: envelopes built and signed without a DOM (envelope-text)", () => {
  for (const c of cases()) {
    it(`UserMessage, ${c.name}: the DOM path's bytes, unsigned, signed and with the encryption header`, () => {
      const dom = outcome(() => domUserMessage(c.um, c.digests, c.digests.length > 0 ? encryption(c.digests, c.mimeTypes) : undefined));
      const tree = outcome(() => treeUserMessage(c.um, c.digests, c.digests.length > 0 ? encryption(c.digests, c.mimeTypes) : undefined));
      expect(dom).not.to.have.property("error");
      expect(tree).to.deep.equal(dom);
      if ("error" in tree) return;
      expect(tree.unsigned).to.equal(buildUserMessageEnvelope(c.um, FIXED_IDS));
      const byCid = new Map(c.digests.map((d) => [d.contentId, d.sha256]));
      const verified = verifyEnvelope(tree.xml, { attachmentDigest: (cid) => byCid.get(cid) }).references;
      expect(verified.map((r) => [r.uri, r.digestValue])).to.deep.equal(tree.references.map((r) => [r.uri, r.digestValue]));
    });
  }

  it("the values-needing-escaping case really carries them (escaped text, attributes, normalised CR)", () => {
    const c = cases().find((x) => x.name.startsWith("values"))!;
    const { xml } = treeUserMessage(c.um, c.digests);
    expect(xml).to.contain("a &amp; b &lt; c &gt; d \" e ' f\tg\nh\ni\nj \u00e6\u00f8\u00e5");
    expect(xml).to.contain('type="t1 a &amp; b &lt; c &gt; d &quot; e \' f&#9;g&#13;h&#13;&#10;i&#10;j');
    expect(xml).to.contain('href="cid:a&amp;b\'c@x"');
  });

  it("fails as the DOM path does: bad ids, a message our inbound rules refuse, attachments not matching PartInfo", () => {
    const [att] = testAttachments(1);
    const um = testUserMessage([att!]);
    const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
    const attempts: [string, () => unknown, () => unknown][] = [
      ["id not an NCName", () => buildUserMessageDocument(um, { messagingId: "1x", bodyId: "b" }), () => buildUserMessageTree(um, { messagingId: "1x", bodyId: "b" })],
      ["same ids", () => buildUserMessageDocument(um, { messagingId: "a", bodyId: "a" }), () => buildUserMessageTree(um, { messagingId: "a", bodyId: "a" })],
      ["bad MessageId", () => buildUserMessageDocument({ ...um, messageId: "no-at" }, FIXED_IDS), () => buildUserMessageTree({ ...um, messageId: "no-at" }, FIXED_IDS)],
      ["bad MessageId and ids", () => buildUserMessageDocument({ ...um, messageId: "no-at" }, { messagingId: "1", bodyId: "b" }), () => buildUserMessageTree({ ...um, messageId: "no-at" }, { messagingId: "1", bodyId: "b" })],
      ["missing digest", () => domUserMessage(um, []), () => treeUserMessage(um, [])],
      ["extra digest", () => domUserMessage(um, [digest, { contentId: "other@x", sha256: sha256("") }]), () => treeUserMessage(um, [digest, { contentId: "other@x", sha256: sha256("") }])],
      ["short digest", () => domUserMessage(um, [{ ...digest, sha256: Buffer.alloc(20) }]), () => treeUserMessage(um, [{ ...digest, sha256: Buffer.alloc(20) }])],
      ["bad Content-ID", () => domUserMessage(um, [{ ...digest, contentId: "a b" }]), () => treeUserMessage(um, [{ ...digest, contentId: "a b" }])],
      ["short content key", () => domUserMessage(um, [digest], { ...encryption([digest], ["x"]), cek: Buffer.alloc(8) }), () => treeUserMessage(um, [digest], { ...encryption([digest], ["x"]), cek: Buffer.alloc(8) })],
      ["ids per attachment", () => domUserMessage(um, [digest], { ...encryption([digest], ["x"]), ids: { recipientToken: "r", encryptedKey: "k", encryptedData: [] } }), () => treeUserMessage(um, [digest], { ...encryption([digest], ["x"]), ids: { recipientToken: "r", encryptedKey: "k", encryptedData: [] } })],
    ];
    for (const [what, dom, tree] of attempts) {
      const expected = outcome(dom);
      expect(expected, what).to.have.property("error");
      expect(outcome(tree), what).to.deep.equal(expected);
    }
  });

  it("refuses to sign a tree twice, as the DOM path refuses a signed document", () => {
    const tree = buildUserMessageTree(testUserMessage(), FIXED_IDS);
    signEnvelopeTree(tree, signer, [], SIGN_IDS);
    expect(() => signEnvelopeTree(tree, signer, [], SIGN_IDS)).to.throw("the envelope is already signed");
  });
});

// ------------------------------------------------------------------------------------------------ receipts

/** ds:References in the shapes other stacks write them, parsed as a received message's are. */
const FOREIGN_SIGNED_INFOS = [
  // Default namespace for ds, InclusiveNamespaces under its own prefix, values needing escaping, whitespace.
  `<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>
     <Reference URI="#a&amp;b&quot;'&#9;&#10;&#13;&lt;&gt;\u00e6">
       <Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="S12 eb"/></Transform></Transforms>
       <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
       <DigestValue>  abc&#13;def &amp; &lt;x&gt; \u00e6\u00f8\u00e5 \u{1F600} </DigestValue>
     </Reference></SignedInfo></Signature></S12:Envelope>`,
  // Another prefix for ds, declared far up; an attribute in a foreign namespace; S12 bound to something else.
  `<x:root xmlns:x="urn:x" xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" xmlns:z="urn:z"><dsig:SignedInfo xmlns:S12="urn:not-soap">
     <dsig:Reference URI="cid:p1@x" z:extra="v&quot;"><dsig:Transforms><dsig:Transform Algorithm="http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform"/></dsig:Transforms><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue>AAAA</dsig:DigestValue></dsig:Reference>
     <dsig:Reference xmlns:S12="urn:redeclared" URI=""><dsig:DigestValue>BBBB</dsig:DigestValue><Extra xmlns="">no namespace under none</Extra></dsig:Reference></dsig:SignedInfo></x:root>`,
  // ds declared on the Reference itself, a default namespace inside it, and an element undeclaring it.
  `<root><ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns="urn:default" URI="#x"><Inner a="1" b="2"><Deeper xmlns="">t</Deeper></Inner><ds:DigestValue></ds:DigestValue></ds:Reference></root>`,
];

function parsedReferences(xml: string): Element[] {
  return selectElements("//ds:Reference", parseXml(xml));
}

function receiptBothWays(receipt: ReceiptInput, ids = FIXED_IDS): { dom: unknown; tree: unknown } {
  const dom = outcome(() => signEnvelopeWithReferences(buildReceiptDocument(receipt, ids), signer, [], SIGN_IDS));
  const tree = outcome(() => {
    const t = buildReceiptTree(receipt, ids);
    if (t === undefined) throw new Error("no tree");
    return signEnvelopeWithReferences(t, signer, [], SIGN_IDS);
  });
  return { dom, tree };
}

describe("as4: receipts and error signals built and signed without a DOM (envelope-text)", () => {
  for (const n of [0, 1, 3]) {
    it(`a receipt for our own UserMessage with ${n} attachment(s): the DOM path's bytes`, () => {
      const atts = testAttachments(n);
      const digests = atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) }));
      const received = verifyEnvelope(signEnvelope(buildUserMessageEnvelope(testUserMessage(atts), FIXED_IDS), signer, digests), {
        attachmentDigest: (cid) => digests.find((d) => d.contentId === cid)?.sha256,
      });
      const receipt: ReceiptInput = { messageId: `r-${n}@dpi-ap.test`, timestamp: new Date("2026-03-01T12:35:00.000Z"), refToMessageId: "x@y", references: received.signedInfoReferenceNodes };
      const { dom, tree } = receiptBothWays(receipt, { messagingId: "msg-r", bodyId: "body-r" });
      expect(tree).to.deep.equal(dom);
      expect(verifyEnvelope((tree as { xml: string }).xml, { attachmentDigest: () => undefined }).references).to.have.length(2);
    });
  }

  it("a receipt repeating references xml-crypto wrote: the DOM path's bytes", () => {
    const [att] = testAttachments(1);
    const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
    const foreign = signWithXmlCrypto(buildUserMessageEnvelope(testUserMessage([att!]), FIXED_IDS), signer, [digest]).xml;
    const received = verifyEnvelope(foreign, { attachmentDigest: () => digest.sha256 });
    const { dom, tree } = receiptBothWays({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: received.signedInfoReferenceNodes });
    expect(tree).to.deep.equal(dom);
  });

  for (const [i, xml] of FOREIGN_SIGNED_INFOS.entries()) {
    it(`a receipt repeating foreign-shaped references (${i + 1}): the DOM path's bytes`, () => {
      const references = parsedReferences(xml);
      expect(references.length).to.be.greaterThan(0);
      const receipt: ReceiptInput = { messageId: `r&<>"'${i}@x`, timestamp: new Date(0), refToMessageId: NASTY, references };
      const { dom, tree } = receiptBothWays(receipt);
      expect(dom).to.have.property("xml");
      expect(tree).to.deep.equal(dom);
      verifyEnvelope((tree as { xml: string }).xml, { attachmentDigest: () => undefined });
    });
  }

  it("a receipt repeating references phase4 and Governikus wrote (vectors): the DOM path's bytes", function () {
    const files = ["as4/phase4-receipt.as4in", "as4/governikus-receipt.as4in"].filter((f) => existsSync(VECTORS + f));
    if (files.length === 0) this.skip();
    for (const f of files) {
      let text = readFileSync(VECTORS + f, "utf8");
      text = text.slice(/\r?\n\r?\n/.exec(text)!.index).trim();
      const references = selectElements("//ebbp:MessagePartNRInformation/ds:Reference", parseXml(text));
      expect(references.length, f).to.be.greaterThan(0);
      const { dom, tree } = receiptBothWays({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references });
      expect(tree, f).to.deep.equal(dom);
    }
  });

  it("references holding a comment or CDATA are left to the DOM path", () => {
    // (Processing instructions our parser refuses.)
    for (const inner of ["<!-- note -->", "<![CDATA[x]]>"]) {
      const references = parsedReferences(`<ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" URI="#a"><ds:DigestValue>A${inner}</ds:DigestValue></ds:Reference>`);
      expect(buildReceiptTree({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references }, FIXED_IDS), inner).to.equal(undefined);
    }
  });

  it("a receipt without references, or with something else than a ds:Reference, fails as the DOM path does", () => {
    const other = parseXml(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`).documentElement!;
    for (const references of [[], [other]]) {
      const { dom, tree } = receiptBothWays({ messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references });
      expect(dom).to.have.property("error");
      expect(tree).to.deep.equal(dom);
    }
  });

  const errorInputs: [string, ErrorSignalInput][] = [
    ["one of our EbmsErrors", { messageId: "e1@x", timestamp: new Date(0), refToMessageId: "x@y", errors: [errorEntryOf(new EbmsError("EBMS:0004", NASTY, { refToMessageId: "x@y" }))] }],
    ["several entries, optional parts absent", {
      messageId: "e2@x",
      timestamp: new Date("2026-03-01T12:35:00.000Z"),
      errors: [
        { errorCode: "EBMS:0101", severity: "failure" },
        { errorCode: `c${NASTY}`, severity: NASTY, category: NASTY, origin: NASTY, refToMessageInError: NASTY, shortDescription: NASTY, description: { lang: `l${NASTY}`, text: NASTY }, errorDetail: NASTY },
        { errorCode: "EBMS:0202", severity: "warning", description: { lang: "en", text: "" } },
      ],
    }],
  ];
  for (const [name, input] of errorInputs) {
    it(`an error signal, ${name}: the DOM path's bytes`, () => {
      const dom = signEnvelopeWithReferences(buildErrorDocument(input, FIXED_IDS), signer, [], SIGN_IDS);
      const tree = signEnvelopeWithReferences(buildErrorTree(input, FIXED_IDS), signer, [], SIGN_IDS);
      expect(tree).to.deep.equal(dom);
      verifyEnvelope(tree.xml, { attachmentDigest: () => undefined });
    });
  }

  it("an error signal without errors fails as the DOM path does", () => {
    const input = { messageId: "e@x", timestamp: new Date(0), errors: [] };
    expect(outcome(() => buildErrorTree(input, FIXED_IDS))).to.deep.equal(outcome(() => buildErrorDocument(input, FIXED_IDS)));
  });
});
