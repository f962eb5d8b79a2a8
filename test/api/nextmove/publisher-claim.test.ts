import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { createScratchDatabase, postgresReachable } from "../../../scripts/lib/pg-scratch.js";
import { StatusPublisher } from "../../../src/core/status-publisher.js";
import { WebhookSender } from "../../../src/core/webhook-sender.js";
import { silentLogger } from "../../../src/log.js";
import { openDatabase, type DatabaseProvider, type Db } from "../../../src/store/prisma.js";
import { StatusPublishRepo } from "../../../src/store/status-publish-repo.js";
import { WebhookDeliveryRepo } from "../../../src/store/webhook-delivery-repo.js";
import { DEFAULT_RETRY, manyStatuses, startEndpoint } from "./harness.js";

// The status publisher's claim and the webhook sender's lease on the store itself: a batch whose transaction
// fails after the claim is published again, and processes sharing a PostgreSQL store (skipped without a
// server) publish each status and POST each delivery exactly once.

const T0 = new Date("2030-01-01T10:00:00Z");
const at = (i: number) => new Date(T0.getTime() + i * 1000);
const clock = () => T0;

const publisherOn = (db: Db, batchSize = 50) => new StatusPublisher({ repo: new StatusPublishRepo(db), queueChannels: ["DPO"], pollMs: 60_000, batchSize, clock, log: silentLogger });

/** Makes every insert into WebhookDelivery fail, as a process dying in the middle of the batch would leave it. */
const CRASH: Record<DatabaseProvider, { install: string[]; remove: string[] }> = {
  sqlite: {
    install: [`CREATE TRIGGER crash BEFORE INSERT ON "WebhookDelivery" BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`],
    remove: ["DROP TRIGGER crash"],
  },
  postgresql: {
    install: [
      `CREATE FUNCTION crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'simulated crash'; END $$ LANGUAGE plpgsql`,
      `CREATE TRIGGER crash BEFORE INSERT ON "WebhookDelivery" FOR EACH ROW EXECUTE FUNCTION crash()`,
    ],
    remove: [`DROP TRIGGER crash ON "WebhookDelivery"`, "DROP FUNCTION crash()"],
  },
};

/** The database's own message (Prisma's SQLite adapter files a trigger's RAISE under a foreign key violation). */
function messageOf(err: unknown): string {
  const cause = (err as { meta?: { driverAdapterError?: { cause?: { originalMessage?: string } } } } | undefined)?.meta?.driverAdapterError?.cause;
  return cause?.originalMessage ?? String(err);
}

async function openStore(provider: DatabaseProvider): Promise<{ url: string; close(): Promise<void> }> {
  if (provider === "postgresql") {
    const scratch = await createScratchDatabase("dpi_ap_publisher");
    return { url: scratch.url, close: () => scratch.drop() };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "nm-publisher-"));
  return { url: `file:${path.join(dir, "db.sqlite")}`, close: () => rm(dir, { recursive: true, force: true }) };
}

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`status publisher claim on ${provider}`, function () {
    this.timeout(60_000);
    let store: { url: string; close(): Promise<void> } | undefined;
    const clients: Db[] = [];
    let db: Db;
    const open = async () => {
      const { db: client } = await openDatabase(store!.url);
      clients.push(client);
      return client;
    };

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStore(provider);
      db = await open();
      await db.subscription.create({ data: { name: "s", pushEndpoint: "http://127.0.0.1:9/", resource: "all", event: "all", createdAt: T0 } });
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) await c.$disconnect();
      await store?.close();
      store = undefined;
    });

    it("a batch claimed but not committed is published again, exactly once", async () => {
      await manyStatuses(db, 5, "m", at);
      for (const sql of CRASH[provider].install) await db.$executeRawUnsafe(sql);
      let failure: unknown;
      await publisherOn(db).publishOnce().catch((err: unknown) => (failure = err));
      expect(messageOf(failure)).to.contain("simulated crash");
      expect(await db.conversationStatus.count({ where: { publishedAt: null } })).to.equal(5);
      expect([await db.webhookDelivery.count(), await db.statusQueueEntry.count()]).to.deep.equal([0, 0]);
      for (const sql of CRASH[provider].remove) await db.$executeRawUnsafe(sql);
      expect(await publisherOn(db).publishOnce()).to.deep.equal({ found: 5, published: 5, deliveries: 5, queued: 5 });
      expect(await publisherOn(db).publishOnce()).to.deep.equal({ found: 0, published: 0, deliveries: 0, queued: 0 });
      expect([await db.webhookDelivery.count(), await db.statusQueueEntry.count()]).to.deep.equal([5, 5]);
    });

    if (provider === "postgresql") {
      it("two processes publishing at once publish every status once", async () => {
        await manyStatuses(db, 400, "m", at);
        const publishers = [publisherOn(await open(), 40), publisherOn(await open(), 40)];
        const published = [0, 0];
        await Promise.all(
          publishers.map(async (p, i) => {
            for (;;) {
              const o = await p.publishOnce();
              published[i]! += o.published;
              if (o.found === 0) return;
            }
          }),
        );
        expect(published[0]! + published[1]!).to.equal(400);
        expect(await db.conversationStatus.count({ where: { publishedAt: null } })).to.equal(0);
        expect([await db.webhookDelivery.count(), await db.statusQueueEntry.count()]).to.deep.equal([400, 400]);
      });

      it("two processes sending at once POST every delivery once, each subscription's in order", async () => {
        const endpoint = await startEndpoint();
        try {
          await db.subscription.updateMany({ data: { pushEndpoint: `${endpoint.url}/s` } });
          await db.subscription.create({ data: { name: "t", pushEndpoint: `${endpoint.url}/t`, resource: "all", event: "all", createdAt: T0 } });
          await manyStatuses(db, 60, "m", at);
          while ((await publisherOn(db).publishOnce()).found > 0);
          const senders = await Promise.all(
            [0, 1].map(async () => new WebhookSender({ repo: new WebhookDeliveryRepo(await open()), retry: DEFAULT_RETRY, timeoutMs: 5_000, pollMs: 60_000, clock, log: silentLogger, perSubscription: 7 })),
          );
          await Promise.all(senders.map(async (s) => void (await s.runOnce(), await s.runOnce(), await s.runOnce())));
          while ((await senders[0]!.runOnce()) > 0);
          const bodies = endpoint.received.map((r) => ({ path: r.path, messageId: (r.body as { messageId: string }).messageId }));
          expect(bodies).to.have.length(120);
          for (const p of ["/hook/s", "/hook/t"]) {
            const ids = bodies.filter((b) => b.path === p).map((b) => b.messageId);
            expect(ids, p).to.deep.equal(Array.from({ length: 60 }, (_, i) => `m-${String(i).padStart(5, "0")}`));
          }
          expect(await db.webhookDelivery.count({ where: { deliveredAt: null } })).to.equal(0);
        } finally {
          await endpoint.close();
        }
      });
    }
  });
}
