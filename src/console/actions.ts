import type { Clock } from "../clock.js";
import { canRegister } from "../core/status/index.js";
import { channelOf, coreDirection, latestStatusIn, registerStatusIn, statusHistoryIn, type Direction, type StoreWrites } from "../store/conversations-repo.js";
import type { Conversation } from "../store/generated/client.js";
import { normaliseMessageId } from "../store/message-id.js";
import type { Db } from "../store/prisma.js";
import { sqlOf, type Sql, type SqlStore } from "../store/sql.js";
import { isErrorStatus } from "./queries.js";

/**
 * What an operator can do to a conversation from the console, each written with a ConsoleAction row (who, when,
 * the note, the status it registered) in the same transaction, so the timeline always shows who did it:
 *
 * - retry: an outgoing message waiting in back-off is due now, and the outbox is woken.
 * - cancel: an outgoing message still in the outbox (not sent, not being sent) leaves it as its channel's failed
 *   status (FEIL; DPI: FEILET with the feil receipt to corner 1), exactly as a failure the outbox gives up on.
 *   The same conditional update that takes it out of the outbox refuses it while a worker holds its lease, and
 *   a worker can no longer claim it afterwards, so a cancelled message is never sent.
 * - mark handled: a failed conversation (its status is an error in its channel's model) gets a note that an
 *   operator dealt with it. MANUELT_HÅNDTERT is registered where the status model allows it after the
 *   conversation's history; no model allows it after a terminal error (DPF has the status, but as SvarUt's own
 *   state, reported before any terminal one), so in practice the status history stays as the channel left it
 *   and the ConsoleAction row, shown on the timeline as MANUELT_HÅNDTERT, is the record.
 */

export type ConsoleActionName = "retry" | "cancel" | "mark-handled";
export const MANUALLY_HANDLED = "MANUELT_HÅNDTERT";
/** Longest note kept with an action. */
export const MAX_NOTE_LENGTH = 2000;

export class ConsoleActionRefused extends Error {
  constructor(
    readonly code: "not-found" | "not-possible" | "busy" | "bad-note",
    message: string,
  ) {
    super(message);
    this.name = "ConsoleActionRefused";
  }
}

/** The outbox as the actions need it (src/core/outbox.ts). */
export interface OutboxPort {
  failureFor(c: Conversation, reason: string): Promise<{ status: string; also: StoreWrites | undefined }>;
  nudge(): void;
}

export interface ActionResult {
  action: ConsoleActionName;
  /** The status registered on the conversation, if any. */
  status: string | null;
}

/** What the console offers for a conversation (buttons shown to operators; the actions check again). */
export interface Offered {
  retry: boolean;
  cancel: boolean;
  markHandled: boolean;
}

export function offeredActions(c: Conversation, history: readonly string[], handled: boolean, now: Date): Offered {
  const inOutbox = c.direction === "OUT" && c.nextAttemptAt !== null;
  const leased = c.leaseUntil !== null && c.leaseUntil > now;
  return {
    retry: inOutbox && !leased,
    cancel: inOutbox && !leased && !history.includes("SENDT"),
    markHandled: !handled && isErrorStatus(c.channel, c.direction, c.status),
  };
}

/** Still in the outbox and nobody sending it (a lease ran out counts as nobody); `$1` is now. */
const WAITING_UNLEASED = `"nextAttemptAt" IS NOT NULL AND ("leaseUntil" IS NULL OR "leaseUntil" < $1)`;

export class ConsoleActions {
  private readonly sql: SqlStore;

  constructor(
    private readonly deps: { db: Db; outbox: OutboxPort; clock: Clock },
  ) {
    this.sql = sqlOf(deps.db);
  }

  async retry(user: string, direction: Direction, messageId: string): Promise<ActionResult> {
    const id = normaliseMessageId(messageId);
    const now = this.deps.clock();
    if (direction !== "OUT") throw new ConsoleActionRefused("not-possible", "only an outgoing message can be retried");
    await this.sql.transaction(async (tx) => {
      const count = await tx.execute(
        `UPDATE "Conversation" SET "nextAttemptAt" = $1, "updatedAt" = $2 WHERE "direction" = $3 AND "messageId" = $4 AND ${WAITING_UNLEASED}`,
        now,
        new Date(),
        direction,
        id,
      );
      if (count === 0) throw await this.whyNot(tx, direction, id, "it is not waiting in the outbox");
      await recordAction(tx, { direction, messageId: id, action: "retry", user, note: null, status: null, createdAt: now });
    });
    this.deps.outbox.nudge();
    return { action: "retry", status: null };
  }

  async cancel(user: string, direction: Direction, messageId: string, note: string): Promise<ActionResult> {
    const id = normaliseMessageId(messageId);
    const text = checkNote(note, false);
    if (direction !== "OUT") throw new ConsoleActionRefused("not-possible", "only an outgoing message can be cancelled");
    const [c] = await this.sql.query<Conversation>(`SELECT * FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`, direction, id);
    if (!c) throw new ConsoleActionRefused("not-found", "no such conversation");
    if (await latestStatusIn(this.sql, direction, id, "SENDT")) throw new ConsoleActionRefused("not-possible", "it has been sent already");
    const reason = `cancelled in the console by ${user}${text ? `: ${text}` : ""}`;
    const failure = await this.deps.outbox.failureFor(c, reason);
    const now = this.deps.clock();
    const status = await this.sql.transaction(async (tx) => {
      // Still in the outbox and nobody sending it: this update is what keeps a worker from claiming it later.
      const taken = await tx.execute(
        `UPDATE "Conversation" SET "nextAttemptAt" = NULL, "leaseUntil" = NULL, "lastError" = $2, "updatedAt" = $3 WHERE "direction" = $4 AND "messageId" = $5 AND ${WAITING_UNLEASED}`,
        now,
        reason,
        new Date(),
        direction,
        id,
      );
      if (taken === 0) throw await this.whyNot(tx, direction, id, "it is no longer waiting in the outbox");
      const decision = await registerStatusIn(tx, direction, id, failure.status, now, { description: reason });
      if (!decision) throw new ConsoleActionRefused("not-found", "no such conversation");
      // The model refused the failed status: roll the outbox change back with it.
      if (!decision.ok) throw new ConsoleActionRefused("not-possible", decision.detail);
      await failure.also?.(tx);
      await recordAction(tx, { direction, messageId: id, action: "cancel", user, note: text, status: decision.status, createdAt: now });
      return decision.status;
    });
    return { action: "cancel", status };
  }

  async markHandled(user: string, direction: Direction, messageId: string, note: string): Promise<ActionResult> {
    const id = normaliseMessageId(messageId);
    const text = checkNote(note, true)!;
    const now = this.deps.clock();
    const status = await this.sql.transaction(async (tx) => {
      const [c] = await tx.query<{ channel: string; direction: string; status: string }>(
        `SELECT "channel", "direction", "status" FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`,
        direction,
        id,
      );
      if (!c) throw new ConsoleActionRefused("not-found", "no such conversation");
      if (!isErrorStatus(c.channel, c.direction, c.status)) throw new ConsoleActionRefused("not-possible", `its status ${c.status} is not a failure`);
      const [handled] = await tx.query(`SELECT 1 AS "one" FROM "ConsoleAction" WHERE "direction" = $1 AND "messageId" = $2 AND "action" = 'mark-handled' LIMIT 1`, direction, id);
      if (handled) throw new ConsoleActionRefused("not-possible", "it is marked handled already");
      const allowed = canRegister(
        await statusHistoryIn(tx, direction, id),
        MANUALLY_HANDLED,
        channelOf(c.channel),
        coreDirection(direction),
      );
      let registered: string | null = null;
      if (allowed.ok) {
        const decision = await registerStatusIn(tx, direction, id, MANUALLY_HANDLED, now, { description: `manually handled in the console by ${user}: ${text}` });
        if (decision?.ok) registered = decision.status;
      }
      await recordAction(tx, { direction, messageId: id, action: "mark-handled", user, note: text, status: registered, createdAt: now });
      return registered;
    });
    return { action: "mark-handled", status };
  }

  /** Why a conditional update matched nothing: the conversation is gone, or a worker is sending it, or `otherwise`. */
  private async whyNot(tx: Sql, direction: Direction, id: string, otherwise: string): Promise<ConsoleActionRefused> {
    const [c] = await tx.query<{ leaseUntil: Date | null; nextAttemptAt: Date | null }>(
      `SELECT "leaseUntil", "nextAttemptAt" FROM "Conversation" WHERE "direction" = $1 AND "messageId" = $2`,
      direction,
      id,
    );
    if (!c) return new ConsoleActionRefused("not-found", "no such conversation");
    if (c.nextAttemptAt && c.leaseUntil && c.leaseUntil >= this.deps.clock()) return new ConsoleActionRefused("busy", "a worker is sending it right now; try again when the attempt has ended");
    return new ConsoleActionRefused("not-possible", otherwise);
  }
}

interface ActionRow {
  direction: Direction;
  messageId: string;
  action: ConsoleActionName;
  user: string;
  note: string | null;
  status: string | null;
  createdAt: Date;
}

async function recordAction(tx: Sql, a: ActionRow): Promise<void> {
  await tx.execute(
    `INSERT INTO "ConsoleAction" ("direction", "messageId", "action", "user", "note", "status", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    a.direction,
    a.messageId,
    a.action,
    a.user,
    a.note,
    a.status,
    a.createdAt,
  );
}

/** The note, trimmed; required for marking handled, optional for a cancel (null when empty). */
function checkNote(note: string, required: boolean): string | null {
  const t = note.trim();
  if (t.length > MAX_NOTE_LENGTH) throw new ConsoleActionRefused("bad-note", `the note is longer than ${MAX_NOTE_LENGTH} characters`);
  if (required && t === "") throw new ConsoleActionRefused("bad-note", "a note saying what was done is required");
  return t === "" ? null : t;
}
