import { expect } from "chai";
import { Inbox } from "../../src/core/inbox.js";
import { serialiseSbd } from "../../src/sbd/index.js";
import { ConversationsRepo, DuplicateMessageIdError, StatusNotInModelError } from "../../src/store/conversations-repo.js";
import { IS_NEXTMOVE, NextMoveInRepo, nextMoveInboxColumns, partyWhere, type NextMoveInboxColumns } from "../../src/store/nextmove-in-repo.js";
import { NextMoveRepo } from "../../src/store/nextmove-repo.js";
import { incomingSbd, RECEIVER_ORG, SECOND_ORG, SENDER_ORG, statusCount } from "../helpers/incoming-nextmove.js";
import { sqlOf } from "../../src/store/sql.js";
import { openProviderStore, PROVIDERS, skipWithoutPostgres, type ProviderStore } from "../helpers/provider-store.js";

// The incoming NextMove store on both providers: what a channel hands over, the inbox's list, and the two ways
// out of the inbox (delivered, discarded), each in one transaction and decided by one conditional update.

const T0 = new Date("2030-01-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const LOCK_MS = 300_000;

for (const provider of PROVIDERS) {
  describe(`store/nextmove-in-repo on ${provider}`, function () {
    this.timeout(30_000);
    let store: ProviderStore;
    let repo: NextMoveInRepo;
    let now: Date;
    let inbox: Inbox<NextMoveInboxColumns>;

    before(async function () {
      await skipWithoutPostgres.call(this, provider);
    });
    beforeEach(async () => {
      store = await openProviderStore(provider, "nm_in_repo_");
      repo = new NextMoveInRepo(store.db);
      now = T0;
      inbox = new Inbox<NextMoveInboxColumns>({ conversations: new ConversationsRepo(store.db), clock: () => now, columns: nextMoveInboxColumns });
    });
    afterEach(() => store.close());

    const everyone = { scope: { anyOf: [{ direction: "IN" as const, columns: {} }] }, where: IS_NEXTMOVE };
    const statuses = async (messageId: string) => (await repo.conversations.statuses("IN", messageId)).map((s) => [s.status, s.description]);

    it("receives a message: the IN conversation with INNKOMMENDE_MOTTATT read off the SBD, the SBD as the IP writes it, and the package", async () => {
      const sbd = incomingSbd({ messageId: id(1), conversationId: "c1c1c1c1-0000-4000-8000-000000000001" });
      const m = await repo.receive({ channel: "DPO", sbd, package: { key: "11111111-1111-4111-8111-111111111111", size: 1234 }, externalReference: "altinn-1" }, T0);
      expect({
        direction: m.direction,
        messageId: m.messageId,
        conversationId: m.conversationId,
        channel: m.channel,
        process: m.process,
        documentType: m.documentType,
        standard: m.standard,
        senderIdentifier: m.senderIdentifier,
        receiverIdentifier: m.receiverIdentifier,
        expiry: m.expiry,
        externalReference: m.externalReference,
        status: m.status,
        finished: m.finished,
        readAt: m.readAt,
        lockedUntil: m.lockedUntil,
        sbd: m.nextMove.sbd,
        packageKey: m.nextMove.packageKey,
        packageSize: m.nextMove.packageSize,
      }).to.deep.equal({
        direction: "IN",
        messageId: id(1),
        conversationId: "c1c1c1c1-0000-4000-8000-000000000001",
        channel: "DPO",
        process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
        documentType: "arkivmelding",
        standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
        senderIdentifier: `0192:${SENDER_ORG}`,
        receiverIdentifier: `0192:${RECEIVER_ORG}`,
        expiry: new Date("2030-01-02T10:00:00Z"),
        externalReference: "altinn-1",
        status: "INNKOMMENDE_MOTTATT",
        finished: false,
        readAt: null,
        lockedUntil: null,
        sbd: serialiseSbd(sbd),
        packageKey: "11111111-1111-4111-8111-111111111111",
        packageSize: 1234,
      });
      expect(await statuses(id(1))).to.deep.equal([["INNKOMMENDE_MOTTATT", null]]);
      expect(await new NextMoveRepo(store.db).blobKeys()).to.deep.equal(new Set(["11111111-1111-4111-8111-111111111111"]));
    });

    it("files the channel's own name for an arrival (DPI: MOTTATT), and refuses a channel that receives nothing and a status SBD", async () => {
      expect((await repo.receive({ channel: "DPI", sbd: incomingSbd({ messageId: id(1) }) }, T0)).status).to.equal("MOTTATT");
      let err: unknown = await repo.receive({ channel: "DPV", sbd: incomingSbd({ messageId: id(2) }) }, T0).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(StatusNotInModelError);
      err = await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(3), type: "status" }) }, T0).catch((e: unknown) => e);
      expect((err as Error).message).to.equal("a status SBD updates the conversation it answers; it is not received into the inbox");
      expect(await store.db.conversation.count()).to.equal(1);
    });

    it("refuses a message id it has, in any case, and keeps the first", async () => {
      await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(1) }), package: { key: "11111111-1111-4111-8111-111111111111", size: 1 } }, T0);
      const err = await repo
        .receive({ channel: "DPE", sbd: incomingSbd({ messageId: id(1).toUpperCase() }), package: { key: "22222222-2222-4222-8222-222222222222", size: 2 } }, at(1))
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(DuplicateMessageIdError);
      expect([await store.db.conversation.count(), await store.db.nextMoveMessage.count()]).to.deep.equal([1, 1]);
      expect((await repo.message(id(1)))!.channel).to.equal("DPO");
    });

    it("lists what is in the inbox, oldest first, with its total, paged and sorted, and only NextMove messages", async () => {
      for (const n of [1, 2, 3]) await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(n), receiver: n === 2 ? SECOND_ORG : RECEIVER_ORG }) }, at(n));
      // DPI's REST inbox: an IN conversation without a NextMove row.
      await store.db.$transaction(
        repo.conversations.insertOperations(
          { messageId: id(9), direction: "IN", conversationId: "c9", channel: "DPI", process: "p", documentType: "digital", standard: "s", senderIdentifier: "0192:1", receiverIdentifier: `0192:${RECEIVER_ORG}` },
          "MOTTATT",
          T0,
        ),
      );
      const all = await repo.list(inbox.query({ scope: everyone.scope }), { skip: 0, take: 10 });
      expect((await inbox.get(everyone, id(2)))?.messageId, "a reader of every organisation finds one by id").to.equal(id(2));
      expect(await inbox.get(everyone, id(9)), "DPI's own inbox rows are not NextMove messages").to.equal(null);
      expect({ ids: all.rows.map((r) => r.messageId), total: all.total }).to.deep.equal({ ids: [id(1), id(2), id(3)], total: 3 });
      const second = await repo.list(inbox.query(everyone), { skip: 1, take: 1 });
      expect({ ids: second.rows.map((r) => r.messageId), total: second.total }).to.deep.equal({ ids: [id(2)], total: 3 });
      const desc = await repo.list(inbox.query(everyone), { skip: 0, take: 10 }, [{ field: "messageId", direction: "desc" }]);
      expect(desc.rows.map((r) => r.messageId)).to.deep.equal([id(3), id(2), id(1)]);
      const forReceiver = await repo.list(inbox.query({ scope: { anyOf: [{ direction: "IN", columns: { receiverOrg: RECEIVER_ORG } }] } }), { skip: 0, take: 10 });
      expect(forReceiver.rows.map((r) => r.messageId)).to.deep.equal([id(1), id(3)]);
      expect(await repo.list(inbox.query({ scope: { anyOf: [] } }), { skip: 0, take: 10 })).to.deep.equal({ rows: [], total: 0 });
      // Delivered messages leave the list.
      now = at(10);
      await inbox.peek(everyone, LOCK_MS);
      expect((await repo.deliver(id(1), now, "INNKOMMENDE_LEVERT")).removed).to.equal(true);
      expect((await repo.list(inbox.query(everyone), { skip: 0, take: 10 })).rows.map((r) => r.messageId)).to.deep.equal([id(2), id(3)]);
    });

    it("gives a reader its organisations' messages however their receiver is written, and no other's", async () => {
      const receivers = [`0192:${RECEIVER_ORG}`, RECEIVER_ORG, `0192:${RECEIVER_ORG}:Arkiv`, `0192:${RECEIVER_ORG}0`, `0192:${SECOND_ORG}:x`, `0192:${RECEIVER_ORG};`, `0192:${SECOND_ORG}`];
      for (const [n, receiver] of receivers.entries()) {
        await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(n + 1) }) }, at(n));
        await sqlOf(store.db).execute(`UPDATE "Conversation" SET "receiverIdentifier" = $1 WHERE "messageId" = $2`, receiver, id(n + 1));
      }
      const scope = { anyOf: [{ direction: "IN" as const, columns: { receiverOrg: RECEIVER_ORG } }] };
      const listed = await repo.list(inbox.query({ scope, where: IS_NEXTMOVE }), { skip: 0, take: 10 });
      expect({ ids: listed.rows.map((r) => r.messageId), total: listed.total }).to.deep.equal({ ids: [id(1), id(2), id(3)], total: 3 });
      const both = { anyOf: [...scope.anyOf, { direction: "IN" as const, columns: { receiverOrg: SECOND_ORG } }] };
      expect((await repo.list(inbox.query({ scope: both, where: IS_NEXTMOVE }), { skip: 0, take: 10 })).rows.map((r) => r.messageId)).to.deep.equal([id(1), id(2), id(3), id(5), id(7)]);
      const peeked: string[] = [];
      for (let m = await inbox.peek({ scope, where: IS_NEXTMOVE }, LOCK_MS); m; m = await inbox.peek({ scope, where: IS_NEXTMOVE }, LOCK_MS)) peeked.push(m.messageId);
      expect(peeked).to.deep.equal([id(1), id(2), id(3)]);
      expect((await inbox.get({ scope, where: IS_NEXTMOVE }, id(4)))?.messageId ?? null).to.equal(null);
      expect((await inbox.get({ scope, where: IS_NEXTMOVE }, id(3)))?.messageId).to.equal(id(3));
    });

    it("matches a party by its organisation, however the identifier is written", async () => {
      await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(1), sender: `${SENDER_ORG}:${SECOND_ORG}` }) }, T0);
      await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(2) }) }, at(1));
      const sent = async (v: string) => (await repo.list(inbox.query({ scope: everyone.scope, where: partyWhere("senderIdentifier", v) }), { skip: 0, take: 10 })).rows.map((r) => r.messageId);
      expect(await sent(SENDER_ORG)).to.deep.equal([id(1), id(2)]);
      expect(await sent(`0192:${SENDER_ORG}`)).to.deep.equal([id(1), id(2)]);
      expect(await sent(SECOND_ORG)).to.deep.equal([]);
      expect(await sent("9908:910076787")).to.deep.equal([]);
    });

    it("delivers only a message locked after now: read, unlocked, INNKOMMENDE_LEVERT, the package reference handed back; once", async () => {
      await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(1) }), package: { key: "11111111-1111-4111-8111-111111111111", size: 1 } }, T0);
      expect(await repo.deliver(id(1), at(1), "INNKOMMENDE_LEVERT")).to.deep.equal({ removed: false });
      now = at(1);
      await inbox.peek(everyone, LOCK_MS);
      expect(await repo.deliver(id(1), at(1 + LOCK_MS / 1000), "INNKOMMENDE_LEVERT")).to.deep.equal({ removed: false }, "the lock ran out");
      const out = await repo.deliver(id(1), at(2), "INNKOMMENDE_LEVERT");
      if (!out.removed) throw new Error("not delivered");
      expect({ decision: out.decision, packageKey: out.packageKey, readAt: out.message.readAt, lockedUntil: out.message.lockedUntil, status: out.message.status, finished: out.message.finished, key: out.message.nextMove.packageKey }).to.deep.equal({
        decision: { ok: true, status: "INNKOMMENDE_LEVERT" },
        packageKey: "11111111-1111-4111-8111-111111111111",
        readAt: at(2),
        lockedUntil: null,
        status: "INNKOMMENDE_LEVERT",
        finished: true,
        key: null,
      });
      expect(await repo.deliver(id(1), at(3), "INNKOMMENDE_LEVERT")).to.deep.equal({ removed: false });
      expect(await statuses(id(1))).to.deep.equal([["INNKOMMENDE_MOTTATT", null], ["INNKOMMENDE_LEVERT", null]]);
      expect(await new NextMoveRepo(store.db).blobKeys()).to.deep.equal(new Set());
    });

    it("commits the delivery's writes with it, and a failing one undoes the delivery", async () => {
      await repo.receive({ channel: "DPE", sbd: incomingSbd({ messageId: id(1), type: "innsynskrav" }), package: { key: "11111111-1111-4111-8111-111111111111", size: 1 } }, T0);
      await inbox.peek(everyone, LOCK_MS);
      const failed = await repo
        .deliver(id(1), at(1), "INNKOMMENDE_LEVERT", async (m, tx) => {
          await tx.execute(`UPDATE "Conversation" SET "lastError" = 'written' WHERE "direction" = 'IN' AND "messageId" = $1`, m.messageId);
          throw new Error("status message could not be written");
        })
        .catch((e: unknown) => e);
      expect((failed as Error).message).to.equal("status message could not be written");
      const kept = (await repo.message(id(1)))!;
      expect({ readAt: kept.readAt, lockedUntil: kept.lockedUntil, lastError: kept.lastError, key: kept.nextMove.packageKey }).to.deep.equal({
        readAt: null,
        lockedUntil: at(LOCK_MS / 1000),
        lastError: null,
        key: "11111111-1111-4111-8111-111111111111",
      });
      expect(await statuses(id(1))).to.deep.equal([["INNKOMMENDE_MOTTATT", null]]);
      const seen: unknown[] = [];
      const out = await repo.deliver(id(1), at(2), "INNKOMMENDE_LEVERT", async (m, tx) => {
        seen.push([m.messageId, m.readAt, m.status, await statusCount(tx, m.messageId)]);
      });
      expect(out.removed).to.equal(true);
      expect(seen).to.deep.equal([[id(1), at(2), "INNKOMMENDE_LEVERT", 2]]);
    });

    it("discards an unreadable message, locked or not, with FEIL and its description", async () => {
      await repo.receive({ channel: "DPF", sbd: incomingSbd({ messageId: id(1) }), package: { key: "11111111-1111-4111-8111-111111111111", size: 1 } }, T0);
      const out = await repo.discard(id(1), at(1), "FEIL", "asic.zip cannot be read");
      if (!out.removed) throw new Error("not discarded");
      expect({ packageKey: out.packageKey, readAt: out.message.readAt, status: out.message.status, finished: out.message.finished }).to.deep.equal({
        packageKey: "11111111-1111-4111-8111-111111111111",
        readAt: at(1),
        status: "FEIL",
        finished: true,
      });
      expect(await statuses(id(1))).to.deep.equal([["INNKOMMENDE_MOTTATT", null], ["FEIL", "asic.zip cannot be read"]]);
      expect(await repo.discard(id(1), at(2), "FEIL", "again")).to.deep.equal({ removed: false });
      expect(await repo.discard(id(5), at(2), "FEIL", "none")).to.deep.equal({ removed: false });
    });

    if (provider === "postgresql") {
      it("two processes deleting the same message at once: one delivers it", async () => {
        for (let n = 1; n <= 20; n++) await repo.receive({ channel: "DPO", sbd: incomingSbd({ messageId: id(n) }) }, at(n));
        for (let n = 1; n <= 20; n++) await inbox.peek(everyone, LOCK_MS);
        const other = new NextMoveInRepo(await store.connect());
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => Promise.all([repo.deliver(id(i + 1), at(30), "INNKOMMENDE_LEVERT"), other.deliver(id(i + 1), at(30), "INNKOMMENDE_LEVERT")])),
        );
        expect(results.map(([a, b]) => Number(a.removed) + Number(b.removed))).to.deep.equal(Array(20).fill(1));
        expect(await store.db.conversationStatus.count({ where: { status: "INNKOMMENDE_LEVERT" } })).to.equal(20);
      });
    }
  });
}
