import type { Db } from "./prisma.js";
import type { Message, MessageStatus, Prisma } from "./generated/client.js";
import type { ReadScope } from "../dpi/read-scope.js";
import { normaliseMessageId } from "./message-id.js";

/**
 * Persistence of DPI messages and their status history. Callers pass org ids as "0192:<orgno>" and message ids
 * in any letter case: messages are keyed, and looked up, by normaliseMessageId.
 */

export type Direction = "OUT" | "IN";

export interface NewMessage {
  id: string;
  direction: Direction;
  conversationId: string;
  documentType: string;
  process: string;
  standard: string;
  senderOrg: string;
  receiverOrg: string;
  avsenderOrg: string;
  databehandlerOrg?: string | undefined;
  avsenderidentifikator?: string | undefined;
  mottakerOrg?: string | undefined;
  kanal?: string | undefined;
  forretningsmelding: string;
  payload?: { key: string; size: number; sha256Hex: string } | undefined;
  expectedResponseAt?: Date | undefined;
  /** OUT messages to send: enters the outbox, due immediately. */
  enqueue?: boolean;
  as4MessageId?: string | undefined;
}

export interface StatusEntry {
  status: string;
  beskrivelse: string | null;
  timestamp: Date;
}

export class DuplicateMessageIdError extends Error {
  constructor(readonly messageId: string) {
    super(`message id ${messageId} has been used before`);
    this.name = "DuplicateMessageIdError";
  }
}

export interface UnreadQuery {
  /** Whose messages: the caller's read scope (src/dpi/read-scope.ts). */
  scope: ReadScope;
  kanal?: string | undefined;
  avsenderidentifikator?: string | undefined;
  pageSize: number;
  page: number;
}

export class MessagesRepo {
  constructor(private readonly db: Db) {}

  /** Inserts the message with its first status in one transaction; a reused id is DuplicateMessageIdError. */
  async insert(m: NewMessage, initialStatus: string, at: Date, beskrivelse?: string): Promise<void> {
    try {
      await this.db.$transaction(this.insertOperations(m, initialStatus, at, beskrivelse));
    } catch (err) {
      if ((err as { code?: string }).code === "P2002") throw new DuplicateMessageIdError(m.id);
      throw err;
    }
  }

  /** The writes of insert(), for a caller that commits them together with its own. */
  insertOperations(m: NewMessage, initialStatus: string, at: Date, beskrivelse?: string): Prisma.PrismaPromise<unknown>[] {
    // Keyed by the normal form, so the primary key refuses the same id in another case as a duplicate.
    const id = normaliseMessageId(m.id);
    return [
      this.db.message.create({
        data: {
          id,
          direction: m.direction,
          conversationId: m.conversationId,
          documentType: m.documentType,
          process: m.process,
          standard: m.standard,
          senderOrg: m.senderOrg,
          receiverOrg: m.receiverOrg,
          avsenderOrg: m.avsenderOrg,
          databehandlerOrg: m.databehandlerOrg ?? null,
          avsenderidentifikator: m.avsenderidentifikator ?? null,
          mottakerOrg: m.mottakerOrg ?? null,
          kanal: m.kanal?.toLowerCase() ?? null,
          forretningsmelding: m.forretningsmelding,
          payloadKey: m.payload?.key ?? null,
          payloadSize: m.payload?.size ?? null,
          payloadSha256: m.payload?.sha256Hex ?? null,
          status: initialStatus,
          createdAt: at,
          expectedResponseAt: m.expectedResponseAt ?? null,
          nextAttemptAt: m.enqueue ? at : null,
          as4MessageId: m.as4MessageId ?? null,
        },
      }),
      this.db.messageStatus.create({ data: { messageDirection: m.direction, messageId: id, status: initialStatus, beskrivelse: beskrivelse ?? null, createdAt: at } }),
    ];
  }

  async get(direction: Direction, id: string): Promise<Message | null> {
    return this.db.message.findUnique({ where: { direction_id: { direction, id: normaliseMessageId(id) } } });
  }

  async statuses(direction: Direction, id: string): Promise<StatusEntry[]> {
    const rows = await this.db.messageStatus.findMany({ where: { messageDirection: direction, messageId: normaliseMessageId(id) }, orderBy: { id: "asc" } });
    return rows.map(toEntry);
  }

  /** Every message of a conversation, oldest first, each with its status history. */
  async conversation(conversationId: string): Promise<(Message & { statuses: MessageStatus[] })[]> {
    return this.db.message.findMany({
      where: { conversationId },
      include: { statuses: { orderBy: { id: "asc" } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
  }

  /** The outgoing letter a conversation started with: receipts inherit its kanal and avsenderidentifikator. */
  async firstOutgoing(conversationId: string): Promise<Message | null> {
    return this.db.message.findFirst({ where: { conversationId, direction: "OUT" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  }

  /** Unread incoming messages in the reader's scope, oldest first. */
  async unread(q: UnreadQuery): Promise<Message[]> {
    return this.db.message.findMany({
      where: {
        direction: "IN",
        readAt: null,
        OR: scopeWhere(q.scope),
        ...(q.kanal ? { kanal: q.kanal.toLowerCase() } : {}),
        ...(q.avsenderidentifikator ? { avsenderidentifikator: q.avsenderidentifikator } : {}),
      },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      skip: q.page * q.pageSize,
      take: q.pageSize,
    });
  }

  /** Blob keys of every stored dokumentpakke. */
  async payloadKeys(): Promise<Set<string>> {
    const rows = await this.db.message.findMany({ where: { payloadKey: { not: null } }, select: { payloadKey: true } });
    return new Set(rows.map((r) => r.payloadKey!));
  }

  /** Returns false when it was already read (idempotent confirm). */
  async markRead(id: string, at: Date): Promise<boolean> {
    const r = await this.db.message.updateMany({ where: { direction: "IN", id: normaliseMessageId(id), readAt: null }, data: { readAt: at } });
    return r.count > 0;
  }
}

function toEntry(r: MessageStatus): StatusEntry {
  return { status: r.status, beskrivelse: r.beskrivelse, timestamp: r.createdAt };
}

/** A read scope as a query: any of its clauses, each a direction, document types and column values. */
function scopeWhere(scope: ReadScope): Prisma.MessageWhereInput[] {
  // An empty OR matches nothing in Prisma, which is what an empty scope means.
  return scope.anyOf.map((c) => ({
    direction: c.direction,
    ...(c.documentTypes ? { documentType: { in: [...c.documentTypes] } } : {}),
    ...c.columns,
  }));
}
