import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DpiInbox } from "../../src/channels/dpi/inbox.js";
import { readScopeOf } from "../../src/dpi/read-scope.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";

/**
 * DPI's inbox is listed by every postbox provider and business system many times a minute, on a table that keeps
 * every conversation ever received; its list, its look-up by id and its read confirmation (one UPDATE under the
 * reader's filter) must find the reader's conversations in the (direction, receiverIdentifier, readAt) index and
 * each one's DPI row by its key.
 */
describe("DPI inbox: query plans on SQLite", () => {
  let dir: string;
  let db: Db;
  let plans: string[][];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-plan-"));
    db = (await openDatabase(`file:${path.join(dir, "inbox.db")}`)).db;
    const sql = sqlOf(db);
    const query = sql.query.bind(sql);
    plans = [];
    sql.query = async <T>(text: string, ...params: unknown[]): Promise<T[]> => {
      if (/"Conversation"/.test(text)) {
        const plan = await query<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, ...params);
        plans.push(plan.map((r) => r.detail));
      }
      return query<T>(text, ...params);
    };
  });
  after(async () => {
    await db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists, finds and confirms by the receiver index, with the DPI row by its key", async () => {
    const repo = new DpiMessagesRepo(db);
    const inbox = new DpiInbox({ conversations: repo.conversations, repo, clock: () => new Date() });
    const scope = readScopeOf({ consumer: "0192:984661185" });
    const id = "8a1e3fd4-0e48-4b1c-9b89-2f5a7d3c6e01";
    await inbox.unread({ scope, kanal: "k", pageSize: 10, page: 0 });
    const list = plans.splice(0);
    await inbox.get(scope, id);
    const get = plans.splice(0);
    await inbox.markRead(scope, id);
    // The confirmation, then (nothing was unread) the look-up that tells a repeated confirm from another's message.
    const confirm = plans.splice(0);
    const byKey = "SEARCH Conversation USING INDEX sqlite_autoindex_Conversation_1 (direction=? AND messageId=?)";
    const dpiRow = "SEARCH d USING INDEX sqlite_autoindex_DpiMessage_1 (direction=? AND messageId=?)";
    expect({ list, get, confirm }).to.deep.equal({
      list: [
        [
          "SEARCH Conversation USING INDEX Conversation_direction_receiverIdentifier_readAt_idx (direction=? AND receiverIdentifier=? AND readAt=?)",
          "CORRELATED SCALAR SUBQUERY 1",
          // The kanal condition, on the DPI row.
          "SEARCH r1 USING INDEX sqlite_autoindex_DpiMessage_1 (direction=? AND messageId=?)",
          dpiRow,
          "USE TEMP B-TREE FOR ORDER BY",
        ],
      ],
      get: [[byKey, dpiRow]],
      confirm: [[byKey], [byKey]],
    });
  });
});
