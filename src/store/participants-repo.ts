import type { Db } from "./prisma.js";

/** Roles and states as the store keeps them (src/dpi/participant-roles.ts names the roles). */
export type StoredRole = "sender" | "postbox" | "print";
export type ServedState = "pending" | "registered";

export interface ServedParticipantRow {
  /** participantKey form, e.g. "0192:991825827". */
  participant: string;
  role: StoredRole;
  state: ServedState;
  smpManaged: boolean;
  lastError: string | undefined;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The served participants (ServedParticipant): one row per participant and role. Rows are written by the
 * onboarding service (src/participants/) only; every reader goes through its cached directory.
 */
export class ParticipantsRepo {
  constructor(private readonly db: Db) {}

  async list(): Promise<ServedParticipantRow[]> {
    const rows = await this.db.servedParticipant.findMany({ orderBy: [{ participant: "asc" }, { role: "asc" }] });
    return rows.map(toRow);
  }

  async get(participant: string, role: StoredRole): Promise<ServedParticipantRow | undefined> {
    const row = await this.db.servedParticipant.findUnique({ where: { participant_role: { participant, role } } });
    return row ? toRow(row) : undefined;
  }

  async rolesOf(participant: string): Promise<ServedParticipantRow[]> {
    return (await this.db.servedParticipant.findMany({ where: { participant }, orderBy: { role: "asc" } })).map(toRow);
  }

  /** Inserts the row unless it exists; true when this call inserted it. */
  async insertIfAbsent(row: Omit<ServedParticipantRow, "createdAt" | "updatedAt" | "lastError">, now: Date): Promise<boolean> {
    try {
      await this.db.servedParticipant.create({ data: { ...row, lastError: null, createdAt: now, updatedAt: now } });
      return true;
    } catch (e) {
      // Another process (or call) inserted it first: the row exists, which is all this asks.
      if ((e as { code?: string }).code === "P2002") return false;
      throw e;
    }
  }

  async setState(participant: string, role: StoredRole, state: ServedState, lastError: string | undefined, now: Date, smpManaged?: boolean): Promise<void> {
    await this.db.servedParticipant.update({
      where: { participant_role: { participant, role } },
      data: { state, lastError: lastError ?? null, updatedAt: now, ...(smpManaged !== undefined ? { smpManaged } : {}) },
    });
  }

  /** Deletes one role, or every role of the participant; the number of rows deleted. */
  async delete(participant: string, role?: StoredRole): Promise<number> {
    return (await this.db.servedParticipant.deleteMany({ where: { participant, ...(role ? { role } : {}) } })).count;
  }
}

function toRow(r: { participant: string; role: string; state: string; smpManaged: boolean; lastError: string | null; createdAt: Date; updatedAt: Date }): ServedParticipantRow {
  return { ...r, role: r.role as StoredRole, state: r.state as ServedState, lastError: r.lastError ?? undefined };
}
