import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EbmsError } from "../../src/as4/ebms-errors.js";
import type { EncryptionHeaderInput } from "../../src/as4/encrypt.js";
import type { EnvelopeIds } from "../../src/as4/envelope.js";
import { PEPPOL } from "../../src/as4/namespaces.js";
import { errorEntryOf, type ErrorSignalInput, type ReceiptInput } from "../../src/as4/signal-message.js";
import type { UserMessage } from "../../src/as4/user-message.js";
import { signEnvelope, type AttachmentDigest, type Signer } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import type { DsReference } from "../../src/xml/dsig-reference.js";
import { parseXml } from "../../src/xml/safe-parse.js";
import { selectElements } from "../../src/xml/xpath.js";
import { signWithXmlCrypto } from "../helpers/xml-crypto-sign.js";
import { FIXED_IDS, sha256, testAttachments, testUserMessage } from "./sign-fixtures.js";

/**
 * The spread of inputs whose envelopes test/as4/fixtures/envelope-golden.json holds: the bytes the xmldom
 * builders (removed since) wrote for each, unsigned, signed and with the encryption header, and the message of
 * each failure. test/as4/envelope-text.test.ts holds the tree builders to them byte for byte. The fixture also
 * keeps the keys it was signed with, so it does not depend on certs-example being regenerated.
 */

export const SIGN_IDS = { bstId: "X509-fixed", signatureId: "SIG-fixed" };

/** Needs escaping in text (& < >), in attributes (& < > " TAB LF CR), and normalising (CR); plus ' and non-ASCII. */
export const NASTY = `a & b < c > d " e ' f\tg\rh\r\ni\nj \u00e6\u00f8\u00e5 \u00df \u4e2d \u{1F600} ]]> &amp;`;

const VECTORS = fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));
const VECTOR_FILES = ["as4/phase4-receipt.as4in", "as4/governikus-receipt.as4in"];

export interface Signed {
  xml: string;
  references: DsReference[];
}

/** How one implementation builds, signs and encrypts; the golden cases run against it. */
export interface Builders {
  /** Unsigned envelope text, the signed one (with the encryption header when `enc` is given), the references. */
  userMessage(um: UserMessage, ids: EnvelopeIds, digests: readonly AttachmentDigest[], enc?: EncryptionHeaderInput): Signed & { unsigned: string };
  receipt(receipt: ReceiptInput, ids: EnvelopeIds): Signed;
  error(input: ErrorSignalInput, ids: EnvelopeIds): Signed;
}

/** The result of `f`, or the error it throws (class name and message), as JSON would keep it. */
export function outcome(f: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(f()));
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

export function encryption(recipient: Signer["certificate"], digests: readonly AttachmentDigest[], mimeTypes: readonly string[]): EncryptionHeaderInput {
  return {
    cek: Buffer.alloc(16, 7),
    recipient,
    attachments: digests.map((d, i) => ({ contentId: d.contentId, mimeType: mimeTypes[i]! })),
    ids: { recipientToken: "X509-recipient", encryptedKey: "EK-1", encryptedData: digests.map((_, i) => `ED-${i}`) },
    wrappedKey: Buffer.alloc(256, 3),
  };
}

interface UserMessageCase {
  name: string;
  um: UserMessage;
  digests: AttachmentDigest[];
  mimeTypes: string[];
}

export function userMessageCases(): UserMessageCase[] {
  const out: UserMessageCase[] = [];
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
  out.push({ name: "carriage returns a parser would change", um: { ...base, conversationId: "line one\r\nline two\rline three & <four> \"five\" \u00e6\u00f8\u00e5 \u{1F600}" }, digests: [], mimeTypes: [] });
  return out;
}

/** ds:References in the shapes other stacks write them, parsed as a received message's are. */
export const FOREIGN_SIGNED_INFOS = [
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

/** References only the DOM path copies: a comment, CDATA (with a CR), nesting deeper than the tree copies. */
export const DOM_ONLY_REFERENCES: [string, string][] = [
  ["a comment", `<ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" URI="#a"><ds:DigestValue>A<!-- note &amp; -->B</ds:DigestValue></ds:Reference>`],
  ["CDATA", `<ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" URI="#a"><ds:DigestValue><![CDATA[x & <y>\r\nz]]></ds:DigestValue><ds:Other>t&#13;u</ds:Other></ds:Reference>`],
  ["nesting 70 deep", `<ds:Reference xmlns:ds="http://www.w3.org/2000/09/xmldsig#" URI="#a">${"<e>".repeat(70)}deep &amp; \u00e6${"</e>".repeat(70)}</ds:Reference>`],
];

export function parsedReferences(xml: string): Element[] {
  return selectElements("//ds:Reference", parseXml(xml));
}

function receiptCases(signer: Signer, envelopeText: (um: UserMessage) => string): [string, ReceiptInput, EnvelopeIds][] {
  const out: [string, ReceiptInput, EnvelopeIds][] = [];
  for (const n of [0, 1, 3]) {
    const atts = testAttachments(n);
    const digests = atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) }));
    const received = verifyEnvelope(signEnvelope(envelopeText(testUserMessage(atts)), signer, digests), {
      attachmentDigest: (cid) => digests.find((d) => d.contentId === cid)?.sha256,
    });
    const receipt: ReceiptInput = { messageId: `r-${n}@dpi-ap.test`, timestamp: new Date("2026-03-01T12:35:00.000Z"), refToMessageId: "x@y", references: received.signedInfoReferenceNodes };
    out.push([`our own UserMessage with ${n} attachment(s)`, receipt, { messagingId: "msg-r", bodyId: "body-r" }]);
  }
  const [att] = testAttachments(1);
  const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
  const foreign = signWithXmlCrypto(envelopeText(testUserMessage([att!])), signer, [digest]).xml;
  const received = verifyEnvelope(foreign, { attachmentDigest: () => digest.sha256 });
  out.push(["references xml-crypto wrote", { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: received.signedInfoReferenceNodes }, FIXED_IDS]);
  for (const [i, xml] of FOREIGN_SIGNED_INFOS.entries()) {
    out.push([`foreign-shaped references (${i + 1})`, { messageId: `r&<>"'${i}@x`, timestamp: new Date(0), refToMessageId: NASTY, references: parsedReferences(xml) }, FIXED_IDS]);
  }
  for (const [name, xml] of DOM_ONLY_REFERENCES) {
    out.push([`references holding ${name}`, { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: parsedReferences(xml) }, FIXED_IDS]);
  }
  for (const f of VECTOR_FILES) {
    if (!existsSync(VECTORS + f)) continue;
    let text = readFileSync(VECTORS + f, "utf8");
    text = text.slice(/\r?\n\r?\n/.exec(text)!.index).trim();
    const references = selectElements("//ebbp:MessagePartNRInformation/ds:Reference", parseXml(text));
    out.push([`references from the vector ${f}`, { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references }, FIXED_IDS]);
  }
  const other = parseXml(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`).documentElement!;
  out.push(["no references", { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: [] }, FIXED_IDS]);
  out.push(["a ds:Signature instead of a reference", { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: [other] }, FIXED_IDS]);
  out.push(["no references and bad ids", { messageId: "r@x", timestamp: new Date(0), refToMessageId: "x@y", references: [] }, { messagingId: "1", bodyId: "b" }]);
  return out;
}

const ERROR_INPUTS: [string, ErrorSignalInput][] = [
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
  ["no errors", { messageId: "e@x", timestamp: new Date(0), errors: [] }],
];

/**
 * Every golden case: its key in the fixture and how to get its outcome from `b`. `signer` and `recipient` are the
 * fixture's keys; `unsigned` builds the received UserMessage the receipt cases answer.
 */
export function goldenCases(b: Builders, signer: Signer, recipient: Signer["certificate"], unsigned: (um: UserMessage) => string): [string, () => unknown][] {
  const out: [string, () => unknown][] = [];
  for (const c of userMessageCases()) {
    const enc = c.digests.length > 0 ? encryption(recipient, c.digests, c.mimeTypes) : undefined;
    out.push([`UserMessage, ${c.name}`, () => b.userMessage(c.um, FIXED_IDS, c.digests, enc)]);
  }
  const [att] = testAttachments(1);
  const um = testUserMessage([att!]);
  const digest = { contentId: att!.contentId, sha256: sha256(att!.bytes) };
  const failures: [string, UserMessage, EnvelopeIds, AttachmentDigest[], EncryptionHeaderInput?][] = [
    ["id not an NCName", um, { messagingId: "1x", bodyId: "b" }, [digest]],
    ["same ids", um, { messagingId: "a", bodyId: "a" }, [digest]],
    ["bad MessageId", { ...um, messageId: "no-at" }, FIXED_IDS, [digest]],
    ["bad MessageId and ids", { ...um, messageId: "no-at" }, { messagingId: "1", bodyId: "b" }, [digest]],
    ["a part that is not an attachment", { ...um, parts: [{ href: "body", mimeType: "application/xml" }] }, FIXED_IDS, []],
    ["missing digest", um, FIXED_IDS, []],
    ["extra digest", um, FIXED_IDS, [digest, { contentId: "other@x", sha256: sha256("") }]],
    ["short digest", um, FIXED_IDS, [{ ...digest, sha256: Buffer.alloc(20) }]],
    ["bad Content-ID", um, FIXED_IDS, [{ ...digest, contentId: "a b" }]],
    ["short content key", um, FIXED_IDS, [digest], { ...encryption(recipient, [digest], ["x"]), cek: Buffer.alloc(8) }],
    ["no attachments to encrypt", um, FIXED_IDS, [digest], { ...encryption(recipient, [digest], ["x"]), attachments: [] }],
    ["ids per attachment", um, FIXED_IDS, [digest], { ...encryption(recipient, [digest], ["x"]), ids: { recipientToken: "r", encryptedKey: "k", encryptedData: [] } }],
  ];
  for (const [name, m, ids, digests, enc] of failures) out.push([`UserMessage fails: ${name}`, () => b.userMessage(m, ids, digests, enc)]);
  for (const [name, receipt, ids] of receiptCases(signer, unsigned)) out.push([`receipt, ${name}`, () => b.receipt(receipt, ids)]);
  for (const [name, input] of ERROR_INPUTS) out.push([`error signal, ${name}`, () => b.error(input, FIXED_IDS)]);
  return out;
}
