import { expect } from "chai";
import { buildCorrespondence, DEFAULT_DPV_SETTINGS, type DpvDocument } from "../../../src/channels/dpv/correspondence.js";
import { parseArkivmelding, parseSbd } from "../../../src/sbd/index.js";
import { fixedClock } from "../../../src/clock.js";

/**
 * The correspondence made of a NextMove message, field for field as the integrasjonspunkt's own acceptance
 * tests assert it ([IP] cucumber/nextmove_send_dpv.feature and nextmove_send_digital_dpv.feature: the same
 * messages, clock 2019-03-25T11:38:23Z, sender name "TEST - C4").
 */

const NOW = new Date("2019-03-25T11:38:23Z");
const clock = fixedClock(NOW);
const ARKIVMELDING = `<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappe xsi:type="saksmappe"><systemID>43fbe161-7aac-4c9f-a888-d8167aab4144</systemID><tittel>Nye lysrør Hauketo Skole</tittel>
    <basisregistrering xsi:type="journalpost"><systemID>430a6710</systemID>
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer>
        <dokumentobjekt><referanseDokumentfil>test.txt</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <tittel>Nye lysrør</tittel><offentligTittel>Nye lysrør</offentligTittel>
    </basisregistrering></mappe></arkivmelding>`;

function header(type: string, standard: string, process: string, receiver: string, id: string) {
  return {
    headerVersion: "1.0",
    sender: [{ identifier: { authority: "iso6523-actorid-upis", value: "0192:910077473" } }],
    receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${receiver}` } }],
    documentIdentification: { creationDateAndTime: "2019-03-25T11:35:00+01:00", instanceIdentifier: id, standard, type, typeVersion: "2.0" },
    businessScope: { scope: [{ type: "ConversationId", identifier: process, instanceIdentifier: "45efbd4c-413d-4e2c-bbc5-257ef4a65a91", scopeInformation: [{ expectedResponseDateTime: "2019-05-10T00:31:52+01:00" }] }] },
  };
}

const doc = (filename: string, title: string, text: string): DpvDocument => ({ filename, title, mimeType: "text/plain", bytes: Buffer.from(text) });

/** The fields both features share (the notification as the integrasjonspunkt's defaults make it). */
function common(id: string, recipient: string): Record<string, string> {
  const text = "$correspondenceRecipientName$: Du har mottatt en melding fra TEST - C4.";
  return {
    "recipients[0]": recipient,
    "correspondence.resourceId": "eformidling-dpv-administrasjon",
    "correspondence.sender": "0192:910077473",
    "correspondence.sendersReference": id,
    "correspondence.messageSender": "TEST - C4",
    "correspondence.requestedPublishTime": "2019-03-25T12:38:23+01:00",
    // The IP writes the same instant as 2019-04-01T12:38:23+01:00 (now.plusDays keeps March's offset); Oslo had moved to +02:00.
    "correspondence.dueDateTime": "2019-04-01T13:38:23+02:00",
    "correspondence.isConfirmationNeeded": "false",
    "correspondence.isConfidential": "false",
    "correspondence.propertyList.senderOrgNumber": "910077473",
    "correspondence.content.language": "nb",
    "correspondence.content.attachments[0].fileName": "test.txt",
    "correspondence.content.attachments[0].displayName": "Test",
    "correspondence.content.attachments[0].isEncrypted": "false",
    "correspondence.content.attachments[0].sendersReference": "AttachmentReference_as123452",
    "correspondence.notification.notificationTemplate": "CustomMessage",
    "correspondence.notification.emailSubject": "Melding mottatt i Altinn",
    "correspondence.notification.emailBody": text,
    "correspondence.notification.emailContentType": "Plain",
    "correspondence.notification.smsBody": text,
    "correspondence.notification.sendReminder": "true",
    "correspondence.notification.reminderEmailSubject": "Melding mottatt i Altinn",
    "correspondence.notification.reminderEmailBody": text,
    "correspondence.notification.reminderEmailContentType": "Plain",
    "correspondence.notification.reminderSmsBody": text,
    "correspondence.notification.reminderNotificationChannel": "EmailAndSms",
    "correspondence.notification.notificationChannel": "EmailAndSms",
    "correspondence.notification.requestedSendTime": "2019-03-25T12:43:23+01:00",
    idempotentKey: id,
  };
}

describe("channels/dpv/correspondence: the correspondence of a NextMove message", () => {
  it("arkivmelding to an organisation: nextmove_send_dpv.feature's fields; only the referenced file, not arkivmelding.xml", () => {
    const id = "abc8849c-e281-4809-8555-7cd54952b926";
    const sbd = parseSbd(
      { standardBusinessDocumentHeader: header("arkivmelding", "urn:no:difi:arkivmelding:xsd::arkivmelding", "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", "910075946", id), arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "test.txt" } },
      { clock },
    );
    const documents = [doc("arkivmelding.xml", "Arkivmelding", ARKIVMELDING), doc("test.txt", "Test", "Testing 1 2 3")];
    const built = buildCorrespondence(
      { sbd, messageId: id, receiver: "910075946", senderIdentifier: "0192:910077473", senderOrg: "910077473", senderName: "TEST - C4", resource: "eformidling-dpv-administrasjon", documents, arkivmelding: parseArkivmelding(ARKIVMELDING), now: NOW },
      DEFAULT_DPV_SETTINGS,
    );
    expect(Object.fromEntries(built.fields)).to.deep.equal({
      ...common(id, "urn:altinn:organization:identifier-no:910075946"),
      "correspondence.ignoreReservation": "false",
      "correspondence.content.messageTitle": "Nye lysrør",
      "correspondence.content.messageSummary": "Nye lysrør",
      "correspondence.content.messageBody": "Nye lysrør",
    });
    expect(built.fields).to.have.length(Object.keys(Object.fromEntries(built.fields)).length);
    expect(built.files.map((f) => f.filename)).to.deep.equal(["test.txt"]);
  });

  it("digital_dpv to a person: nextmove_send_digital_dpv.feature's fields, ignoreReservation in the info process, every file", () => {
    const id = "ff88849c-e281-4809-8555-7cd54952b922";
    const sbd = parseSbd(
      { standardBusinessDocumentHeader: header("digital_dpv", "urn:no:difi:digitalpost:xsd:digital::digital_dpv", "urn:no:difi:profile:digitalpost:info:ver1.0", "17912099997", id), digital_dpv: { tittel: "foo", sammendrag: "bar", innhold: "foobar" } },
      { clock },
    );
    const built = buildCorrespondence(
      { sbd, messageId: id, receiver: "17912099997", senderIdentifier: "0192:910077473", senderOrg: "910077473", senderName: "TEST - C4", resource: "eformidling-dpv-administrasjon", documents: [doc("test.txt", "Test", "Testing 1 2 3")], now: NOW },
      DEFAULT_DPV_SETTINGS,
    );
    expect(Object.fromEntries(built.fields)).to.deep.equal({
      ...common(id, "urn:altinn:person:identifier-no:17912099997"),
      "correspondence.ignoreReservation": "true",
      "correspondence.content.messageTitle": "foo",
      "correspondence.content.messageSummary": "bar",
      "correspondence.content.messageBody": "foobar",
    });
  });

  it("taushetsbelagt: confidential with the sensitive text; the message's own dpv settings choose channel, reminder, text and due date", () => {
    const id = "0f3b2a10-0000-4000-8000-000000000001";
    const sbd = parseSbd(
      {
        standardBusinessDocumentHeader: header("digital_dpv", "urn:no:difi:digitalpost:xsd:digital::digital_dpv", "urn:no:difi:profile:digitalpost:vedtak:ver1.0", "910075946", id),
        digital_dpv: { tittel: "t", sammendrag: "s", innhold: "  ", dpv: { varselType: "VarselDPVUtenRevarsel", varselTransportType: "SMS", taushetsbelagtVarselTekst: "Hemmelig fra $reporterName$", dagerTilSvarfrist: 0 } },
      },
      { clock },
    );
    const f = Object.fromEntries(
      buildCorrespondence({ sbd, messageId: id, receiver: "910075946", senderIdentifier: "0192:910077473", senderOrg: "910077473", senderName: "TEST - C4", resource: "eformidling-dpv-taushetsbelagt", documents: [], now: NOW }, DEFAULT_DPV_SETTINGS).fields,
    );
    expect([f["correspondence.isConfidential"], f["correspondence.ignoreReservation"], f["correspondence.content.messageBody"], f["correspondence.dueDateTime"]]).to.deep.equal(["true", "false", "Ingen innhold", undefined]);
    expect([f["correspondence.notification.notificationChannel"], f["correspondence.notification.sendReminder"], f["correspondence.notification.smsBody"], f["correspondence.notification.reminderSmsBody"]]).to.deep.equal([
      "Sms",
      "false",
      "Hemmelig fra TEST - C4",
      undefined,
    ]);
    expect(Object.keys(f).filter((k) => k.includes("attachments"))).to.deep.equal([]);
  });
});
