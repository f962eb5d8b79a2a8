import { expect } from "chai";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { queryRows, isUniqueViolation } from "../../src/store/raw-sql.js";
import { sqlOf, TransactionClosedError, type Sql } from "../../src/store/sql.js";
import { openStoreOn } from "../helpers/temp-store.js";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";

/**
 * The store's direct SQL (src/store/sql.ts) against Prisma's raw API on the same rows: the repositories moved
 * from one to the other, so every value must come back as the same type, and transactions must keep what
 * Prisma's kept.
 */
for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`direct SQL on ${provider}`, function () {
    this.timeout(30_000);
    let store: { db: Db; close(): Promise<void> } | undefined;
    let db: Db;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStoreOn(provider, "dpi_ap_direct_sql");
      db = store.db;
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    const AT = new Date("2026-12-03T10:11:12.345Z");

    async function conversation(messageId: string): Promise<void> {
      await sqlOf(db).execute(
        `INSERT INTO "Conversation" ("direction", "messageId", "conversationId", "channel", "process", "documentType", "standard", "senderIdentifier",
          "receiverIdentifier", "finished", "pollable", "status", "createdAt", "updatedAt", "attempts") VALUES ('OUT', $1, 'c', 'DPI', 'p', 'd', 's', 'a', 'b', $2, $3, 'OPPRETTET', $4, $4, 3)`,
        messageId,
        true,
        false,
        AT,
      );
    }

    it("reads rows as Prisma's raw API does: dates, booleans, integers, null, bytes", async () => {
      await conversation("m1");
      await sqlOf(db).execute(
        `INSERT INTO "As4Exchange" ("direction", "as4MessageId", "peerPartyId", "receipt", "createdAt") VALUES ('IN', $1, $2, $3, $4)`,
        "as4@x",
        "POP1",
        new Uint8Array([1, 2, 3]),
        AT,
      );
      const select = `SELECT * FROM "Conversation" WHERE "messageId" = $1`;
      const [direct] = await sqlOf(db).query<Record<string, unknown>>(select, "m1");
      const [viaPrisma] = await queryRows<Record<string, unknown>>(db, select, "m1");
      expect(direct).to.deep.equal(viaPrisma);
      expect(direct).to.include({ finished: true, pollable: false, attempts: 3, expiry: null });
      expect(direct!.createdAt).to.deep.equal(AT);
      // And what the model API reads back from what the direct SQL wrote.
      const model = await db.conversation.findUniqueOrThrow({ where: { direction_messageId: { direction: "OUT", messageId: "m1" } } });
      expect(model.createdAt).to.deep.equal(AT);
      expect(model.finished).to.equal(true);

      const [exchange] = await sqlOf(db).query<{ receipt: Uint8Array; createdAt: Date }>(`SELECT "receipt", "createdAt" FROM "As4Exchange" WHERE "as4MessageId" = $1`, "as4@x");
      expect([...exchange!.receipt]).to.deep.equal([1, 2, 3]);
      expect(exchange!.createdAt).to.deep.equal(AT);
    });

    it("keeps the last of two columns of one name, and the columns in their order", async () => {
      await conversation("m1");
      const [row] = await sqlOf(db).query<Record<string, unknown>>(
        `SELECT c."status", c."messageId", c."createdAt", s."messageId" AS "status" FROM "Conversation" c
          LEFT JOIN "ConversationStatus" s ON s."direction" = c."direction" AND s."messageId" = c."messageId" WHERE c."messageId" = $1`,
        "m1",
      );
      expect(Object.keys(row!)).to.deep.equal(["status", "messageId", "createdAt"]);
      expect(row).to.deep.equal({ status: null, messageId: "m1", createdAt: AT });
    });

    if (provider === "sqlite") {
      it("gives a column named __proto__ as a value of the row, not its prototype", async () => {
        const [row] = await sqlOf(db).query<Record<string, unknown>>(`SELECT 'p' AS "__proto__", 2 AS "n"`);
        expect(Object.getPrototypeOf(row)).to.equal(Object.prototype);
        expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).to.equal("p");
        expect(row!.n).to.equal(2);
      });
    }

    it("compares dates in SQL as Prisma stores them", async () => {
      await conversation("m1");
      const rows = (at: Date) => sqlOf(db).query<{ messageId: string }>(`SELECT "messageId" FROM "Conversation" WHERE "createdAt" <= $1`, at);
      expect(await rows(AT)).to.have.length(1);
      expect(await rows(new Date(AT.getTime() - 1))).to.have.length(0);
      const viaModel = await db.conversation.count({ where: { createdAt: { lte: AT } } });
      expect(viaModel).to.equal(1);
    });

    it("counts the rows a write changed, also with RETURNING", async () => {
      await conversation("m1");
      await conversation("m2");
      expect(await sqlOf(db).execute(`UPDATE "Conversation" SET "attempts" = "attempts" + 1`)).to.equal(2);
      expect(await sqlOf(db).execute(`UPDATE "Conversation" SET "attempts" = 0 WHERE "messageId" = $1 RETURNING "messageId"`, "m2")).to.equal(1);
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      await sqlOf(db).transaction(async (tx) => conversation2(tx, "kept"));
      const err = await sqlOf(db)
        .transaction(async (tx) => {
          await conversation2(tx, "undone");
          throw new Error("no");
        })
        .catch((e: Error) => e.message);
      expect(err).to.equal("no");
      const ids = (await sqlOf(db).query<{ messageId: string }>(`SELECT "messageId" FROM "Conversation" ORDER BY "messageId"`)).map((r) => r.messageId);
      expect(ids).to.deep.equal(["kept"]);
    });

    it("tells a unique violation by the driver's error, and it rolls the transaction back", async () => {
      await conversation("m1");
      const err = await sqlOf(db)
        .transaction(async (tx) => {
          await conversation2(tx, "m2");
          await conversation2(tx, "m1");
        })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(err)).to.equal(true);
      expect(isUniqueViolation(new Error("other"))).to.equal(false);
      expect(await sqlOf(db).query(`SELECT 1 AS "one" FROM "Conversation" WHERE "messageId" = 'm2'`)).to.deep.equal([]);
    });

    it("refuses a statement on a transaction that has ended", async () => {
      let leaked: Sql | undefined;
      await sqlOf(db).transaction(async (tx) => {
        leaked = tx;
      });
      const err = await leaked!.query(`SELECT 1 AS "one"`).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransactionClosedError);
    });

    if (provider === "postgresql") {
      it("opens at most the configured number of connections for its transactions", async () => {
        const url = (store as unknown as { url: string }).url;
        const small = await openDatabase(url, { poolSize: 2 });
        try {
          let open = 0;
          let most = 0;
          const work = () =>
            sqlOf(small.db).transaction(async (tx) => {
              most = Math.max(most, ++open);
              await tx.query(`SELECT pg_sleep(0.05)`);
              open--;
            });
          await Promise.all([work(), work(), work(), work(), work()]);
          expect(most).to.equal(2);
        } finally {
          await small.db.$disconnect();
        }
      });
    }

    it("a Prisma transaction and a direct one take turns without seeing each other's uncommitted rows", async () => {
      let seenInside: string[] | undefined;
      const prismaTx = db
        .$transaction(async (tx) => {
          await tx.workerLease.create({ data: { name: "prisma", holder: "h", until: AT } });
          await new Promise((r) => setTimeout(r, 100));
          throw new Error("rolled back");
        })
        .catch((e: Error) => e.message);
      await new Promise((r) => setTimeout(r, 20));
      // Issued while Prisma's transaction is open: it runs after it (SQLite: one connection) or beside it
      // (PostgreSQL: another connection), and in neither case sees its row.
      const direct = sqlOf(db).transaction(async (tx) => {
        seenInside = (await tx.query<{ name: string }>(`SELECT "name" FROM "WorkerLease"`)).map((r) => r.name);
        await tx.execute(`INSERT INTO "WorkerLease" ("name", "holder", "until") VALUES ('direct', 'h', $1)`, AT);
      });
      const outside = sqlOf(db).query<{ name: string }>(`SELECT "name" FROM "WorkerLease"`);
      expect(await prismaTx).to.equal("rolled back");
      await direct;
      expect((await outside).map((r) => r.name)).to.not.include("prisma");
      expect(seenInside).to.deep.equal([]);
      expect((await db.workerLease.findMany()).map((r) => r.name)).to.deep.equal(["direct"]);
    });
  });
}

async function conversation2(tx: Sql, messageId: string): Promise<void> {
  await tx.execute(
    `INSERT INTO "Conversation" ("direction", "messageId", "conversationId", "channel", "process", "documentType", "standard", "senderIdentifier",
      "receiverIdentifier", "finished", "pollable", "status", "createdAt", "updatedAt") VALUES ('OUT', $1, 'c', 'DPI', 'p', 'd', 's', 'a', 'b', false, false, 'OPPRETTET', $2, $2)`,
    messageId,
    new Date(),
  );
}
