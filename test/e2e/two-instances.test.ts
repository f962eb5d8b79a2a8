import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";
import { ChildAccessPoint, freePort } from "../helpers/child-access-point.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { buildMessage } from "../helpers/letters.js";
import { A, B, idOf, sendArkivmelding } from "../helpers/dpo-messages.js";
import { NextMoveClient } from "../../src/client/nextmove-client.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

/**
 * Corner 2 as two instances on one PostgreSQL database with the payloads in it (issue #20), no folder shared: one
 * in this process, one a process of its own that is killed with SIGKILL while it sends. Letters posted to either are each delivered once; what the dead
 * instance had claimed is sent by the other once its lease has run out.
 */
describe("e2e: corner 2 as two instances on one PostgreSQL database", function () {
  this.timeout(240_000);
  let scratch: ScratchDatabase | undefined;
  let net: DpiNetwork | undefined;
  let bDir: string;
  let a: RunningAccessPoint;
  let b: ChildAccessPoint | undefined;
  let bUrl: string;
  let c3: RunningAccessPoint;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    scratch = await createScratchDatabase("dpi_ap_two");
    bDir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-two-"));
    net = await DpiNetwork.start();
    // The AS4 timeout sets the outbox lease (twice it plus a minute): short, so a dead instance's claims run out soon.
    // Payloads in the database: the instances share no folder.
    const env = { DPI_AP_DATABASE_URL: scratch.url, DPI_AP_BLOB_STORE: "database", DPI_AP_AS4_TIMEOUT_MS: "2000" };
    a = await net.corner({ name: "c2a", seat: "POP000001", served: SENDERS, receives: "receipts", env });
    const port = await freePort();
    bUrl = `http://127.0.0.1:${port}`;
    b = new ChildAccessPoint(net.processEnv({ name: "c2b", seat: "POP000001", served: SENDERS, dir: bDir, env }, port), port);
    await b.ready();
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
  });
  after(async () => {
    await b?.kill();
    await net?.close();
    await scratch?.drop();
    if (bDir) await rm(bDir, { recursive: true, force: true });
  });

  async function received(): Promise<string[]> {
    const token = await net!.token(DIGIPOST);
    const res = await fetch(`${c3.url}/messages/in?page_size=1000`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 204) return [];
    const list = (await res.json()) as { forretningsmelding: string }[];
    return list.map((m) => JSON.parse(Buffer.from(m.forretningsmelding.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier as string);
  }

  async function statusesOf(url: string, id: string, token: string): Promise<string[]> {
    const r = await fetch(`${url}/messages/out/${id}/statuses`, { headers: { authorization: `Bearer ${token}` } });
    return ((await r.json()) as { status: string }[]).map((s) => s.status);
  }

  it("delivers letters posted alternately to both once each, also after one instance is killed while it sends", async () => {
    const token = await net!.token(AVSENDER);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const m = await buildMessage({ token });
      const r = await postMessage(i % 2 === 0 ? a.url : bUrl, token, messagesOutForm(m.jws, m.cms));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      ids.push(m.messageId);
    }
    // Either instance answers for any letter: the store is the one truth.
    expect(await statusesOf(bUrl, ids[0]!, token)).to.include("OPPRETTET");
    expect(await statusesOf(a.url, ids[1]!, token)).to.include("OPPRETTET");
    await eventually("the first 16 at corner 3", async () => ((await received()).length === 16 ? true : undefined), 60_000);

    // More letters, all posted to b, which is killed as soon as it has sent one of them: what it had claimed
    // waits for its lease to run out, then a sends it.
    const more: string[] = [];
    for (let i = 0; i < 8; i++) {
      const m = await buildMessage({ token });
      const r = await postMessage(bUrl, token, messagesOutForm(m.jws, m.cms));
      expect(r.status).to.equal(201);
      more.push(m.messageId);
    }
    await eventually("one of them sent", async () => {
      for (const id of more) if ((await statusesOf(a.url, id, token)).includes("SENDT")) return true;
      return undefined;
    });
    await b!.kill();
    b = undefined;

    const all = [...ids, ...more];
    await eventually(`all ${all.length} SENDT`, async () => {
      const sent = await Promise.all(all.map(async (id) => (await statusesOf(a.url, id, token)).filter((s) => s === "SENDT").length));
      return sent.every((n) => n === 1) ? true : undefined;
    }, 150_000);
    const got = await received();
    expect(got.length, "no letter twice at corner 3").to.equal(new Set(got).size);
    expect([...got].sort()).to.deep.equal([...all].sort());
  });
});

/**
 * The NextMove inbox of organisation B served by two instances on one PostgreSQL database: a message that came
 * over the Altinn broker is taken in once (the broker is polled under one worker lease), a peek on one instance
 * locks it for both, and it can be deleted through the other.
 */
describe("e2e: a NextMove lock taken on one instance is honoured on the other", function () {
  this.timeout(120_000);
  let scratch: ScratchDatabase | undefined;
  let net: DpiNetwork | undefined;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    scratch = await createScratchDatabase("dpi_ap_two_nm");
    net = await DpiNetwork.start();
  });
  after(async () => {
    await net?.close();
    await scratch?.drop();
  });

  it("peek on one instance locks the message on both; delete on the other delivers it once", async () => {
    const dpo = { DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO", DPI_AP_DPO_POLL_MS: "200" };
    const apA = await net!.corner({ name: "a", seat: "POP000001", served: [`0192:${A}`], receives: "receipts", env: { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-a:hemmelig:${A}` } });
    const bEnv = { ...dpo, DPI_AP_NEXTMOVE_USERS: `arkiv-b:hemmelig:${B}`, DPI_AP_DATABASE_URL: scratch!.url, DPI_AP_BLOB_STORE: "database" };
    const b1 = await net!.corner({ name: "b1", seat: "POP000002", served: [`0192:${B}`], receives: "receipts", env: bEnv });
    const b2 = await net!.corner({ name: "b2", seat: "POP000002", served: [`0192:${B}`], receives: "receipts", env: bEnv });
    const arkivA = new NextMoveClient(apA.url, { user: "arkiv-a", password: "hemmelig" });
    const arkivB1 = new NextMoveClient(b1.url, { user: "arkiv-b", password: "hemmelig" });
    const arkivB2 = new NextMoveClient(b2.url, { user: "arkiv-b", password: "hemmelig" });

    const id = await sendArkivmelding(arkivA);
    await eventually("MOTTATT at A", async () => ((await arkivA.statuses(id)).includes("MOTTATT") ? true : undefined));
    expect(await arkivB2.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);

    const peeked = await arkivB1.get("/api/messages/in/peek");
    expect([peeked.status, idOf(peeked.body)]).to.deep.equal([200, id]);
    expect((await arkivB2.get("/api/messages/in/peek")).status).to.equal(204);
    expect((await arkivB2.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    expect(await arkivB1.statuses(id)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
    await eventually("LEVERT at A", async () => ((await arkivA.statuses(id)).includes("LEVERT") ? true : undefined));
    expect(await arkivA.statuses(id)).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"]);
  });
});
