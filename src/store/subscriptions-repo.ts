import type { Subscription } from "./generated/client.js";
import type { Db } from "./prisma.js";

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

export class SubscriptionsRepo {
  constructor(private readonly db: Db) {}

  /** Every subscription, oldest first (there are few: one per archive system and purpose). */
  async all(): Promise<Subscription[]> {
    return this.db.subscription.findMany({ orderBy: { id: "asc" } });
  }

  async get(id: number): Promise<Subscription | null> {
    return this.db.subscription.findUnique({ where: { id } });
  }

  /** The subscription of `owner` with this name and push endpoint, if any. */
  async findByNameAndEndpoint(owner: string | null, name: string, pushEndpoint: string): Promise<Subscription | null> {
    return this.db.subscription.findFirst({ where: { owner, name, pushEndpoint }, orderBy: { id: "asc" } });
  }

  async create(s: NewSubscription, at: Date): Promise<Subscription> {
    return this.db.subscription.create({ data: { ...s, createdAt: at } });
  }

  async update(id: number, changes: SubscriptionChanges): Promise<Subscription> {
    return this.db.subscription.update({ where: { id }, data: changes });
  }

  /** Deletes them; ids that are gone already are no error. Returns how many were deleted. */
  async delete(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.db.subscription.deleteMany({ where: { id: { in: [...ids] } } })).count;
  }
}
