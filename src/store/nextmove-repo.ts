import { ConversationsRepo, DuplicateMessageIdError, pageSql, setConversation, type Direction, type NewConversation, type StoreWrites } from "./conversations-repo.js";
import { keysWhere, withNextMoveAndFiles } from "./nextmove-rows.js";
import { sqlOf, type SqlStore } from "./sql.js";
import type { Conversation, NextMoveFile, NextMoveMessage } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { isUniqueViolation } from "./raw-sql.js";
import { all, equals, hasRow, renderCondition, type Condition } from "./sql-condition.js";

/**
 * What the NextMove API keeps besides the conversation: the StandardBusinessDocument as accepted and, for an
 * outgoing message, its files until it is sent. A message is "in the out-queue" (GET /api/messages/out) from
 * its creation until it is sent; POST /api/messages/out/{id} queues it (queuedAt), which hands it to the outbox.
 */

export type NextMoveConversation = Conversation & { nextMove: NextMoveMessage & { files: NextMoveFile[] } };

export interface NewNextMoveFile {
  filename: string;
  title?: string | undefined;
  mimeType: string;
  size: number;
  sha256Hex: string;
  blobKey: string;
}

/** The file name is already used by another file of the message (the integrasjonspunkt's DuplicateFilenameException). */
export class DuplicateFilenameError extends Error {
  constructor(readonly filename: string) {
    super(`file ${filename} already exists`);
  }
}

/** What an upload may write to its conversation with the file: the title and reference an arkivmelding.xml gives. */
export interface FileConversationFields {
  messageTitle?: string | null;
  messageReference?: string;
}

export class NextMoveRepo {
  readonly conversations: ConversationsRepo;
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.conversations = new ConversationsRepo(db);
    this.sql = sqlOf(db);
  }

  /** The conversation (status `initialStatus`) and the SBD, in one transaction; a used id is DuplicateMessageIdError. */
  async create(c: NewConversation, sbd: string, initialStatus: string, at: Date): Promise<void> {
    try {
      await this.sql.transaction(async (tx) => {
        await this.conversations.insertIn(tx, c, initialStatus, at);
        await tx.execute(`INSERT INTO "NextMoveMessage" ("direction", "messageId", "sbd", "createdAt") VALUES ($1, $2, $3, $4)`, c.direction, normaliseMessageId(c.messageId), sbd, at);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageIdError(c.messageId);
      throw err;
    }
  }

  /** Whether any conversation, in either direction, has this message id (the integrasjonspunkt's duplicate check). */
  async used(messageId: string): Promise<boolean> {
    return (await this.sql.query(`SELECT 1 AS "used" FROM "Conversation" WHERE "messageId" = $1 LIMIT 1`, normaliseMessageId(messageId))).length > 0;
  }

  async get(direction: Direction, messageId: string): Promise<NextMoveConversation | null> {
    const rows = await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`, direction, normaliseMessageId(messageId));
    const [found] = await withNextMoveAndFiles(this.sql, rows);
    return found ?? null;
  }

  /** The NextMove messages of these conversations (e.g. the ones the outbox claimed), in their order; read afresh. */
  async ofConversations(rows: readonly { direction: string; messageId: string }[]): Promise<NextMoveConversation[]> {
    if (rows.length === 0) return [];
    const params: unknown[] = [];
    const found = await withNextMoveAndFiles(this.sql, await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${keysWhere(rows, params)}`, ...params));
    const byKey = new Map(found.map((c) => [`${c.direction}:${c.messageId}`, c]));
    return rows.flatMap((r) => byKey.get(`${r.direction}:${r.messageId}`) ?? []);
  }

  /** Outgoing messages not sent yet (the integrasjonspunkt's out-queue: not queued), oldest first, with their total. */
  async unsent(where: Condition, page: { skip: number; take: number }): Promise<{ rows: NextMoveConversation[]; total: number }> {
    const params: unknown[] = [];
    const filter = renderCondition(all(equals("direction", "OUT"), where, hasRow("NextMoveMessage", equals<NextMoveMessage>("queuedAt", null))), params);
    const paged = [...params];
    const limit = pageSql(paged, page);
    const [rows, [count]] = await Promise.all([
      this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE ${filter} ORDER BY "createdAt", "messageId" ${limit}`, ...paged),
      this.sql.query<{ count: number | bigint }>(`SELECT COUNT(*) AS "count" FROM "Conversation" WHERE ${filter}`, ...params),
    ]);
    return { rows: await withNextMoveAndFiles(this.sql, rows), total: Number(count!.count) };
  }

  /**
   * Adds a file to an outgoing message that is not queued yet. The unique (message, filename) key decides a
   * race between two uploads of the same name. `conversation`: the caller's writes in the same transaction (the
   * title and reference read from arkivmelding.xml). False when the message is gone or already queued.
   */
  async addFile(messageId: string, file: NewNextMoveFile, at: Date, conversation?: FileConversationFields): Promise<boolean> {
    const id = normaliseMessageId(messageId);
    try {
      return await this.sql.transaction(async (tx) => {
        const open = await tx.query(`SELECT 1 AS "open" FROM "NextMoveMessage" WHERE "direction" = 'OUT' AND "messageId" = $1 AND "queuedAt" IS NULL`, id);
        if (open.length === 0) return false;
        await tx.execute(
          `INSERT INTO "NextMoveFile" ("direction", "messageId", "filename", "title", "mimeType", "size", "sha256", "blobKey", "createdAt") VALUES ('OUT', $1, $2, $3, $4, $5, $6, $7, $8)`,
          id,
          file.filename,
          file.title ?? null,
          file.mimeType,
          file.size,
          file.sha256Hex,
          file.blobKey,
          at,
        );
        if (conversation && !(await setConversation(tx, "OUT", id, { ...conversation }))) throw new Error(`no outgoing conversation ${id}`);
        return true;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateFilenameError(file.filename);
      throw err;
    }
  }

  /**
   * Queues an outgoing message for sending: queuedAt and the outbox's nextAttemptAt, with the channel's writes
   * (`also`, e.g. DPI's row) in the same transaction. False when it was queued already or is gone.
   */
  async queue(messageId: string, at: Date, also?: StoreWrites): Promise<boolean> {
    const id = normaliseMessageId(messageId);
    return this.sql.transaction(async (tx) => {
      const queued = await tx.execute(`UPDATE "NextMoveMessage" SET "queuedAt" = $1 WHERE "direction" = 'OUT' AND "messageId" = $2 AND "queuedAt" IS NULL`, at, id);
      if (queued === 0) return false;
      await also?.(tx);
      if (!(await setConversation(tx, "OUT", id, { nextAttemptAt: at }))) throw new Error(`no outgoing conversation ${id}`);
      return true;
    });
  }

  /**
   * Deletes an outgoing message that has not been queued, with its conversation (nothing was sent, so nothing
   * is left to report). Returns the blob keys of its files for the caller to remove, or null when there was
   * no such unqueued message.
   */
  async deleteUnsent(messageId: string): Promise<string[] | null> {
    const id = normaliseMessageId(messageId);
    return this.sql.transaction(async (tx) => {
      const files = await tx.query<{ blobKey: string }>(`SELECT "blobKey" FROM "NextMoveFile" WHERE "direction" = 'OUT' AND "messageId" = $1 ORDER BY "id"`, id);
      const deleted = await tx.execute(`DELETE FROM "NextMoveMessage" WHERE "direction" = 'OUT' AND "messageId" = $1 AND "queuedAt" IS NULL`, id);
      if (deleted === 0) return null;
      // Its files and statuses go with it (their foreign keys cascade), as with Prisma's delete.
      if ((await tx.execute(`DELETE FROM "Conversation" WHERE "direction" = 'OUT' AND "messageId" = $1`, id)) === 0) throw new Error(`no outgoing conversation ${id}`);
      return files.map((f) => f.blobKey);
    });
  }

  /** Every blob the NextMove tables reference (for the payload sweeper). */
  async blobKeys(): Promise<Set<string>> {
    const [files, packages] = await Promise.all([
      this.sql.query<{ blobKey: string }>(`SELECT "blobKey" FROM "NextMoveFile"`),
      this.sql.query<{ packageKey: string }>(`SELECT "packageKey" FROM "NextMoveMessage" WHERE "packageKey" IS NOT NULL`),
    ]);
    return new Set([...files.map((f) => f.blobKey), ...packages.map((p) => p.packageKey)]);
  }
}
