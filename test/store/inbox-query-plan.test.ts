import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Inbox } from "../../src/core/inbox.js";
import type { NextMoveCaller } from "../../src/api/nextmove/caller.js";
import { nextMoveReadScope } from "../../src/api/nextmove/messages-in.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import { IS_NEXTMOVE, NextMoveInRepo, nextMoveInboxColumns, type NextMoveInboxColumns } from "../../src/store/nextmove-in-repo.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";

/**
 * The NextMove inbox is peeked and listed by every archive system, many times a minute, on a table that keeps every
 * conversation ever received. A reader's organisation is found in any of the receiver's stored forms, one of
 * them a prefix (`0192:<orgno>:<part>`), so the receiver appears only inside an OR with a LIKE, which SQLite
 * cannot look up in the (direction, receiverIdentifier, readAt) index: it read every incoming conversation.
 * The statements the inbox runs must look each receiver form up in that index.
 */
describe("NextMove inbox: query plans on SQLite", () => {
  let dir: string;
  let db: Db;
  let plans: Map<string, string[]>;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-plan-"));
    db = (await openDatabase(`file:${path.join(dir, "inbox.db")}`)).db;
    const sql = sqlOf(db);
    const query = sql.query.bind(sql);
    plans = new Map();
    // Every SELECT on Conversation the inbox runs, with the plan SQLite makes of it.
    sql.query = async <T>(text: string, ...params: unknown[]): Promise<T[]> => {
      if (/^SELECT .* FROM "Conversation" WHERE/s.test(text)) {
        const plan = await query<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, ...params);
        plans.set(text.replace(/ WHERE .*/s, ""), plan.map((r) => r.detail));
      }
      return query<T>(text, ...params);
    };
  });
  after(async () => {
    await db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const caller: NextMoveCaller = { name: "archive", orgs: ["984661185", "922020175"] };
  /** The lookups of the reader's organisations: the plain forms in one, each organisation's prefix in another. */
  const byReceiver = [
    "SEARCH Conversation USING INDEX sqlite_autoindex_Conversation_1 (direction=? AND messageId=?)",
    "LIST SUBQUERY 3",
    "COMPOUND QUERY",
    "LEFT-MOST SUBQUERY",
    "SEARCH u1 USING INDEX Conversation_direction_receiverIdentifier_readAt_idx (direction=? AND receiverIdentifier=?)",
    "UNION ALL",
    "SEARCH u1 USING INDEX Conversation_direction_receiverIdentifier_readAt_idx (direction=? AND receiverIdentifier>? AND receiverIdentifier<?)",
    "UNION ALL",
    "SEARCH u1 USING INDEX Conversation_direction_receiverIdentifier_readAt_idx (direction=? AND receiverIdentifier>? AND receiverIdentifier<?)",
  ];
  const isNextMove = "SEARCH r1 EXISTS USING COVERING INDEX sqlite_autoindex_NextMoveMessage_1 (direction=? AND messageId=?)";

  it("peeks, lists and counts by looking up each stored form of the reader's organisations in the receiver index", async () => {
    const inbox = new Inbox<NextMoveInboxColumns>({ conversations: new ConversationsRepo(db), clock: () => new Date(), columns: nextMoveInboxColumns });
    const filter = { scope: nextMoveReadScope(caller), where: IS_NEXTMOVE };
    await inbox.peek(filter, 60_000);
    await new NextMoveInRepo(db).list(inbox.query(filter), { skip: 0, take: 10 });
    expect(Object.fromEntries(plans)).to.deep.equal({
      // The peek's candidates.
      'SELECT "messageId" FROM "Conversation"': [...byReceiver, isNextMove, "USE TEMP B-TREE FOR ORDER BY"],
      // The list's page and its total.
      'SELECT * FROM "Conversation"': [
        ...byReceiver,
        "CORRELATED SCALAR SUBQUERY 4",
        "SEARCH r1 USING COVERING INDEX sqlite_autoindex_NextMoveMessage_1 (direction=? AND messageId=?)",
        "CORRELATED SCALAR SUBQUERY 5",
        "SEARCH r1 USING COVERING INDEX sqlite_autoindex_NextMoveMessage_1 (direction=? AND messageId=?)",
        "USE TEMP B-TREE FOR ORDER BY",
      ],
      'SELECT COUNT(*) AS "count" FROM "Conversation"': [...byReceiver, isNextMove, isNextMove],
    });
  });
});
