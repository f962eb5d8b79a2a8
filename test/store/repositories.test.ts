import { expect } from "chai";
import { LETTER_TYPES } from "../../src/dpi/document-types.js";
import { readScopeOf } from "../../src/dpi/read-scope.js";
import { ConversationsRepo, DuplicateMessageIdError, registerStatusIn, StatusNotInModelError } from "../../src/store/conversations-repo.js";
import { DpiMessagesRepo, type FirstLetter, type NewDpiMessage } from "../../src/store/dpi-messages-repo.js";
import { ExchangeRepo, outboundEvidence } from "../../src/store/exchange-repo.js";
import { OutboxRepo, type AttemptRecord } from "../../src/store/outbox-repo.js";
import type { RouteRecord } from "../../src/core/channel.js";
import { createHash } from "node:crypto";
import type { Db } from "../../src/store/prisma.js";
import { PushRepo } from "../../src/store/push-repo.js";
import { openStoreOn } from "../helpers/temp-store.js";
import { sqlOf } from "../../src/store/sql.js";
import { ParticipantsRepo } from "../../src/store/participants-repo.js";
import { StatusReplyRepo } from "../../src/store/status-reply-repo.js";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CERTS } from "../helpers/certs.js";
import { decodeRevocation, RevocationAnswersRepo, type AnswerToKeep, type RevocationUseRecord } from "../../src/store/revocation-answers-repo.js";
import { equals } from "../../src/store/sql-condition.js";
import { DpfMailRepo, type NewDpfMail } from "../../src/store/dpf-mail-repo.js";
import { NextMoveInRepo } from "../../src/store/nextmove-in-repo.js";
import { incomingSbd, RECEIVER_ORG } from "../helpers/incoming-nextmove.js";

// The repositories are typed against the SQLite client and handed a PostgreSQL client under the same type, so
// every query they make is run here on both stores.

const T0 = new Date("2030-01-01T00:00:00.123Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const LEASE_MS = 60_000;
const SENDER = "0192:987654325";
const PROVIDER = "0192:123456785";
const OTHER = "0192:999999999";

function message(id: string, over: Partial<NewDpiMessage> = {}): NewDpiMessage {
  return {
    messageId: id,
    direction: "OUT",
    conversationId: `conv-${id}`,
    documentType: "digital",
    process: "urn:no:difi:profile:digitalpost:info:ver1.0",
    standard: "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    senderIdentifier: SENDER,
    receiverIdentifier: PROVIDER,
    avsenderOrg: SENDER,
    forretningsmelding: `jws-${id}`,
    ...over,
  };
}


for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`store repositories on ${provider}`, function () {
    this.timeout(30_000);
    let store: { db: Db; close(): Promise<void> } | undefined;
    let messages: DpiMessagesRepo;
    let outbox: OutboxRepo;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStoreOn(provider, "repos");
      messages = new DpiMessagesRepo(store.db);
      outbox = new OutboxRepo(store.db);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    describe("DpiMessagesRepo", () => {
      it("stores a message with its first status and reads every field back", async () => {
        await messages.insert(
          message("m1", {
            kanal: "KANAL-A",
            payload: { key: "k1", size: 1234, sha256Hex: "ab".repeat(32) },
            expiry: at(86_400_000),
            as4MessageId: "as4-1@x",
            databehandlerOrg: OTHER,
            avsenderidentifikator: "skatt",
            mottakerOrg: PROVIDER,
          }),
          "OPPRETTET",
          T0,
          "received",
        );
        const m = await messages.get("OUT", "m1");
        expect(m).to.include({
          messageId: "m1",
          direction: "OUT",
          conversationId: "conv-m1",
          channel: "DPI",
          documentType: "digital",
          senderIdentifier: SENDER,
          receiverIdentifier: PROVIDER,
          senderName: null,
          receiverName: null,
          messageReference: null,
          messageTitle: null,
          externalReference: null,
          finished: false,
          pollable: false,
          status: "OPPRETTET",
          readAt: null,
          lockedUntil: null,
          nextPollAt: null,
          attempts: 0,
          nextAttemptAt: null,
        });
        expect(m!.dpi).to.deep.include({
          avsenderOrg: SENDER,
          databehandlerOrg: OTHER,
          avsenderidentifikator: "skatt",
          mottakerOrg: PROVIDER,
          kanal: "kanal-a",
          forretningsmelding: "jws-m1",
          payloadKey: "k1",
          payloadSize: 1234,
          payloadSha256: "ab".repeat(32),
          as4MessageId: "as4-1@x",
          signedReferences: null,
          pushAttempts: 0,
          pushLeaseUntil: null,
        });
        expect(m!.createdAt.getTime()).to.equal(T0.getTime());
        expect(m!.expiry!.getTime()).to.equal(at(86_400_000).getTime());
        expect(m!.updatedAt).to.be.instanceOf(Date);
        expect(await messages.get("IN", "m1")).to.equal(null);
        expect(await messages.statuses("OUT", "m1")).to.deep.equal([{ status: "OPPRETTET", description: "received", rawReceipt: null, timestamp: T0 }]);
        expect([...(await messages.payloadKeys())]).to.deep.equal(["k1"]);
      });

      it("finds a message by its id in any letter case, and only a DPI conversation", async () => {
        await messages.insert(message("ab-cd"), "OPPRETTET", T0);
        expect((await messages.get("OUT", "AB-CD"))?.messageId).to.equal("ab-cd");
        await store!.db.$transaction(
          new ConversationsRepo(store!.db).insertOperations(
            { messageId: "dpo-1", direction: "OUT", conversationId: "conv-dpo", channel: "DPO", process: "arkivmelding", documentType: "arkivmelding", standard: "s", senderIdentifier: SENDER, receiverIdentifier: PROVIDER },
            "OPPRETTET",
            T0,
          ),
        );
        expect(await messages.get("OUT", "dpo-1"), "a DPO conversation is not a DPI message").to.equal(null);
        expect(await new ConversationsRepo(store!.db).get("OUT", "dpo-1")).to.include({ channel: "DPO", status: "OPPRETTET" });
      });

      it("refuses a reused id without leaving anything behind", async () => {
        await messages.insert(message("m1"), "OPPRETTET", T0);
        const err = await messages.insert(message("m1", { conversationId: "other" }), "OPPRETTET", at(1)).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(DuplicateMessageIdError).with.property("messageId", "m1");
        expect(await messages.statuses("OUT", "m1")).to.have.length(1);
        expect((await messages.get("OUT", "m1"))!.conversationId).to.equal("conv-m1");
        // The same id in the other direction is another message.
        await messages.insert(message("m1", { direction: "IN" }), "MOTTATT", at(2));
        expect(await messages.get("IN", "m1")).to.include({ status: "MOTTATT" });
      });

      it("lists unread incoming messages for their readers, by kanal and page, and confirms reading once", async () => {
        await messages.insert(message("a", { direction: "IN", kanal: "K1" }), "MOTTATT", at(3));
        await messages.insert(message("b", { direction: "IN", kanal: "K2" }), "MOTTATT", at(1));
        await messages.insert(message("c", { direction: "IN", documentType: "leveringskvittering", receiverIdentifier: PROVIDER, mottakerOrg: PROVIDER }), "MOTTATT", at(2));
        await messages.insert(message("d", { direction: "IN", receiverIdentifier: OTHER }), "MOTTATT", at(0));
        await messages.insert(message("e"), "OPPRETTET", at(0));
        const all = await messages.unread({ scope: readScopeOf({ consumer: PROVIDER }), pageSize: 10, page: 0 });
        expect(all.map((m) => m.messageId)).to.deep.equal(["b", "c", "a"]);
        expect((await messages.unread({ scope: readScopeOf({ consumer: PROVIDER }), kanal: "k1", pageSize: 10, page: 0 })).map((m) => m.messageId)).to.deep.equal(["a"]);
        expect((await messages.unread({ scope: readScopeOf({ consumer: PROVIDER }), pageSize: 2, page: 1 })).map((m) => m.messageId)).to.deep.equal(["a"]);
        expect(await messages.markRead("b", at(10))).to.equal(true);
        expect(await messages.markRead("b", at(11))).to.equal(false);
        expect(await messages.markRead("e", at(11)), "OUT messages are not read").to.equal(false);
        expect((await messages.get("IN", "b"))!.readAt!.getTime()).to.equal(at(10).getTime());
        expect((await messages.unread({ scope: readScopeOf({ consumer: PROVIDER }), pageSize: 10, page: 0 })).map((m) => m.messageId)).to.deep.equal(["c", "a"]);
      });

      it("returns a conversation oldest first with each message's statuses, and gives a receipt its first outgoing letter", async () => {
        await messages.insert(message("r", { direction: "IN", conversationId: "conv", documentType: "leveringskvittering" }), "MOTTATT", at(5));
        await messages.insert(message("l", { conversationId: "conv" }), "OPPRETTET", at(0));
        await outbox.markSent("l", at(1));
        const conv = await messages.conversation("conv");
        expect(conv.map((m) => [m.direction, m.messageId])).to.deep.equal([["OUT", "l"], ["IN", "r"]]);
        expect(conv[0]!.statuses.map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT"]);
        expect(conv[1]!.dpi.forretningsmelding).to.equal("jws-r");
        // A receipt made from the conversation's first outgoing letter gets that letter, with its DPI columns.
        const given: (FirstLetter | null)[] = [];
        const fromLetter = (first: FirstLetter | null) => (given.push(first), message("r2", { direction: "IN", conversationId: "conv", documentType: "leveringskvittering" }));
        await messages.insertReceipt({ messageId: "r2", conversationId: "conv", fromLetter }, "MOTTATT", at(6), undefined);
        expect(given.map((l) => [l?.messageId, l?.documentType, l?.dpi.avsenderOrg])).to.deep.equal([["l", "digital", SENDER]]);
      });
    });

    describe("DpiMessagesRepo.insertReceipt", () => {
      const receiptOf = (id: string, conversationId: string) => message(id, { direction: "IN", conversationId, documentType: "leveringskvittering", senderIdentifier: PROVIDER, receiverIdentifier: SENDER });
      const levert = { status: "LEVERT", at: at(50), description: "leveringskvittering r", rawReceipt: "jws-r" };

      it("stores the receipt and registers the status on the letters of its conversation it answers, only those", async () => {
        await messages.insert(message("l1", { conversationId: "conv" }), "OPPRETTET", at(0));
        await messages.insert(message("l2", { conversationId: "conv", receiverIdentifier: OTHER }), "OPPRETTET", at(1));
        await messages.insert(message("elsewhere", { conversationId: "other-conv" }), "OPPRETTET", at(2));
        await outbox.markSent("l1", at(3));
        const offered: string[] = [];
        const outcomes = await messages.insertReceipt(receiptOf("r", "conv"), "MOTTATT", at(40), {
          ...levert,
          answers: (letter) => (offered.push(letter.messageId), letter.receiverIdentifier === PROVIDER),
        });
        expect(offered).to.deep.equal(["l1", "l2"]);
        expect(outcomes).to.deep.equal([{ messageId: "l1", decision: { ok: true, status: "LEVERT" } }]);
        expect(await messages.statuses("OUT", "l1")).to.deep.equal([
          { status: "OPPRETTET", description: null, rawReceipt: null, timestamp: at(0) },
          { status: "SENDT", description: null, rawReceipt: null, timestamp: at(3) },
          { status: "LEVERT", description: "leveringskvittering r", rawReceipt: "jws-r", timestamp: at(50) },
        ]);
        expect(await messages.get("OUT", "l1")).to.include({ status: "LEVERT", finished: true });
        expect((await messages.statuses("OUT", "l2")).map((x) => x.status)).to.deep.equal(["OPPRETTET"]);
        expect(await messages.statuses("IN", "r")).to.deep.equal([{ status: "MOTTATT", description: null, rawReceipt: null, timestamp: at(40) }]);
        // A second receipt standing for the same status: stored, refused on the letter as a duplicate.
        const again = await messages.insertReceipt(receiptOf("r2", "conv"), "MOTTATT", at(60), { ...levert, answers: (l) => l.messageId === "l1" });
        expect(again).to.have.length(1);
        expect(again[0]!.decision).to.include({ ok: false, code: "status-duplicate" });
        expect((await messages.statuses("OUT", "l1")).map((x) => x.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
        expect(await messages.get("IN", "r2")).to.include({ conversationId: "conv" });
      });

      it("a receipt whose id is stored is DuplicateMessageIdError and registers nothing; one answering no letter here is stored alone", async () => {
        await messages.insert(message("l", { conversationId: "conv" }), "OPPRETTET", at(0));
        expect(await messages.insertReceipt(receiptOf("r", "conv-of-another-ap"), "MOTTATT", at(1), { ...levert, answers: () => true })).to.deep.equal([]);
        expect(await messages.get("IN", "r")).to.include({ conversationId: "conv-of-another-ap" });
        const err = await messages.insertReceipt(receiptOf("R", "conv"), "MOTTATT", at(2), { ...levert, answers: () => true }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(DuplicateMessageIdError).with.property("messageId", "R");
        expect((await messages.statuses("OUT", "l")).map((x) => x.status)).to.deep.equal(["OPPRETTET"]);
      });

      it("the receipt and the letter's status are one transaction: a failure on the way leaves neither", async () => {
        await messages.insert(message("l", { conversationId: "conv" }), "OPPRETTET", at(0));
        await messages.insert(message("m", { conversationId: "conv" }), "OPPRETTET", at(1));
        const err = await messages
          .insertReceipt(receiptOf("r", "conv"), "MOTTATT", at(2), {
            ...levert,
            answers: (letter) => {
              if (letter.messageId === "m") throw new Error("the process died here");
              return true;
            },
          })
          .catch((e: unknown) => e);
        expect(err).to.be.instanceOf(Error).with.property("message", "the process died here");
        expect(await messages.get("IN", "r")).to.equal(null);
        expect(await store!.db.conversationStatus.count({ where: { direction: "IN" } })).to.equal(0);
        expect((await messages.statuses("OUT", "l")).map((x) => x.status)).to.deep.equal(["OPPRETTET"]);
      });
    });

    describe("ConversationsRepo", () => {
      it("registers a status once, sets finished and pollable from it, and nothing but late news after a terminal status", async () => {
        const conversations = new ConversationsRepo(store!.db);
        await messages.insert(message("l"), "OPPRETTET", T0);
        expect(await conversations.registerStatus("OUT", "l", "SENDT", at(1), { description: "took it" })).to.deep.equal({ ok: true, status: "SENDT" });
        expect(await conversations.registerStatus("OUT", "L", "SENDT", at(2))).to.include({ ok: false, code: "status-duplicate" });
        expect(await conversations.get("OUT", "l")).to.include({ status: "SENDT", finished: false, pollable: false });
        expect(await conversations.registerStatus("OUT", "l", "LEVERT", at(3), { rawReceipt: "<kvittering/>" })).to.include({ ok: true });
        expect(await conversations.get("OUT", "l")).to.include({ status: "LEVERT", finished: true, pollable: false });
        expect(await conversations.registerStatus("OUT", "l", "LEST", at(4))).to.include({ ok: true });
        expect(await conversations.registerStatus("OUT", "l", "SENDT", at(5))).to.include({ ok: false, code: "status-duplicate" });
        expect(await conversations.registerStatus("OUT", "l", "FEILET", at(5))).to.include({ ok: false, code: "status-after-terminal", terminal: "LEST" });
        expect(await conversations.registerStatus("OUT", "l", "MOTTATT", at(5))).to.include({ ok: false, code: "status-not-in-model" });
        expect(await conversations.registerStatus("OUT", "nobody", "SENDT", at(5))).to.equal(undefined);
        expect(await conversations.get("OUT", "l")).to.include({ status: "LEST", finished: true, pollable: false });
        expect(await conversations.statuses("OUT", "l")).to.deep.equal([
          { status: "OPPRETTET", description: null, rawReceipt: null, timestamp: T0 },
          { status: "SENDT", description: "took it", rawReceipt: null, timestamp: at(1) },
          { status: "LEVERT", description: null, rawReceipt: "<kvittering/>", timestamp: at(3) },
          { status: "LEST", description: null, rawReceipt: null, timestamp: at(4) },
        ]);
      });

      it("a registration decided on a state that changed since it was read decides again on the history as it is", async () => {
        await messages.insert(message("l"), "OPPRETTET", T0);
        const seen = { channel: "DPI", status: "OPPRETTET", history: ["OPPRETTET"] };
        await new ConversationsRepo(store!.db).registerStatus("OUT", "l", "SENDT", at(1));
        // Read before SENDT was registered: on that state SENDT would be new.
        const again = await sqlOf(store!.db).transaction((tx) => registerStatusIn(tx, "OUT", "l", "SENDT", at(2), { seen, data: { lastError: "x" } }));
        expect(again).to.include({ ok: false, code: "status-duplicate" });
        const levert = await sqlOf(store!.db).transaction((tx) => registerStatusIn(tx, "OUT", "l", "LEVERT", at(3), { seen }));
        expect(levert).to.deep.equal({ ok: true, status: "LEVERT" });
        expect((await messages.statuses("OUT", "l")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
        expect(await messages.get("OUT", "l")).to.include({ status: "LEVERT", finished: true, lastError: "x" });
      });

      it("two registrations of one status at once register it once", async () => {
        const conversations = new ConversationsRepo(store!.db);
        for (const id of ["r1", "r2", "r3", "r4"]) {
          await messages.insert(message(id), "OPPRETTET", T0);
          const both = await Promise.all([conversations.registerStatus("OUT", id, "SENDT", at(1)), conversations.registerStatus("OUT", id, "SENDT", at(2))]);
          expect(both.map((d) => d?.ok).sort()).to.deep.equal([false, true]);
          expect((await messages.statuses("OUT", id)).map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT"]);
        }
      });

      it("a channel that polls starts at SENDT and stops at a terminal status; a first status outside the channel's table is refused", async () => {
        const conversations = new ConversationsRepo(store!.db);
        const dpv = { messageId: "v", direction: "OUT", conversationId: "conv-v", channel: "DPV", process: "p", documentType: "melding", standard: "s", senderIdentifier: SENDER, receiverIdentifier: PROVIDER } as const;
        await store!.db.$transaction(conversations.insertOperations(dpv, "OPPRETTET", T0));
        await conversations.registerStatus("OUT", "v", "SENDT", at(1));
        expect(await conversations.get("OUT", "v")).to.include({ status: "SENDT", finished: false, pollable: true });
        await conversations.registerStatus("OUT", "v", "LEVERT", at(2));
        expect(await conversations.get("OUT", "v")).to.include({ finished: true, pollable: true });
        await conversations.registerStatus("OUT", "v", "LEST", at(3));
        expect(await conversations.get("OUT", "v")).to.include({ finished: true, pollable: false });
        expect(() => conversations.insertOperations({ ...dpv, messageId: "w" }, "MOTTATT", T0)).to.throw(StatusNotInModelError, "DPV has no OUTGOING status MOTTATT");
      });

      it("inbox: peek locks one unread row by a conditional update, returns it as stored, and a read clears the lock", async () => {
        const conversations = new ConversationsRepo(store!.db);
        await messages.insert(message("in1", { direction: "IN" }), "MOTTATT", at(1));
        await messages.insert(message("in2", { direction: "IN", receiverIdentifier: OTHER }), "MOTTATT", at(0));
        const q = { anyOf: [equals("receiverIdentifier", PROVIDER)], channel: "DPI" as const };
        const locked = await conversations.inboxPeek(q, at(5), at(5 + LEASE_MS));
        expect(locked).to.deep.equal(await conversations.get("IN", "in1"));
        expect(locked).to.include({ direction: "IN", messageId: "in1", channel: "DPI", status: "MOTTATT", readAt: null });
        expect(locked!.lockedUntil).to.deep.equal(at(5 + LEASE_MS));
        expect(await conversations.inboxPeek(q, at(6), at(6 + LEASE_MS))).to.equal(null);
        expect((await conversations.inboxUnread(q, { skip: 0, take: 10 })).map((c) => c.messageId)).to.deep.equal(["in1"]);
        expect(await conversations.inboxFind(q, "IN1")).to.deep.equal(locked);
        expect(await conversations.inboxFind(q, "in2")).to.equal(null);
        expect(await conversations.markRead("in1", at(7))).to.equal(true);
        expect(await conversations.get("IN", "in1")).to.include({ lockedUntil: null });
        expect((await conversations.get("IN", "in1"))!.readAt).to.deep.equal(at(7));
        expect(await conversations.markRead("in1", at(8))).to.equal(false);
        expect(await conversations.inboxUnread(q, { skip: 0, take: 10 })).to.deep.equal([]);
        expect(await conversations.inboxPeek({ ...q, anyOf: [] }, at(9), at(9 + LEASE_MS))).to.equal(null);
      });

      it("deleting a conversation takes its history and its DPI row with it", async () => {
        await messages.insert(message("gone"), "OPPRETTET", T0);
        await outbox.markSent("gone", at(1));
        await store!.db.conversation.delete({ where: { direction_messageId: { direction: "OUT", messageId: "gone" } } });
        expect(await store!.db.conversationStatus.count()).to.equal(0);
        expect(await store!.db.dpiMessage.count()).to.equal(0);
      });
    });

    describe("OutboxRepo", () => {
      const queue = (id: string, createdAt: Date, over: Partial<NewDpiMessage> = {}) => messages.insert(message(id, { enqueue: true, ...over }), "OPPRETTET", createdAt);

      it("claims due messages oldest first with a lease, and not again until the lease runs out", async () => {
        await queue("c", at(-1000));
        await queue("a", at(-3000));
        await queue("b", at(-2000));
        await queue("later", at(5000));
        expect(await outbox.pending()).to.equal(4);
        const won = await outbox.claimDue(T0, LEASE_MS, 2);
        expect(won.map((m) => m.messageId)).to.deep.equal(["a", "b"]);
        for (const m of won) expect(m.leaseUntil!.getTime()).to.equal(T0.getTime() + LEASE_MS);
        expect((await outbox.claimDue(at(1), LEASE_MS, 10)).map((m) => m.messageId)).to.deep.equal(["c"]);
        expect(await outbox.claimDue(at(2), LEASE_MS, 10)).to.deep.equal([]);
        expect((await outbox.claimDue(at(LEASE_MS + 10_000), LEASE_MS, 10)).map((m) => m.messageId)).to.deep.equal(["a", "b", "c", "later"]);
      });

      it("two claims racing for the same messages never both win one", async () => {
        for (const id of ["a", "b", "c", "d"]) await queue(id, at(-1000));
        const [x, y] = await Promise.all([outbox.claimDue(T0, LEASE_MS, 4), outbox.claimDue(T0, LEASE_MS, 4)]);
        expect([...x!, ...y!].map((m) => m.messageId).sort()).to.deep.equal(["a", "b", "c", "d"]);
      });

      it("releases every lease", async () => {
        await queue("a", at(-1000));
        await outbox.claimDue(T0, LEASE_MS, 1);
        expect(await outbox.releaseAllLeases()).to.equal(1);
        expect((await outbox.claimDue(T0, LEASE_MS, 1)).map((m) => m.messageId)).to.deep.equal(["a"]);
      });

      it("fixes the AS4 MessageId at the first attempt and accumulates the signed references of each", async () => {
        await queue("a", T0);
        const d1 = [{ uri: "#body", digest: "d1" }];
        const d2 = [{ uri: "#body", digest: "d2" }];
        expect(await messages.recordAttempt("a", "first@x", d1)).to.deep.equal({ fixed: "first@x", attempts: [d1] });
        // An attempt built with another MessageId is told the fixed one, and records nothing.
        expect(await messages.recordAttempt("a", "second@x", d2)).to.deep.equal({ fixed: "first@x", attempts: undefined });
        expect(await messages.recordAttempt("a", "first@x", d2)).to.deep.equal({ fixed: "first@x", attempts: [d1, d2] });
        expect((await messages.get("OUT", "a"))!.dpi.as4MessageId).to.equal("first@x");
      });

      it("records an attempt in one update while the row is as the caller read it, and reads it again when it is not", async () => {
        await queue("a", T0);
        const d1 = [{ uri: "#body", digest: "d1" }];
        const d2 = [{ uri: "#body", digest: "d2" }];
        const d3 = [{ uri: "#body", digest: "d3" }];
        const read = (await messages.get("OUT", "a"))!.dpi;
        expect(await messages.recordAttempt("a", "first@x", d1, read)).to.deep.equal({ fixed: "first@x", attempts: [d1] });
        // `read` is stale now: the second attempt must keep the first one's references, not overwrite them.
        expect(await messages.recordAttempt("a", "first@x", d2, read)).to.deep.equal({ fixed: "first@x", attempts: [d1, d2] });
        expect(await messages.recordAttempt("a", "other@x", d3, read)).to.deep.equal({ fixed: "first@x", attempts: undefined });
        const fresh = (await messages.get("OUT", "a"))!.dpi;
        expect(await messages.recordAttempt("a", "first@x", d3, fresh)).to.deep.equal({ fixed: "first@x", attempts: [d1, d2, d3] });
        expect(JSON.parse((await messages.get("OUT", "a"))!.dpi.signedReferences!)).to.deep.equal([d1, d2, d3]);
      });

      it("hands out only the channels asked for, and their DPI rows in the same order", async () => {
        await queue("b", at(-1000));
        await queue("a", at(-2000));
        await store!.db.$transaction(
          new ConversationsRepo(store!.db).insertOperations(
            { messageId: "dpo", direction: "OUT", conversationId: "conv-dpo", channel: "DPO", process: "p", documentType: "arkivmelding", standard: "s", senderIdentifier: SENDER, receiverIdentifier: PROVIDER, enqueue: true },
            "OPPRETTET",
            at(-3000),
          ),
        );
        const claimed = await outbox.claimDue(T0, LEASE_MS, 10, [], ["DPI"]);
        expect(claimed.map((m) => m.messageId)).to.deep.equal(["a", "b"]);
        expect((await messages.joinDpi(claimed)).map((m) => [m.messageId, m.dpi.forretningsmelding])).to.deep.equal([["a", "jws-a"], ["b", "jws-b"]]);
        expect((await outbox.claimDue(T0, LEASE_MS, 10)).map((m) => [m.messageId, m.channel])).to.deep.equal([["dpo", "DPO"]]);
      });

      it("marks a message sent with its receipt as evidence, byte for byte", async () => {
        await queue("a", T0);
        await outbox.claimDue(T0, LEASE_MS, 1);
        const receipt = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x00, 0x7f]);
        const sent = { as4MessageId: "as4-a@x", peerPartyId: "POP000002", receiptMessageId: "rcpt@x", receipt };
        await outbox.markSent("a", at(100), { description: "delivered", also: outboundEvidence("a", sent, at(100)) });
        const m = await messages.get("OUT", "a");
        expect(m).to.include({ status: "SENDT", nextAttemptAt: null, leaseUntil: null, attempts: 1, finished: false, pollable: false });
        expect((await messages.statuses("OUT", "a")).map((s) => [s.status, s.description])).to.deep.equal([["OPPRETTET", null], ["SENDT", "delivered"]]);
        const evidence = await new ExchangeRepo(store!.db).evidenceFor("a");
        expect(evidence).to.have.length(1);
        expect(evidence[0]).to.include({ direction: "OUT", as4MessageId: "as4-a@x", peerPartyId: "POP000002", receiptMessageId: "rcpt@x" });
        expect(Buffer.from(evidence[0]!.receipt!).equals(receipt)).to.equal(true);
        expect(await outbox.pending()).to.equal(0);
      });

      it("schedules a retry, then fails the message together with the caller's writes", async () => {
        await queue("a", T0);
        await outbox.scheduleRetry("a", at(5000), "connection refused");
        expect(await messages.get("OUT", "a")).to.include({ attempts: 1, lastError: "connection refused" });
        expect(await outbox.claimDue(at(4999), LEASE_MS, 1)).to.deep.equal([]);
        expect(await outbox.claimDue(at(5000), LEASE_MS, 1)).to.have.length(1);
        await outbox.markFailed("a", at(6000), "PEPPOL:NOT_SERVICED", (tx) => messages.insertIn(tx, message("feil-a", { direction: "IN", documentType: "feil", conversationId: "conv-a" }), "MOTTATT", at(6000)));
        expect(await messages.get("OUT", "a")).to.include({ status: "FEILET", attempts: 2, nextAttemptAt: null, leaseUntil: null, lastError: "PEPPOL:NOT_SERVICED", finished: true, pollable: false });
        expect(await messages.get("IN", "feil-a")).to.include({ documentType: "feil" });
        expect(await outbox.pending()).to.equal(0);
      });

      it("a failed write rolls back the whole markFailed transaction", async () => {
        await queue("a", T0);
        await messages.insert(message("dup", { direction: "IN" }), "MOTTATT", T0);
        const err = await outbox.markFailed("a", at(1), "x", (tx) => messages.insertIn(tx, message("dup", { direction: "IN" }), "MOTTATT", at(1))).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(Error);
        expect(await messages.get("OUT", "a")).to.include({ status: "OPPRETTET", finished: false, attempts: 0, lastError: null });
        expect((await messages.statuses("OUT", "a")).map((s) => s.status)).to.deep.equal(["OPPRETTET"]);
      });

      it("a message sent again is SENDT once; one that expired meanwhile keeps LEVETID_UTLOPT and gets no feil receipt", async () => {
        await queue("twice", T0);
        await outbox.markSent("twice", at(1));
        expect(await outbox.markSent("twice", at(2), { description: "again" })).to.include({ ok: false, code: "status-duplicate" });
        expect(await messages.get("OUT", "twice")).to.include({ status: "SENDT", attempts: 2, nextAttemptAt: null });
        expect((await messages.statuses("OUT", "twice")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "SENDT"]);

        await queue("expired", T0, { expiry: at(10) });
        await outbox.claimDue(T0, LEASE_MS, 10);
        expect((await outbox.expireOverdue(at(20), LETTER_TYPES)).map((m) => m.messageId)).to.deep.equal(["expired"]);
        // The worker that held it comes back with its outcome after the expiry.
        expect(await outbox.markFailed("expired", at(30), "refused", (tx) => messages.insertIn(tx, message("feil-x", { direction: "IN", documentType: "feil" }), "MOTTATT", at(30)))).to.include({
          ok: false,
          code: "status-after-terminal",
        });
        expect(await messages.get("IN", "feil-x")).to.equal(null);
        expect(await outbox.markSent("expired", at(31))).to.include({ ok: false, code: "status-after-terminal" });
        expect(await messages.get("OUT", "expired")).to.include({ status: "LEVETID_UTLOPT", finished: true, nextAttemptAt: null, leaseUntil: null });
        expect((await messages.statuses("OUT", "expired")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "LEVETID_UTLOPT"]);
      });

      it("a peer answering again makes the messages waiting for it due now, in one statement that leaves leased ones alone", async () => {
        const PEER = "https://ap.example/as4";
        for (const id of ["w1", "w2", "other", "leased", "due", "unknown"]) await queue(id, T0);
        await outbox.scheduleRetry("w1", at(30_000), "HTTP 503", PEER);
        await outbox.scheduleRetry("w2", at(90_000), "HTTP 503", PEER);
        await outbox.scheduleRetry("other", at(30_000), "HTTP 503", "https://other.example/as4");
        await outbox.scheduleRetry("unknown", at(30_000), "SMP down");
        await outbox.scheduleRetry("due", at(500), "HTTP 503", PEER);
        // Another process claimed "leased" when it fell due and is sending it: its lease stands.
        await outbox.scheduleRetry("leased", at(0), "HTTP 503", PEER);
        expect((await outbox.claimDue(T0, LEASE_MS, 10)).map((m) => m.messageId)).to.deep.equal(["leased"]);
        await store!.db.conversation.update({ where: { direction_messageId: { direction: "OUT", messageId: "leased" } }, data: { nextAttemptAt: at(60_000) } });

        // The wake runs in the commit that records a send to the peer (markSent's `wake`).
        await queue("sent", T0);
        const sentTo = async (peer: string) => (await outbox.markSent("sent", at(1000), { wake: peer })).woken;
        expect(await sentTo(PEER)).to.equal(2);
        const next = async (id: string) => (await messages.get("OUT", id))!.nextAttemptAt!.getTime();
        expect(await Promise.all(["w1", "w2", "other", "leased", "due", "unknown"].map(next))).to.deep.equal([at(1000), at(1000), at(30_000), at(60_000), at(500), at(30_000)].map((d) => d.getTime()));
        expect(await messages.get("OUT", "w1")).to.include({ lastPeer: PEER, attempts: 1, leaseUntil: null });
        expect(await messages.get("OUT", "unknown")).to.include({ lastPeer: null });
        expect(await sentTo(PEER)).to.equal(0);
      });

      it("a send recorded with the peer that took it wakes that peer's waiting messages in the same commit", async () => {
        const PEER = "https://ap.example/as4";
        for (const id of ["sent", "w1", "other"]) await queue(id, T0);
        await outbox.scheduleRetry("w1", at(30_000), "HTTP 503", PEER);
        await outbox.scheduleRetry("other", at(30_000), "HTTP 503", "https://other.example/as4");
        expect((await outbox.claimDue(T0, LEASE_MS, 10)).map((m) => m.messageId)).to.deep.equal(["sent"]);
        expect(await outbox.markSent("sent", at(1000), { wake: PEER })).to.deep.equal({ ok: true, status: "SENDT", woken: 1 });
        const next = async (id: string) => (await messages.get("OUT", id))!.nextAttemptAt?.getTime() ?? null;
        expect(await Promise.all(["sent", "w1", "other"].map(next))).to.deep.equal([null, at(1000).getTime(), at(30_000).getTime()]);
      });

      describe("send attempts and routing records", () => {
        const smpXml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><SignedServiceMetadata>\u00e6\u00f8\u00e5 \u0000\u00ff</SignedServiceMetadata>', "latin1");
        const record: RouteRecord = {
          kind: "smp",
          sourceUrl: "https://smp.example/iso6523-actorid-upis%3A%3A0192%3A123456785/services/x",
          fetchedAt: at(-60_000),
          mediaType: "application/xml",
          body: new Uint8Array(smpXml),
          sha256: createHash("sha256").update(smpXml).digest("hex"),
        };
        const attempt = (n: number, startedAt: Date, routedBy?: RouteRecord): AttemptRecord => ({ attempt: n, startedAt, peer: "https://ap.example/as4", worker: "w1", routedBy });
        const rows = (id: string) =>
          store!.db.sendAttempt.findMany({
            where: { direction: "OUT", messageId: id },
            orderBy: { id: "asc" },
            select: { attempt: true, startedAt: true, finishedAt: true, peer: true, outcome: true, error: true, worker: true, routingSha256: true },
          });

        it("retry, failed and sent attempts are written with their outcomes; the record once, byte for byte", async () => {
          await queue("a", T0);
          await queue("b", T0);
          await outbox.scheduleRetry("a", at(5000), "HTTP 503", "https://ap.example/as4", { record: attempt(1, at(10), record), at: at(20) });
          await outbox.markSent("a", at(5100), { attempt: attempt(2, at(5000), record) });
          await outbox.markFailed("b", at(40), "EBMS:0004 PEPPOL:NOT_SERVICED", undefined, "FEILET", attempt(1, at(30), record));
          expect(await rows("a")).to.deep.equal([
            { attempt: 1, startedAt: at(10), finishedAt: at(20), peer: "https://ap.example/as4", outcome: "retry", error: "HTTP 503", worker: "w1", routingSha256: record.sha256 },
            { attempt: 2, startedAt: at(5000), finishedAt: at(5100), peer: "https://ap.example/as4", outcome: "sent", error: null, worker: "w1", routingSha256: record.sha256 },
          ]);
          expect(await rows("b")).to.deep.equal([
            { attempt: 1, startedAt: at(30), finishedAt: at(40), peer: "https://ap.example/as4", outcome: "failed", error: "EBMS:0004 PEPPOL:NOT_SERVICED", worker: "w1", routingSha256: record.sha256 },
          ]);
          const stored = await store!.db.routingRecord.findMany();
          expect(stored).to.have.length(1);
          expect(stored[0]).to.include({ sha256: record.sha256, kind: "smp", sourceUrl: record.sourceUrl, mediaType: "application/xml" });
          expect(stored[0]!.fetchedAt.getTime()).to.equal(at(-60_000).getTime());
          expect(Buffer.from(stored[0]!.body).equals(smpXml)).to.equal(true);
          // Another process meets the same record: its insert finds it there and its attempt links to it.
          await queue("c", T0);
          await new OutboxRepo(store!.db).markSent("c", at(50), { attempt: attempt(1, at(45), record) });
          expect(await store!.db.routingRecord.count()).to.equal(1);
          expect((await rows("c")).map((r) => r.routingSha256)).to.deep.equal([record.sha256]);
        });

        it("an attempt is rolled back with its outcome, and goes with its conversation", async () => {
          await queue("a", T0);
          await messages.insert(message("dup", { direction: "IN" }), "MOTTATT", T0);
          const err = await outbox.markFailed("a", at(1), "x", (tx) => messages.insertIn(tx, message("dup", { direction: "IN" }), "MOTTATT", at(1)), "FEILET", attempt(1, T0)).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(Error);
          expect(await rows("a")).to.deep.equal([]);
          await outbox.scheduleRetry("a", at(5000), "HTTP 503", null, { record: attempt(1, T0), at: at(2) });
          expect((await rows("a")).map((r) => [r.attempt, r.outcome, r.routingSha256])).to.deep.equal([[1, "retry", null]]);
          await store!.db.conversation.delete({ where: { direction_messageId: { direction: "OUT", messageId: "a" } } });
          expect(await store!.db.sendAttempt.count()).to.equal(0);
        });
      });

      it("expires letters whose receipts did not come in time, but not answered ones or receipts", async () => {
        await queue("late", T0, { expiry: at(1000) });
        await queue("answered", T0, { expiry: at(1000), conversationId: "conv-answered" });
        await messages.insert(message("kvittering", { direction: "IN", documentType: "leveringskvittering", conversationId: "conv-answered" }), "MOTTATT", at(500));
        await queue("receipt", T0, { expiry: at(1000), documentType: "leveringskvittering" });
        await queue("not-yet", T0, { expiry: at(10_000) });
        const expired = await outbox.expireOverdue(at(2000), LETTER_TYPES);
        expect(expired.map((m) => m.messageId)).to.deep.equal(["late"]);
        expect(await messages.get("OUT", "late")).to.include({ status: "LEVETID_UTLOPT", nextAttemptAt: null, finished: true, pollable: false });
        expect((await messages.statuses("OUT", "late")).map((s) => s.status)).to.deep.equal(["OPPRETTET", "LEVETID_UTLOPT"]);
        expect(await outbox.expireOverdue(at(3000), LETTER_TYPES)).to.deep.equal([]);
      });

      it("does not expire a letter a receipt made LEVERT, nor one that went back to SENDT after it; needs no receipt row to tell", async () => {
        const conversations = new ConversationsRepo(store!.db);
        await queue("levert", T0, { expiry: at(1000) });
        await conversations.registerStatus("OUT", "levert", "LEVERT", at(500));
        // A receipt can overtake the send's own outcome: SENDT registered after LEVERT is the latest status.
        await queue("overtaken", T0, { expiry: at(1000) });
        await conversations.registerStatus("OUT", "overtaken", "LEVERT", at(400));
        await outbox.markSent("overtaken", at(600));
        expect(await messages.get("OUT", "overtaken")).to.include({ status: "SENDT", finished: true });
        await queue("late", T0, { expiry: at(1000) });
        expect((await outbox.expireOverdue(at(2000), LETTER_TYPES)).map((m) => m.messageId)).to.deep.equal(["late"]);
        expect((await messages.statuses("OUT", "levert")).map((x) => x.status)).to.deep.equal(["OPPRETTET", "LEVERT"]);
        expect((await messages.statuses("OUT", "overtaken")).map((x) => x.status)).to.deep.equal(["OPPRETTET", "LEVERT", "SENDT"]);
      });
    });

    describe("StatusReplyRepo", () => {
      it("frees the claims a previous run left, so its status messages are due again at once", async () => {
        const replies = new StatusReplyRepo(store!.db);
        await replies.queue({ channel: "DPO", messageId: "0b0f0e0d-0000-4000-8000-000000000001", status: "MOTTATT", sbd: "{}" }, at(0));
        expect((await replies.claimDue("DPO", at(1), at(300_000), 10)).map((r) => r.status)).to.deep.equal(["MOTTATT"]);
        expect(await replies.claimDue("DPO", at(2), at(300_000), 10)).to.deep.equal([]);
        expect(await replies.releaseAllLeases()).to.equal(1);
        expect((await replies.claimDue("DPO", at(3), at(300_000), 10)).map((r) => r.status)).to.deep.equal(["MOTTATT"]);
      });
    });

    describe("StatusReplyRepo, claims and outcomes", () => {
      const reply = (n: number, status = "MOTTATT") => ({ channel: "DPO" as const, messageId: `0b0f0e0d-0000-4000-8000-00000000000${n}`, status, sbd: `{"n":${n}}` });

      it("queues a reply once, claims the due ones oldest first with a lease, and records them sent or failed", async () => {
        const replies = new StatusReplyRepo(store!.db);
        await replies.queue(reply(1), at(0));
        await replies.queue({ ...reply(1), sbd: "{}" }, at(5));
        await replies.queue(reply(2), at(1));
        await replies.queue(reply(3), at(10));
        await replies.queue({ ...reply(4), channel: "DPE" }, at(0));
        const claimed = await replies.claimDue("DPO", at(2), at(300_000), 10);
        expect(claimed).to.deep.equal(await store!.db.statusReply.findMany({ where: { channel: "DPO", leaseUntil: { not: null } }, orderBy: { id: "asc" } }));
        expect(claimed.map((r) => [r.messageId, r.sbd, r.createdAt, r.nextAttemptAt, r.leaseUntil, r.attempts])).to.deep.equal([
          [reply(1).messageId, '{"n":1}', at(0), at(0), at(300_000), 0],
          [reply(2).messageId, '{"n":2}', at(1), at(1), at(300_000), 0],
        ]);
        expect((await replies.claimDue("DPO", at(10), at(300_000), 1)).map((r) => r.messageId)).to.deep.equal([reply(3).messageId]);
        await replies.markSent(claimed[0]!.id, at(20));
        await replies.markFailed(claimed[1]!.id, "x".repeat(2100), at(40));
        const [sent, failed] = await replies.all("DPO");
        expect([sent!.sentAt, sent!.nextAttemptAt, sent!.leaseUntil, sent!.lastError, sent!.attempts]).to.deep.equal([at(20), null, null, null, 0]);
        expect([failed!.sentAt, failed!.nextAttemptAt, failed!.leaseUntil, failed!.lastError, failed!.attempts]).to.deep.equal([null, at(40), null, "x".repeat(2000), 1]);
        expect(await replies.claimDue("DPO", at(39), at(300_000), 10)).to.deep.equal([]);
        expect((await replies.claimDue("DPO", at(40), at(300_000), 10)).map((r) => r.messageId)).to.deep.equal([reply(2).messageId]);
        const gone = await replies.markSent(9999, at(50)).catch((e: unknown) => e);
        expect((gone as Error).message).to.equal("no status reply 9999");
      });
    });

    describe("DpfMailRepo", () => {
      const mid = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
      const mail = (n: number): NewDpfMail => ({ messageId: mid(n), receiverOrg: "984661185", reason: "not-fetched", detail: "d", level: 4, blobKey: `blob-${n}`, blobKind: "asic", address: "arkiv@example.org" });

      it("finds the overdue inbox messages not mailed yet, queues a mail once, claims it with a lease and records its link and outcome", async () => {
        const inRepo = new NextMoveInRepo(store!.db);
        for (const n of [1, 2, 3, 4]) await inRepo.receive({ channel: n === 4 ? "DPO" : "DPF", sbd: incomingSbd({ messageId: mid(n) }), package: { key: `pkg-${n}`, size: 1 } }, at(n));
        await inRepo.receive({ channel: "DPF", sbd: incomingSbd({ messageId: mid(5) }) }, at(5));
        await sqlOf(store!.db).execute(`UPDATE "Conversation" SET "lockedUntil" = $1 WHERE "messageId" = $2`, at(100), mid(2));
        const mails = new DpfMailRepo(store!.db);
        expect(await mails.queue(mail(1), at(6))).to.equal(true);
        expect(await mails.queue({ ...mail(1), detail: "again" }, at(7))).to.equal(false);
        const overdue = await mails.overdueInInbox(at(5), at(10), 10);
        expect(overdue.map((o) => [o.messageId, o.receiverIdentifier, o.packageKey])).to.deep.equal([[mid(3), `0192:${RECEIVER_ORG}`, "pkg-3"]]);
        expect(overdue[0]!.sbd).to.equal((await inRepo.message(mid(3)))!.nextMove.sbd);
        expect((await mails.overdueInInbox(at(5), at(100), 10)).map((o) => o.messageId)).to.deep.equal([mid(2), mid(3)]);
        expect((await mails.overdueInInbox(at(2), at(100), 10)).map((o) => o.messageId)).to.deep.equal([mid(2)]);

        const stored = await mails.get(mid(1).toUpperCase());
        expect(stored).to.deep.equal(await store!.db.dpfMail.findUnique({ where: { messageId: mid(1) } }));
        expect([stored!.detail, stored!.level, stored!.createdAt, stored!.nextAttemptAt, stored!.attempts]).to.deep.equal(["d", 4, at(6), at(6), 0]);
        const [claimed, ...more] = await mails.claimDue(at(8), at(300_000), 10);
        expect(more).to.deep.equal([]);
        expect(claimed).to.deep.equal({ ...stored, leaseUntil: at(300_000) });
        expect(await mails.claimDue(at(9), at(300_000), 10)).to.deep.equal([]);
        await mails.setLink(claimed!.id, "hash-1", at(1000));
        expect(await mails.byTokenHash("hash-1")).to.deep.equal({ ...claimed, tokenHash: "hash-1", linkExpiresAt: at(1000) });
        expect(await mails.byTokenHash("hash-2")).to.equal(null);
        await mails.markFailed(claimed!.id, "smtp away", at(50));
        expect((await mails.claimDue(at(50), at(400_000), 10)).map((m) => [m.attempts, m.lastError, m.leaseUntil])).to.deep.equal([[1, "smtp away", at(400_000)]]);
        await mails.markSentWithStatus(claimed!.id, mid(1), "INNKOMMENDE_LEVERT", "mailed", at(60));
        expect(await mails.get(mid(1))).to.include({ nextAttemptAt: null, leaseUntil: null, lastError: null });
        expect((await mails.get(mid(1)))!.sentAt).to.deep.equal(at(60));
        expect((await inRepo.conversations.statuses("IN", mid(1))).map((e) => [e.status, e.description])).to.deep.equal([
          ["INNKOMMENDE_MOTTATT", null],
          ["INNKOMMENDE_LEVERT", "mailed"],
        ]);
        expect(((await mails.setLink(999, "h", at(0)).catch((e: unknown) => e)) as Error).message).to.equal("no DPF mail 999");
      });
    });

    describe("ParticipantsRepo", () => {
      it("inserts a participant's role once, moves it to registered, lists in order and deletes one role or all", async () => {
        const repo = new ParticipantsRepo(store!.db);
        expect(await repo.insertIfAbsent({ participant: "0192:991825827", role: "sender", state: "pending", smpManaged: true }, at(0))).to.equal(true);
        expect(await repo.insertIfAbsent({ participant: "0192:991825827", role: "sender", state: "pending", smpManaged: true }, at(1))).to.equal(false);
        expect(await repo.insertIfAbsent({ participant: "0192:984661185", role: "print", state: "pending", smpManaged: false }, at(2))).to.equal(true);
        expect(await repo.insertIfAbsent({ participant: "0192:984661185", role: "postbox", state: "pending", smpManaged: false }, at(3))).to.equal(true);
        await repo.setState("0192:991825827", "sender", "registered", undefined, at(4));
        await repo.setState("0192:984661185", "print", "pending", "SMP answered 500", at(5), true);
        expect((await repo.list()).map((r) => [r.participant, r.role, r.state, r.smpManaged, r.lastError ?? null, r.updatedAt.toISOString()])).to.deep.equal([
          ["0192:984661185", "postbox", "pending", false, null, at(3).toISOString()],
          ["0192:984661185", "print", "pending", true, "SMP answered 500", at(5).toISOString()],
          ["0192:991825827", "sender", "registered", true, null, at(4).toISOString()],
        ]);
        expect(await repo.delete("0192:984661185", "print")).to.equal(1);
        expect((await repo.rolesOf("0192:984661185")).map((r) => r.role)).to.deep.equal(["postbox"]);
        expect(await repo.delete("0192:984661185")).to.equal(1);
        expect(await repo.get("0192:991825827", "sender").then((r) => r?.state)).to.equal("registered");
      });
    });

    describe("ExchangeRepo", () => {
      const claim = { as4MessageId: "as4@x", peerPartyId: "POP000001", contentDigest: "d1" };

      it("keeps the first receipt answered for an AS4 MessageId and returns it byte for byte", async () => {
        const exchanges = new ExchangeRepo(store!.db);
        expect(await exchanges.receiptFor("as4@x")).to.equal(undefined);
        expect(await exchanges.claimInbound(claim, at(60_000), T0)).to.equal(true);
        const first = Buffer.from("<S12:Envelope>first\u0000\u00ff</S12:Envelope>", "latin1");
        expect((await exchanges.answerInbound(claim, { messageId: "m1", receiptMessageId: "r1@x", receipt: first }, T0)).equals(first)).to.equal(true);
        // A second answer for the same message (a resend that took it over) gets the first receipt.
        expect((await exchanges.answerInbound(claim, { messageId: "m1", receiptMessageId: "r2@x", receipt: Buffer.from("second") }, at(1))).equals(first)).to.equal(true);
        expect((await exchanges.receiptFor("as4@x"))!.equals(first)).to.equal(true);
        expect(await exchanges.findInbound("as4@x")).to.deep.include({ peerPartyId: "POP000001", contentDigest: "d1", claimedUntil: undefined });
        const other = { as4MessageId: "as4-2@x", peerPartyId: "POP000001", contentDigest: "d2" };
        await exchanges.answerInbound(other, { messageId: undefined, receiptMessageId: "r3@x", receipt: Buffer.from("x") }, at(2));
        const ev = await exchanges.evidenceFor("m1");
        expect(ev.map((e) => [e.as4MessageId, e.receiptMessageId, e.createdAt.getTime()])).to.deep.equal([["as4@x", "r1@x", T0.getTime()]]);
      });

      it("lets one claim per MessageId in, whoever the peer, and refuses to answer one held by other content", async () => {
        const exchanges = new ExchangeRepo(store!.db);
        const racers = await Promise.all([
          exchanges.claimInbound(claim, at(60_000), T0),
          exchanges.claimInbound({ ...claim, peerPartyId: "POP000009" }, at(60_000), T0),
          exchanges.claimInbound({ ...claim, contentDigest: "d2" }, at(60_000), T0),
        ]);
        expect(racers.filter(Boolean)).to.have.length(1);
        const row = (await exchanges.findInbound("as4@x"))!;
        const winner = { as4MessageId: "as4@x", peerPartyId: row.peerPartyId, contentDigest: row.contentDigest! };
        const loser = racers[0] ? { ...claim, contentDigest: "d2" } : claim;
        const error = await exchanges.answerInbound(loser, { messageId: "m", receiptMessageId: "r@x", receipt: Buffer.from("r") }, T0).catch((e: unknown) => e);
        expect((error as Error).message).to.equal("AS4 MessageId as4@x is no longer held by this message; its receipt was not stored");
        expect(await exchanges.receiptFor("as4@x")).to.equal(undefined);
        expect(await exchanges.answerInbound(winner, { messageId: "m", receiptMessageId: "r@x", receipt: Buffer.from("r") }, T0)).to.deep.equal(Buffer.from("r"));
      });

      it("takes over, expires and releases only an unanswered claim of the same peer and content", async () => {
        const exchanges = new ExchangeRepo(store!.db);
        await exchanges.claimInbound(claim, at(60_000), T0);
        expect(await exchanges.takeOverInbound(claim, at(1), at(120_000))).to.equal(false);
        expect(await exchanges.takeOverInbound({ ...claim, contentDigest: "d2" }, at(60_000), at(120_000))).to.equal(false);
        expect(await exchanges.takeOverInbound(claim, at(60_000), at(120_000))).to.equal(true);
        expect((await exchanges.findInbound("as4@x"))!.claimedUntil).to.deep.equal(at(120_000));
        await exchanges.expireInbound({ ...claim, peerPartyId: "POP000009" }, at(5));
        expect((await exchanges.findInbound("as4@x"))!.claimedUntil).to.deep.equal(at(120_000));
        await exchanges.expireInbound(claim, at(5));
        expect((await exchanges.findInbound("as4@x"))!.claimedUntil).to.deep.equal(at(5));
        await exchanges.releaseInbound({ ...claim, contentDigest: "d2" });
        expect(await exchanges.findInbound("as4@x")).to.not.equal(undefined);
        await exchanges.releaseInbound(claim);
        expect(await exchanges.findInbound("as4@x")).to.equal(undefined);
        // An answered exchange is evidence: neither released nor expired.
        await exchanges.claimInbound(claim, at(60_000), T0);
        await exchanges.answerInbound(claim, { messageId: "m", receiptMessageId: "r@x", receipt: Buffer.from("r") }, T0);
        await exchanges.releaseInbound(claim);
        await exchanges.expireInbound(claim, at(5));
        expect(await exchanges.findInbound("as4@x")).to.deep.include({ claimedUntil: undefined, receipt: Buffer.from("r") });
      });

      it("ends every unanswered claim at start-up (releaseAllInboundClaims), leaving answered ones and ended claims alone", async () => {
        const exchanges = new ExchangeRepo(store!.db);
        const other = { as4MessageId: "as4-2@x", peerPartyId: "POP000009", contentDigest: "d2" };
        const answered = { as4MessageId: "as4-3@x", peerPartyId: "POP000001", contentDigest: "d3" };
        const ended = { as4MessageId: "as4-4@x", peerPartyId: "POP000001", contentDigest: "d4" };
        await exchanges.claimInbound(claim, at(300_000), T0);
        await exchanges.claimInbound(other, at(300_000), T0);
        await exchanges.claimInbound(answered, at(300_000), T0);
        await exchanges.answerInbound(answered, { messageId: "m", receiptMessageId: "r@x", receipt: Buffer.from("r") }, T0);
        await exchanges.claimInbound(ended, at(1), T0);
        expect(await exchanges.releaseAllInboundClaims(at(10))).to.equal(2);
        expect((await exchanges.findInbound("as4@x"))!.claimedUntil).to.deep.equal(at(10));
        expect((await exchanges.findInbound("as4-2@x"))!.claimedUntil).to.deep.equal(at(10));
        expect(await exchanges.findInbound("as4-3@x")).to.deep.include({ claimedUntil: undefined, receipt: Buffer.from("r") });
        expect((await exchanges.findInbound("as4-4@x"))!.claimedUntil).to.deep.equal(at(1));
        // The resend of the same peer and content takes the released claim over at once.
        expect(await exchanges.takeOverInbound(claim, at(10), at(400_000))).to.equal(true);
      });
    });

    describe("RevocationAnswersRepo", () => {
      const issuer = new X509Certificate(readFileSync(path.join(CERTS, "ap/intermediate-ca.pem")));
      const answer = (sha: string, over: Partial<AnswerToKeep> = {}): AnswerToKeep => ({
        kind: "ocsp",
        der: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00, 0xff, 0x80]),
        sha256: sha,
        url: "http://ocsp.test/ocsp",
        fetchedAt: at(1),
        thisUpdate: at(0),
        nextUpdate: at(3_600_000),
        issuer,
        serial: "1A2B",
        ...over,
      });
      const use = (sha256: string, role: RevocationUseRecord["role"]): RevocationUseRecord => ({ sha256, role, serial: "1A2B", subject: "C=NO, CN=POP000002", ca: false, checkedAt: at(2).toISOString() });

      it("stores an answer once by its digest, byte for byte, and finds the stored ones in the order asked", async () => {
        const repo = new RevocationAnswersRepo(store!.db);
        await repo.keep(answer("a".repeat(64)));
        // Kept again (another process, or this one after forgetting it): no error, no second row, the first one stays.
        await repo.keep(answer("a".repeat(64), { url: "http://elsewhere.test/ocsp" }));
        await repo.keep(answer("b".repeat(64), { kind: "crl", serial: undefined, crlNumber: "7", nextUpdate: undefined, url: "/etc/dpi-ap/ca.crl" }));
        expect(await store!.db.revocationAnswer.count()).to.equal(2);
        const found = await repo.find(["b".repeat(64), "c".repeat(64), "a".repeat(64), "b".repeat(64)]);
        expect(found.map((f) => ({ ...f, der: Buffer.from(f.der).toString("hex"), issuerCertificate: Buffer.from(f.issuerCertificate).equals(issuer.raw) }))).to.deep.equal([
          { sha256: "b".repeat(64), kind: "crl", der: "30030a0100ff80", url: "/etc/dpi-ap/ca.crl", fetchedAt: at(1), thisUpdate: at(0), nextUpdate: null, issuerCertificate: true, issuerName: issuer.subject.replace(/\n/g, ", "), serial: null, crlNumber: "7" },
          { sha256: "a".repeat(64), kind: "ocsp", der: "30030a0100ff80", url: "http://ocsp.test/ocsp", fetchedAt: at(1), thisUpdate: at(0), nextUpdate: at(3_600_000), issuerCertificate: true, issuerName: issuer.subject.replace(/\n/g, ", "), serial: "1A2B", crlNumber: null },
        ]);
        expect(await repo.find([])).to.deep.equal([]);
      });

      it("records the answers a message relied on with the message itself and with the receipt of the attempt that delivered it", async () => {
        const uses = [use("a".repeat(64), "as4-peer"), use("b".repeat(64), "forretningsmelding")];
        await messages.insert(message("r1", { direction: "IN", revocation: uses }), "MOTTATT", T0);
        await messages.insert(message("r2"), "OPPRETTET", T0);
        const row = await store!.db.dpiMessage.findUniqueOrThrow({ where: { direction_messageId: { direction: "IN", messageId: "r1" } } });
        expect(decodeRevocation(row.revocation)).to.deep.equal(uses);
        expect((await store!.db.dpiMessage.findUniqueOrThrow({ where: { direction_messageId: { direction: "OUT", messageId: "r2" } } })).revocation).to.equal(null);
        await sqlOf(store!.db).transaction(async (tx) => {
          await outboundEvidence("r2", { as4MessageId: "as4-r2@x", peerPartyId: "POP000002", receiptMessageId: "rcpt@x", receipt: Buffer.from("r"), revocation: [uses[0]!] }, at(5))(tx);
        });
        const [exchange] = await new ExchangeRepo(store!.db).evidenceFor("r2");
        expect(decodeRevocation(exchange!.revocation)).to.deep.equal([uses[0]]);
        expect(decodeRevocation("not json")).to.deep.equal([]);
        expect(decodeRevocation(JSON.stringify([{ sha256: "x" }, uses[1]]))).to.deep.equal([uses[1]]);
      });
    });

    describe("PushRepo", () => {
      const PUSH_LEASE_MS = 30_000;
      const claim = (push: PushRepo, now: Date, limit = 10) => push.claimDue(now, PUSH_LEASE_MS, [PROVIDER], LETTER_TYPES, limit);

      it("hands out unread letters for push, retries failed ones when due, and stops after a push", async () => {
        const push = new PushRepo(store!.db);
        await messages.insert(message("p1", { direction: "IN" }), "MOTTATT", at(1));
        await messages.insert(message("p2", { direction: "IN" }), "MOTTATT", at(2));
        await messages.insert(message("k", { direction: "IN", documentType: "leveringskvittering" }), "MOTTATT", at(3));
        await messages.insert(message("o", { direction: "IN", receiverIdentifier: OTHER }), "MOTTATT", at(3));
        await messages.insert(message("read", { direction: "IN" }), "MOTTATT", at(4));
        await messages.markRead("read", at(5));
        const first = await claim(push, at(10));
        expect(first.map((m) => [m.messageId, m.dpi.forretningsmelding])).to.deep.equal([["p1", "jws-p1"], ["p2", "jws-p2"]]);
        await push.failed("p1", at(1000));
        await push.markPushed("p2", at(20));
        expect(await claim(push, at(999))).to.deep.equal([]);
        expect((await claim(push, at(1000))).map((m) => m.messageId)).to.deep.equal(["p1"]);
        expect((await messages.get("IN", "p2"))!.dpi).to.include({ pushAttempts: 1, nextPushAt: null, pushLeaseUntil: null });
        expect((await messages.get("IN", "p2"))!.dpi.pushedAt!.getTime()).to.equal(at(20).getTime());
        await push.failed("p1", undefined);
        expect(await claim(push, at(100_000))).to.deep.equal([]);
        expect((await messages.get("IN", "p1"))!.dpi).to.include({ pushAttempts: 2, nextPushAt: null, pushLeaseUntil: null });
      });

      it("claims with a lease: a claimed letter is not handed out again until its lease runs out", async () => {
        const push = new PushRepo(store!.db);
        await messages.insert(message("p1", { direction: "IN" }), "MOTTATT", at(1));
        await messages.insert(message("p2", { direction: "IN" }), "MOTTATT", at(2));
        const won = await claim(push, at(10), 1);
        expect(won.map((m) => m.messageId)).to.deep.equal(["p1"]);
        expect(won[0]!.dpi.pushLeaseUntil!.getTime()).to.equal(at(10 + PUSH_LEASE_MS).getTime());
        expect((await claim(push, at(11))).map((m) => m.messageId)).to.deep.equal(["p2"]);
        expect(await claim(push, at(12))).to.deep.equal([]);
        // The worker holding p1 died: once its lease has run out, p1 is handed out again.
        expect((await claim(push, at(11 + PUSH_LEASE_MS))).map((m) => m.messageId)).to.deep.equal(["p1"]);
      });

      it("two claims racing for the same letters never both win one", async () => {
        const push = new PushRepo(store!.db);
        const ids = ["a", "b", "c", "d", "e", "f"];
        for (const [i, id] of ids.entries()) await messages.insert(message(id, { direction: "IN" }), "MOTTATT", at(i));
        const claims = await Promise.all([claim(push, at(100)), claim(push, at(100)), claim(push, at(100), 2)]);
        const won = claims.flat().map((m) => m.messageId);
        expect(won.slice().sort()).to.deep.equal(ids);
      });

      it("releases every push lease (for a store only one process uses)", async () => {
        const push = new PushRepo(store!.db);
        await messages.insert(message("p1", { direction: "IN" }), "MOTTATT", at(1));
        await claim(push, at(10));
        expect(await push.releaseAllLeases()).to.equal(1);
        expect((await claim(push, at(11))).map((m) => m.messageId)).to.deep.equal(["p1"]);
      });
    });
  });
}
