import type { Subscription } from "./generated/client.js";
import type { Db } from "./prisma.js";
import { sqlOf, type SqlStore } from "./sql.js";

/**
 * Webhook subscriptions (/api/subscriptions). Which of them a caller may see is the API's decision; this keeps
 * the rows. Deleting a subscription deletes its pending deliveries with it.
 */

export interface NewSubscription {
  name: string;
  pushEndpoint: string;
  resource: string;
  event: string;
  filter: string | null;
  owner: string | null;
}

export type SubscriptionChanges = Partial<Pick<NewSubscription, "name" | "pushEndpoint" | "resource" | "event" | "filter">>;

/** The columns a change may set: the code's own names, whatever else an object passed in carries. */
const CHANGEABLE = ["name", "pushEndpoint", "resource", "event", "filter"] as const;

/** Read on every request to /api/subscriptions and by status publishing: SQL of our own (sql.ts). */
export class SubscriptionsRepo {
  private readonly sql: SqlStore;

  constructor(db: Db) {
    this.sql = sqlOf(db);
  }

  /** Every subscription, oldest first (there are few: one per archive system and purpose). */
  async all(): Promise<Subscription[]> {
    return this.sql.query<Subscription>(`SELECT * FROM "Subscription" ORDER BY "id"`);
  }

  async get(id: number): Promise<Subscription | null> {
    const [row] = await this.sql.query<Subscription>(`SELECT * FROM "Subscription" WHERE "id" = $1`, id);
    return row ?? null;
  }

  /** The subscription of `owner` with this name and push endpoint, if any. */
  async findByNameAndEndpoint(owner: string | null, name: string, pushEndpoint: string): Promise<Subscription | null> {
    const params: unknown[] = [name, pushEndpoint];
    const ownerIs = owner === null ? `"owner" IS NULL` : `"owner" = $${params.push(owner)}`;
    const [row] = await this.sql.query<Subscription>(`SELECT * FROM "Subscription" WHERE "name" = $1 AND "pushEndpoint" = $2 AND ${ownerIs} ORDER BY "id" LIMIT 1`, ...params);
    return row ?? null;
  }

  async create(s: NewSubscription, at: Date): Promise<Subscription> {
    const [row] = await this.sql.query<Subscription>(
      `INSERT INTO "Subscription" ("name", "pushEndpoint", "resource", "event", "filter", "owner", "createdAt") VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      s.name,
      s.pushEndpoint,
      s.resource,
      s.event,
      s.filter,
      s.owner,
      at,
    );
    return row!;
  }

  async update(id: number, changes: SubscriptionChanges): Promise<Subscription> {
    const params: unknown[] = [id];
    const sets = CHANGEABLE.filter((c) => changes[c] !== undefined).map((c) => `"${c}" = $${params.push(changes[c])}`);
    const [row] = sets.length
      ? await this.sql.query<Subscription>(`UPDATE "Subscription" SET ${sets.join(", ")} WHERE "id" = $1 RETURNING *`, ...params)
      : await this.sql.query<Subscription>(`SELECT * FROM "Subscription" WHERE "id" = $1`, id);
    if (!row) throw new Error(`no subscription ${id}`);
    return row;
  }

  /** Deletes them; ids that are gone already are no error. Returns how many were deleted. */
  async delete(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const params: unknown[] = [];
    return this.sql.execute(`DELETE FROM "Subscription" WHERE "id" IN (${ids.map((id) => `$${params.push(id)}`).join(", ")})`, ...params);
  }
}
