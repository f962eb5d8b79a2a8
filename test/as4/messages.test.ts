import { expect } from "chai";
import { EBMS_ERRORS, EbmsError, PEPPOL_NOT_SERVICED, type EbmsErrorCode } from "../../src/as4/ebms-errors.js";
import { buildEnvelopeTree } from "../../src/as4/envelope.js";
import { serializeXml, xmlAttr, xmlElement } from "../../src/xml/xml-text.js";
import { NS, PEPPOL } from "../../src/as4/namespaces.js";
import {
  buildErrorEnvelope,
  buildReceiptEnvelope,
  checkReceipt,
  errorEntryOf,
  isNotServiced,
  parseSignalMessages,
  type ReceiptSignal,
} from "../../src/as4/signal-message.js";
import { messagingKind, parseSoapEnvelope } from "../../src/as4/soap-parse.js";
import {
  buildUserMessageEnvelope,
  contentIdOf,
  generateMessageId,
  parseUserMessage,
  parseXsDateTime,
  readUserMessage,
  type UserMessage,
} from "../../src/as4/user-message.js";
import { signedReferencesOf, signEnvelope } from "../../src/as4/wss-sign.js";
import { verifyEnvelope } from "../../src/as4/wss-verify.js";
import { selectElements } from "../../src/xml/xpath.js";
import { FIXED_IDS, sha256, testAttachments, testSigner, testUserMessage } from "./sign-fixtures.js";

function parseUser(xml: string): UserMessage {
  return parseUserMessage(parseSoapEnvelope(xml).messaging);
}

function ebmsError(fn: () => unknown): EbmsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EbmsError) return e;
    throw e;
  }
  expect.fail("expected an EbmsError");
}

function expectCode(fn: () => unknown, code: EbmsErrorCode, detail?: RegExp): EbmsError {
  const e = ebmsError(fn);
  expect(e.code, e.message).to.equal(code);
  if (detail) expect(e.detail).to.match(detail);
  return e;
}

const BASE = buildUserMessageEnvelope(testUserMessage(testAttachments(1)), FIXED_IDS);

/** Replace exactly one occurrence, so a typo in a test cannot silently test nothing. */
function edit(xml: string, from: string | RegExp, to: string): string {
  const count = typeof from === "string" ? xml.split(from).length - 1 : (xml.match(new RegExp(from, "g")) ?? []).length;
  expect(count, `occurrences of ${from}`).to.equal(1);
  return xml.replace(from, to);
}

describe("as4/ebms-errors", () => {
  it("has one row for every ebMS 3 / AS4 code", () => {
    expect(Object.keys(EBMS_ERRORS)).to.deep.equal([
      "EBMS:0001", "EBMS:0002", "EBMS:0003", "EBMS:0004", "EBMS:0005", "EBMS:0006", "EBMS:0007", "EBMS:0008",
      "EBMS:0009", "EBMS:0010", "EBMS:0011", "EBMS:0101", "EBMS:0102", "EBMS:0103", "EBMS:0201", "EBMS:0202",
      "EBMS:0301", "EBMS:0302", "EBMS:0303",
    ]);
    expect(EBMS_ERRORS["EBMS:0101"]).to.include({ shortDescription: "FailedAuthentication", severity: "failure", category: "Processing", origin: "security" });
    expect(EBMS_ERRORS["EBMS:0002"].severity).to.equal("warning");
    expect(EBMS_ERRORS["EBMS:0006"].severity).to.equal("warning");
    expect(EBMS_ERRORS["EBMS:0303"].shortDescription).to.equal("DecompressionFailure");
  });

  it("EbmsError carries code, detail, reference and the table's row", () => {
    const e = new EbmsError("EBMS:0009", "no PartyId", { refToMessageId: "a@b" });
    expect(e).to.include({ code: "EBMS:0009", detail: "no PartyId", refToMessageId: "a@b", shortDescription: "InvalidHeader" });
    expect(e.category).to.equal("Unpackaging");
    expect(e.message).to.contain("EBMS:0009");
    expect(e.withRefToMessageId("c@d").refToMessageId).to.equal("a@b");
    expect(new EbmsError("EBMS:0004", "x").withRefToMessageId("c@d").refToMessageId).to.equal("c@d");
  });

  it("notServiced is EBMS:0004 with PEPPOL:NOT_SERVICED", () => {
    const e = EbmsError.notServiced("m@x");
    expect(e).to.include({ code: "EBMS:0004", detail: PEPPOL_NOT_SERVICED, refToMessageId: "m@x" });
  });
});

describe("as4/envelope", () => {
  it("builds S12:Envelope/S12:Header/{wsse:Security, eb:Messaging}/S12:Body with ids and mustUnderstand", () => {
    const xml = serializeXml(buildEnvelopeTree({ messagingId: "m-1", bodyId: "b-1" }, () => xmlElement("eb:SignalMessage", NS.eb)).envelope);
    const doc = parseSoapEnvelope(xml);
    expect(doc.security!.getAttributeNS(NS.S12, "mustUnderstand")).to.equal("true");
    expect(doc.messaging.getAttributeNS(NS.S12, "mustUnderstand")).to.equal("true");
    expect(doc.messaging.getAttributeNS(NS.wsu, "Id")).to.equal("m-1");
    expect(doc.body.getAttributeNS(NS.wsu, "Id")).to.equal("b-1");
    expect(doc.body.childNodes.length).to.equal(0);
    expect(doc.header.firstChild).to.equal(doc.security);
  });

  it("refuses ids that are not NCNames or collide", () => {
    const content = () => xmlElement("eb:SignalMessage", NS.eb);
    expect(() => buildEnvelopeTree({ messagingId: "1abc", bodyId: "b" }, content)).to.throw(/NCName/);
    expect(() => buildEnvelopeTree({ messagingId: "a", bodyId: "a" }, content)).to.throw(/different/);
  });
});

describe("as4/soap-parse", () => {
  it("rejects SOAP 1.1, a missing Body, two Messaging headers, DOCTYPE and PI with EBMS:0009", () => {
    expectCode(() => parseSoapEnvelope(BASE.replaceAll(NS.S12, "http://schemas.xmlsoap.org/soap/envelope/")), "EBMS:0009", /SOAP 1.2/);
    expectCode(() => parseSoapEnvelope(edit(BASE, /<S12:Body[^>]*\/>/, "")), "EBMS:0009", /Header followed by a Body/);
    const messaging = /<eb:Messaging[\s\S]*<\/eb:Messaging>/.exec(BASE)![0];
    expectCode(() => parseSoapEnvelope(BASE.replace(messaging, messaging + messaging)), "EBMS:0009", /exactly one eb:Messaging/);
    expectCode(() => parseSoapEnvelope("<!DOCTYPE x>" + BASE), "EBMS:0009", /doctype/i);
    expectCode(() => parseSoapEnvelope(edit(BASE, "<eb:UserMessage>", "<eb:UserMessage><?x y?>")), "EBMS:0009", /processing instruction/);
  });

  it("classifies Messaging content and refuses mixing", () => {
    expect(messagingKind(parseSoapEnvelope(BASE).messaging)).to.equal("UserMessage");
    const user = /<eb:UserMessage>[\s\S]*<\/eb:UserMessage>/.exec(BASE)![0];
    expectCode(() => messagingKind(parseSoapEnvelope(BASE.replace(user, user + user)).messaging), "EBMS:0009", /one UserMessage/);
    expectCode(() => messagingKind(parseSoapEnvelope(BASE.replace(user, user + "<eb:SignalMessage/>")).messaging), "EBMS:0009", /combine/);
    expectCode(() => messagingKind(parseSoapEnvelope(BASE.replace(user, "")).messaging), "EBMS:0009", /neither/);
  });
});

describe("as4/user-message", () => {
  for (const n of [0, 1, 2]) {
    it(`round-trips a UserMessage with ${n} part(s)`, () => {
      const um = testUserMessage(testAttachments(n));
      expect(parseUser(buildUserMessageEnvelope(um))).to.deep.equal(um);
    });
  }

  it("writes the Peppol fixed values", () => {
    const doc = parseSoapEnvelope(BASE).messaging;
    const one = (xp: string) => selectElements(xp, doc);
    expect(one("eb:UserMessage/eb:PartyInfo/eb:From/eb:PartyId")[0]!.getAttribute("type")).to.equal(PEPPOL.partyIdType);
    expect(one("eb:UserMessage/eb:PartyInfo/eb:To/eb:Role")[0]!.textContent).to.equal(PEPPOL.responderRole);
    const agreement = one("eb:UserMessage/eb:CollaborationInfo/eb:AgreementRef")[0]!;
    expect(agreement.textContent).to.equal(PEPPOL.agreementRef);
    expect(agreement.attributes.length).to.equal(0);
    expect(one("eb:UserMessage/eb:PayloadInfo/eb:PartInfo")[0]!.getAttribute("href")).to.match(/^cid:att-1-/);
  });

  it("generates uuid@host message ids and reads content ids", () => {
    expect(generateMessageId("ap.example", () => "u-1")).to.equal("u-1@ap.example");
    expect(generateMessageId("ap.example")).to.match(/^[0-9a-f-]{36}@ap\.example$/);
    expect(contentIdOf({ href: "cid:x@y" })).to.equal("x@y");
  });

  it("refuses to build what it would reject", () => {
    expectCode(() => buildUserMessageEnvelope({ ...testUserMessage(), messageId: "no-at-sign" }), "EBMS:0009");
    expectCode(() => buildUserMessageEnvelope({ ...testUserMessage(), parts: [{ href: "body", mimeType: "application/xml" }] }), "EBMS:0009");
  });

  it("reads tolerantly: whitespace in values, other prefixes, fractional seconds and offsets", () => {
    const loose = BASE.replaceAll("eb:", "ns7:")
      .replace("xmlns:eb=", "xmlns:ns7=")
      .replace("2026-03-01T12:34:56.789Z", "\n  2026-03-01T13:34:56.7891234+01:00 ")
      .replace(/(<ns7:Action>)([^<]*)(<\/ns7:Action>)/, "$1\n      $2\n    $3")
      .replace(/(<ns7:PartyId type="[^"]*">)([^<]*)/, "$1 $2\n");
    expect(loose).to.contain("ns7:Messaging");
    expect(parseUser(loose)).to.deep.equal(testUserMessage(testAttachments(1)));
  });

  it("accepts the AS4 test service without a type, but no other service without one", () => {
    const noType = edit(BASE, / type="cenbii-procid-ubl"/, "");
    expectCode(() => parseUser(noType), "EBMS:0009", /Service must have a type/);
    const ping = noType.replace(/(<eb:Service>)[^<]*/, `$1${PEPPOL.testService}`);
    expect(parseUser(ping).service).to.deep.equal({ value: PEPPOL.testService });
  });

  describe("rejects what the Peppol profile forbids", () => {
    const partyFrom = /<eb:PartyId type="[^"]*">PNO000001<\/eb:PartyId>/;
    const cases: [string, string, EbmsErrorCode, RegExp][] = [
      ["missing From PartyId", edit(BASE, partyFrom, ""), "EBMS:0009", /From has no PartyId/],
      ["duplicate PartyId", BASE.replace(partyFrom, (m) => m + m), "EBMS:0009", /exactly one PartyId/],
      ["foreign PartyId type", BASE.replace(partyFrom, (m) => m.replace(PEPPOL.partyIdType, "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088")), "EBMS:0010", /PartyId\/@type/],
      ["wrong role", edit(BASE, `<eb:Role>${PEPPOL.initiatorRole}</eb:Role>`, "<eb:Role>Seller</eb:Role>"), "EBMS:0010", /From\/Role/],
      ["AgreementRef with type", edit(BASE, "<eb:AgreementRef>", '<eb:AgreementRef type="x">'), "EBMS:0010", /type attribute/],
      ["AgreementRef with pmode", edit(BASE, "<eb:AgreementRef>", '<eb:AgreementRef pmode="p">'), "EBMS:0010", /pmode/],
      ["other AgreementRef", edit(BASE, PEPPOL.agreementRef, "urn:other"), "EBMS:0010", /AgreementRef must be/],
      ["missing AgreementRef", edit(BASE, /<eb:AgreementRef>[^<]*<\/eb:AgreementRef>/, ""), "EBMS:0009", /AgreementRef is missing/],
      ["missing originalSender", edit(BASE, /<eb:Property name="originalSender"[^>]*>[^<]*<\/eb:Property>/, ""), "EBMS:0009", /originalSender/],
      ["finalRecipient without type", edit(BASE, 'name="finalRecipient" type="iso6523-actorid-upis"', 'name="finalRecipient"'), "EBMS:0009", /finalRecipient must have a type/],
      ["PartInfo without cid: href", edit(BASE, 'href="cid:', 'href="#'), "EBMS:0009", /cid: href/],
      ["PartInfo without href", edit(BASE, / href="cid:[^"]*"/, ""), "EBMS:0009", /cid: href/],
      ["PartInfo without MimeType", edit(BASE, /<eb:Property name="MimeType">[^<]*<\/eb:Property>/, ""), "EBMS:0009", /MimeType/],
      ["repeated part property", edit(BASE, '<eb:Property name="CharacterSet">UTF-8</eb:Property>', '<eb:Property name="CharacterSet">UTF-8</eb:Property><eb:Property name="CharacterSet">x</eb:Property>'), "EBMS:0009", /repeats property/],
      ["unknown compression", edit(BASE, ">application/gzip<", ">application/zstd<"), "EBMS:0010", /CompressionType/],
      ["MessageId without @", edit(BASE, "@dpi-ap.test</eb:MessageId>", "</eb:MessageId>"), "EBMS:0009", /left@right/],
      ["RefToMessageId on a UserMessage", edit(BASE, "</eb:MessageId>", "</eb:MessageId><eb:RefToMessageId>x@y</eb:RefToMessageId>"), "EBMS:0009", /RefToMessageId/],
      ["non-default MPC", edit(BASE, "<eb:UserMessage>", '<eb:UserMessage mpc="urn:other">'), "EBMS:0010", /MPC/],
      ["bad timestamp", edit(BASE, "2026-03-01T12:34:56.789Z", "yesterday"), "EBMS:0009", /xs:dateTime/],
      ["missing Action", edit(BASE, /<eb:Action>[^<]*<\/eb:Action>/, ""), "EBMS:0009", /no Action/],
      ["two ConversationIds", edit(BASE, /<eb:ConversationId>[^<]*<\/eb:ConversationId>/, "<eb:ConversationId>a</eb:ConversationId><eb:ConversationId>b</eb:ConversationId>"), "EBMS:0009", /2 ConversationId/],
    ];
    for (const [name, xml, code, detail] of cases) {
      it(`${name} → ${code}`, () => {
        const e = expectCode(() => parseUser(xml), code, detail);
        if (!/MessageId without @/.test(name)) expect(e.refToMessageId).to.equal(testUserMessage().messageId);
      });
    }

    it("more than one UserMessage → EBMS:0009", () => {
      const user = /<eb:UserMessage>[\s\S]*<\/eb:UserMessage>/.exec(BASE)![0];
      expectCode(() => readUserMessage(parseSoapEnvelope(BASE.replace(user, user + user)).messaging), "EBMS:0009", /exactly one eb:UserMessage/);
    });
  });

  describe("parseXsDateTime", () => {
    const cases: [string, string][] = [
      ["2023-03-09T10:23:26.8542515+01:00", "2023-03-09T09:23:26.854Z"],
      ["2022-03-07T17:41:28.705Z", "2022-03-07T17:41:28.705Z"],
      ["2022-03-07T17:41:28", "2022-03-07T17:41:28.000Z"],
      ["2022-03-07T17:41:28.7-02:30", "2022-03-07T20:11:28.700Z"],
      ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ];
    for (const [text, iso] of cases) it(`${text} → ${iso}`, () => expect(parseXsDateTime(text).toISOString()).to.equal(iso));
    for (const bad of ["2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-01-01T24:00:00Z", "2023-01-01 00:00:00Z", "2023-01-01T00:00:00+15:00", "0099-01-01T00:00:00Z"]) {
      it(`rejects ${bad}`, () => expectCode(() => parseXsDateTime(bad), "EBMS:0009"));
    }
  });
});

describe("as4/signal-message", () => {
  const atts = testAttachments(2);
  const um = testUserMessage(atts);
  const signedUserMessage = signEnvelope(
    buildUserMessageEnvelope(um),
    testSigner(),
    atts.map((a) => ({ contentId: a.contentId, sha256: sha256(a.bytes) })),
  );
  const digests = new Map(atts.map((a) => [a.contentId, sha256(a.bytes)]));
  const verified = verifyEnvelope(signedUserMessage, { attachmentDigest: (c) => digests.get(c) });
  const receiptXml = buildReceiptEnvelope({
    messageId: "r-1@receiver.test",
    timestamp: new Date("2026-03-01T12:35:00Z"),
    refToMessageId: um.messageId,
    references: verified.signedInfoReferenceNodes,
  });

  function parseReceipt(xml: string): ReceiptSignal {
    const [signal] = parseSignalMessages(parseSoapEnvelope(xml).messaging);
    expect(signal!.kind).to.equal("receipt");
    return signal as ReceiptSignal;
  }

  it("builds a receipt that copies every signed reference verbatim", () => {
    const receipt = parseReceipt(receiptXml);
    expect(receipt.info).to.deep.equal({ messageId: "r-1@receiver.test", timestamp: new Date("2026-03-01T12:35:00Z"), refToMessageId: um.messageId });
    expect(receipt.nonRepudiation).to.equal(true);
    expect(receipt.references).to.deep.equal(signedReferencesOf(signedUserMessage));
    expect(receipt.references.map((r) => r.uri.slice(0, 4))).to.deep.equal(["#msg", "#bod", "cid:", "cid:"]);
    expect(receipt.references[0]!.transforms[0]!.inclusiveNamespaces).to.deep.equal(["S12"]);
    const nri = selectElements("//ebbp:MessagePartNRInformation/ds:Reference", parseSoapEnvelope(receiptXml).document);
    expect(nri).to.have.length(4);
  });

  it("a receipt acknowledging exactly what we signed passes checkReceipt", () => {
    checkReceipt(parseReceipt(receiptXml), { messageId: um.messageId, references: signedReferencesOf(signedUserMessage) });
  });

  it("checkReceipt rejects another message, a changed digest, a missing or an extra reference (EBMS:0302)", () => {
    const sent = { messageId: um.messageId, references: signedReferencesOf(signedUserMessage) };
    const receipt = parseReceipt(receiptXml);
    expectCode(() => checkReceipt(receipt, { ...sent, messageId: "other@x" }), "EBMS:0302", /acknowledges/);
    const changed = { ...receipt, references: receipt.references.map((r, i) => (i === 2 ? { ...r, digestValue: sha256("x").toString("base64") } : r)) };
    expectCode(() => checkReceipt(changed, sent), "EBMS:0302", /does not confirm/);
    expectCode(() => checkReceipt({ ...receipt, references: receipt.references.slice(1) }, sent), "EBMS:0302", /does not confirm/);
    expectCode(() => checkReceipt(receipt, { ...sent, references: sent.references.slice(1) }), "EBMS:0302", /did not sign/);
    expectCode(() => checkReceipt({ ...receipt, nonRepudiation: false, references: [] }, sent), "EBMS:0302", /NonRepudiation/);
  });

  it("the receipt can itself be signed and verified", () => {
    const signed = signEnvelope(receiptXml, testSigner("POP000002"), []);
    const v = verifyEnvelope(signed, { attachmentDigest: () => undefined });
    expect(v.references.map((r) => r.target)).to.deep.equal(["messaging", "body"]);
    expect(parseReceipt(signed).references).to.have.length(4);
  });

  it("builds and parses Error signals with every attribute, Description and ErrorDetail", () => {
    const errors = [EbmsError.notServiced(um.messageId), new EbmsError("EBMS:0303", "bad gzip", { refToMessageId: um.messageId })];
    const xml = buildErrorEnvelope({ messageId: "e-1@receiver.test", timestamp: new Date("2026-03-01T12:35:00Z"), refToMessageId: um.messageId, errors: errors.map(errorEntryOf) });
    const [signal] = parseSignalMessages(parseSoapEnvelope(xml).messaging);
    if (signal?.kind !== "error") expect.fail(`expected an error signal, got ${signal?.kind}`);
    expect(signal.info.refToMessageId).to.equal(um.messageId);
    expect(signal.errors).to.deep.equal(errors.map(errorEntryOf));
    expect(signal.errors[0]).to.deep.include({ errorCode: "EBMS:0004", severity: "failure", category: "Content", origin: "ebMS", shortDescription: "Other", errorDetail: PEPPOL_NOT_SERVICED });
    expect(signal.errors[0]!.description!.lang).to.equal("en");
    expect(isNotServiced(signal.errors[0]!)).to.equal(true);
    expect(isNotServiced(signal.errors[1]!)).to.equal(false);
  });

  it("parses a foreign error with only the required attributes", () => {
    const eb = xmlElement;
    const tree = buildEnvelopeTree(FIXED_IDS, () =>
      eb("eb:SignalMessage", NS.eb, [], [
        eb("eb:MessageInfo", NS.eb, [], [eb("eb:Timestamp", NS.eb, [], ["2026-01-01T00:00:00Z"]), eb("eb:MessageId", NS.eb, [], ["x@y"])]),
        eb("eb:Error", NS.eb, [xmlAttr("errorCode", "EBMS:4001"), xmlAttr("severity", "failure")]),
      ]),
    );
    const xml = serializeXml(tree.envelope);
    const [signal] = parseSignalMessages(parseSoapEnvelope(xml).messaging);
    expect(signal).to.deep.equal({ kind: "error", info: { messageId: "x@y", timestamp: new Date("2026-01-01T00:00:00Z") }, errors: [{ errorCode: "EBMS:4001", severity: "failure" }] });
  });

  it("rejects malformed signals with EBMS:0009", () => {
    expectCode(() => parseSignalMessages(parseSoapEnvelope(edit(receiptXml, /<eb:RefToMessageId>[^<]*<\/eb:RefToMessageId>/, "")).messaging), "EBMS:0009", /RefToMessageId/);
    expectCode(() => parseSignalMessages(parseSoapEnvelope(edit(receiptXml, /<eb:MessageId>[^<]*<\/eb:MessageId>/, "")).messaging), "EBMS:0009", /MessageId/);
    expectCode(() => parseSignalMessages(parseSoapEnvelope(edit(receiptXml, "</eb:Receipt>", "</eb:Receipt><eb:Receipt/>")).messaging), "EBMS:0009", /exactly one of/);
    expectCode(() => parseSignalMessages(parseSoapEnvelope(receiptXml.replace(/<ds:DigestValue>[^<]*</, "<ds:DigestValue>!!<")).messaging), "EBMS:0009", /base64/);
  });

  it("refuses to build a receipt without references", () => {
    expect(() => buildReceiptEnvelope({ messageId: "a@b", timestamp: new Date(), refToMessageId: "c@d", references: [] })).to.throw(/references/);
  });
});
