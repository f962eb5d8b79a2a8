import { expect } from "chai";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import type { DpiMessage, NextMoveMessage, Prisma } from "../../src/store/generated/client.js";
import type { Db } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import {
  all,
  amongConversations,
  any,
  compare,
  contains,
  equals,
  FALSE,
  hasRow,
  isSet,
  noneOf,
  oneOf,
  renderCondition,
  requiredValue,
  startsWith,
  TRUE,
  type Condition,
} from "../../src/store/sql-condition.js";
import { openStoreOn } from "../helpers/temp-store.js";

const AT = new Date("2030-01-01T10:00:00.250Z");

/** The condition's SQL and parameters, numbered after `before` parameters already taken. */
function sql(c: Condition, before: unknown[] = []): { sql: string; params: unknown[] } {
  const params = [...before];
  return { sql: renderCondition(c, params), params: params.slice(before.length) };
}

describe("sql-condition: the SQL a condition becomes", () => {
  it("writes each kind of column condition over the qualified column, its value a parameter", () => {
    expect(sql(equals("channel", "DPO"))).to.deep.equal({ sql: `"Conversation"."channel" = $1`, params: ["DPO"] });
    expect(sql(equals("readAt", null))).to.deep.equal({ sql: `"Conversation"."readAt" IS NULL`, params: [] });
    expect(sql(oneOf("documentType", ["digital", "utskrift"]))).to.deep.equal({ sql: `"Conversation"."documentType" IN ($1, $2)`, params: ["digital", "utskrift"] });
    expect(sql(noneOf("messageId", ["a"]))).to.deep.equal({ sql: `"Conversation"."messageId" NOT IN ($1)`, params: ["a"] });
    expect(sql(compare("lockedUntil", "<=", AT))).to.deep.equal({ sql: `"Conversation"."lockedUntil" <= $1`, params: [AT] });
    expect(sql(isSet("externalReference"))).to.deep.equal({ sql: `"Conversation"."externalReference" IS NOT NULL`, params: [] });
  });

  it("numbers its parameters after those the statement has already", () => {
    expect(sql(all(equals("direction", "IN"), oneOf("channel", ["DPO", "DPE"])), ["x", "y"])).to.deep.equal({
      sql: `"Conversation"."direction" = $3 AND "Conversation"."channel" IN ($4, $5)`,
      params: ["IN", "DPO", "DPE"],
    });
  });

  it("escapes LIKE's wildcards and its escape character in a prefix", () => {
    expect(sql(startsWith("senderIdentifier", "0192:9_1%\\"))).to.deep.equal({
      sql: `"Conversation"."senderIdentifier" LIKE $1 ESCAPE '\\'`,
      params: ["0192:9\\_1\\%\\\\%"],
    });
  });

  it("writes empty lists as a constant: all and noneOf match every row, any and oneOf none", () => {
    expect([TRUE, FALSE, oneOf("channel", []), noneOf("channel", [])].map((c) => sql(c))).to.deep.equal([
      { sql: "1 = 1", params: [] },
      { sql: "1 = 0", params: [] },
      { sql: "1 = 0", params: [] },
      { sql: "1 = 1", params: [] },
    ]);
  });

  it("brackets an OR inside an AND and an AND inside an OR, nothing else", () => {
    const c = all(equals("direction", "IN"), any(all(equals("channel", "DPO"), equals("process", "p")), equals("channel", "DPE")), equals("readAt", null));
    expect(sql(c)).to.deep.equal({
      sql: `"Conversation"."direction" = $1 AND (("Conversation"."channel" = $2 AND "Conversation"."process" = $3) OR "Conversation"."channel" = $4) AND "Conversation"."readAt" IS NULL`,
      params: ["IN", "DPO", "p", "DPE"],
    });
  });

  it("brackets an OR it is made of, so that the text can be ANDed with other conditions as it is", () => {
    expect(sql(any(equals("channel", "DPO"), all(equals("direction", "IN"), equals("channel", "DPE"))))).to.deep.equal({
      sql: `("Conversation"."channel" = $1 OR ("Conversation"."direction" = $2 AND "Conversation"."channel" = $3))`,
      params: ["DPO", "IN", "DPE"],
    });
  });

  it("flattens nested ANDs, drops TRUE from them, and writes a one-part AND or OR as that part", () => {
    expect(all(equals("channel", "DPO"), all(TRUE, equals("process", "p")))).to.deep.equal({ all: [{ column: "channel", equals: "DPO" }, { column: "process", equals: "p" }] });
    expect(all(TRUE, equals("channel", "DPO"))).to.deep.equal({ column: "channel", equals: "DPO" });
    expect(any(equals("channel", "DPO"))).to.deep.equal({ column: "channel", equals: "DPO" });
    expect(all()).to.deep.equal(TRUE);
  });

  it("looks into a channel table's row of the same conversation with EXISTS, its columns under an alias of their own", () => {
    expect(sql(hasRow("NextMoveMessage"))).to.deep.equal({
      sql: `EXISTS (SELECT 1 FROM "NextMoveMessage" r1 WHERE r1."direction" = "Conversation"."direction" AND r1."messageId" = "Conversation"."messageId")`,
      params: [],
    });
    const dpi = hasRow("DpiMessage", all(equals<DpiMessage>("kanal", "k"), equals<DpiMessage>("databehandlerOrg", null)));
    expect(sql(all(equals("receiverIdentifier", "0192:1"), dpi))).to.deep.equal({
      sql:
        `"Conversation"."receiverIdentifier" = $1 AND EXISTS (SELECT 1 FROM "DpiMessage" r1 WHERE r1."direction" = "Conversation"."direction"` +
        ` AND r1."messageId" = "Conversation"."messageId" AND (r1."kanal" = $2 AND r1."databehandlerOrg" IS NULL))`,
      params: ["0192:1", "k"],
    });
  });

  it("looks each of a set of conversation lookups up on its own, and keeps the rows whose message id one of them found", () => {
    const among = amongConversations(all(equals("direction", "IN"), oneOf("receiverIdentifier", ["0192:1", "1"])), all(equals("direction", "IN"), compare("receiverIdentifier", ">=", "0192:1:")));
    expect(sql(all(equals("channel", "DPO"), among))).to.deep.equal({
      sql:
        `"Conversation"."channel" = $1 AND "Conversation"."messageId" IN (SELECT u1."messageId" FROM "Conversation" u1 WHERE u1."direction" = $2 AND u1."receiverIdentifier" IN ($3, $4)` +
        ` UNION ALL SELECT u1."messageId" FROM "Conversation" u1 WHERE u1."direction" = $5 AND u1."receiverIdentifier" >= $6)`,
      params: ["DPO", "IN", "0192:1", "1", "IN", "0192:1:"],
    });
    expect(sql(amongConversations())).to.deep.equal({ sql: "1 = 0", params: [] });
  });

  it("writes the columns over another row name when asked (a query that gives the table an alias)", () => {
    const params: unknown[] = [];
    expect(renderCondition(all(equals("channel", "DPF"), hasRow("NextMoveMessage", isSet<NextMoveMessage>("packageKey"))), params, "c")).to.equal(
      `c."channel" = $1 AND EXISTS (SELECT 1 FROM "NextMoveMessage" r1 WHERE r1."direction" = c."direction" AND r1."messageId" = c."messageId" AND r1."packageKey" IS NOT NULL)`,
    );
    expect(params).to.deep.equal(["DPF"]);
  });

  it("tells the value a condition requires of a column, on its own or as a part of an AND", () => {
    expect(requiredValue(equals("receiverIdentifier", "0192:1"), "receiverIdentifier")).to.equal("0192:1");
    expect(requiredValue(all(oneOf("documentType", ["d"]), equals("receiverIdentifier", "0192:2")), "receiverIdentifier")).to.equal("0192:2");
    expect(requiredValue(any(equals("receiverIdentifier", "0192:1"), equals("receiverIdentifier", "0192:2")), "receiverIdentifier")).to.equal(undefined);
    expect(requiredValue(equals("receiverIdentifier", null), "receiverIdentifier")).to.equal(undefined);
    expect(requiredValue(equals("senderIdentifier", "0192:1"), "receiverIdentifier")).to.equal(undefined);
  });
});

/**
 * The rows a condition selects, on both databases, against the rows Prisma's where-object for the same filter
 * selected: the queries moved from one to the other.
 */
for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`sql-condition on ${provider}`, function () {
    this.timeout(30_000);
    let store: { db: Db; close(): Promise<void> } | undefined;
    let db: Db;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
      store = await openStoreOn(provider, "dpi_ap_sql_condition");
      db = store.db;
      const conversations = new ConversationsRepo(db);
      const rows: [id: string, receiver: string, channel: "DPO" | "DPI", lockedUntil: Date | null, reference: string | null][] = [
        ["m1", "0192:910076787", "DPO", null, "r1"],
        ["m2", "0192:910076787:avd", "DPO", AT, null],
        ["m3", "910076787", "DPI", new Date(AT.getTime() + 1), "r3"],
        ["m4", "0192:9100767870", "DPI", new Date(AT.getTime() - 1), "r4"],
        ["m5", "abc:x", "DPO", null, null],
        ["m6", "0192:9%_x", "DPO", null, null],
      ];
      for (const [id, receiver, channel, lockedUntil, reference] of rows) {
        await sqlOf(db).transaction((tx) =>
          conversations.insertIn(
            tx,
            { messageId: id, direction: "IN", conversationId: `c-${id}`, channel, process: "p", documentType: "d", standard: "s", senderIdentifier: "0192:1", receiverIdentifier: receiver, messageReference: reference ?? undefined },
            channel === "DPI" ? "MOTTATT" : "INNKOMMENDE_MOTTATT",
            AT,
          ),
        );
        await sqlOf(db).execute(`UPDATE "Conversation" SET "lockedUntil" = $1 WHERE "messageId" = $2`, lockedUntil, id);
      }
      await sqlOf(db).execute(
        `INSERT INTO "DpiMessage" ("direction", "messageId", "avsenderOrg", "databehandlerOrg", "kanal", "forretningsmelding") VALUES ('IN', 'm3', 'a', NULL, 'k', 'f'), ('IN', 'm4', 'a', 'd', 'k', 'f')`,
      );
      await sqlOf(db).execute(`INSERT INTO "NextMoveMessage" ("direction", "messageId", "sbd", "packageKey", "createdAt") VALUES ('IN', 'm1', '{}', 'p1', $1), ('IN', 'm2', '{}', NULL, $1)`, AT);
    });
    after(async () => {
      await store?.close();
      store = undefined;
    });

    const selected = async (c: Condition) => {
      const params: unknown[] = [];
      return (await sqlOf(db).query<{ messageId: string }>(`SELECT "messageId" FROM "Conversation" WHERE ${renderCondition(c, params)} ORDER BY "messageId"`, ...params)).map((r) => r.messageId);
    };
    const prisma = async (where: Prisma.ConversationWhereInput) => (await db.conversation.findMany({ where, orderBy: { messageId: "asc" }, select: { messageId: true } })).map((r) => r.messageId);

    const cases: [name: string, condition: Condition, where: Prisma.ConversationWhereInput, expected: string[]][] = [
      ["equality", equals("channel", "DPI"), { channel: "DPI" }, ["m3", "m4"]],
      ["IS NULL", equals("messageReference", null), { messageReference: null }, ["m2", "m5", "m6"]],
      ["a list", oneOf("receiverIdentifier", ["910076787", "0192:910076787"]), { receiverIdentifier: { in: ["910076787", "0192:910076787"] } }, ["m1", "m3"]],
      ["an empty list", oneOf("receiverIdentifier", []), { receiverIdentifier: { in: [] } }, []],
      ["not in a list", noneOf("messageId", ["m1", "m2"]), { messageId: { notIn: ["m1", "m2"] } }, ["m3", "m4", "m5", "m6"]],
      ["a prefix", startsWith("receiverIdentifier", "0192:910076787:"), { receiverIdentifier: { startsWith: "0192:910076787:" } }, ["m2"]],
      ["a part", contains("receiverIdentifier", "076787:"), { receiverIdentifier: { contains: "076787:" } }, ["m2"]],
      ["a part of a column that may be NULL", contains("messageReference", "r"), { messageReference: { contains: "r" } }, ["m1", "m3", "m4"]],
      ["dates to the millisecond", compare("lockedUntil", "<=", AT), { lockedUntil: { lte: AT } }, ["m2", "m4"]],
      ["free or run out", any(equals("lockedUntil", null), compare("lockedUntil", "<=", AT)), { OR: [{ lockedUntil: null }, { lockedUntil: { lte: AT } }] }, ["m1", "m2", "m4", "m5", "m6"]],
      ["NOT NULL", isSet("messageReference"), { messageReference: { not: null } }, ["m1", "m3", "m4"]],
      ["every row", TRUE, {}, ["m1", "m2", "m3", "m4", "m5", "m6"]],
      ["no row", FALSE, { OR: [] }, []],
      ["a NextMove row", hasRow("NextMoveMessage"), { nextMove: { isNot: null } }, ["m1", "m2"]],
      ["a NextMove row with a package", hasRow("NextMoveMessage", isSet<NextMoveMessage>("packageKey")), { nextMove: { is: { packageKey: { not: null } } } }, ["m1"]],
      [
        "a DPI row's values, one of them NULL",
        hasRow("DpiMessage", all(equals<DpiMessage>("kanal", "k"), equals<DpiMessage>("databehandlerOrg", null))),
        { dpi: { is: { kanal: "k", databehandlerOrg: null } } },
        ["m3"],
      ],
      [
        "a read filter's OR of ANDs",
        all(equals("direction", "IN"), any(all(equals("channel", "DPO"), equals("lockedUntil", null)), equals("messageId", "m4"))),
        { AND: [{ direction: "IN" }, { OR: [{ channel: "DPO", lockedUntil: null }, { messageId: "m4" }] }] },
        ["m1", "m4", "m5", "m6"],
      ],
    ];
    for (const [name, condition, where, expected] of cases) {
      it(`${name}: the rows Prisma's where-object selected`, async () => {
        expect(await selected(condition)).to.deep.equal(expected);
        expect(await prisma(where)).to.deep.equal(expected);
      });
    }

    it("a prefix compares ASCII letters as Prisma's did: regardless of case on SQLite, exactly on PostgreSQL", async () => {
      const expected = provider === "sqlite" ? ["m5"] : [];
      expect(await selected(startsWith("receiverIdentifier", "ABC:"))).to.deep.equal(expected);
      expect(await prisma({ receiverIdentifier: { startsWith: "ABC:" } })).to.deep.equal(expected);
    });

    it("a prefix with LIKE's wildcards in it matches them as characters", async () => {
      expect(await selected(startsWith("receiverIdentifier", "0192:9%_"))).to.deep.equal(["m6"]);
      expect(await selected(startsWith("receiverIdentifier", "0192:9_"))).to.deep.equal([]);
    });

    it("a part compares ASCII letters as Prisma's did, and matches LIKE's wildcards as characters", async () => {
      const expected = provider === "sqlite" ? ["m5"] : [];
      expect(await selected(contains("receiverIdentifier", "BC:"))).to.deep.equal(expected);
      expect(await prisma({ receiverIdentifier: { contains: "BC:" } })).to.deep.equal(expected);
      expect(await selected(contains("receiverIdentifier", "%_"))).to.deep.equal(["m6"]);
      expect(await selected(contains("receiverIdentifier", "9_x"))).to.deep.equal([]);
    });
  });
}
