import { expect } from "chai";
import pg from "pg";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS, getJson } from "../helpers/dpi-network.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { openDatabase } from "../../src/store/prisma.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

describe("e2e: corner 2 on PostgreSQL, corner 3 on SQLite", function () {
  this.timeout(60_000);
  let scratch: ScratchDatabase | undefined;
  let net: DpiNetwork | undefined;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    scratch = await createScratchDatabase("dpi_ap_e2e");
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", env: { DPI_AP_DATABASE_URL: scratch.url } });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
  });
  after(async () => {
    await net?.close();
    await scratch?.drop();
  });

  it("delivers a letter and its leveringskvittering brings it to LEVERT", async () => {
    const token = await net!.token(AVSENDER);
    const letter = await buildMessage({ token });
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "pg");
    expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
    await eventually("SENDT at corner 2", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "SENDT") ? r.body : undefined;
    });

    const providerToken = await net!.token(DIGIPOST);
    const inbox = await eventually("the letter at corner 3", async () => {
      const r = await getJson(c3, "/messages/in", providerToken);
      return r.status === 200 ? (r.body as { forretningsmelding: string; downloadurl: string }[]) : undefined;
    });
    const item = inbox.find((i) => i.forretningsmelding === letter.jws);
    expect(item).to.not.equal(undefined);
    const dl = await fetch(item!.downloadurl, { headers: { authorization: `Bearer ${providerToken}` } });
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(letter.cms!))).to.equal(true);

    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${AVSENDER}` });
    const r = await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);

    const received = await eventually("the receipt at corner 2", async () => {
      const res = await getJson(c2, "/messages/in?kanal=pg", token);
      return res.status === 200 ? (res.body as { forretningsmelding: string }[]) : undefined;
    });
    expect(received.map((m) => m.forretningsmelding)).to.deep.equal([receipt.jws]);
    const timeline = await getJson(c2, `/status/${letter.conversationId}`, token);
    expect(timeline.body.events.map((e: { status: string }) => e.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);

    // Corner 2's messages are in PostgreSQL.
    const client = new pg.Client({ connectionString: scratch!.url });
    await client.connect();
    try {
      const rows = (await client.query(`SELECT "direction", "messageId", "channel" FROM "Conversation" ORDER BY "direction"`)).rows;
      expect(rows).to.deep.equal([
        { direction: "IN", messageId: receipt.messageId, channel: "DPI" },
        { direction: "OUT", messageId: letter.messageId, channel: "DPI" },
      ]);
      const dpi = (await client.query(`SELECT "direction", "messageId" FROM "DpiMessage" ORDER BY "direction"`)).rows;
      expect(dpi).to.deep.equal([{ direction: "IN", messageId: receipt.messageId }, { direction: "OUT", messageId: letter.messageId }]);
    } finally {
      await client.end();
    }
  });
});

describe("e2e: an access point starting on a shared PostgreSQL store", function () {
  this.timeout(60_000);
  let scratch: ScratchDatabase | undefined;
  let net: DpiNetwork | undefined;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
  });
  after(async () => {
    await net?.close();
    await scratch?.drop();
  });

  it("leaves the outbox leases of the other access points alone", async () => {
    scratch = await createScratchDatabase("dpi_ap_e2e_lease");
    const { db } = await openDatabase(scratch.url);
    const now = new Date();
    await new DpiMessagesRepo(db).insert(
      {
        messageId: "held-by-another-process",
        direction: "OUT",
        conversationId: "c",
        documentType: "digital",
        process: "p",
        standard: "s",
        senderIdentifier: SENDERS[0]!,
        receiverIdentifier: PROVIDERS[0]!,
        avsenderOrg: SENDERS[0]!,
        forretningsmelding: "{}",
        enqueue: true,
      },
      "OPPRETTET",
      now,
    );
    const [claimed] = await new OutboxRepo(db).claimDue(now, 3_600_000, 1);
    expect(claimed?.leaseUntil).to.be.instanceOf(Date);
    net = await DpiNetwork.start();
    await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", env: { DPI_AP_DATABASE_URL: scratch.url } });
    const after = await new DpiMessagesRepo(db).get("OUT", "held-by-another-process");
    await db.$disconnect();
    expect(after!.leaseUntil?.getTime()).to.equal(claimed!.leaseUntil!.getTime());
    expect(after!.status).to.equal("OPPRETTET");
  });
});
