import type { Message, Prisma } from "./generated/client.js";
import type { Db } from "./prisma.js";

const out = (id: string) => ({ direction_id: { direction: "OUT", id } });

/**
 * The outbox is the set of OUT messages with a due nextAttemptAt. Workers claim messages by taking a lease
 * with a conditional update, so two workers (or a worker restarted after a crash) never send the same
 * message at the same time, and a lease left by a dead worker simply runs out.
 */
export class OutboxRepo {
  constructor(private readonly db: Db) {}

  /**
   * Claims up to `limit` due messages for `leaseMs`; returns the ones this caller won, oldest due first.
   * Messages of the `expiring` document types are not handed out once their expectedResponseAt has passed.
   */
  async claimDue(now: Date, leaseMs: number, limit: number, expiring: readonly string[] = []): Promise<Message[]> {
    const unleased: Prisma.MessageWhereInput = { OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] };
    const alive: Prisma.MessageWhereInput = { OR: [{ documentType: { notIn: [...expiring] } }, { expectedResponseAt: null }, { expectedResponseAt: { gt: now } }] };
    const due: Prisma.MessageWhereInput = { nextAttemptAt: { lte: now }, AND: expiring.length ? [unleased, alive] : [unleased] };
    const candidates = await this.db.message.findMany({
      where: { direction: "OUT", ...due },
      orderBy: [{ nextAttemptAt: "asc" }, { id: "asc" }],
      take: limit,
      select: { id: true },
    });
    if (candidates.length === 0) return [];
    // One conditional UPDATE … RETURNING for the batch: a candidate another worker leased in the meantime no
    // longer matches, exactly as with one update per message (which cost two queries each).
    const won = await this.db.message.updateManyAndReturn({
      where: { direction: "OUT", id: { in: candidates.map((c) => c.id) }, ...due },
      data: { leaseUntil: new Date(now.getTime() + leaseMs) },
    });
    const byId = new Map(won.map((m) => [m.id, m]));
    return candidates.flatMap(({ id }) => byId.get(id) ?? []);
  }

  /**
   * Drops every lease. Only for a store one process owns (SQLite): leases found at start-up belong to this
   * process's previous life, which died mid-send, and its messages are due again at once.
   */
  async releaseAllLeases(): Promise<number> {
    return (await this.db.message.updateMany({ where: { leaseUntil: { not: null } }, data: { leaseUntil: null } })).count;
  }

  /** How many messages wait to be sent or retried. */
  async pending(): Promise<number> {
    return this.db.message.count({ where: { direction: "OUT", nextAttemptAt: { not: null } } });
  }

  /** Fixes the AS4 MessageId at the first attempt; later attempts get the same one back. */
  async as4MessageIdFor(id: string, candidate: string): Promise<string> {
    const [fixed] = await this.db.message.updateManyAndReturn({
      where: { direction: "OUT", id, as4MessageId: null },
      data: { as4MessageId: candidate },
      select: { as4MessageId: true },
    });
    if (fixed) return fixed.as4MessageId!;
    const m = await this.db.message.findUniqueOrThrow({ where: out(id), select: { as4MessageId: true } });
    return m.as4MessageId!;
  }

  /** Remembers what this attempt signed; returns the references of every attempt so far, this one included. */
  async recordAttempt<R>(id: string, references: R[]): Promise<R[][]> {
    return this.db.$transaction(async (tx) => {
      const m = await tx.message.findUniqueOrThrow({ where: out(id), select: { signedReferences: true } });
      const all = [...((m.signedReferences ? JSON.parse(m.signedReferences) : []) as R[][]), references];
      await tx.message.update({ where: out(id), data: { signedReferences: JSON.stringify(all) } });
      return all;
    });
  }

  /** The receiver acknowledged with a valid receipt: keep it as evidence and leave the outbox. */
  async markSent(id: string, at: Date, evidence: { as4MessageId: string; peerPartyId: string; receiptMessageId: string; receipt: Buffer } | undefined, beskrivelse?: string): Promise<void> {
    await this.db.$transaction([
      ...(evidence ? [this.db.as4Exchange.upsert({
        where: { direction_as4MessageId: { direction: "OUT", as4MessageId: evidence.as4MessageId } },
        create: { ...evidence, receipt: new Uint8Array(evidence.receipt), direction: "OUT", messageId: id, createdAt: at },
        update: { receipt: new Uint8Array(evidence.receipt), receiptMessageId: evidence.receiptMessageId, peerPartyId: evidence.peerPartyId, messageId: id },
      })] : []),
      this.db.message.update({ where: out(id), data: { status: "SENDT", nextAttemptAt: null, leaseUntil: null, lastError: null, attempts: { increment: 1 } } }),
      this.db.messageStatus.create({ data: { messageDirection: "OUT", messageId: id, status: "SENDT", beskrivelse: beskrivelse ?? null, createdAt: at } }),
    ]);
  }

  /** `peer`: the receiving access point the failed attempt went to (see wakeWaitingFor); null when unknown. */
  async scheduleRetry(id: string, next: Date, error: string, peer: string | null = null): Promise<void> {
    await this.db.message.update({ where: out(id), data: { nextAttemptAt: next, leaseUntil: null, lastError: error, lastPeer: peer, attempts: { increment: 1 } } });
  }

  /**
   * `peer` answered again: every message waiting in back-off for it becomes due `now`. One conditional UPDATE,
   * so with several processes on one store it neither races another wake nor takes a message another worker
   * holds a lease on. Returns how many messages it woke.
   */
  async wakeWaitingFor(peer: string, now: Date): Promise<number> {
    const r = await this.db.message.updateMany({
      where: { direction: "OUT", lastPeer: peer, nextAttemptAt: { gt: now }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
      data: { nextAttemptAt: now },
    });
    return r.count;
  }

  /**
   * A permanent failure: the message leaves the outbox as FEILET with the reason on its status; `also` are
   * writes committed with it (the feil receipt for corner 1, so a crash cannot separate the two).
   */
  async markFailed(id: string, at: Date, reason: string, also: Prisma.PrismaPromise<unknown>[] = []): Promise<void> {
    await this.db.$transaction([
      ...also,
      this.db.message.update({ where: out(id), data: { status: "FEILET", nextAttemptAt: null, leaseUntil: null, lastError: reason, attempts: { increment: 1 } } }),
      this.db.messageStatus.create({ data: { messageDirection: "OUT", messageId: id, status: "FEILET", beskrivelse: reason, createdAt: at } }),
    ]);
  }

  /**
   * Letters whose expectedResponseDateTime passed without any receipt in their conversation get status
   * LEVETID_UTLOPT (and leave the outbox if they were still waiting to be sent). Returns them.
   */
  async expireOverdue(now: Date, letterTypes: readonly string[], limit = 100): Promise<Message[]> {
    const overdue = await this.db.message.findMany({
      where: { direction: "OUT", expectedResponseAt: { lt: now }, status: { in: ["OPPRETTET", "SENDT"] }, documentType: { in: [...letterTypes] } },
      orderBy: { expectedResponseAt: "asc" },
      take: limit,
    });
    const expired: Message[] = [];
    for (const m of overdue) {
      const answered = await this.db.message.count({ where: { conversationId: m.conversationId, direction: "IN", documentType: { notIn: [...letterTypes] } } });
      if (answered > 0) continue;
      const r = await this.db.$transaction([
        this.db.message.updateMany({ where: { direction: "OUT", id: m.id, status: m.status }, data: { status: "LEVETID_UTLOPT", nextAttemptAt: null } }),
        this.db.messageStatus.create({
          data: { messageDirection: "OUT", messageId: m.id, status: "LEVETID_UTLOPT", beskrivelse: `no receipt arrived before ${m.expectedResponseAt!.toISOString()}`, createdAt: now },
        }),
      ]);
      if (r[0].count === 1) expired.push(m);
    }
    return expired;
  }
}
