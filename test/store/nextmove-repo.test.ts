import { expect } from "chai";
import { DuplicateMessageIdError, type NewConversation } from "../../src/store/conversations-repo.js";
import { DuplicateFilenameError, NextMoveRepo, type NewNextMoveFile } from "../../src/store/nextmove-repo.js";
import { equals, TRUE } from "../../src/store/sql-condition.js";
import { openProviderStore, PROVIDERS, skipWithoutPostgres, type ProviderStore } from "../helpers/provider-store.js";

const AT = new Date("2026-12-02T10:00:00Z");
const ID = "3b0f6d3c-1c55-4a0e-8f4c-5d3b1b0a9e01";

function conversation(messageId = ID): NewConversation {
  return {
    messageId,
    direction: "OUT",
    conversationId: "c6a1e0b2-7d2e-4a8e-9b7e-0f3f3d2b1a00",
    channel: "DPO",
    process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
    documentType: "arkivmelding",
    standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
    senderIdentifier: "0192:991825827",
    receiverIdentifier: "0192:910076787",
  };
}

const file = (filename: string, blobKey = `blob-${filename}`): NewNextMoveFile => ({ filename, mimeType: "application/pdf", size: 10, sha256Hex: "00".repeat(32), blobKey });

for (const provider of PROVIDERS) {
  describe(`store/nextmove-repo on ${provider}`, function () {
    this.timeout(30_000);
    let store: ProviderStore;
    let repo: NextMoveRepo;
    before(async function () {
      await skipWithoutPostgres.call(this, provider);
    });
    beforeEach(async () => {
      store = await openProviderStore(provider, "nextmove_repo_");
      repo = new NextMoveRepo(store.db);
    });
    afterEach(() => store.close());

    it("creates the conversation with OPPRETTET and the SBD together, and refuses the id again (in any case)", async () => {
      await repo.create(conversation(), '{"sbd":1}', "OPPRETTET", AT);
      const got = (await repo.get("OUT", ID.toUpperCase()))!;
      expect({ status: got.status, sbd: got.nextMove.sbd, queuedAt: got.nextMove.queuedAt, nextAttemptAt: got.nextAttemptAt }).to.deep.equal({ status: "OPPRETTET", sbd: '{"sbd":1}', queuedAt: null, nextAttemptAt: null });
      let err: unknown;
      try {
        await repo.create(conversation(ID.toUpperCase()), "{}", "OPPRETTET", AT);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DuplicateMessageIdError);
      expect(await store.db.nextMoveMessage.count()).to.equal(1);
    });

    it("adds files in order, refuses a second file of the same name, and writes the caller's conversation fields with it", async () => {
      await repo.create(conversation(), "{}", "OPPRETTET", AT);
      expect(await repo.addFile(ID, file("arkivmelding.xml"), AT, { messageTitle: "Vedtak", messageReference: "42-7" })).to.equal(true);
      expect(await repo.addFile(ID, file("vedlegg.pdf"), AT)).to.equal(true);
      let err: unknown;
      try {
        await repo.addFile(ID, file("vedlegg.pdf", "other"), AT);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DuplicateFilenameError);
      const got = (await repo.get("OUT", ID))!;
      expect(got.nextMove.files.map((f) => f.filename)).to.deep.equal(["arkivmelding.xml", "vedlegg.pdf"]);
      expect({ title: got.messageTitle, reference: got.messageReference }).to.deep.equal({ title: "Vedtak", reference: "42-7" });
      expect(await repo.blobKeys()).to.deep.equal(new Set(["blob-arkivmelding.xml", "blob-vedlegg.pdf"]));
    });

    it("reads a message with its SBD and files as Prisma's include read them, alone or for claimed conversations", async () => {
      await repo.create(conversation(), '{"sbd":1}', "OPPRETTET", AT);
      await repo.create(conversation("second"), '{"sbd":2}', "OPPRETTET", AT);
      await repo.addFile(ID, { ...file("b.pdf"), title: "B" }, AT, { messageTitle: "T" });
      await repo.addFile(ID, file("a.pdf"), new Date(AT.getTime() + 1));
      const include = { nextMove: { include: { files: { orderBy: { id: "asc" as const } } } } };
      const viaPrisma = await store.db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: ID } }, include });
      const second = await store.db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: "second" } }, include });
      expect(await repo.get("OUT", ID)).to.deep.equal(viaPrisma);
      expect(await repo.ofConversations([{ direction: "OUT", messageId: "second" }, { direction: "IN", messageId: ID }, { direction: "OUT", messageId: ID }])).to.deep.equal([second, viaPrisma]);
      expect(await repo.get("IN", ID)).to.equal(null);
    });

    it("pages the unsent messages oldest first with their files and total, as Prisma's include read them", async () => {
      for (const [i, id] of ["m-3", "m-1", "m-2", "m-4"].entries()) await repo.create({ ...conversation(id), process: i === 3 ? "other" : conversation().process }, "{}", "OPPRETTET", new Date(AT.getTime() + i * 1000));
      await repo.addFile("m-1", file("b.pdf"), AT);
      await repo.addFile("m-1", file("a.pdf"), AT);
      expect(await repo.queue("m-2", AT)).to.equal(true);
      const include = { nextMove: { include: { files: { orderBy: { id: "asc" as const } } } } };
      const viaPrisma = await store.db.conversation.findMany({ where: { messageId: { in: ["m-3", "m-1"] } }, include, orderBy: { createdAt: "asc" } });
      const page = await repo.unsent(equals("process", conversation().process), { skip: 0, take: 2 });
      expect(page).to.deep.equal({ rows: viaPrisma, total: 2 });
      expect((await repo.unsent(TRUE, { skip: 1, take: 5 })).rows.map((r) => r.messageId)).to.deep.equal(["m-1", "m-4"]);
    });

    it("queues once: the outbox gets it, the out-queue no longer lists it, no file can be added and it cannot be deleted", async () => {
      await repo.create(conversation(), "{}", "OPPRETTET", AT);
      expect((await repo.unsent(TRUE, { skip: 0, take: 10 })).total).to.equal(1);
      const later = new Date(AT.getTime() + 1000);
      let also = 0;
      expect(await repo.queue(ID, later, async () => void also++)).to.equal(true);
      expect(await repo.queue(ID, later, async () => void also++)).to.equal(false);
      expect(also).to.equal(1);
      const got = (await repo.get("OUT", ID))!;
      expect({ queuedAt: got.nextMove.queuedAt, nextAttemptAt: got.nextAttemptAt }).to.deep.equal({ queuedAt: later, nextAttemptAt: later });
      expect(await repo.addFile(ID, file("late.pdf"), later)).to.equal(false);
      expect(await repo.deleteUnsent(ID)).to.equal(null);
      expect(await store.db.conversation.count()).to.equal(1);
    });

    it("deletes an unsent message with its conversation and files and returns the blobs to remove", async () => {
      await repo.create(conversation(), "{}", "OPPRETTET", AT);
      await repo.addFile(ID, file("a.pdf"), AT);
      expect(await repo.deleteUnsent(ID)).to.deep.equal(["blob-a.pdf"]);
      expect([await store.db.conversation.count(), await store.db.nextMoveFile.count(), await store.db.conversationStatus.count()]).to.deep.equal([0, 0, 0]);
      expect(await repo.deleteUnsent(ID)).to.equal(null);
    });
  });
}
