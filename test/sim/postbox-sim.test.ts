import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { expect } from "chai";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import { startPostboxSim, type PostboxBehaviour, type PostboxSim } from "../../src/sim/postbox/postbox-sim.js";
import { BUSINESS_ANCHORS, buildLetter, businessKey, DIGIPOST, EBOKS, NOW, type BuiltLetter } from "./postbox-fixtures.js";

/**
 * The polling loop against a small stand-in for corner 3 that records every call, so the order of receipts
 * and read confirmations and the handling of failures can be observed exactly. The real access point is
 * exercised in test/e2e/postbox-flow.test.ts.
 */

const TOKEN = "provider-token";

interface FakeLetter {
  letter: BuiltLetter;
  read: boolean;
  downloadurl?: string;
}

class FakeCornerThree {
  readonly letters: FakeLetter[] = [];
  readonly events: string[] = [];
  readonly receipts: string[] = [];
  readonly receiptIds = new Set<string>();
  /** Answer for the n-th receipt post (0-based); default 201. */
  receiptAnswer: (n: number, jws: string) => number = () => 201;
  private posts = 0;
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  add(letter: BuiltLetter, downloadurl?: string): void {
    this.letters.push({ letter, read: false, ...(downloadurl ? { downloadurl } : {}) });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private async route(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "content-type": status >= 400 ? "application/problem+json" : "application/json" });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { code: "token-missing" });
    const byId = (id: string | undefined) => this.letters.find((l) => l.letter.messageId === id);
    let m: RegExpExecArray | null;
    if (req.method === "GET" && url.pathname === "/messages/in") {
      const unread = this.letters.filter((l) => !l.read);
      if (unread.length === 0) return send(204);
      return send(200, unread.map((l) => ({ forretningsmelding: l.letter.jws, downloadurl: l.downloadurl ?? `${this.url}/messages/in/${l.letter.messageId}` })));
    }
    if (req.method === "GET" && (m = /^\/messages\/in\/([^/]+)$/.exec(url.pathname))) {
      const l = byId(m[1]);
      if (!l) return send(404);
      this.events.push(`download ${l.letter.messageId}`);
      res.writeHead(200, { "content-type": "application/cms" });
      return void res.end(Buffer.from(l.letter.cms));
    }
    if (req.method === "POST" && (m = /^\/messages\/in\/([^/]+)\/read$/.exec(url.pathname))) {
      const l = byId(m[1]);
      if (!l) return send(404);
      l.read = true;
      this.events.push(`read ${l.letter.messageId}`);
      return send(200, { id: l.letter.messageId, read: true });
    }
    if (req.method === "POST" && url.pathname === "/messages/out") {
      const form = await new Request(url, { method: "POST", headers: req.headers as Record<string, string>, body: Readable.toWeb(req) as ReadableStream, duplex: "half" } as RequestInit).formData();
      if (form.has("dokumentpakke")) return send(400, { code: "dokumentpakke-unexpected" });
      const jws = await (form.get("forretningsmelding") as Blob).text();
      const payload = JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8"));
      const header = payload.standardBusinessDocument.standardBusinessDocumentHeader;
      const id = header.documentIdentification.instanceIdentifier as string;
      const status = this.receiptAnswer(this.posts++, jws);
      if (status === 201 && this.receiptIds.has(id)) return send(409, { code: "message-id-used" });
      if (status !== 201) return send(status, { code: status >= 500 ? "unavailable" : "sbd-invalid" });
      this.receiptIds.add(id);
      this.receipts.push(jws);
      this.events.push(`receipt ${header.documentIdentification.type}`);
      return send(201, { id, status: "OPPRETTET" });
    }
    send(404);
  }
}

function movableClock(start: string) {
  let t = Date.parse(start);
  const clock = () => new Date(t);
  clock.advance = (ms: number) => {
    t += ms;
  };
  return clock;
}

describe("sim/postbox postbox-sim: the polling loop", () => {
  let ap: FakeCornerThree;
  let sim: PostboxSim | undefined;
  let clock: ReturnType<typeof movableClock>;

  const start = async (behaviour: PostboxBehaviour = {}) => {
    sim = await startPostboxSim({
      accessPointUrl: ap.url,
      orgno: DIGIPOST,
      signer: businessKey(DIGIPOST),
      grant: async () => TOKEN,
      businessAnchors: BUSINESS_ANCHORS,
      clock,
      pollIntervalMs: 0,
      behaviour: { openDelayMs: 60_000, ...behaviour },
    });
    return sim;
  };
  const letter = (opts: Parameters<typeof buildLetter>[0] = {}) => buildLetter({ clock, ...opts });
  const receiptTypes = () => ap.receipts.map((jws) => Object.keys(JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString()).standardBusinessDocument)[1]);

  beforeEach(async () => {
    clock = movableClock(NOW);
    ap = await new FakeCornerThree().start();
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await ap.close();
  });

  it("delivers, posts the leveringskvittering, and only then confirms the letter read", async () => {
    const l = await letter();
    ap.add(l);
    const s = await start();
    const result = await s.pollOnce();
    expect(result).to.deep.include({ listed: 1, delivered: 1, failed: 0 });
    expect(ap.events).to.deep.equal([`download ${l.messageId}`, "receipt leveringskvittering", `read ${l.messageId}`]);
    const [d] = s.delivered();
    expect(d).to.deep.include({ messageId: l.messageId, conversationId: l.conversationId, type: "digital", title: "Vedtak om skatt", postkasseadresse: "ola.nordmann#9YDT" });
    expect(d!.files).to.deep.equal(["vedtak.pdf", "vedlegg.pdf"]);

    const verified = await createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock })(ap.receipts[0]!);
    expect(verified.signerOrg).to.equal(`0192:${DIGIPOST}`);
    expect(verified.message.conversationId).to.equal(l.conversationId);
  });

  it("with concurrency 3, works on three letters of a page at once, each still download → receipt → read", async () => {
    const built = [];
    for (let i = 0; i < 5; i++) built.push(await letter());
    for (const l of built) ap.add(l);
    sim = await startPostboxSim({ accessPointUrl: ap.url, orgno: DIGIPOST, signer: businessKey(DIGIPOST), grant: async () => TOKEN, businessAnchors: BUSINESS_ANCHORS, clock, pollIntervalMs: 0, concurrency: 3, behaviour: { openDelayMs: 60_000 } });
    const result = await sim.pollOnce();
    expect(result).to.deep.include({ listed: 5, delivered: 5, failed: 0, redelivered: 0 });
    const ids = built.map((l) => l.messageId);
    // The first three letters are downloaded before any letter is confirmed read; the fourth only after one is.
    const firstRead = ap.events.findIndex((e) => e.startsWith("read "));
    expect(ap.events.slice(0, firstRead).filter((e) => e.startsWith("download ")).sort()).to.deep.equal(ids.slice(0, 3).map((id) => `download ${id}`).sort());
    expect(ap.events.indexOf(`download ${ids[3]}`)).to.be.greaterThan(firstRead);
    for (const id of ids) expect(ap.events.indexOf(`download ${id}`), id).to.be.lessThan(ap.events.indexOf(`read ${id}`));
    expect(ap.events.filter((e) => e === "receipt leveringskvittering")).to.have.length(5);
    expect(sim.delivered().map((d) => d.messageId).sort()).to.deep.equal([...ids].sort());
    expect(ap.letters.every((l) => l.read)).to.equal(true);
  });

  it("refuses a concurrency that is not a positive whole number", async () => {
    for (const concurrency of [0, -1, 1.5]) {
      let err: unknown;
      try {
        await startPostboxSim({ accessPointUrl: ap.url, orgno: DIGIPOST, signer: businessKey(DIGIPOST), grant: async () => TOKEN, businessAnchors: BUSINESS_ANCHORS, pollIntervalMs: 0, concurrency });
      } catch (e) {
        err = e;
      }
      expect((err as Error)?.message, String(concurrency)).to.equal(`concurrency must be a positive integer, not ${concurrency}`);
    }
  });

  it("posts the aapningskvittering once the citizen has opened the letter, not before", async () => {
    ap.add(await letter());
    const s = await start({ openDelayMs: 60_000 });
    await s.pollOnce();
    clock.advance(59_000);
    await s.pollOnce();
    expect(receiptTypes()).to.deep.equal(["leveringskvittering"]);
    clock.advance(1_000);
    await s.pollOnce();
    expect(receiptTypes()).to.deep.equal(["leveringskvittering", "aapningskvittering"]);
    await s.pollOnce();
    expect(receiptTypes(), "sent once").to.have.length(2);
    expect(s.receipts().map((r) => r.status)).to.deep.equal(["accepted", "accepted"]);
  });

  it("when the receipt is not accepted, the letter stays unread; offered again it is not delivered twice", async () => {
    const l = await letter();
    ap.add(l);
    ap.receiptAnswer = (n) => (n === 0 ? 503 : 201);
    const s = await start();
    await s.pollOnce();
    expect(ap.letters[0]!.read).to.equal(false);
    expect(s.receipts()[0]).to.deep.include({ status: "pending", attempts: 1 });

    const again = await s.pollOnce();
    expect(again).to.deep.include({ redelivered: 1, delivered: 0 });
    expect(ap.letters[0]!.read).to.equal(true);
    expect(s.delivered()).to.have.length(1);
    expect(s.stats()).to.deep.include({ delivered: 1, redeliveries: 1, receiptsAccepted: 1 });
    expect(ap.events.filter((e) => e.startsWith("download")), "downloaded once").to.have.length(1);
    expect(s.receipts()[0]).to.deep.include({ status: "accepted", attempts: 2 });
  });

  it("a resent receipt keeps its message id and bytes; a 409 message-id-used counts as accepted", async () => {
    ap.add(await letter());
    const seen: string[] = [];
    // The first post gets through but its answer is lost (the fake records it and answers 503).
    ap.receiptAnswer = (n, jws) => {
      seen.push(jws);
      if (n === 0) {
        ap.receiptIds.add(JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString()).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier);
        return 503;
      }
      return 201;
    };
    const s = await start();
    await s.pollOnce();
    await s.pollOnce();
    expect(seen).to.have.length(2);
    expect(seen[1]).to.equal(seen[0]);
    expect(s.receipts()[0]!.status).to.equal("accepted");
    expect(ap.letters[0]!.read).to.equal(true);
  });

  it("a crash after delivery leads to redelivery, recognised by message id", async () => {
    const l = await letter();
    ap.add(l);
    let crashes = 0;
    const s = await start({ crashAfterDelivery: () => crashes++ === 0 });
    const first = await s.pollOnce();
    expect(first).to.deep.include({ delivered: 0, failed: 1 });
    expect(ap.receipts).to.have.length(0);
    expect(ap.letters[0]!.read).to.equal(false);

    const second = await s.pollOnce();
    expect(second).to.deep.include({ redelivered: 1, delivered: 0 });
    expect(s.delivered().map((d) => d.messageId)).to.deep.equal([l.messageId]);
    expect(receiptTypes()).to.deep.equal(["leveringskvittering"]);
    expect(ap.letters[0]!.read).to.equal(true);
  });

  it("a receipt the access point refuses for good does not keep the letter unread forever", async () => {
    ap.add(await letter());
    ap.receiptAnswer = () => 400;
    const s = await start();
    await s.pollOnce();
    expect(ap.letters[0]!.read).to.equal(true);
    expect(s.receipts()[0]).to.deep.include({ status: "refused" });
    expect(s.receipts()[0]!.problem).to.match(/HTTP 400/);
    expect(s.stats().receiptsRefused).to.equal(1);
  });

  it("a letter that fails a check gets a feil, and is then confirmed read", async () => {
    const l = await letter({ recipientCertificate: businessKey(EBOKS).certificate });
    ap.add(l);
    const s = await start();
    const result = await s.pollOnce();
    expect(result).to.deep.include({ rejected: 1, delivered: 0 });
    expect(s.delivered()).to.deep.equal([]);
    expect(s.rejected()[0]).to.deep.include({ messageId: l.messageId, code: "dokumentpakke-decrypt-failed", stage: "decryption" });
    expect(ap.events.slice(1)).to.deep.equal(["receipt feil", `read ${l.messageId}`]);
    const feil = JSON.parse(Buffer.from(ap.receipts[0]!.split(".")[1]!, "base64url").toString()).standardBusinessDocument.feil;
    expect(feil).to.deep.include({ feiltype: "KLIENT" });
    expect(feil.detaljer).to.match(/^dokumentpakke-decrypt-failed: /);
  });

  it("never sends its token to a downloadurl on another origin", async () => {
    const l = await letter();
    ap.add(l, `http://127.0.0.2:1/messages/in/${l.messageId}`);
    const s = await start();
    const result = await s.pollOnce();
    expect(result).to.deep.include({ failed: 1, delivered: 0, rejected: 0 });
    expect(ap.letters[0]!.read).to.equal(false);
    expect(ap.receipts).to.deep.equal([]);
  });

  it("polls on its own and stops cleanly", async () => {
    ap.add(await letter());
    sim = await startPostboxSim({
      accessPointUrl: ap.url,
      orgno: `0192:${DIGIPOST}`,
      signer: businessKey(DIGIPOST),
      grant: async () => TOKEN,
      businessAnchors: BUSINESS_ANCHORS,
      clock,
      pollIntervalMs: 20,
    });
    for (let i = 0; i < 100 && !ap.letters[0]!.read; i++) await new Promise((r) => setTimeout(r, 20));
    expect(ap.letters[0]!.read).to.equal(true);
    await sim.stop();
    const polls = sim.stats().polls;
    await new Promise((r) => setTimeout(r, 80));
    expect(sim.stats().polls).to.equal(polls);
  });

  it("refuses to start with a certificate of another organisation", async () => {
    let err: unknown;
    try {
      await startPostboxSim({ accessPointUrl: ap.url, orgno: DIGIPOST, signer: businessKey(EBOKS), grant: async () => TOKEN, businessAnchors: BUSINESS_ANCHORS, pollIntervalMs: 0 });
    } catch (e) {
      err = e;
    }
    expect((err as Error)?.message).to.match(/922020175/);
  });
});
