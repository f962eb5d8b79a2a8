import { createHash } from "node:crypto";
import { expect } from "chai";
import { readZip, writeZip } from "../../src/dpi/zip.js";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { DpiNetwork, eventually } from "../helpers/dpi-network.js";
import { A, ARKIVMELDING_XML, B, conversationOf, idOf, PDF, sbd, sendArkivmelding, VEDLEGG } from "../helpers/dpo-messages.js";

/**
 * DPO between two access points over the Altinn 3 broker simulator: organisation A (991825827) sends an
 * arkivmelding with two documents to B (910076787, DPO in the Service Registry sandbox); B's archive system
 * peeks, pops and deletes it and answers with an arkivmelding_kvittering. Each side's statuses are the
 * integrasjonspunkt's.
 */

describe("e2e: DPO between two access points over the Altinn 3 broker", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let apA: RunningAccessPoint;
  let apB: RunningAccessPoint;
  let arkivA: NextMoveClient;
  let arkivB: NextMoveClient;

  before(async () => {
    net = await DpiNetwork.start();
    const dpo = {
      DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO",
      DPI_AP_DPO_BROKER_URL: net.sandbox.altinnBroker.url,
      DPI_AP_DPO_POLL_MS: "200",
    };
    apA = await net.corner({ name: "a", seat: "POP000001", served: [`0192:${A}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-a:hemmelig:${A}` } });
    apB = await net.corner({ name: "b", seat: "POP000002", served: [`0192:${B}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-b:hemmelig:${B}` } });
    arkivA = new NextMoveClient(apA.url, { user: "arkiv-a", password: "hemmelig" });
    arkivB = new NextMoveClient(apB.url, { user: "arkiv-b", password: "hemmelig" });
  });
  after(async () => {
    await net?.close();
  });

  const until = (client: NextMoveClient, id: string, status: string) =>
    eventually(status, async () => {
      const s = await client.statuses(id);
      return s.includes(status) ? s : undefined;
    });

  it("A's arkivmelding with two documents reaches B's archive system; B's kvittering makes it LEST", async () => {
    const created = await arkivA.create(sbd({ sender: A, receiver: B, type: "arkivmelding", body: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf" } }));
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    const id = idOf(created.body);
    const conversationId = conversationOf(created.body);
    expect((await arkivA.upload(id, { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: ARKIVMELDING_XML })).status).to.equal(200);
    const up = await arkivA.upload(id, { filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF });
    expect(up.status, JSON.stringify(up.body)).to.equal(200);
    expect((await arkivA.upload(id, { filename: "vedlegg.txt", title: "Vedlegg", mimeType: "text/plain", bytes: VEDLEGG })).status).to.equal(200);
    const sent = await arkivA.send(id);
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);

    await until(arkivA, id, "MOTTATT");
    const transfer = net.sandbox.altinnBroker.state.all().find((t) => t.sender === `0192:${A}` && t.recipients[0]!.recipient === `0192:${B}`)!;
    expect([transfer.resourceId, transfer.fileName, transfer.status]).to.deep.equal(["eformidling-dpo-meldingsutveksling", "sbd.zip", "AllConfirmedDownloaded"]);

    const peeked = await arkivB.get("/api/messages/in/peek");
    expect([peeked.status, idOf(peeked.body)]).to.deep.equal([200, id]);
    const popped = await fetch(`${apB.url}/api/messages/in/pop/${id}`, { headers: { authorization: `Basic ${Buffer.from("arkiv-b:hemmelig").toString("base64")}` } });
    expect(popped.status).to.equal(200);
    const asic = readZip(new Uint8Array(await popped.arrayBuffer()));
    const doc = (name: string) => Buffer.from(asic.entries.find((e) => e.name === name)!.data);
    expect(doc("arkivmelding.xml").equals(ARKIVMELDING_XML)).to.equal(true);
    expect(doc("brev.pdf").equals(PDF)).to.equal(true);
    expect(doc("vedlegg.txt").equals(VEDLEGG)).to.equal(true);
    expect((await arkivB.delete(`/api/messages/in/${id}`)).status).to.equal(200);

    await until(arkivA, id, "LEVERT");
    const kvittering = await arkivB.create(
      sbd({ sender: B, receiver: A, type: "arkivmelding_kvittering", conversationId, body: { receiptType: "OK", relatedToMessageId: id, messages: [] } }),
    );
    expect(kvittering.status).to.equal(200);
    expect((await arkivB.send(idOf(kvittering.body))).status).to.equal(200);

    expect(await until(arkivA, id, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "LEST"]);
    expect(await arkivB.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
    const lest = ((await arkivA.get(`/api/statuses/${id}?size=100`)).body as { content: { status: string; description: string | null }[] }).content.at(-1)!;
    expect(lest.description).to.equal("ArkivmeldingKvittering: OK");
    // The kvittering itself reached A's archive system too, and B's kvittering is MOTTATT by A's integrasjonspunkt.
    expect(idOf((await arkivA.get("/api/messages/in/peek")).body)).to.equal(idOf(kvittering.body));
    await until(arkivB, idOf(kvittering.body), "MOTTATT");
  });

  it("keeps trying while the broker is down and delivers once it is back", async () => {
    net.sandbox.altinnBroker.setAvailable(false);
    let id: string;
    try {
      id = await sendArkivmelding(arkivA);
      // Several attempts fit in this while (retries from 200 ms, at most 1 s apart); none got through.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await arkivA.statuses(id)).to.deep.equal(["OPPRETTET"]);
    } finally {
      net.sandbox.altinnBroker.setAvailable(true);
    }
    expect(await until(arkivA, id, "MOTTATT")).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT"]);
    expect(await arkivB.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
  });

  it("gives FEIL with the broker's reason when the broker refuses the message for good", async () => {
    net.sandbox.altinnBroker.state.configureResource("eformidling-dpo-meldingsutveksling", { maxFileTransferSize: 100 });
    let id: string;
    try {
      id = await sendArkivmelding(arkivA);
      await until(arkivA, id, "FEIL");
    } finally {
      net.sandbox.altinnBroker.state.configureResource("eformidling-dpo-meldingsutveksling", { maxFileTransferSize: 1024 * 1024 * 1024 });
    }
    const s = ((await arkivA.get(`/api/statuses/${id}?size=100`)).body as { content: { status: string; description: string | null }[] }).content;
    expect(s.map((x) => x.status)).to.deep.equal(["OPPRETTET", "FEIL"]);
    expect(s[1]!.description).to.match(/^upload: the broker refused \(400\): File size exceeds maximum: the file is \d+ bytes; the resource allows 100$/);
  });
});

describe("e2e: DPO, a package the receiver cannot read", function () {
  this.timeout(90_000);
  let net: DpiNetwork;

  after(async () => {
    await net?.close();
  });

  it("B removes the message with FEIL and answers with an error receipt: A sees FEIL with the reason", async () => {
    net = await DpiNetwork.start();
    const dpo = {
      DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO",
      DPI_AP_DPO_BROKER_URL: net.sandbox.altinnBroker.url,
      DPI_AP_DPO_POLL_MS: "200",
    };
    const apA = await net.corner({ name: "a", seat: "POP000001", served: [`0192:${A}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-a:hemmelig:${A}` } });
    const arkivA = new NextMoveClient(apA.url, { user: "arkiv-a", password: "hemmelig" });
    const created = await arkivA.create(sbd({ sender: A, receiver: B, type: "arkivmelding", body: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf" } }));
    const id = idOf(created.body);
    await arkivA.upload(id, { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: ARKIVMELDING_XML });
    await arkivA.upload(id, { filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF });
    await arkivA.upload(id, { filename: "vedlegg.txt", title: "Vedlegg", mimeType: "text/plain", bytes: VEDLEGG });
    expect((await arkivA.send(id)).status).to.equal(200);
    await eventually("SENDT", async () => ((await arkivA.statuses(id)).includes("SENDT") ? true : undefined));

    // A package its receiver cannot open (its asic.zip not a CMS envelope), as a faulty sender would upload it:
    // the broker's checksum is of these bytes, so only opening it tells.
    const t = net.sandbox.altinnBroker.state.all().find((x) => x.sender === `0192:${A}`)!;
    const sbdJson = readZip(t.bytes!).entries.find((e) => e.name === "sbd.json")!.data;
    t.bytes = writeZip([{ name: "sbd.json", data: sbdJson }, { name: "asic.zip", data: Buffer.from("not a CMS envelope") }]);
    t.checksum = createHash("md5").update(t.bytes).digest("hex");

    const apB = await net.corner({ name: "b", seat: "POP000002", served: [`0192:${B}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-b:hemmelig:${B}` } });
    const arkivB = new NextMoveClient(apB.url, { user: "arkiv-b", password: "hemmelig" });
    await eventually("MOTTATT", async () => ((await arkivA.statuses(id)).includes("MOTTATT") ? true : undefined));
    expect(idOf((await arkivB.get("/api/messages/in/peek")).body)).to.equal(id);
    const popped = await arkivB.get(`/api/messages/in/pop/${id}`);
    expect(popped.status).to.equal(404);
    expect(await arkivB.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "FEIL"]);

    const statuses = await eventually("FEIL", async () => {
      const s = ((await arkivA.get(`/api/statuses/${id}?size=100`)).body as { content: { status: string; description: string | null; rawReceipt: string | null }[] }).content;
      return s.some((x) => x.status === "FEIL") ? s : undefined;
    });
    expect(statuses.map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "FEIL"]);
    const feil = statuses.at(-1)!;
    expect(feil.description).to.equal("ArkivmeldingKvittering: ERROR");
    const raw = JSON.parse(feil.rawReceipt!) as { receiptType: string; relatedToMessageId: string; messages: { code: string; text: string }[] };
    expect([raw.receiptType, raw.relatedToMessageId, raw.messages[0]!.code]).to.deep.equal(["ERROR", id, "ASIC_UNREADABLE"]);
    expect(raw.messages[0]!.text).to.match(new RegExp(`^asic\\.zip of message ${id} from 0192:${A} cannot be read \\(`));
  });
});
