import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import express from "express";
import { DEFAULT_LOCK_MS, messagesInRouter, nextMoveInbox, type MessagesInDeps } from "../../../src/api/nextmove/messages-in.js";
import { notFound, problemHandler } from "../../../src/api/problem-middleware.js";
import { silentLogger } from "../../../src/log.js";
import { openEformidlingAsic } from "../../../src/packaging/index.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { NextMoveInRepo, type InboxMessage } from "../../../src/store/nextmove-in-repo.js";
import { NextMoveRepo } from "../../../src/store/nextmove-repo.js";
import { expectProblem } from "../../helpers/problem.js";
import {
  businessAnchors,
  envelope,
  incomingSbd,
  KEYLESS_ORG,
  plainAsic,
  RECEIVER_ORG,
  SECOND_ORG,
  SENDER_ORG,
  statusCount,
  storeBlob,
  tamperedAsic,
  testKeyStores,
  untrustedAsic,
  type IncomingOptions,
} from "../../helpers/incoming-nextmove.js";
import { openProviderStore, PROVIDERS, skipWithoutPostgres, type ProviderStore } from "../../helpers/provider-store.js";
import { callerFromHeader, closeServer } from "./harness.js";

// /api/messages/in over real HTTP, on both stores: the list, peek's lock, pop's decrypted ASiC-E and delete's
// INNKOMMENDE_LEVERT, with the integrasjonspunkt's status codes, bodies and headers, scoped to the caller.

const T0 = new Date("2030-01-01T10:00:00Z");
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const LOCK_S = DEFAULT_LOCK_MS / 1000;
const ASIC_A = plainAsic(RECEIVER_ORG);
const ASIC_B = plainAsic(SECOND_ORG);

interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  bytes: Buffer;
  body: unknown;
}

for (const provider of PROVIDERS) {
  describe(`NextMove API: /api/messages/in on ${provider}`, function () {
    this.timeout(30_000);
    let store: ProviderStore;
    let dir: string;
    let blobs: FolderBlobStore;
    let repo: NextMoveInRepo;
    let server: Server;
    let base: string;
    const now = { value: T0 };
    let delivered: unknown[];
    let onDelivered: MessagesInDeps["onDelivered"];

    before(async function () {
      await skipWithoutPostgres.call(this, provider);
    });
    beforeEach(async () => {
      store = await openProviderStore(provider, "nm_messages_in_");
      dir = await mkdtemp(path.join(os.tmpdir(), "nm-messages-in-"));
      blobs = new FolderBlobStore(dir);
      await blobs.init();
      repo = new NextMoveInRepo(store.db);
      now.value = T0;
      delivered = [];
      onDelivered = async (m, tx) => {
        delivered.push({ messageId: m.messageId, readAt: m.readAt, statuses: await statusCount(tx, m.messageId) });
      };
      const clock = () => new Date(now.value.getTime());
      const app = express();
      app.use("/api", callerFromHeader);
      app.use(
        "/api",
        messagesInRouter({
          repo,
          inbox: nextMoveInbox(repo.conversations, clock),
          blobs,
          keystores: testKeyStores(),
          anchors: businessAnchors(),
          clock,
          lockMs: DEFAULT_LOCK_MS,
          log: silentLogger,
          onDelivered: (m, tx) => onDelivered!(m, tx),
        }),
      );
      app.use(notFound);
      app.use(problemHandler(silentLogger));
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await closeServer(server);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });

    const advance = (seconds: number) => (now.value = new Date(now.value.getTime() + seconds * 1000));

    async function call(method: string, p: string, orgs?: string): Promise<Answer> {
      const res = await fetch(base + p, { method, headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString("utf8");
      const contentType = res.headers.get("content-type");
      const body = contentType?.includes("json") && text !== "" ? (JSON.parse(text) as unknown) : undefined;
      return { status: res.status, contentType, headers: res.headers, text, bytes, body };
    }

    /** An incoming message as a channel files it; its package encrypted to its receiver unless `pkg` says otherwise. */
    async function receive(o: IncomingOptions & { channel?: "DPO" | "DPE" | "DPF"; pkg?: Uint8Array | null }): Promise<InboxMessage> {
      const receiver = o.receiver ?? RECEIVER_ORG;
      const bytes = o.pkg === undefined ? envelope(receiver === SECOND_ORG ? ASIC_B : ASIC_A, receiver, o.channel === "DPE" ? "rsa-pkcs1v15" : "rsaes-oaep") : o.pkg;
      const pkg = bytes === null ? undefined : await storeBlob(blobs, bytes);
      const m = await repo.receive({ channel: o.channel ?? "DPO", sbd: incomingSbd(o), package: pkg }, now.value);
      advance(1);
      return m;
    }

    const statuses = async (messageId: string) => (await repo.conversations.statuses("IN", messageId)).map((s) => s.status);
    const sbdOf = async (messageId: string) => (await repo.message(messageId))!.nextMove.sbd;

    describe("GET /api/messages/in", () => {
      it("answers a Spring page of the SBDs as stored, oldest first, unsorted unless asked", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2), type: "arkivmelding_kvittering", pkg: null });
        const r = await call("GET", "/api/messages/in");
        expect({ status: r.status, contentType: r.contentType }).to.deep.equal({ status: 200, contentType: "application/json; charset=utf-8" });
        const unsorted = { empty: true, sorted: false, unsorted: true };
        expect(r.body).to.deep.equal({
          content: [JSON.parse(await sbdOf(id(1))), JSON.parse(await sbdOf(id(2)))],
          pageable: { pageNumber: 0, pageSize: 10, sort: unsorted, offset: 0, paged: true, unpaged: false },
          last: true,
          totalElements: 2,
          totalPages: 1,
          size: 10,
          number: 0,
          sort: unsorted,
          first: true,
          numberOfElements: 2,
          empty: false,
        });
        // The SBD text itself, as stored (the integrasjonspunkt's serialisation), is what the page carries.
        expect(r.text.startsWith(`{"content":[${await sbdOf(id(1))},`)).to.equal(true);
        const page = (await call("GET", "/api/messages/in?size=1&page=1&sort=messageId,desc")).body as { content: { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }[]; [k: string]: unknown };
        expect({
          ids: page.content.map((s) => s.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier),
          totalPages: page.totalPages,
          first: page.first,
          last: page.last,
          sort: page.sort,
        }).to.deep.equal({ ids: [id(1)], totalPages: 2, first: false, last: true, sort: { empty: false, sorted: true, unsorted: false } });
      });

      it("filters as NextMoveInMessageQueryInput does, and refuses a filter it cannot read", async () => {
        await receive({ messageId: id(1), conversationId: "c1000000-0000-4000-8000-000000000001" });
        await receive({ messageId: id(2), receiver: SECOND_ORG, sender: `${SENDER_ORG}:${SECOND_ORG}` });
        await receive({ messageId: id(3), channel: "DPE", type: "innsynskrav" });
        const ids = async (q: string) => {
          const r = await call("GET", `/api/messages/in?${q}`);
          expect(r.status, r.text).to.equal(200);
          return (r.body as { content: { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }[] }).content.map(
            (s) => s.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier,
          );
        };
        expect(await ids("conversationId=c1000000-0000-4000-8000-000000000001")).to.deep.equal([id(1)]);
        expect(await ids(`messageId=${id(2).toUpperCase()}`)).to.deep.equal([id(2)]);
        expect(await ids(`receiverIdentifier=${SECOND_ORG}`)).to.deep.equal([id(2)]);
        expect(await ids(`receiverIdentifier=0192:${RECEIVER_ORG}`)).to.deep.equal([id(1), id(3)]);
        expect(await ids(`senderIdentifier=${SENDER_ORG}`)).to.deep.equal([id(1), id(2), id(3)]);
        expect(await ids("serviceIdentifier=DPE")).to.deep.equal([id(3)]);
        expect(await ids("serviceIdentifier=DPH")).to.deep.equal([]);
        expect(await ids("process=urn:no:difi:profile:einnsyn:innsynskrav:ver1.0")).to.deep.equal([id(3)]);
        expect(await ids("process=urn:no:difi:profile:arkivmelding:administrasjon:ver1.0&serviceIdentifier=DPO")).to.deep.equal([id(1), id(2)]);
        expectProblem(await call("GET", "/api/messages/in?serviceIdentifier=DPX"), 400, "nextmove-query-invalid");
        expectProblem(await call("GET", "/api/messages/in?messageId=a&messageId=b"), 400, "nextmove-query-invalid");
        expectProblem(await call("GET", "/api/messages/in?sort=sbd"), 400, "nextmove-query-invalid");
      });

      it("shows a caller only what is addressed to its organisations, and no DPI inbox rows", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2), receiver: SECOND_ORG });
        await store.db.$transaction(
          repo.conversations.insertOperations(
            { messageId: id(9), direction: "IN", conversationId: "c9", channel: "DPI", process: "p", documentType: "digital", standard: "s", senderIdentifier: "0192:987654325", receiverIdentifier: `0192:${RECEIVER_ORG}` },
            "MOTTATT",
            T0,
          ),
        );
        const total = async (orgs?: string) => ((await call("GET", "/api/messages/in", orgs)).body as { totalElements: number }).totalElements;
        expect([await total(), await total(RECEIVER_ORG), await total(SECOND_ORG), await total(`${RECEIVER_ORG},${SECOND_ORG}`), await total(SENDER_ORG), await total("")]).to.deep.equal([2, 1, 1, 2, 0, 0]);
      });
    });

    describe("GET /api/messages/in/peek", () => {
      it("locks the oldest unlocked message for five minutes and answers its SBD as stored; 204 when none is free", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2) });
        const first = await call("GET", "/api/messages/in/peek");
        expect({ status: first.status, contentType: first.contentType, text: first.text }).to.deep.equal({ status: 200, contentType: "application/json; charset=utf-8", text: await sbdOf(id(1)) });
        expect((await repo.message(id(1)))!.lockedUntil).to.deep.equal(new Date(now.value.getTime() + DEFAULT_LOCK_MS));
        expect((await call("GET", "/api/messages/in/peek")).text).to.equal(await sbdOf(id(2)));
        const none = await call("GET", "/api/messages/in/peek");
        expect({ status: none.status, text: none.text }).to.deep.equal({ status: 204, text: "" });
        // Locked messages are still listed.
        expect(((await call("GET", "/api/messages/in")).body as { totalElements: number }).totalElements).to.equal(2);
        advance(LOCK_S);
        expect((await call("GET", "/api/messages/in/peek")).text, "a lock that ran out frees the message").to.equal(await sbdOf(id(1)));
      });

      it("peeks within the filters and the caller's organisations", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2), receiver: SECOND_ORG });
        await receive({ messageId: id(3), channel: "DPE", type: "innsynskrav" });
        expect((await call("GET", "/api/messages/in/peek", SECOND_ORG)).text).to.equal(await sbdOf(id(2)));
        expect((await call("GET", "/api/messages/in/peek", SECOND_ORG)).status).to.equal(204);
        expect((await call("GET", "/api/messages/in/peek?serviceIdentifier=DPE", RECEIVER_ORG)).text).to.equal(await sbdOf(id(3)));
        expect((await call("GET", "/api/messages/in/peek?serviceIdentifier=DPE")).status).to.equal(204);
        expect((await call("GET", "/api/messages/in/peek", SENDER_ORG)).status).to.equal(204);
        expect((await repo.message(id(1)))!.lockedUntil).to.equal(null);
      });
    });

    describe("GET /api/messages/in/pop/{messageId}", () => {
      it("answers the decrypted ASiC-E of a locked message as asic.zip", async () => {
        await receive({ messageId: id(1) });
        await call("GET", "/api/messages/in/peek");
        const r = await call("GET", `/api/messages/in/pop/${id(1)}`);
        expect({ status: r.status, contentType: r.contentType, disposition: r.headers.get("content-disposition"), length: r.headers.get("content-length") }).to.deep.equal({
          status: 200,
          contentType: "application/vnd.etsi.asic-e+zip",
          disposition: "attachment; filename=asic.zip",
          length: String(ASIC_A.byteLength),
        });
        expect(r.bytes.equals(Buffer.from(ASIC_A))).to.equal(true);
        const opened = openEformidlingAsic(r.bytes);
        expect(opened.documents.map((d) => d.name)).to.deep.equal(["arkivmelding.xml", "vedtak.pdf"]);
        // Pop leaves the message where it is: still listed, still locked, nothing registered.
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT"]);
        expect((await call("GET", `/api/messages/in/pop/${id(1).toUpperCase()}`)).bytes.equals(Buffer.from(ASIC_A))).to.equal(true);
      });

      it("opens DPE's PKCS#1 v1.5 envelope with the receiving organisation's own key", async () => {
        await receive({ messageId: id(1), receiver: SECOND_ORG, channel: "DPE", type: "innsynskrav" });
        await call("GET", "/api/messages/in/peek");
        const r = await call("GET", `/api/messages/in/pop/${id(1)}`, SECOND_ORG);
        expect(r.status).to.equal(200);
        expect(r.bytes.equals(Buffer.from(ASIC_B))).to.equal(true);
      });

      it("refuses an unlocked message with 400, and an unknown or another's with 404", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2), receiver: SECOND_ORG });
        expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 400, "nextmove-message-not-locked");
        expectProblem(await call("GET", `/api/messages/in/pop/${id(7)}`), 404, "nextmove-message-not-found");
        await call("GET", "/api/messages/in/peek");
        await call("GET", "/api/messages/in/peek");
        expectProblem(await call("GET", `/api/messages/in/pop/${id(2)}`, RECEIVER_ORG), 404, "nextmove-message-not-found");
        advance(LOCK_S);
        expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 400, "nextmove-message-not-locked");
      });

      it("answers 204 for a receipt, which carries no package", async () => {
        await receive({ messageId: id(1), type: "arkivmelding_kvittering", pkg: null });
        await call("GET", "/api/messages/in/peek");
        const r = await call("GET", `/api/messages/in/pop/${id(1)}`);
        expect({ status: r.status, text: r.text, disposition: r.headers.get("content-disposition") }).to.deep.equal({ status: 204, text: "", disposition: null });
      });

      for (const [label, pkg, reason] of [
        ["encrypted to another organisation", () => envelope(ASIC_A, SECOND_ORG), "cms-wrong-recipient"],
        ["not CMS at all", () => Buffer.from("PK\u0003\u0004 not an envelope"), "cms-malformed"],
        ["gone from the blob store", "missing", "the stored package is missing"],
        ["signed outside the business PKI", () => envelope(untrustedAsic(), RECEIVER_ORG), "efm-asic-signer-untrusted: the signer's certificate is not trusted: untrusted certificate: its issuer is not a trust anchor nor issued by one (issuer C=NO, O=dpi-ap test, CN=DPI-AP TEST ACCESS POINT CA)"],
        ["changed after it was signed", () => envelope(tamperedAsic(), RECEIVER_ORG), 'efm-asic-malformed: not a readable zip: entry "vedtak.pdf" is corrupt: CRC-32 mismatch'],
      ] as const) {
        it(`removes a message whose package is ${label} with FEIL and answers 404, as the integrasjonspunkt does`, async () => {
          const m = await receive({ messageId: id(1), pkg: pkg === "missing" ? envelope(ASIC_A, RECEIVER_ORG) : pkg() });
          if (pkg === "missing") await rm(blobs.pathOf(m.nextMove.packageKey!));
          await call("GET", "/api/messages/in/peek");
          expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 404, "nextmove-package-unreadable");
          const history = await repo.conversations.statuses("IN", id(1));
          expect(history.map((s) => [s.status, s.description])).to.deep.equal([
            ["INNKOMMENDE_MOTTATT", null],
            ["FEIL", `asic.zip of message ${id(1)} from 0192:${SENDER_ORG} cannot be read (${reason}); removed from the queue`],
          ]);
          expect(await blobs.size(m.nextMove.packageKey!)).to.equal(undefined);
          expect(await new NextMoveRepo(store.db).blobKeys()).to.deep.equal(new Set());
          expect(((await call("GET", "/api/messages/in")).body as { totalElements: number }).totalElements).to.equal(0);
          expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 404, "nextmove-message-not-found");
          expectProblem(await call("DELETE", `/api/messages/in/${id(1)}`), 404, "nextmove-message-not-found");
        });
      }

      it("answers 500 and keeps the message when the receiving organisation has no key here", async () => {
        const m = await receive({ messageId: id(1), receiver: KEYLESS_ORG, pkg: envelope(ASIC_A, RECEIVER_ORG) });
        await call("GET", "/api/messages/in/peek");
        expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 500, "internal-error");
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT"]);
        expect(await blobs.size(m.nextMove.packageKey!)).to.equal(m.nextMove.packageSize);
      });
    });

    describe("DELETE /api/messages/in/{messageId}", () => {
      it("delivers a locked message: INNKOMMENDE_LEVERT, out of the inbox, package deleted, the SBD as stored in the answer", async () => {
        const m = await receive({ messageId: id(1) });
        await receive({ messageId: id(2) });
        await call("GET", "/api/messages/in/peek");
        const r = await call("DELETE", `/api/messages/in/${id(1)}`);
        expect({ status: r.status, contentType: r.contentType, text: r.text }).to.deep.equal({ status: 200, contentType: "application/json; charset=utf-8", text: await sbdOf(id(1)) });
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
        const after = (await repo.message(id(1)))!;
        expect({ readAt: after.readAt, lockedUntil: after.lockedUntil, finished: after.finished, packageKey: after.nextMove.packageKey }).to.deep.equal({
          readAt: now.value,
          lockedUntil: null,
          finished: true,
          packageKey: null,
        });
        expect(await blobs.size(m.nextMove.packageKey!)).to.equal(undefined);
        expect(delivered).to.deep.equal([{ messageId: id(1), readAt: now.value, statuses: 2 }]);
        expect(((await call("GET", "/api/messages/in")).body as { totalElements: number }).totalElements).to.equal(1);
        expectProblem(await call("DELETE", `/api/messages/in/${id(1)}`), 404, "nextmove-message-not-found");
        expectProblem(await call("GET", `/api/messages/in/pop/${id(1)}`), 404, "nextmove-message-not-found");
      });

      it("refuses an unlocked message with 400, an unknown, another's or a DPI inbox row with 404", async () => {
        await receive({ messageId: id(1) });
        await receive({ messageId: id(2), receiver: SECOND_ORG });
        await store.db.$transaction(
          repo.conversations.insertOperations(
            { messageId: id(9), direction: "IN", conversationId: "c9", channel: "DPI", process: "p", documentType: "digital", standard: "s", senderIdentifier: "0192:987654325", receiverIdentifier: `0192:${RECEIVER_ORG}` },
            "MOTTATT",
            T0,
          ),
        );
        expectProblem(await call("DELETE", `/api/messages/in/${id(1)}`), 400, "nextmove-message-not-locked");
        expectProblem(await call("DELETE", `/api/messages/in/${id(7)}`), 404, "nextmove-message-not-found");
        expectProblem(await call("DELETE", `/api/messages/in/${id(9)}`), 404, "nextmove-message-not-found");
        await call("GET", "/api/messages/in/peek");
        await call("GET", "/api/messages/in/peek");
        expectProblem(await call("DELETE", `/api/messages/in/${id(2)}`, RECEIVER_ORG), 404, "nextmove-message-not-found");
        advance(LOCK_S);
        expectProblem(await call("DELETE", `/api/messages/in/${id(1)}`), 400, "nextmove-message-not-locked");
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT"]);
        expect(delivered).to.deep.equal([]);
      });

      it("delivers a receipt without a package", async () => {
        await receive({ messageId: id(1), type: "arkivmelding_kvittering", pkg: null });
        await call("GET", "/api/messages/in/peek");
        const r = await call("DELETE", `/api/messages/in/${id(1)}`);
        expect({ status: r.status, text: r.text }).to.deep.equal({ status: 200, text: await sbdOf(id(1)) });
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
      });

      it("undoes the delivery when the delivery's writes fail: 500, the message stays locked in the inbox", async () => {
        const m = await receive({ messageId: id(1) });
        await call("GET", "/api/messages/in/peek");
        onDelivered = async () => {
          throw new Error("status message could not be written");
        };
        expectProblem(await call("DELETE", `/api/messages/in/${id(1)}`), 500, "internal-error");
        expect(await statuses(id(1))).to.deep.equal(["INNKOMMENDE_MOTTATT"]);
        expect(await blobs.size(m.nextMove.packageKey!)).to.equal(m.nextMove.packageSize);
        expect((await call("GET", `/api/messages/in/pop/${id(1)}`)).status).to.equal(200);
      });
    });
  });
}
