import { expect } from "chai";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import { openEformidlingAsic } from "../../src/packaging/index.js";
import { SR_SANDBOX } from "../../src/sim/service-registry/index.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";

/**
 * An innsynskrav over DPE between two organisations one access point serves: the archive system of 991825827
 * sends it over the NextMove API, the Service Registry simulator names the receiver's queue (innsyn), it crosses
 * the Service Bus simulator, and 810969342's archive system peeks, pops and deletes it; the status messages
 * MOTTATT and LEVERT go back over the bus to 991825827's queue (its mode: data, as eInnsyn's own).
 */

const A = "991825827";
const E = SR_SANDBOX.dpe;

function innsynskrav() {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${A}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${E}` } }],
      documentIdentification: { standard: "urn:no:difi:einnsyn:xsd::innsynskrav", typeVersion: "1.0", type: "innsynskrav" },
      businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0" }] },
    },
    innsynskrav: { orgnr: A, epost: "innsyn@example.com" },
  };
}

function idOf(body: unknown): string {
  return (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
}

/** One access point serving both organisations with DPE on, `dataOrg` reading its data queue; both archive systems' clients. */
async function startDpe(dataOrg: string): Promise<{ net: DpiNetwork; url: string; a: NextMoveClient; e: NextMoveClient }> {
  const net = await DpiNetwork.start();
  const ap = await net.corner({
    name: "ap",
    seat: "POP000001",
    served: SENDERS,
    receives: "both",
    env: { DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPE", DPI_AP_NEXTMOVE_USERS: `arkiv-a:a:${A},arkiv-e:e:${E}`, DPI_AP_DPE_SAS_KEY_NAME: "MoveDPE-pilotPolicy", DPI_AP_DPE_POLL_MS: "200", DPI_AP_DPE_MODES: `${dataOrg}=data` },
  });
  return { net, url: ap.url, a: new NextMoveClient(ap.url, { user: "arkiv-a", password: "a" }), e: new NextMoveClient(ap.url, { user: "arkiv-e", password: "e" }) };
}

describe("e2e: an innsynskrav over DPE (Service Bus) between two archive systems", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let a: NextMoveClient;
  let e: NextMoveClient;
  let apUrl: string;

  before(async () => {
    // E answers with status messages to A's data queue (E's mode is innsyn), so A reads its data queue.
    ({ net, url: apUrl, a, e } = await startDpe(A));
  });
  after(() => net?.close());

  it("reaches the receiver's archive system with its document, sealed to the receiver", async () => {
    const sent = await a.createAndSend(innsynskrav(), [{ filename: "order.xml", title: "Bestilling", mimeType: "application/xml", bytes: Buffer.from("<bestilling/>") }]);
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    const id = idOf(sent.body);
    const peeked = await eventually("the innsynskrav in E's inbox", async () => {
      const r = await e.get("/api/messages/in/peek");
      return r.status === 200 ? r : undefined;
    });
    expect((peeked.body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier).to.equal(id);
    const pop = await fetch(`${apUrl}/api/messages/in/pop/${id}`, { headers: { authorization: `Basic ${Buffer.from("arkiv-e:e").toString("base64")}` } });
    expect([pop.status, pop.headers.get("content-type")]).to.deep.equal([200, "application/vnd.etsi.asic-e+zip"]);
    const asic = Buffer.from(await pop.arrayBuffer());
    const opened = openEformidlingAsic(asic);
    expect([opened.signer.signerCertificate.subject.includes("991825827"), opened.documents.map((d) => [d.name, Buffer.from(d.bytes).toString()])]).to.deep.equal([true, [["order.xml", "<bestilling/>"]]]);
    expect((await e.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    expect(await e.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
    // E's status messages MOTTATT (on arrival) and LEVERT (on delete) reach A's queue (mode data) and A's conversation.
    const sender = await eventually("LEVERT at A", async () => {
      const s = await a.statuses(id);
      return s.includes("LEVERT") ? s : undefined;
    });
    expect(sender).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
  });
});

describe("e2e: a journal entry published to eInnsyn over DPE, and eInnsyn's receipt back", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let a: NextMoveClient;
  let e: NextMoveClient;

  before(async () => {
    // 810969342 plays eInnsyn, whose integrasjonspunkt reads its data queue: journal entries come there.
    ({ net, a, e } = await startDpe(E));
  });
  after(() => net?.close());

  it("the publisher sees OPPRETTET, SENDT, MOTTATT, LEVERT; eInnsyn's einnsyn_kvittering reaches the publisher's archive system", async () => {
    const pub = {
      standardBusinessDocumentHeader: {
        ...innsynskrav().standardBusinessDocumentHeader,
        documentIdentification: { standard: "urn:no:difi:einnsyn:xsd::publisering", typeVersion: "1.0", type: "publisering" },
        businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:einnsyn:journalpost:ver1.0" }] },
      },
      publisering: { orgnr: A },
    };
    const sent = await a.createAndSend(pub, [{ filename: "journalpost.xml", title: "Journalpost", mimeType: "application/xml", bytes: Buffer.from("<journalpost/>") }]);
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    const id = idOf(sent.body);
    // eInnsyn's archive system (its integrasjonspunkt reads the data queue) takes it.
    await eventually("the journal entry at eInnsyn", async () => ((await e.get("/api/messages/in/peek")).status === 200 ? true : undefined));
    expect((await e.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    const statuses = await eventually("LEVERT at the publisher", async () => {
      const s = await a.statuses(id);
      return s.includes("LEVERT") ? s : undefined;
    });
    expect(statuses).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);

    // eInnsyn answers with an einnsyn_kvittering, which the publisher's archive system gets as an ordinary message.
    const kvittering = {
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${E}` } }],
        receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${A}` } }],
        documentIdentification: { standard: "urn:no:difi:einnsyn:xsd::einnsyn_kvittering", typeVersion: "1.0", type: "einnsyn_kvittering" },
        businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:einnsyn:response:ver1.0" }] },
      },
      einnsyn_kvittering: { dokumentId: id, status: "publisert", referanseType: "publisering" },
    };
    const k = await e.createAndSend(kvittering, []);
    expect(k.status, JSON.stringify(k.body)).to.equal(200);
    const arrived = await eventually("the kvittering at the publisher", async () => {
      const r = await a.get("/api/messages/in/peek");
      return r.status === 200 ? r : undefined;
    });
    expect([idOf(arrived.body), (arrived.body as { einnsyn_kvittering: { status: string } }).einnsyn_kvittering.status]).to.deep.equal([idOf(k.body), "publisert"]);
  });

});
