import { ConversationsRepo, DuplicateMessageIdError, conversationKey, setConversation, type Direction, type NewConversation, type StoreWrites } from "./conversations-repo.js";
import { sqlOf } from "./sql.js";
import type { Conversation, NextMoveFile, NextMoveMessage, Prisma } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { isUniqueViolation } from "./raw-sql.js";

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

const WITH_FILES = { nextMove: { include: { files: { orderBy: { id: "asc" } } } } } satisfies Prisma.ConversationInclude;

export class NextMoveRepo {
  readonly conversations: ConversationsRepo;

  constructor(private readonly db: Db) {
    this.conversations = new ConversationsRepo(db);
  }

  /** The conversation (status `initialStatus`) and the SBD, in one transaction; a used id is DuplicateMessageIdError. */
  async create(c: NewConversation, sbd: string, initialStatus: string, at: Date): Promise<void> {
    try {
      await this.db.$transaction([
        ...this.conversations.insertOperations(c, initialStatus, at),
        this.db.nextMoveMessage.create({ data: { direction: c.direction, messageId: normaliseMessageId(c.messageId), sbd, createdAt: at } }),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateMessageIdError(c.messageId);
      throw err;
    }
  }

  /** Whether any conversation, in either direction, has this message id (the integrasjonspunkt's duplicate check). */
  async used(messageId: string): Promise<boolean> {
    return (await this.db.conversation.count({ where: { messageId: normaliseMessageId(messageId) } })) > 0;
  }

  async get(direction: Direction, messageId: string): Promise<NextMoveConversation | null> {
    const row = await this.db.conversation.findUnique({ where: conversationKey(direction, normaliseMessageId(messageId)), include: WITH_FILES });
    return row?.nextMove ? (row as NextMoveConversation) : null;
  }

  /** The NextMove messages of these conversations (e.g. the ones the outbox claimed), in their order; one query. */
  async ofConversations(rows: readonly { direction: string; messageId: string }[]): Promise<NextMoveConversation[]> {
    if (rows.length === 0) return [];
    const found = await this.db.conversation.findMany({
      where: { OR: rows.map((r) => ({ direction: r.direction, messageId: r.messageId })), nextMove: { isNot: null } },
      include: WITH_FILES,
    });
    const byKey = new Map(found.map((c) => [`${c.direction}:${c.messageId}`, c as NextMoveConversation]));
    return rows.flatMap((r) => byKey.get(`${r.direction}:${r.messageId}`) ?? []);
  }

  /** Outgoing messages not sent yet (the integrasjonspunkt's out-queue: not queued), oldest first, with their total. */
  async unsent(where: Prisma.ConversationWhereInput, page: { skip: number; take: number }): Promise<{ rows: NextMoveConversation[]; total: number }> {
    const filter: Prisma.ConversationWhereInput = { AND: [where, { direction: "OUT", nextMove: { is: { queuedAt: null } } }] };
    const [rows, total] = await Promise.all([
      this.db.conversation.findMany({ where: filter, include: WITH_FILES, orderBy: [{ createdAt: "asc" }, { messageId: "asc" }], skip: page.skip, take: page.take }),
      this.db.conversation.count({ where: filter }),
    ]);
    return { rows: rows as NextMoveConversation[], total };
  }

  /**
   * Adds a file to an outgoing message that is not queued yet. The unique (message, filename) key decides a
   * race between two uploads of the same name. `also`: the caller's writes in the same transaction (the title
   * and reference read from arkivmelding.xml). False when the message is gone or already queued.
   */
  async addFile(messageId: string, file: NewNextMoveFile, at: Date, conversation?: Prisma.ConversationUpdateInput): Promise<boolean> {
    const id = normaliseMessageId(messageId);
    try {
      return await this.db.$transaction(async (tx) => {
        const open = await tx.nextMoveMessage.count({ where: { direction: "OUT", messageId: id, queuedAt: null } });
        if (open === 0) return false;
        await tx.nextMoveFile.create({
          data: { direction: "OUT", messageId: id, filename: file.filename, title: file.title ?? null, mimeType: file.mimeType, size: file.size, sha256: file.sha256Hex, blobKey: file.blobKey, createdAt: at },
        });
        if (conversation) await tx.conversation.update({ where: conversationKey("OUT", id), data: conversation });
        return true;
      });
    } catch (err) {
      if ((err as { code?: string }).code === "P2002") throw new DuplicateFilenameError(file.filename);
      throw err;
    }
  }

  /**
   * Queues an outgoing message for sending: queuedAt and the outbox's nextAttemptAt, with the channel's writes
   * (`also`, e.g. DPI's row) in the same transaction. False when it was queued already or is gone.
   */
  async queue(messageId: string, at: Date, also?: StoreWrites): Promise<boolean> {
    const id = normaliseMessageId(messageId);
    return sqlOf(this.db).transaction(async (tx) => {
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
    return this.db.$transaction(async (tx) => {
      const files = await tx.nextMoveFile.findMany({ where: { direction: "OUT", messageId: id }, select: { blobKey: true } });
      const r = await tx.nextMoveMessage.deleteMany({ where: { direction: "OUT", messageId: id, queuedAt: null } });
      if (r.count === 0) return null;
      await tx.conversation.delete({ where: conversationKey("OUT", id) });
      return files.map((f) => f.blobKey);
    });
  }

  /** Every blob the NextMove tables reference (for the payload sweeper). */
  async blobKeys(): Promise<Set<string>> {
    const [files, packages] = await Promise.all([
      this.db.nextMoveFile.findMany({ select: { blobKey: true } }),
      this.db.nextMoveMessage.findMany({ where: { packageKey: { not: null } }, select: { packageKey: true } }),
    ]);
    return new Set([...files.map((f) => f.blobKey), ...packages.map((p) => p.packageKey!)]);
  }
}
