import { expect } from "chai";
import {
  conversationId,
  documentType,
  expectedResponseDateTime,
  expectedResponseDateTimeText,
  hoveddokument,
  isFileRequired,
  isReceipt,
  isStatus,
  journalpostId,
  messageChannel,
  messageId,
  parentId,
  parties,
  processOf,
  receiverIdentifier,
  receiverRef,
  senderIdentifier,
  senderRef,
} from "../../src/sbd/accessors.js";
import { PartnerIdentifierInvalidError } from "../../src/sbd/errors.js";
import { arkivmeldingJson, parsed, sbdJsonOf, thrown } from "./fixtures.js";

describe("sbd: accessors (SBDUtil and the SBD getters)", () => {
  const withScopes = parsed(
    arkivmeldingJson((j) => {
      j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:910077473:987464291";
      j.standardBusinessDocumentHeader.businessScope.scope.push(
        { type: "SenderRef", instanceIdentifier: "sender-ref-instance", identifier: "sender-ref-identifier" },
        { type: "RECEIVER_REF", instanceIdentifier: "receiver-ref-instance", identifier: "receiver-ref-identifier" },
        { type: "MessageChannel", instanceIdentifier: "channel-instance", identifier: "channel-1" },
        { type: "ParentId", instanceIdentifier: "parent-1" },
        { type: "JournalpostId", instanceIdentifier: "jp-1" },
      );
    }),
  );

  it("reads messageId, conversationId, process and the document type", () => {
    expect(messageId(withScopes)).to.equal("ff88849c-e281-4809-8555-7cd54952b916");
    expect(conversationId(withScopes)).to.equal("37efbd4c-413d-4e2c-bbc5-257ef4a65a56");
    expect(processOf(withScopes)).to.equal("urn:no:difi:profile:arkivmelding:administrasjon:ver1.0");
    expect(documentType(withScopes)).to.equal("urn:no:difi:arkivmelding:xsd::arkivmelding");
  });

  it("reads SenderRef and ReceiverRef from instanceIdentifier, MessageChannel from identifier; scope types by name or enum constant", () => {
    expect(senderRef(withScopes)).to.equal("sender-ref-instance");
    expect(receiverRef(withScopes)).to.equal("receiver-ref-instance");
    expect(messageChannel(withScopes)).to.equal("channel-1");
    expect(parentId(withScopes)).to.equal("parent-1");
    expect(journalpostId(withScopes)).to.equal("jp-1");
  });

  it("gives undefined for absent scopes, and \"\" for an absent JournalpostId", () => {
    const plain = parsed(arkivmeldingJson());
    expect([senderRef(plain), receiverRef(plain), messageChannel(plain), parentId(plain)]).to.deep.equal([undefined, undefined, undefined, undefined]);
    expect(journalpostId(plain)).to.equal("");
  });

  it("reads expectedResponseDateTime from the ConversationId scope's first scopeInformation", () => {
    expect(expectedResponseDateTimeText(withScopes)).to.equal("2019-05-10T00:31:52+01:00");
    expect(expectedResponseDateTime(withScopes)).to.deep.equal({ epochMs: Date.parse("2019-05-09T23:31:52Z"), fraction: "", offsetSeconds: 3600 });
    const none = parsed(arkivmeldingJson((j) => delete j.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation));
    expect(expectedResponseDateTime(none)).to.equal(undefined);
  });

  it("reads the parties: the on-behalf-of organisation is the sender, the receiver its organisation number", () => {
    expect(senderIdentifier(withScopes)).to.deep.equal({
      kind: "iso6523",
      icd: "0192",
      organizationIdentifier: "910077473",
      organizationPartIdentifier: "987464291",
    });
    expect(parties(withScopes)).to.deep.equal({ sender: "987464291", senderPrimary: "910077473", onBehalfOf: "987464291", receiver: "910075918" });
  });

  it("reads a person receiver without ICD", () => {
    const dpi = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.receiver[0].identifier.value = "09118532322")));
    expect(receiverIdentifier(dpi)).to.deep.equal({ kind: "person", identifier: "09118532322" });
    expect(parties(dpi).receiver).to.equal("09118532322");
  });

  it("has no sender when the first one has no value, and refuses one it cannot read", () => {
    const noValue = parsed(arkivmeldingJson((j) => delete j.standardBusinessDocumentHeader.sender[0].identifier.value));
    expect(senderIdentifier(noValue)).to.equal(undefined);
    const bad = parsed(arkivmeldingJson((j) => (j.standardBusinessDocumentHeader.sender[0].identifier.value = "0192:9100:77:473")));
    expect(thrown(PartnerIdentifierInvalidError, () => senderIdentifier(bad)).detail).to.equal("Unable to parse identifier = '0192:9100:77:473'");
  });

  it("tells receipts, status messages and messages that need files apart", () => {
    const status = parsed(sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:arkivmelding:response:ver1.0", { status: "LEVERT" }));
    const kvittering = parsed(
      sbdJsonOf("arkivmelding_kvittering", "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering", "urn:no:difi:profile:arkivmelding:response:ver1.0", {
        receiptType: "OK",
      }),
    );
    const avtalt = parsed(sbdJsonOf("avtalt", "urn:no:difi:avtalt:xsd::avtalt", "urn:no:difi:profile:avtalt:avtalt:ver1.0", { identifier: "x" }));
    expect([isStatus(status), isReceipt(status), isFileRequired(status)]).to.deep.equal([true, false, false]);
    expect([isStatus(kvittering), isReceipt(kvittering), isFileRequired(kvittering)]).to.deep.equal([false, true, false]);
    expect([isStatus(avtalt), isReceipt(avtalt), isFileRequired(avtalt)]).to.deep.equal([false, false, false]);
    expect([isStatus(withScopes), isReceipt(withScopes), isFileRequired(withScopes)]).to.deep.equal([false, false, true]);
  });

  it("reads the hoveddokument", () => {
    expect(hoveddokument(withScopes)).to.equal("arkivmelding.xml");
  });
});
