import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import type { PostboxSim } from "../../src/sim/postbox/index.js";
import { SR_SANDBOX } from "../../src/sim/service-registry/index.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { decodeRevocation } from "../../src/store/revocation-answers-repo.js";
import { certificate } from "../helpers/certs.js";

/**
 * An archive system sends DPI letters through the NextMove API of corner 2, as it would through an
 * integrasjonspunkt: the Service Registry simulator routes the person to DPI (Digipost), corner 2 builds and
 * signs the letter with the organisation's certificate and a Maskinporten token of its own client, sends it over
 * AS4 to corner 3, and the simulated Digipost's receipts come back as the integrasjonspunkt's statuses.
 */

const ORG = "991825827";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

function digitalSbd(o: { receiver?: string; sender?: string; messageId?: string; process?: string } = {}) {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${o.sender ?? ORG}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: o.receiver ?? SR_SANDBOX.persons.digipost } }],
      documentIdentification: {
        standard: "urn:no:difi:digitalpost:xsd:digital::digital",
        typeVersion: "1.0",
        type: "digital",
        ...(o.messageId ? { instanceIdentifier: o.messageId } : {}),
      },
      businessScope: { scope: [{ type: "ConversationId", identifier: o.process ?? "urn:no:difi:profile:digitalpost:info:ver1.0" }] },
    },
    digital: { sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf", tittel: "Vedtak", spraak: "NO", digitalPostInfo: { virkningsdato: "2026-12-03", aapningskvittering: false }, metadataFiler: {} },
  };
}

function arkivmeldingSbd(receiver: string) {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${ORG}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${receiver}` } }],
      documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding", typeVersion: "2.0", type: "arkivmelding" },
      businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0" }] },
    },
    arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf" },
  };
}

function idOf(body: unknown): string {
  return (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
}

describe("e2e: DPI letters from an archive system over the NextMove API", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let providers: PostboxSim[];
  let arkiv: NextMoveClient;
  let c2url: string;
  let c2: RunningAccessPoint;
  let sentId: string;

  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", env: { DPI_AP_NEXTMOVE_USERS: `arkiv:hemmelig:${ORG}`, DPI_AP_NEXTMOVE_CHANNELS: "DPI" } });
    const c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", env: { DPI_AP_NEXTMOVE: "false" } });
    providers = await net.sandbox.startProviders(c3.url, { pollIntervalMs: 200 });
    c2url = c2.url;
    arkiv = new NextMoveClient(c2.url, { user: "arkiv", password: "hemmelig" });
  });
  after(async () => {
    for (const p of providers ?? []) await p.stop();
    await net?.close();
  });

  it("creates, uploads and sends a digital letter that Digipost receives; its statuses are the integrasjonspunkt's", async () => {
    const created = await arkiv.create(digitalSbd());
    expect(created.status).to.equal(200);
    const id = idOf(created.body);
    expect(await arkiv.statuses(id)).to.deep.equal(["OPPRETTET"]);
    const listed = await arkiv.get("/api/messages/out");
    expect((listed.body as { content: unknown[] }).content.map(idOf)).to.deep.equal([id]);

    expect((await arkiv.upload(id, { filename: "vedtak.pdf", title: "Vedtak om støtte", mimeType: "application/pdf", bytes: PDF })).status).to.equal(200);
    expect((await arkiv.send(id)).status).to.equal(200);
    const statuses = await eventually("LEVERT", async () => {
      const s = await arkiv.statuses(id);
      return s.includes("LEVERT") ? s : undefined;
    });
    expect(statuses).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
    expect((await arkiv.get(`/api/messages/out/${id}`)).status).to.equal(404);
    const c = (await arkiv.get(`/api/conversations/messageId/${id}`)).body as Record<string, unknown>;
    // Addressed as the archive system addressed it (the person, NextMove's process and standard), not as the letter to Digipost.
    expect([c.finished, c.serviceIdentifier, c.direction, c.senderIdentifier, c.receiverIdentifier, c.processIdentifier, c.documentIdentifier]).to.deep.equal([
      true,
      "DPI",
      "OUTGOING",
      `0192:${ORG}`,
      SR_SANDBOX.persons.digipost,
      "urn:no:difi:profile:digitalpost:info:ver1.0",
      "urn:no:difi:digitalpost:xsd:digital::digital",
    ]);
    const digipost = providers.find((p) => p.provider === "0192:984661185")!;
    const got = digipost.delivered().find((r) => r.messageId === id);
    expect({ avsender: got?.avsender, title: got?.title, files: got?.files }).to.deep.equal({ avsender: `0192:${ORG}`, title: "Vedtak om støtte", files: ["vedtak.pdf"] });
    sentId = id;
  });

  it("keeps the revocation answers the letter relied on: the organisation's certificate it was signed with, and Digipost's access point", async () => {
    const db = c2.repo.db;
    const serial = (file: string) => certificate(file).serialNumber.replace(/^0+/, "").toUpperCase();
    const row = await db.dpiMessage.findUniqueOrThrow({ where: { direction_messageId: { direction: "OUT", messageId: sentId.toLowerCase() } } });
    const exchange = await db.as4Exchange.findFirstOrThrow({ where: { direction: "OUT", messageId: sentId.toLowerCase() } });
    const uses = [...decodeRevocation(row.revocation), ...decodeRevocation(exchange.revocation)];
    expect(uses.map((u) => [u.role, u.serial])).to.deep.equal([
      ["forretningsmelding", serial(`business/${ORG}.pem`)],
      ["as4-peer", serial("ap/POP000002.pem")],
    ]);
    const answers = await db.revocationAnswer.findMany({ where: { sha256: { in: uses.map((u) => u.sha256) } }, orderBy: { kind: "asc" } });
    expect(answers.map((a) => a.kind)).to.deep.equal(["crl", "ocsp"]);
  });

  it("posts each status of the letter to a webhook subscription, in order", async () => {
    const pushed: { messageId: string; status: string; direction: string; serviceIdentifier: string }[] = [];
    const hook: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        if (body) pushed.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      const pushEndpoint = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const sub = await arkiv.postJson("/api/subscriptions", { name: "arkiv-statuser", pushEndpoint, resource: "messages", event: "status" });
      expect(sub.status).to.equal(200);
      const answer = await arkiv.createAndSend(digitalSbd(), [{ filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF }]);
      const id = idOf(answer.body);
      const mine = await eventually("LEVERT pushed", async () => {
        const m = pushed.filter((p) => p.messageId === id);
        return m.some((p) => p.status === "LEVERT") ? m : undefined;
      });
      expect(mine.map((p) => [p.status, p.direction, p.serviceIdentifier])).to.deep.equal([
        ["OPPRETTET", "OUTGOING", "DPI"],
        ["SENDT", "OUTGOING", "DPI"],
        ["MOTTATT", "OUTGOING", "DPI"],
        ["LEVERT", "OUTGOING", "DPI"],
      ]);
    } finally {
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  it("creates and sends in one multipart request", async () => {
    const answer = await arkiv.createAndSend(digitalSbd(), [{ filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF }]);
    expect(answer.status).to.equal(200);
    const id = idOf(answer.body);
    const statuses = await eventually("LEVERT", async () => {
      const s = await arkiv.statuses(id);
      return s.includes("LEVERT") ? s : undefined;
    });
    expect(statuses).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
  });

  it("an opened letter becomes LEST (aapningskvittering), and a print letter to a person without a postbox is LEVERT by the print service", async () => {
    const opened = digitalSbd();
    opened.digital.digitalPostInfo.aapningskvittering = true;
    const a = await arkiv.createAndSend(opened, [{ filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF }]);
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
    const print = {
      standardBusinessDocumentHeader: { ...digitalSbd({ receiver: SR_SANDBOX.persons.noPostbox, process: "urn:no:difi:profile:digitalpost:vedtak:ver1.0" }).standardBusinessDocumentHeader },
      print: { hoveddokument: "brev.pdf", mottaker: { navn: "Ola Nordmann" }, retur: { mottaker: { navn: "Avsender" }, returhaandtering: "DIREKTE_RETUR" } },
    };
    print.standardBusinessDocumentHeader.documentIdentification = { standard: "urn:no:difi:digitalpost:xsd:fysisk::print", typeVersion: "1.0", type: "print" };
    const p = await arkiv.createAndSend(print, [{ filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF }]);
    expect(p.status, JSON.stringify(p.body)).to.equal(200);
    const [lest, levert] = await Promise.all([
      eventually("LEST", async () => {
        const s = await arkiv.statuses(idOf(a.body));
        return s.includes("LEST") ? s : undefined;
      }),
      eventually("print LEVERT", async () => {
        const s = await arkiv.statuses(idOf(p.body));
        return s.includes("LEVERT") ? s : undefined;
      }),
    ]);
    expect(lest).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "LEST"]);
    expect(levert).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
  });

  it("refuses what the integrasjonspunkt refuses, with its status codes", async () => {
    const code = (a: { status: number; body: unknown }) => [a.status, (a.body as { code?: string }).code];
    // An arkivmelding to an organisation in SMP goes over DPO, which this access point has not switched on.
    expect(code(await arkiv.create(arkivmeldingSbd(SR_SANDBOX.dpo)))).to.deep.equal([400, "nextmove-service-not-enabled"]);
    // A person without a postbox takes no digital letter (only DPV's digital_dpv); nobody is not known at all.
    expect(code(await arkiv.create(digitalSbd({ receiver: SR_SANDBOX.persons.noPostbox })))).to.deep.equal([400, "nextmove-receiver-does-not-accept-process"]);
    expect(code(await arkiv.create(digitalSbd({ receiver: "0192:974760673" })))).to.deep.equal([400, "nextmove-receiver-does-not-accept-process"]);
    // An organisation the user may not act for.
    expect(code(await arkiv.create(digitalSbd({ sender: "910076787" })))).to.deep.equal([403, "nextmove-organisation-forbidden"]);
    // A letter without its main document cannot be sent; the file may be added and the message sent after.
    const draft = idOf((await arkiv.create(digitalSbd())).body);
    expect(code(await arkiv.send(draft))).to.deep.equal([400, "nextmove-missing-file"]);
    expect(code(await arkiv.create(digitalSbd({ messageId: draft })))).to.deep.equal([400, "nextmove-message-already-exists"]);
    expect(code(await arkiv.upload(randomUUID(), { filename: "a.pdf", title: "A", mimeType: "application/pdf", bytes: PDF }))).to.deep.equal([404, "nextmove-message-not-found"]);
    expect((await arkiv.upload(draft, { filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF })).status).to.equal(200);
    expect(code(await arkiv.upload(draft, { filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", bytes: PDF }))).to.deep.equal([400, "nextmove-duplicate-filename"]);
    // Deleted before it was sent: gone, with its conversation.
    expect((await arkiv.delete(`/api/messages/out/${draft}`)).status).to.equal(200);
    expect((await arkiv.get(`/api/messages/out/${draft}`)).status).to.equal(404);
    expect((await arkiv.get(`/api/conversations/messageId/${draft}`)).status).to.equal(404);
    // Without credentials nothing is answered but the challenge.
    const anonymous = await fetch(`${c2url}/api/messages/out`);
    expect([anonymous.status, anonymous.headers.get("www-authenticate")?.startsWith('Basic realm="nextmove"')]).to.deep.equal([401, true]);
  });
});
