import { expect } from "chai";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import type { Db } from "../../src/store/prisma.js";
import { attachSql, sqlOf, type SqlStore } from "../../src/store/sql.js";
import { WebhookDeliveryRepo } from "../../src/store/webhook-delivery-repo.js";
import { openProviderStore, PROVIDERS, skipWithoutPostgres, type ProviderStore } from "../helpers/provider-store.js";

// The webhook deliveries' claim and outcomes on both providers: runs per subscription from its oldest pending
// delivery, leases, retries that hold back what is behind them, and a claim that lost part of a run to another
// worker between its reads and its update.

const T0 = new Date("2030-01-01T10:00:00.500Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const LEASE_MS = 30_000;

for (const provider of PROVIDERS) {
  describe(`store/webhook-delivery-repo on ${provider}`, function () {
    this.timeout(30_000);
    let store: ProviderStore;
    let repo: WebhookDeliveryRepo;
    /** Status ids of the conversation's OPPRETTET, SENDT, LEVERT. */
    let statusIds: number[];
    /** Delivery ids: subscription 1's of the three statuses, then subscription 2's of the first. */
    let deliveryIds: number[];

    before(async function () {
      await skipWithoutPostgres.call(this, provider);
    });
    beforeEach(async () => {
      store = await openProviderStore(provider, "nm_webhook_deliveries_");
      repo = new WebhookDeliveryRepo(store.db);
      const sql = sqlOf(store.db);
      const conversations = new ConversationsRepo(store.db);
      const c = { messageId: "m-1", direction: "OUT", conversationId: "conv-1", channel: "DPO", process: "p", documentType: "arkivmelding", standard: "s", senderIdentifier: "0192:910076787", receiverIdentifier: "0192:984661185" } as const;
      await sql.transaction((tx) => conversations.insertIn(tx, c, "OPPRETTET", at(0)));
      await conversations.registerStatus("OUT", "m-1", "SENDT", at(1), { description: "sendt" });
      await conversations.registerStatus("OUT", "m-1", "LEVERT", at(2));
      statusIds = (await sql.query<{ id: number }>(`SELECT "id" FROM "ConversationStatus" ORDER BY "id"`)).map((r) => r.id);
      for (const name of ["one", "two"]) {
        await sql.execute(`INSERT INTO "Subscription" ("name", "pushEndpoint", "resource", "event", "createdAt") VALUES ($1, $2, 'all', 'all', $3)`, name, `http://hooks/${name}`, T0);
      }
      const [one, two] = (await sql.query<{ id: number }>(`SELECT "id" FROM "Subscription" ORDER BY "id"`)).map((r) => r.id);
      for (const [subscription, status] of [[one, statusIds[0]], [one, statusIds[1]], [one, statusIds[2]], [two, statusIds[0]]]) {
        await sql.execute(`INSERT INTO "WebhookDelivery" ("subscriptionId", "statusId", "nextAttemptAt") VALUES ($1, $2, $3)`, subscription, status, T0);
      }
      deliveryIds = (await sql.query<{ id: number }>(`SELECT "id" FROM "WebhookDelivery" ORDER BY "id"`)).map((r) => r.id);
    });
    afterEach(() => store.close());

    const leases = async () => (await store.db.webhookDelivery.findMany({ orderBy: { id: "asc" } })).map((d) => d.leaseUntil?.getTime() ?? null);

    it("claims each subscription's run from its oldest pending delivery, with everything its POSTs need, and leases it", async () => {
      const runs = await repo.claimRuns(at(0), LEASE_MS, 2);
      const [d1, d2, , d4] = deliveryIds;
      const [s1, s2] = statusIds;
      const facts = (status: string, description: string | null, createdAt: Date) => ({
        direction: "OUT",
        messageId: "m-1",
        conversationId: "conv-1",
        channel: "DPO",
        status,
        description,
        createdAt,
        senderIdentifier: "0192:910076787",
        receiverIdentifier: "0192:984661185",
      });
      const [one, two] = (await sqlOf(store.db).query<{ id: number }>(`SELECT "id" FROM "Subscription" ORDER BY "id"`)).map((r) => r.id);
      expect(runs).to.deep.equal([
        [
          { id: d1, attempts: 0, subscriptionId: one, pushEndpoint: "http://hooks/one", statusId: s1, status: facts("OPPRETTET", null, at(0)) },
          { id: d2, attempts: 0, subscriptionId: one, pushEndpoint: "http://hooks/one", statusId: s2, status: facts("SENDT", "sendt", at(1)) },
        ],
        [{ id: d4, attempts: 0, subscriptionId: two, pushEndpoint: "http://hooks/two", statusId: s1, status: facts("OPPRETTET", null, at(0)) }],
      ]);
      const until = at(30).getTime();
      expect(await leases()).to.deep.equal([until, until, null, until]);
      expect(await repo.claimRuns(at(29), LEASE_MS, 2)).to.deep.equal([]);
      expect((await repo.claimRuns(at(31), LEASE_MS, 5)).map((r) => r.map((d) => d.id))).to.deep.equal([deliveryIds.slice(0, 3), [d4]]);
    });

    it("records a delivery made and one failed; a retry holds back the deliveries behind it until it is due", async () => {
      const [d1, d2, d3, d4] = deliveryIds as [number, number, number, number];
      await repo.claimRuns(at(0), LEASE_MS, 5);
      await repo.delivered(d1, at(1));
      await repo.failed(d2, at(60), "webhook answered 500");
      await repo.release([d3]);
      await repo.failed(d4, undefined, "gave up");
      const rows = await store.db.webhookDelivery.findMany({ orderBy: { id: "asc" } });
      expect(rows.map((r) => [r.deliveredAt, r.nextAttemptAt, r.leaseUntil, r.attempts, r.lastError])).to.deep.equal([
        [at(1), null, null, 1, null],
        [null, at(60), null, 1, "webhook answered 500"],
        [null, T0, null, 0, null],
        [null, null, null, 1, "gave up"],
      ]);
      expect(await repo.pendingCount()).to.equal(2);
      expect(await repo.claimRuns(at(59), LEASE_MS, 5)).to.deep.equal([]);
      expect((await repo.claimRuns(at(60), LEASE_MS, 5)).map((r) => r.map((d) => [d.id, d.attempts]))).to.deep.equal([[[d2, 1], [d3, 0]]]);
      expect(((await repo.delivered(9999, at(70)).catch((e: unknown) => e)) as Error).message).to.equal("no webhook delivery 9999");
    });

    it("keeps what it won of a run up to the first delivery another worker took meanwhile, and gives the rest back", async () => {
      const [d1, d2, , d4] = deliveryIds as [number, number, number, number];
      // Another worker leases subscription one's second delivery between this claim's reads and its update.
      const real = sqlOf(store.db);
      const rival: SqlStore = {
        ...real,
        async query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
          if (sql.startsWith(`UPDATE "WebhookDelivery" SET "leaseUntil"`)) await real.execute(`UPDATE "WebhookDelivery" SET "leaseUntil" = $1 WHERE "id" = $2`, at(100), d2);
          return real.query<T>(sql, ...params);
        },
      };
      const db: Db = new Proxy(store.db, {});
      attachSql(db, rival);
      const runs = await new WebhookDeliveryRepo(db).claimRuns(at(0), LEASE_MS, 5);
      expect(runs.map((r) => r.map((d) => d.id))).to.deep.equal([[d1], [d4]]);
      // d3 was won but lies behind the gap: given back, due again at once.
      expect(await leases()).to.deep.equal([at(30).getTime(), at(100).getTime(), null, at(30).getTime()]);
    });
  });
}
