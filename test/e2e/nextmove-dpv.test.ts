import { expect } from "chai";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import type { AltinnCorrespondenceSim, Correspondence } from "../../src/sim/altinn-correspondence/index.js";
import { SR_SANDBOX } from "../../src/sim/service-registry/index.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";

/**
 * An archive system sends DPV messages through the NextMove API, as it would through an integrasjonspunkt: the
 * Service Registry simulator routes the organisation without eFormidling (910075946) and the person without a
 * postbox (17912099997, digital_dpv) to DPV, the access point makes each an Altinn 3 correspondence at the
 * correspondence simulator with the organisation's Maskinporten token exchanged for an Altinn token, and polls
 * Altinn for what happens to it: published → LEVERT, read → LEST, purged → ANNET and polling stops.
 */

const ORG = "991825827";
const DPV_ORG = SR_SANDBOX.dpv;
const PERSON = SR_SANDBOX.persons.noPostbox;
const PDF = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`);

const ARKIVMELDING = (files: string[]) => `<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>dpi-ap e2e</system><meldingId>m</meldingId><tidspunkt>2026-12-03T10:00:00</tidspunkt><antallFiler>${files.length}</antallFiler>
  <mappe xsi:type="saksmappe"><systemID>sak-1</systemID><tittel>Byggesak Testgata 6</tittel>
    <basisregistrering xsi:type="journalpost"><systemID>jp-1</systemID><journalpostnummer>7</journalpostnummer>
${files.map((f, i) => `      <dokumentbeskrivelse><tilknyttetRegistreringSom>${i === 0 ? "Hoveddokument" : "Vedlegg"}</tilknyttetRegistreringSom><dokumentnummer>${i + 1}</dokumentnummer><tittel>${f}</tittel>
        <dokumentobjekt><referanseDokumentfil>${f}</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>`).join("\n")}
      <tittel>Vedtak i byggesak Testgata 6</tittel><offentligTittel>Vedtak i byggesak</offentligTittel>
    </basisregistrering></mappe></arkivmelding>`;

function arkivmeldingSbd(process = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0") {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${ORG}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${DPV_ORG}` } }],
      documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding", typeVersion: "2.0", type: "arkivmelding" },
      businessScope: { scope: [{ type: "ConversationId", identifier: process }] },
    },
    arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf" },
  };
}

function digitalDpvSbd() {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${ORG}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: PERSON } }],
      documentIdentification: { standard: "urn:no:difi:digitalpost:xsd:digital::digital_dpv", typeVersion: "2.0", type: "digital_dpv" },
      businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:digitalpost:info:ver1.0" }] },
    },
    digital_dpv: { tittel: "Informasjon om tømming", sammendrag: "Tømming av avfall", innhold: "Avfallet tømmes tirsdag." },
  };
}

const idOf = (body: unknown) => (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;

describe("e2e: DPV messages from an archive system over the NextMove API to Altinn 3 correspondence", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let altinn: AltinnCorrespondenceSim;
  let arkiv: NextMoveClient;

  before(async () => {
    net = await DpiNetwork.start();
    altinn = net.sandbox.altinnCorrespondence;
    const c2 = await net.corner({
      name: "c2",
      seat: "POP000001",
      served: SENDERS,
      receives: "receipts",
      env: { DPI_AP_NEXTMOVE_USERS: `arkiv:hemmelig:${ORG}`, DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPV", DPI_AP_STATUS_POLL_MS: "100", DPI_AP_STATUS_POLL_MIN_INTERVAL_MS: "200" },
    });
    arkiv = new NextMoveClient(c2.url, { user: "arkiv", password: "hemmelig" });
  });
  after(async () => {
    await net?.close();
  });

  const correspondencesOf = (messageId: string): Correspondence[] => altinn.state.all().filter((c) => c.sendersReference === messageId);
  const statusesUntil = (id: string, status: string) =>
    eventually(status, async () => {
      const s = await arkiv.statuses(id);
      return s.includes(status) ? s : undefined;
    });
  const conversation = async (id: string) => (await arkiv.get(`/api/conversations/messageId/${id}`)).body as Record<string, unknown>;
  const statusEntries = async (id: string) => ((await arkiv.get(`/api/statuses/${id}?size=100`)).body as { content: { status: string; description: string | null }[] }).content;

  async function sendArkivmelding(process?: string, extra: { filename: string; bytes: Buffer }[] = []): Promise<string> {
    const created = await arkiv.create(arkivmeldingSbd(process));
    expect(created.status).to.equal(200);
    const id = idOf(created.body);
    const files = [
      { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: Buffer.from(ARKIVMELDING(["vedtak.pdf", "kart.pdf"])) },
      { filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF("vedtak") },
      { filename: "kart.pdf", title: "Kart", mimeType: "application/pdf", bytes: PDF("kart") },
      ...extra.map((e) => ({ ...e, title: e.filename, mimeType: "text/plain" })),
    ];
    for (const f of files) expect((await arkiv.upload(id, f)).status, f.filename).to.equal(200);
    expect((await arkiv.send(id)).status).to.equal(200);
    return id;
  }

  it("an arkivmelding with two documents to an organisation: OPPRETTET, SENDT, then LEVERT and LEST as Altinn publishes it and the recipient reads it", async () => {
    const id = await sendArkivmelding(undefined, [{ filename: "notat.txt", bytes: Buffer.from("not referenced by the arkivmelding") }]);
    expect(await statusesUntil(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    const [c, ...more] = correspondencesOf(id);
    expect(more).to.deep.equal([]);
    expect({
      recipient: c!.recipient,
      resource: c!.resourceId,
      sender: c!.sender,
      messageSender: c!.messageSender,
      content: c!.content,
      confidential: c!.isConfidential,
      idempotentKey: c!.idempotentKey,
      attachments: c!.attachments.map((a) => [a.fileName, a.displayName, a.bytes.toString("latin1")]),
      notifications: c!.notifications.map((n) => [n.channel, n.isReminder, n.emailSubject, n.smsBody]),
    }).to.deep.equal({
      recipient: `urn:altinn:organization:identifier-no:${DPV_ORG}`,
      resource: "eformidling-dpv-administrasjon",
      sender: `0192:${ORG}`,
      messageSender: "DPI-AP TEST AVSENDER (DIGDIR)",
      content: { language: "nb", messageTitle: "Vedtak i byggesak", messageSummary: "Vedtak i byggesak", messageBody: "Vedtak i byggesak Testgata 6" },
      confidential: false,
      idempotentKey: id,
      attachments: [
        ["vedtak.pdf", "Vedtak", PDF("vedtak").toString("latin1")],
        ["kart.pdf", "Kart", PDF("kart").toString("latin1")],
      ],
      notifications: [
        ["EmailAndSms", false, "Melding mottatt i Altinn", "$correspondenceRecipientName$: Du har mottatt en melding fra DPI-AP TEST AVSENDER (DIGDIR)."],
        ["EmailAndSms", true, "Melding mottatt i Altinn", "$correspondenceRecipientName$: Du har mottatt en melding fra DPI-AP TEST AVSENDER (DIGDIR)."],
      ],
    });
    const conv = await conversation(id);
    expect([conv.serviceIdentifier, conv.externalSystemReference, conv.finished]).to.deep.equal(["DPV", c!.id, false]);

    altinn.publish(c!.id);
    expect(await statusesUntil(id, "LEVERT")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
    expect((await conversation(id)).finished).to.equal(true);
    altinn.read(c!.id);
    expect(await statusesUntil(id, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
  });

  it("a digital_dpv to a person without a postbox: a correspondence to the person, reservation ignored in the info process", async () => {
    const answer = await arkiv.createAndSend(digitalDpvSbd(), [{ filename: "info.pdf", title: "Informasjon", mimeType: "application/pdf", bytes: PDF("info") }]);
    expect(answer.status).to.equal(200);
    const id = idOf(answer.body);
    expect(await statusesUntil(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    const [c] = correspondencesOf(id);
    expect([c!.recipient, c!.ignoreReservation, c!.content.messageTitle, c!.content.messageSummary, c!.content.messageBody, c!.attachments.map((a) => a.fileName)]).to.deep.equal([
      `urn:altinn:person:identifier-no:${PERSON}`,
      true,
      "Informasjon om tømming",
      "Tømming av avfall",
      "Avfallet tømmes tirsdag.",
      ["info.pdf"],
    ]);
    altinn.publish(c!.id);
    expect(await statusesUntil(id, "LEVERT")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
  });

  it("a resend after a lost answer: Altinn's 409 on the idempotent key is recovered, one correspondence", async () => {
    const conflicts = altinn.stats().conflicts;
    altinn.dropNextUploadAnswer();
    const id = await sendArkivmelding();
    expect(await statusesUntil(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    const found = correspondencesOf(id);
    expect(found).to.have.length(1);
    expect(altinn.stats().conflicts - conflicts).to.equal(1);
    expect((await conversation(id)).externalSystemReference).to.equal(found[0]!.id);
    expect((await statusEntries(id)).find((s) => s.status === "SENDT")!.description).to.equal("Altinn already had this message (409); its correspondence was found again");
    altinn.publish(found[0]!.id);
    expect(await statusesUntil(id, "LEVERT")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
  });

  it("a 409 whose correspondence cannot be found by its reference: SENDT without a reference, and not polled (as the integrasjonspunkt)", async () => {
    const created = await arkiv.create(digitalDpvSbd());
    const id = idOf(created.body);
    // Altinn knows the idempotent key, but nothing of this sender has the message id as its reference (any more).
    altinn.state.create(
      [
        {
          senderOrg: ORG,
          idempotentKey: id,
          resourceId: "eformidling-dpv-administrasjon",
          sender: `0192:${ORG}`,
          sendersReference: "renamed",
          messageSender: undefined,
          content: { language: "nb", messageTitle: "t", messageSummary: "s", messageBody: "b" },
          requestedPublishTime: undefined,
          dueDateTime: undefined,
          propertyList: {},
          ignoreReservation: undefined,
          isConfirmationNeeded: false,
          isConfidential: false,
          recipient: `urn:altinn:person:identifier-no:${PERSON}`,
          notification: undefined,
          notifications: [],
          attachments: [],
          fields: {},
        },
      ],
      new Date(),
    );
    expect((await arkiv.upload(id, { filename: "info.pdf", title: "Informasjon", mimeType: "application/pdf", bytes: PDF("info") })).status).to.equal(200);
    expect((await arkiv.send(id)).status).to.equal(200);
    expect(await statusesUntil(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    expect((await statusEntries(id)).find((s) => s.status === "SENDT")!.description).to.equal(
      "Altinn already had this message (409), but no correspondence with its reference was found: no status polling",
    );
    expect((await conversation(id)).externalSystemReference).to.equal(undefined);
    const pollable = (await arkiv.get("/api/conversations?pollable=true&size=100")).body as { content: { messageId: string }[] };
    expect(pollable.content.map((c) => c.messageId)).to.not.include(id);
  });

  it("a refusal (4xx) is FEIL at once, with Altinn's reason", async () => {
    // Altinn no longer knows the resource the Service Registry names.
    altinn.state.resources.delete("eformidling-dpv-administrasjon");
    try {
      const id = await sendArkivmelding();
      expect(await statusesUntil(id, "FEIL")).to.deep.equal(["OPPRETTET", "FEIL"]);
      expect((await statusEntries(id)).find((s) => s.status === "FEIL")!.description).to.equal(
        "Altinn refused the correspondence: Altinn answered HTTP 400: 4009: Resource type is not supported. Resource must be of type GenericAccessResource or CorrespondenceService",
      );
      expect(correspondencesOf(id)).to.deep.equal([]);
    } finally {
      altinn.state.resources.add("eformidling-dpv-administrasjon");
    }
  });

  it("a correspondence purged in Altinn: ANNET, and polling stops", async () => {
    const id = await sendArkivmelding();
    await statusesUntil(id, "SENDT");
    const [c] = correspondencesOf(id);
    altinn.publish(c!.id);
    await statusesUntil(id, "LEVERT");
    altinn.purge(c!.id);
    expect(await statusesUntil(id, "ANNET")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "ANNET"]);
    expect((await statusEntries(id)).find((s) => s.status === "ANNET")!.description).to.equal("PurgedByRecipient: stopper polling.");
    const polled = altinn.stats().overviews.get(c!.id);
    await sleep(1_500); // several poll intervals (200 ms) of the status poller (100 ms passes)
    expect(altinn.stats().overviews.get(c!.id)).to.equal(polled);
  });

  it("a receipt (arkivmelding_kvittering) routed to DPV is not sent: SENDT, LEVERT, LEST at once, no correspondence", async () => {
    const created = await arkiv.create({
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${ORG}` } }],
        receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${DPV_ORG}` } }],
        documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering", typeVersion: "2.0", type: "arkivmelding_kvittering" },
        businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:arkivmelding:response:ver1.0" }] },
      },
      arkivmelding_kvittering: { receiptType: "OK", relatedToMessageId: "5f1ab4e6-2f4c-4a4e-9a53-6f0d9a0e0c11" },
    });
    expect(created.status).to.equal(200);
    const id = idOf(created.body);
    expect((await arkiv.send(id)).status).to.equal(200);
    expect(await statusesUntil(id, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
    expect(correspondencesOf(id)).to.deep.equal([]);
  });

  it("Altinn down for a while: the message is retried and delivered once it is back", async () => {
    altinn.unavailable(true);
    let id: string;
    try {
      id = await sendArkivmelding();
      await sleep(1_500);
      expect(await arkiv.statuses(id)).to.deep.equal(["OPPRETTET"]);
      expect(correspondencesOf(id)).to.deep.equal([]);
    } finally {
      altinn.unavailable(false);
    }
    expect(await statusesUntil(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    expect(correspondencesOf(id)).to.have.length(1);
    // Each attempt is recorded: the ones Altinn refused to answer, then the one it took, all at the correspondence
    // API and routed by the same signed Service Registry answer, kept as it arrived.
    const db = net.corners.get("c2")!.repo.db;
    const attempts = await db.sendAttempt.findMany({ where: { direction: "OUT", messageId: id }, orderBy: { id: "asc" } });
    expect(attempts.length).to.be.at.least(2);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.peer])).to.deep.equal(attempts.map((_a, i) => [i + 1, i === attempts.length - 1 ? "sent" : "retry", altinn.url]));
    expect(new Set(attempts.map((a) => a.routingSha256)).size).to.equal(1);
    const record = (await db.routingRecord.findUnique({ where: { sha256: attempts[0]!.routingSha256! } }))!;
    expect(record).to.deep.include({ kind: "service-registry", mediaType: "application/jose" });
    expect(record.sourceUrl).to.equal(`${net.sandbox.serviceRegistry.url}/identifier/${DPV_ORG}/process/urn:no:difi:profile:arkivmelding:administrasjon:ver1.0?securityLevel=3`);
    expect(Buffer.from(record.body).toString("utf8")).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(createHash("sha256").update(record.body).digest("hex")).to.equal(record.sha256);
  });
});
