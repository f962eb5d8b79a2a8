import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { attachSql, sqlOf, type SqlStore } from "../../src/store/sql.js";
import { Inbox } from "../../src/core/inbox.js";
import type { ReadScope } from "../../src/core/read-scope.js";
import { ConversationsRepo, PEEK_LOCK, type NewConversation } from "../../src/store/conversations-repo.js";
import { equals, TRUE, type Condition } from "../../src/store/sql-condition.js";
import { openDatabase, type Db, type DatabaseProvider } from "../../src/store/prisma.js";
import { createScratchDatabase, postgresReachable } from "../../scripts/lib/pg-scratch.js";

// The core inbox over the store's Conversation rows, on SQLite and on PostgreSQL (skipped without a server).
// Its filter here is over the conversation's own receiver column, as a channel without a table of its own
// would have it.

const T0 = new Date("2030-01-01T00:00:00.123Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const ME = "0192:987654325";
const OTHER = "0192:999999999";
const LOCK_MS = 60_000;

type Columns = { receiver: string };
const columns = (v: Partial<Columns>): Condition => (v.receiver !== undefined ? equals("receiverIdentifier", v.receiver) : TRUE);
const mine: { scope: ReadScope<Columns> } = { scope: { anyOf: [{ direction: "IN", columns: { receiver: ME } }] } };

function incoming(id: string, over: Partial<NewConversation> = {}): NewConversation {
  return {
    messageId: id,
    direction: "IN",
    conversationId: `conv-${id}`,
    channel: "DPO",
    process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
    documentType: "arkivmelding",
    standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
    senderIdentifier: OTHER,
    receiverIdentifier: ME,
    ...over,
  };
}

/**
 * `client` as a peek sees it when another reader wins races: before each conditional lock update the peek makes,
 * while `wins()` says so, the rival locks the same row (if still free) until `until`. `taken`: the rows it locked.
 */
async function withRival(client: Db, until: Date, wins: () => boolean): Promise<{ db: Db; taken: string[] }> {
  const taken: string[] = [];
  const real = sqlOf(client);
  const store: SqlStore = {
    ...real,
    async query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
      if (sql === PEEK_LOCK && wins()) {
        // The peek's own statement, with the rival's lock: the same row, while free at the same time.
        const [, updatedAt, messageId, now] = params;
        taken.push(...(await real.query<{ messageId: string }>(PEEK_LOCK, until, updatedAt, messageId, now)).map((r) => r.messageId));
      }
      return real.query<T>(sql, ...params);
    },
  };
  // The same database under another client object, whose direct SQL is the rival's stand-in.
  const db = new Proxy(client, {});
  attachSql(db, store);
  return { db, taken };
}

async function openStore(provider: DatabaseProvider): Promise<{ url: string; close(): Promise<void> }> {
  if (provider === "postgresql") {
    const scratch = await createScratchDatabase("dpi_ap_inbox");
    return { url: scratch.url, close: () => scratch.drop() };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-inbox-"));
  return { url: `file:${path.join(dir, "db.sqlite")}`, close: () => rm(dir, { recursive: true, force: true }) };
}

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`core inbox on ${provider}`, function () {
    this.timeout(30_000);
    let store: { url: string; close(): Promise<void> } | undefined;
    const clients: Db[] = [];
    let db: Db;
    let now: Date;
    let conversations: ConversationsRepo;
    const inboxOn = (client: Db, channel?: "DPO") => new Inbox<Columns>({ conversations: new ConversationsRepo(client), clock: () => now, columns, channel });
    const open = async () => {
      const { db: client } = await openDatabase(store!.url);
      clients.push(client);
      return client;
    };
    const arrive = (c: NewConversation, when: Date) => db.$transaction(conversations.insertOperations(c, "OPPRETTET", when));

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStore(provider);
      db = await open();
      conversations = new ConversationsRepo(db);
      now = T0;
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.$disconnect();
      await store?.close();
      store = undefined;
    });

    it("lists the unread incoming messages of the filter, oldest first, a page at a time", async () => {
      await arrive(incoming("b"), at(2));
      await arrive(incoming("a"), at(1));
      await arrive(incoming("c"), at(2));
      await arrive(incoming("theirs", { receiverIdentifier: OTHER }), at(0));
      await arrive(incoming("read"), at(0));
      await db.$transaction(conversations.insertOperations({ ...incoming("out"), direction: "OUT" }, "OPPRETTET", at(0)));
      const inbox = inboxOn(db);
      expect(await inbox.markRead("read")).to.equal(true);
      const ids = async (page: number, pageSize: number) => (await inbox.unread(mine, { page, pageSize })).map((c) => c.messageId);
      expect(await ids(0, 10)).to.deep.equal(["a", "b", "c"]);
      expect(await ids(0, 2)).to.deep.equal(["a", "b"]);
      expect(await ids(1, 2)).to.deep.equal(["c"]);
      expect(await ids(2, 2)).to.deep.equal([]);
      // A channel's further condition, and an empty filter (nothing).
      expect((await inbox.unread({ ...mine, where: equals("conversationId", "conv-b") }, { page: 0, pageSize: 10 })).map((c) => c.messageId)).to.deep.equal(["b"]);
      expect(await inbox.unread({ scope: { anyOf: [] } }, { page: 0, pageSize: 10 })).to.deep.equal([]);
      expect(await inbox.peek({ scope: { anyOf: [] } }, LOCK_MS)).to.equal(null);
      expect(await inbox.get({ scope: { anyOf: [] } }, "a")).to.equal(null);
      // Only incoming clauses count.
      expect(await inbox.unread({ scope: { anyOf: [{ direction: "OUT", columns: { receiver: ME } }] } }, { page: 0, pageSize: 10 })).to.deep.equal([]);
    });

    it("an inbox of one channel sees only that channel's messages", async () => {
      await arrive(incoming("dpo"), at(1));
      await arrive(incoming("dpe", { channel: "DPE", process: "p", documentType: "innsynskrav", standard: "s" }), at(2));
      expect((await inboxOn(db, "DPO").unread(mine, { page: 0, pageSize: 10 })).map((c) => c.messageId)).to.deep.equal(["dpo"]);
      expect((await inboxOn(db).unread(mine, { page: 0, pageSize: 10 })).map((c) => c.messageId)).to.deep.equal(["dpo", "dpe"]);
    });

    it("peek locks the oldest unread unlocked message until now + lock time, and the next peek gets the next one", async () => {
      await arrive(incoming("first"), at(1));
      await arrive(incoming("second"), at(2));
      await arrive(incoming("theirs", { receiverIdentifier: OTHER }), at(0));
      const inbox = inboxOn(db);
      const p1 = await inbox.peek(mine, LOCK_MS);
      expect(p1).to.include({ messageId: "first", direction: "IN", readAt: null });
      expect(p1!.lockedUntil).to.deep.equal(at(LOCK_MS));
      expect((await conversations.get("IN", "first"))!.lockedUntil).to.deep.equal(at(LOCK_MS));
      expect((await inbox.peek(mine, LOCK_MS))!.messageId).to.equal("second");
      expect(await inbox.peek(mine, LOCK_MS)).to.equal(null);
      // Locked messages are still unread: the list shows them.
      expect((await inbox.unread(mine, { page: 0, pageSize: 10 })).map((c) => c.messageId)).to.deep.equal(["first", "second"]);
      const refused = await inbox.peek(mine, 0).then(() => undefined, (err: unknown) => err);
      expect(refused).to.be.instanceOf(RangeError).with.property("message", "lock time must be positive, got 0");
    });

    it("an expired lock makes the message peekable again; a deleted or read one never is", async () => {
      await arrive(incoming("m"), at(1));
      await arrive(incoming("n"), at(2));
      const inbox = inboxOn(db);
      expect((await inbox.peek(mine, LOCK_MS))!.messageId).to.equal("m");
      expect((await inbox.peek(mine, LOCK_MS))!.messageId).to.equal("n");
      now = at(LOCK_MS - 1);
      expect(await inbox.peek(mine, LOCK_MS)).to.equal(null);
      now = at(LOCK_MS);
      const again = await inbox.peek(mine, 1000);
      expect(again).to.include({ messageId: "m" });
      expect(again!.lockedUntil).to.deep.equal(at(LOCK_MS + 1000));
      expect(await inbox.delete("m")).to.equal(true);
      expect(await inbox.delete("m")).to.equal(false);
      expect(await conversations.get("IN", "m")).to.include({ lockedUntil: null });
      expect((await conversations.get("IN", "m"))!.readAt).to.deep.equal(at(LOCK_MS));
      expect(await inbox.markRead("n")).to.equal(true);
      now = at(10 * LOCK_MS);
      expect(await inbox.peek(mine, LOCK_MS)).to.equal(null);
      expect(await inbox.unread(mine, { page: 0, pageSize: 10 })).to.deep.equal([]);
      // Read messages stay in the store with their history, and can still be fetched.
      expect(await inbox.get(mine, "M")).to.include({ messageId: "m" });
      expect(await conversations.statuses("IN", "m")).to.have.length(1);
    });

    it("get finds a message of the filter by id in any case, and nothing else", async () => {
      await arrive(incoming("abc"), at(1));
      await arrive(incoming("theirs", { receiverIdentifier: OTHER }), at(1));
      await db.$transaction(conversations.insertOperations({ ...incoming("out"), direction: "OUT" }, "OPPRETTET", at(0)));
      const inbox = inboxOn(db);
      expect(await inbox.get(mine, "ABC")).to.include({ messageId: "abc", receiverIdentifier: ME });
      expect(await inbox.get(mine, "theirs")).to.equal(null);
      expect(await inbox.get(mine, "out")).to.equal(null);
      expect(await inbox.get(mine, "nobody")).to.equal(null);
    });

    it("confirm marks a message of the filter read in any case, once, releasing its lock; it never touches another's", async () => {
      await arrive(incoming("abc"), at(1));
      await arrive(incoming("theirs", { receiverIdentifier: OTHER }), at(1));
      await db.$transaction(conversations.insertOperations({ ...incoming("out"), direction: "OUT" }, "OPPRETTET", at(0)));
      const inbox = inboxOn(db);
      expect((await inbox.peek(mine, LOCK_MS))?.messageId).to.equal("abc");
      now = at(5);
      expect(await inbox.confirm(mine, "ABC")).to.deep.equal({ messageId: "abc", wasUnread: true });
      const row = await conversations.get("IN", "abc");
      expect({ readAt: row?.readAt?.getTime(), lockedUntil: row?.lockedUntil }).to.deep.equal({ readAt: at(5).getTime(), lockedUntil: null });
      now = at(9);
      expect(await inbox.confirm(mine, "abc"), "a repeated confirm").to.deep.equal({ messageId: "abc", wasUnread: false });
      expect((await conversations.get("IN", "abc"))?.readAt?.getTime(), "the first confirm's time stays").to.equal(at(5).getTime());
      expect(await inbox.confirm(mine, "theirs")).to.equal(null);
      expect(await inbox.confirm(mine, "out")).to.equal(null);
      expect(await inbox.confirm(mine, "nobody")).to.equal(null);
      expect((await conversations.get("IN", "theirs"))?.readAt).to.equal(null);
      expect((await conversations.get("OUT", "out"))?.readAt).to.equal(null);
      expect(await inbox.confirm({ scope: { anyOf: [] } }, "abc"), "an empty filter sees nothing").to.equal(null);
    });

    it("a peek that loses 25 races in a row still takes the next free message; it answers none only when none is free", async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, "0")}`);
      for (const [i, id] of ids.entries()) await arrive(incoming(id), at(i));
      // A rival reader locks each row this peek picks, just before the peek's own update, 25 times running.
      const rivalUntil = at(5 * LOCK_MS);
      let steals = 25;
      const stolen = await withRival(db, rivalUntil, () => steals-- > 0);
      const got = await inboxOn(stolen.db).peek(mine, LOCK_MS);
      expect(got).to.include({ messageId: "m25" });
      expect(got!.lockedUntil).to.deep.equal(at(LOCK_MS));
      expect(stolen.taken).to.deep.equal(ids.slice(0, 25));
      const locks = await db.conversation.findMany({ orderBy: { messageId: "asc" }, select: { messageId: true, lockedUntil: true } });
      expect(locks.map((l) => [l.messageId, l.lockedUntil?.getTime() ?? null])).to.deep.equal(
        ids.map((id, i) => [id, i < 25 ? rivalUntil.getTime() : i === 25 ? at(LOCK_MS).getTime() : null]),
      );

      // The rival now wins every race: the peek tries each of the four free ones once, then answers none.
      const always = await withRival(db, rivalUntil, () => true);
      expect(await inboxOn(always.db).peek(mine, LOCK_MS)).to.equal(null);
      expect(always.taken).to.deep.equal(["m26", "m27", "m28", "m29"]);
      expect(await inboxOn(db).peek(mine, LOCK_MS)).to.equal(null);
    });

    it("two racing peeks, from two clients, never lock the same message", async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, "0")}`);
      for (const [i, id] of ids.entries()) await arrive(incoming(id), at(i));
      const a = inboxOn(db);
      const b = inboxOn(await open());
      const got: string[] = [];
      const drain = async (inbox: Inbox<Columns>) => {
        for (let p = await inbox.peek(mine, LOCK_MS); p; p = await inbox.peek(mine, LOCK_MS)) got.push(p.messageId);
      };
      await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
      expect([...got].sort()).to.deep.equal(ids);
    });
  });
}
