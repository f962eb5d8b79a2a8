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

describe("e2e: an innsynskrav over DPE (Service Bus) between two archive systems", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let a: NextMoveClient;
  let e: NextMoveClient;
  let apUrl: string;

  before(async () => {
    net = await DpiNetwork.start();
    const ap = await net.corner({
      name: "ap",
      seat: "POP000001",
      served: SENDERS,
      receives: "both",
      env: { DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPE", DPI_AP_NEXTMOVE_USERS: `arkiv-a:a:${A},arkiv-e:e:${E}`, DPI_AP_DPE_SAS_KEY_NAME: "MoveDPE-pilotPolicy", DPI_AP_DPE_POLL_MS: "200", DPI_AP_DPE_MODES: `${A}=data` },
    });
    apUrl = ap.url;
    a = new NextMoveClient(ap.url, { user: "arkiv-a", password: "a" });
    e = new NextMoveClient(ap.url, { user: "arkiv-e", password: "e" });
  });
  after(() => net?.close());

  it("reaches the receiver's archive system with its document, sealed to the receiver", async () => {
    const sent = await a.createAndSend(innsynskrav(), [{ filename: "order.xml", title: "Bestilling", mimeType: "application/xml", bytes: Buffer.from("<bestilling/>") }]);
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    const id = (sent.body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
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
