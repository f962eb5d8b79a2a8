import type { Db } from "./prisma.js";
import { sqlOf, type SqlStore } from "./sql.js";

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
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  async list(): Promise<ServedParticipantRow[]> {
    return (await this.sql.query<StoredRow>(`SELECT * FROM "ServedParticipant" ORDER BY "participant", "role"`)).map(toRow);
  }

  async get(participant: string, role: StoredRole): Promise<ServedParticipantRow | undefined> {
    const [row] = await this.sql.query<StoredRow>(`SELECT * FROM "ServedParticipant" WHERE "participant" = $1 AND "role" = $2`, participant, role);
    return row ? toRow(row) : undefined;
  }

  async rolesOf(participant: string): Promise<ServedParticipantRow[]> {
    return (await this.sql.query<StoredRow>(`SELECT * FROM "ServedParticipant" WHERE "participant" = $1 ORDER BY "role"`, participant)).map(toRow);
  }

  /** Inserts the row unless it exists; true when this call inserted it. */
  async insertIfAbsent(row: Omit<ServedParticipantRow, "createdAt" | "updatedAt" | "lastError">, now: Date): Promise<boolean> {
    // ON CONFLICT DO NOTHING: another process (or call) inserted it first, and the row exists, which is all this asks.
    const inserted = await this.sql.execute(
      `INSERT INTO "ServedParticipant" ("participant", "role", "state", "smpManaged", "lastError", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, NULL, $5, $5)
        ON CONFLICT ("participant", "role") DO NOTHING`,
      row.participant,
      row.role,
      row.state,
      row.smpManaged,
      now,
    );
    return inserted === 1;
  }

  async setState(participant: string, role: StoredRole, state: ServedState, lastError: string | undefined, now: Date, smpManaged?: boolean): Promise<void> {
    const params: unknown[] = [participant, role, state, lastError ?? null, now];
    const managed = smpManaged !== undefined ? `, "smpManaged" = $${params.push(smpManaged)}` : "";
    const changed = await this.sql.execute(`UPDATE "ServedParticipant" SET "state" = $3, "lastError" = $4, "updatedAt" = $5${managed} WHERE "participant" = $1 AND "role" = $2`, ...params);
    if (changed === 0) throw new Error(`no served participant ${participant} as ${role}`);
  }

  /** Deletes one role, or every role of the participant; the number of rows deleted. */
  async delete(participant: string, role?: StoredRole): Promise<number> {
    return role
      ? this.sql.execute(`DELETE FROM "ServedParticipant" WHERE "participant" = $1 AND "role" = $2`, participant, role)
      : this.sql.execute(`DELETE FROM "ServedParticipant" WHERE "participant" = $1`, participant);
  }
}

type StoredRow = { participant: string; role: string; state: string; smpManaged: boolean; lastError: string | null; createdAt: Date; updatedAt: Date };

function toRow(r: StoredRow): ServedParticipantRow {
  return { ...r, role: r.role as StoredRole, state: r.state as ServedState, lastError: r.lastError ?? undefined };
}
