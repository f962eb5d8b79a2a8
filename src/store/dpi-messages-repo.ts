import type { ReadScope } from "../core/read-scope.js";
import type { RegisterDecision } from "../core/status/index.js";
import {
  ConversationsRepo,
  DuplicateMessageIdError,
  inboxWhere,
  pageSql,
  readScopeWhere,
  registerStatusIn,
  setConversation,
  type ConversationState,
  type Direction,
  type InboxQuery,
  type NewConversation,
  type StatusEntry,
  type StoreWrites,
} from "./conversations-repo.js";
import type { Conversation, ConversationStatus, DpiMessage, Prisma } from "./generated/client.js";
import { normaliseMessageId } from "./message-id.js";
import type { Db } from "./prisma.js";
import { execute, isUniqueViolation, queryRows, type SqlClient, type Statement } from "./raw-sql.js";
import { sqlOf, type SqlStore } from "./sql.js";
import { all, equals, hasRow, renderCondition, type Condition } from "./sql-condition.js";
import { encodeRevocation, type RevocationUseRecord } from "./revocation-answers-repo.js";

/**
 * DPI messages (letters and receipts): a Conversation on channel DPI plus its DpiMessage row (the signed
 * forretningsmelding, the parties of its body, the dokumentpakke, AS4 send and push state), written together
 * and read together as a DpiConversation. Callers pass org ids as "0192:<orgno>" and message ids in any letter
 * case: messages are keyed, and looked up, by normaliseMessageId.
 */

/** A DPI message as DPI code reads it: the conversation row with its DPI row. */
export type DpiConversation = Conversation & { dpi: DpiMessage };
export type DpiConversationWithStatuses = DpiConversation & { statuses: ConversationStatus[] };

export interface NewDpiMessage extends Omit<NewConversation, "channel"> {
  avsenderOrg: string;
  databehandlerOrg?: string | undefined;
  avsenderidentifikator?: string | undefined;
  mottakerOrg?: string | undefined;
  kanal?: string | undefined;
  forretningsmelding: string;
  payload?: { key: string; size: number; sha256Hex: string } | undefined;
  as4MessageId?: string | undefined;
  /** The OCSP/CRL answers its certificates were found not revoked by (the answers are stored already). */
  revocation?: readonly RevocationUseRecord[] | undefined;
}

/**
 * The columns a DPI read scope compares ("0192:<orgno>"; null: empty): receiverOrg is the conversation's
 * receiverIdentifier, the others the DPI row's. Who gets which values is DPI's caller model (src/dpi/read-scope.ts).
 */
export interface ScopeColumns {
  avsenderOrg: string;
  receiverOrg: string;
  databehandlerOrg: string | null;
  mottakerOrg: string | null;
}

/** A read scope (src/core/read-scope.ts) over DPI's columns. */
export type DpiReadScope = ReadScope<ScopeColumns>;

/**
 * What an incoming receipt registers on the outgoing letters it answers: `status` at `at` with its details, on
 * each outgoing DPI conversation of the receipt's conversation that `answers` accepts (DPI's rule, see
 * src/dpi/receipt-status.ts; the store only finds the candidates).
 */
export interface LetterStatus {
  status: string;
  at: Date;
  description: string;
  rawReceipt: string;
  answers(letter: LetterRow): boolean;
}

/** What a receipt's checks and filing read of the letters of its conversation. */
export type LetterRow = Pick<Conversation, "messageId" | "documentType" | "process" | "senderIdentifier" | "receiverIdentifier">;

/**
 * An incoming receipt made from the letter its conversation started with (null: none here), read in the
 * transaction that stores it; `fromLetter` may refuse it by throwing, and then nothing is written.
 */
export interface ReceiptOfLetter {
  messageId: string;
  conversationId: string;
  fromLetter(first: FirstLetter | null): NewDpiMessage;
}

/** The letter a conversation started with, as incoming receipts are checked and filed by it. */
export type FirstLetter = LetterRow & { dpi: Pick<DpiMessage, "avsenderOrg" | "kanal" | "avsenderidentifikator"> };

/** What registering a receipt's status did on one letter: registered (ok) or refused by the core's rules. */
export interface LetterStatusOutcome {
  messageId: string;
  decision: RegisterDecision;
}

export interface UnreadQuery {
  /** Whose messages: the caller's read scope (src/core/read-scope.ts, built by src/dpi/read-scope.ts). */
  scope: DpiReadScope;
  kanal?: string | undefined;
  avsenderidentifikator?: string | undefined;
  pageSize: number;
  page: number;
}

const DPI = "DPI";

export class DpiMessagesRepo {
  readonly conversations: ConversationsRepo;
  private readonly sql: SqlStore;

  /** The client it was opened on, for tests and tools that read the store beside it. */
  constructor(readonly db: Db) {
    this.conversations = new ConversationsRepo(db);
    this.sql = sqlOf(db);
  }

  /** Inserts the message with its first status in one transaction; a reused id is DuplicateMessageIdError. */
  /** `also` runs in the same transaction, after the inserts (the AS4 receiver's answer, as4-receiver.ts). */
  async insert(m: NewDpiMessage, initialStatus: string, at: Date, description?: string, also?: StoreWrites): Promise<void> {
    try {
      await this.sql.transaction(async (tx) => {
        await this.insertIn(tx, m, initialStatus, at, description);
        await also?.(tx);
      });
    } catch (err) {
      throw duplicateOr(err, m.messageId);
    }
  }

  /**
   * Inserts an incoming receipt as insert() does and, in the same transaction, registers `letters.status` on
   * the outgoing letters of its conversation it answers (registerStatusIn): a crash keeps both or neither. A
   * status the core's rules refuse (one the letter has, one after its terminal status) is no error; the receipt
   * is stored all the same. Returns what happened on each letter it answers, none when there is no such letter
   * here (the letter was sent from another access point) or no `letters` status to register. A reused id is
   * DuplicateMessageIdError, and then nothing is registered. `also` runs in the same transaction, last.
   *
   * The letters of the conversation are read once, in the transaction, with their DPI columns and their status
   * histories: a receipt given as `fromLetter` is made (and may be refused, by throwing) from the first of them,
   * and their registrations take the state read here.
   */
  async insertReceipt(m: NewDpiMessage | ReceiptOfLetter, initialStatus: string, at: Date, letters: LetterStatus | undefined, also?: StoreWrites): Promise<LetterStatusOutcome[]> {
    try {
      return await this.sql.transaction(async (tx) => {
        const rows = await queryRows<LetterRow & FirstLetter["dpi"] & { channel: string; status: string; entry: string | null }>(
          tx,
          `SELECT c."messageId", c."documentType", c."process", c."senderIdentifier", c."receiverIdentifier", c."channel", c."status",
              d."avsenderOrg", d."kanal", d."avsenderidentifikator", s."status" AS "entry"
            FROM "Conversation" c JOIN "DpiMessage" d ON d."direction" = c."direction" AND d."messageId" = c."messageId"
              LEFT JOIN "ConversationStatus" s ON s."direction" = c."direction" AND s."messageId" = c."messageId"
            WHERE c."conversationId" = $1 AND c."direction" = 'OUT' AND c."channel" = 'DPI' ORDER BY c."createdAt", c."messageId", s."id"`,
          m.conversationId,
        );
        const candidates = new Map<string, { letter: FirstLetter; seen: ConversationState }>();
        for (const { channel, status, entry, avsenderOrg, kanal, avsenderidentifikator, ...letter } of rows) {
          const known = candidates.get(letter.messageId) ?? { letter: { ...letter, dpi: { avsenderOrg, kanal, avsenderidentifikator } }, seen: { channel, status, history: [] } };
          if (entry !== null) known.seen.history.push(entry);
          candidates.set(letter.messageId, known);
        }
        const record = "fromLetter" in m ? m.fromLetter(candidates.values().next().value?.letter ?? null) : m;
        await this.insertIn(tx, record, initialStatus, at);
        const outcomes: LetterStatusOutcome[] = [];
        if (letters) {
          for (const { letter, seen } of [...candidates.values()].filter((c) => letters.answers(c.letter))) {
            const details = { description: letters.description, rawReceipt: letters.rawReceipt, seen };
            const decision = await registerStatusIn(tx, "OUT", letter.messageId, letters.status, letters.at, details);
            if (decision) outcomes.push({ messageId: letter.messageId, decision });
          }
        }
        await also?.(tx);
        return outcomes;
      });
    } catch (err) {
      throw duplicateOr(err, m.messageId);
    }
  }

  /** Inside a transaction: the writes of insert(), in order. */
  async insertIn(tx: SqlClient, m: NewDpiMessage, initialStatus: string, at: Date, description?: string): Promise<void> {
    // Everything but the DPI row's own fields (dpiRowOf) is the conversation.
    const { avsenderOrg, databehandlerOrg, avsenderidentifikator, mottakerOrg, kanal, forretningsmelding, payload, as4MessageId, revocation, ...conversation } = m;
    await this.conversations.insertIn(tx, { ...conversation, channel: DPI }, initialStatus, at, { description: description ?? null });
    await execute(tx, ...insertDpiRow(m));
  }

  async get(direction: Direction, id: string): Promise<DpiConversation | null> {
    const messageId = normaliseMessageId(id);
    const [row] = await queryRows<Conversation>(this.sql, `SELECT * FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2 AND "channel" = 'DPI'`, direction, messageId);
    if (!row) return null;
    const [dpi] = await queryRows<DpiMessage>(this.sql, `SELECT * FROM "DpiMessage" WHERE "direction" = $1 AND "messageId" = $2`, direction, messageId);
    return withDpi({ ...row, dpi: dpi ?? null });
  }

  async statuses(direction: Direction, id: string): Promise<StatusEntry[]> {
    return this.conversations.statuses(direction, id);
  }

  /** Every DPI message of a conversation, oldest first, each with its status history. */
  async conversation(conversationId: string): Promise<DpiConversationWithStatuses[]> {
    const rows = await queryRows<Conversation>(
      this.sql,
      `SELECT * FROM "Conversation" WHERE "conversationId" = $1 AND "channel" = 'DPI' ORDER BY "createdAt", "messageId"`,
      conversationId,
    );
    if (rows.length === 0) return [];
    const withRows = await this.joinDpi(rows);
    const keys = anyKeyOf(rows);
    const statuses = await queryRows<ConversationStatus>(this.sql, `SELECT * FROM "ConversationStatus" WHERE ${keys.sql} ORDER BY "id"`, ...keys.params);
    return withRows.map((r) => ({ ...r, statuses: statuses.filter((st) => st.direction === r.direction && st.messageId === r.messageId) }));
  }

  /** The DPI messages of a conversation in one direction, oldest first, with what says whom they are between. */
  async partiesOf(conversationId: string, direction: Direction): Promise<LetterRow[]> {
    return queryRows<LetterRow>(
      this.sql,
      `SELECT "messageId", "documentType", "process", "senderIdentifier", "receiverIdentifier" FROM "Conversation"
        WHERE "conversationId" = $1 AND "direction" = $2 AND "channel" = 'DPI' ORDER BY "createdAt", "messageId"`,
      conversationId,
      direction,
    );
  }

  /**
   * Unread incoming messages in the reader's scope, oldest first: the core inbox's query (ConversationsRepo's
   * inboxUnread, as src/core/inbox.ts and the DPI REST API ask it) with DPI's rows joined.
   */
  async unread(q: UnreadQuery): Promise<DpiConversation[]> {
    const rows = await this.conversations.inboxUnread(dpiInboxQuery(q.scope, q), { skip: q.page * q.pageSize, take: q.pageSize });
    return this.joinDpi(rows);
  }

  /**
   * The inbox's unread messages for an inbox query (src/core/inbox.ts makes it from the reader's filter), oldest
   * first, with what the DPI API answers of each: one query, the DPI row joined.
   */
  async inboxEntries(q: InboxQuery, page: { skip: number; take: number }): Promise<DpiInboxEntry[]> {
    if (q.anyOf.length === 0) return [];
    const params: unknown[] = [];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("readAt", null)), params);
    const rows = await queryRows<EntryRow>(this.sql, `${ENTRY_SELECT} WHERE ${where} ORDER BY "Conversation"."createdAt", "Conversation"."messageId" ${pageSql(params, page)}`, ...params);
    return rows.map(entryOf);
  }

  /** One incoming message of an inbox query by id, read or not, as inboxEntries gives it; null when there is none. */
  async inboxEntry(q: InboxQuery, messageId: string): Promise<DpiInboxEntry | null> {
    if (q.anyOf.length === 0) return null;
    const params: unknown[] = [];
    const where = renderCondition(all(inboxWhere(q, this.sql.provider), equals("messageId", normaliseMessageId(messageId))), params);
    const [row] = await queryRows<EntryRow>(this.sql, `${ENTRY_SELECT} WHERE ${where} LIMIT 1`, ...params);
    return row ? entryOf(row) : null;
  }

  /** Blob keys of every stored dokumentpakke. */
  async payloadKeys(): Promise<Set<string>> {
    const rows = await this.sql.query<{ payloadKey: string }>(`SELECT "payloadKey" FROM "DpiMessage" WHERE "payloadKey" IS NOT NULL`);
    return new Set(rows.map((r) => r.payloadKey));
  }

  /** Returns false when it was already read (idempotent confirm). */
  async markRead(id: string, at: Date): Promise<boolean> {
    return this.conversations.markRead(id, at);
  }

  /**
   * Inside a transaction: makes an existing outgoing conversation (a NextMove message being sent) the DPI letter
   * `m`, with the addressing the DPI outbox and receipts work with (the letter's process, type and standard, and
   * the postbox or print provider as receiver), and adds its DPI row. Its statuses are the caller's to register.
   */
  async attachIn(tx: SqlClient, m: NewDpiMessage): Promise<void> {
    const found = await setConversation(tx, m.direction, m.messageId, {
      process: m.process,
      documentType: m.documentType,
      standard: m.standard,
      senderIdentifier: m.senderIdentifier,
      receiverIdentifier: m.receiverIdentifier,
      expiry: m.expiry ?? null,
    });
    if (!found) throw new Error(`no ${m.direction} conversation ${m.messageId} to make a DPI letter`);
    await execute(tx, ...insertDpiRow(m));
  }

  /** The DPI rows of conversations (e.g. the ones the outbox handed out), in their order; one query. */
  async joinDpi(rows: readonly Conversation[]): Promise<DpiConversation[]> {
    if (rows.length === 0) return [];
    const keys = anyKeyOf(rows);
    const dpi = await queryRows<DpiMessage>(this.sql, `SELECT * FROM "DpiMessage" WHERE ${keys.sql}`, ...keys.params);
    const byKey = new Map(dpi.map((d) => [`${d.direction} ${d.messageId}`, d]));
    return rows.map((r) => withDpi({ ...r, dpi: byKey.get(`${r.direction} ${r.messageId}`) ?? null }));
  }

  /**
   * Records a send attempt before it goes out, in one transaction: fixes the letter's AS4 MessageId to
   * `as4MessageId` unless it has one already, and remembers what this attempt signed. When the letter has
   * another MessageId already (an earlier attempt fixed it after this one read the letter), nothing is written
   * and `fixed` names it: the message must be built again with it, since every attempt must be the same AS4
   * message to the receiver's duplicate detection. Otherwise returns the references of every attempt so far,
   * this one included.
   *
   * `seen`: the letter's AS4 state as the caller read it (the DPI row the outbox handed out). The attempt is then
   * recorded by one conditional UPDATE that holds only while the row still has that state; when another attempt
   * changed it meanwhile, it is recorded as above, by reading the row again.
   */
  async recordAttempt<R>(id: string, as4MessageId: string, references: R[], seen?: Pick<DpiMessage, "as4MessageId" | "signedReferences">): Promise<{ fixed: string; attempts: R[][] | undefined }> {
    if (seen && (seen.as4MessageId === null || seen.as4MessageId === as4MessageId)) {
      const attempts = [...((seen.signedReferences ? JSON.parse(seen.signedReferences) : []) as R[][]), references];
      const params: unknown[] = [as4MessageId, JSON.stringify(attempts), id];
      const sameId = seen.as4MessageId === null ? `"as4MessageId" IS NULL` : `"as4MessageId" = $1`;
      const sameReferences = seen.signedReferences === null ? `"signedReferences" IS NULL` : `"signedReferences" = $${params.push(seen.signedReferences)}`;
      const changed = await this.sql.execute(
        `UPDATE "DpiMessage" SET "as4MessageId" = $1, "signedReferences" = $2 WHERE "direction" = 'OUT' AND "messageId" = $3 AND ${sameId} AND ${sameReferences}`,
        ...params,
      );
      if (changed === 1) return { fixed: as4MessageId, attempts };
    }
    return this.sql.transaction(async (tx) => {
      const [m] = await tx.query<{ as4MessageId: string | null; signedReferences: string | null }>(
        `SELECT "as4MessageId", "signedReferences" FROM "DpiMessage" WHERE "direction" = 'OUT' AND "messageId" = $1`,
        id,
      );
      if (!m) throw new Error(`no outgoing DPI message ${id}`);
      if (m.as4MessageId !== null && m.as4MessageId !== as4MessageId) return { fixed: m.as4MessageId, attempts: undefined };
      const attempts = [...((m.signedReferences ? JSON.parse(m.signedReferences) : []) as R[][]), references];
      await tx.execute(
        `UPDATE "DpiMessage" SET "as4MessageId" = $1, "signedReferences" = $2 WHERE "direction" = 'OUT' AND "messageId" = $3`,
        as4MessageId,
        JSON.stringify(attempts),
        id,
      );
      return { fixed: as4MessageId, attempts };
    });
  }
}

/** What the DPI API answers of an incoming message: its id and type, the signed forretningsmelding, the dokumentpakke. */
export type DpiInboxEntry = Pick<Conversation, "messageId" | "documentType"> & { dpi: Pick<DpiMessage, "forretningsmelding" | "payloadKey" | "payloadSize"> };

type EntryRow = Pick<Conversation, "messageId" | "documentType"> & Pick<DpiMessage, "forretningsmelding" | "payloadKey" | "payloadSize">;

/** The inbox's conversations (the conditions are written on "Conversation") with their DPI rows, as DpiInboxEntry. */
const ENTRY_SELECT = `SELECT "Conversation"."messageId", "Conversation"."documentType", d."forretningsmelding", d."payloadKey", d."payloadSize"
  FROM "Conversation" JOIN "DpiMessage" d ON d."direction" = "Conversation"."direction" AND d."messageId" = "Conversation"."messageId"`;

function entryOf({ forretningsmelding, payloadKey, payloadSize, ...conversation }: EntryRow): DpiInboxEntry {
  return { ...conversation, dpi: { forretningsmelding, payloadKey, payloadSize } };
}

/** A condition matching any of the rows' keys (direction, messageId), with its parameters. */
function anyKeyOf(rows: readonly { direction: string; messageId: string }[]): { sql: string; params: string[] } {
  return {
    sql: rows.map((_, i) => `("direction" = $${2 * i + 1} AND "messageId" = $${2 * i + 2})`).join(" OR "),
    params: rows.flatMap((r) => [r.direction, r.messageId]),
  };
}

/** A unique-key violation on insert is the message id used before; anything else stays what it was. */
function duplicateOr(err: unknown, messageId: string): unknown {
  return isUniqueViolation(err) ? new DuplicateMessageIdError(messageId) : err;
}

/** The statement that writes the DpiMessage row of a message. */
function insertDpiRow(m: NewDpiMessage): Statement {
  const r = dpiRowOf(m);
  return [
    `INSERT INTO "DpiMessage" ("direction", "messageId", "avsenderOrg", "databehandlerOrg", "avsenderidentifikator", "mottakerOrg", "kanal",
      "forretningsmelding", "payloadKey", "payloadSize", "payloadSha256", "as4MessageId", "revocation") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    r.direction,
    r.messageId,
    r.avsenderOrg,
    r.databehandlerOrg,
    r.avsenderidentifikator,
    r.mottakerOrg,
    r.kanal,
    r.forretningsmelding,
    r.payloadKey,
    r.payloadSize,
    r.payloadSha256,
    r.as4MessageId,
    r.revocation,
  ];
}

/** The DpiMessage row of a message. */
function dpiRowOf(m: NewDpiMessage): Prisma.DpiMessageUncheckedCreateInput {
  return {
    direction: m.direction,
    messageId: normaliseMessageId(m.messageId),
    avsenderOrg: m.avsenderOrg,
    databehandlerOrg: m.databehandlerOrg ?? null,
    avsenderidentifikator: m.avsenderidentifikator ?? null,
    mottakerOrg: m.mottakerOrg ?? null,
    kanal: normaliseKanal(m.kanal),
    forretningsmelding: m.forretningsmelding,
    payloadKey: m.payload?.key ?? null,
    payloadSize: m.payload?.size ?? null,
    payloadSha256: m.payload?.sha256Hex ?? null,
    as4MessageId: m.as4MessageId ?? null,
    revocation: encodeRevocation(m.revocation),
  };
}

/** A DPI conversation row with its DPI row, which every DPI conversation has. */
export function withDpi<T extends Conversation & { dpi: DpiMessage | null }>(row: T): T & { dpi: DpiMessage } {
  if (!row.dpi) throw new Error(`DPI conversation ${row.direction} ${row.messageId} has no DpiMessage row`);
  return row as T & { dpi: DpiMessage };
}

/** Where each column of a DPI read scope lives: the receiver on the conversation, the body's parties on the DPI row. */
export function dpiScopeColumnsWhere(columns: Partial<ScopeColumns>): Condition {
  const { receiverOrg, ...dpi } = columns;
  return all(...(receiverOrg !== undefined ? [equals("receiverIdentifier", receiverOrg)] : []), ...(Object.keys(dpi).length ? [dpiRowWhere(dpi)] : []));
}

/** The conversation's DPI row has these values (a value left undefined is not compared). */
function dpiRowWhere(values: Partial<Pick<DpiMessage, "avsenderOrg" | "databehandlerOrg" | "mottakerOrg" | "kanal" | "avsenderidentifikator">>): Condition {
  const defined = Object.entries(values).filter((e): e is [keyof DpiMessage & string, string | null] => e[1] !== undefined);
  return hasRow("DpiMessage", all(...defined.map(([column, value]) => equals<DpiMessage>(column, value))));
}

/** The one form a kanal is stored, filtered and compared in: kanaler compare case-insensitively. */
export function normaliseKanal(kanal: string | null | undefined): string | null {
  return kanal ? kanal.toLowerCase() : null;
}

/** The DPI list's own conditions (GET /messages/in's kanal and avsenderidentifikator), on the DPI row; undefined: none. */
export function dpiListWhere(q: { kanal?: string | undefined; avsenderidentifikator?: string | undefined }): Condition | undefined {
  const dpi = {
    ...(q.kanal ? { kanal: normaliseKanal(q.kanal) } : {}),
    ...(q.avsenderidentifikator ? { avsenderidentifikator: q.avsenderidentifikator } : {}),
  };
  return Object.keys(dpi).length ? dpiRowWhere(dpi) : undefined;
}

/** A DPI read scope and list conditions as an inbox query over DPI conversations. */
function dpiInboxQuery(scope: DpiReadScope, q: { kanal?: string | undefined; avsenderidentifikator?: string | undefined }): InboxQuery {
  return { anyOf: readScopeWhere(scope, "IN", dpiScopeColumnsWhere), channel: DPI, where: dpiListWhere(q) };
}
