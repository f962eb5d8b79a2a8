import { expect } from "chai";
import { exclusivePasses } from "../../src/core/worker-lease.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { WorkerLeaseRepo } from "../../src/store/worker-lease-repo.js";
import { openStoreOn } from "../helpers/temp-store.js";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";

const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);


for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`worker leases on ${provider} (several instances on one database)`, function () {
    this.timeout(30_000);
    let store: { db: Db; url: string; close(): Promise<void> } | undefined;
    let leases: WorkerLeaseRepo;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStoreOn(provider, "leases");
      leases = new WorkerLeaseRepo(store.db);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it("gives a lease to one holder until it runs out, then to another", async () => {
      expect(await leases.acquire("dpo-inbound", "a", at(0), at(1000))).to.equal(true);
      expect(await leases.acquire("dpo-inbound", "b", at(500), at(1500))).to.equal(false);
      expect(await leases.acquire("dpo-inbound", "a", at(600), at(1600))).to.equal(true);
      expect(await leases.acquire("dpo-inbound", "b", at(1599), at(2600))).to.equal(false);
      expect(await leases.acquire("dpo-inbound", "b", at(1600), at(2600))).to.equal(true);
      expect(await leases.get("dpo-inbound")).to.deep.equal({ holder: "b", until: at(2600) });
      expect(await leases.acquire("status-polling", "a", at(1600), at(2000))).to.equal(true);
    });

    it("runs a scheduled pass once per interval across instances, and takes over from an instance that died mid-pass", async () => {
      let now = at(0);
      const clock = () => now;
      const a = exclusivePasses(leases, clock, "instance-a");
      const b = exclusivePasses(leases, clock, "instance-b");
      const ran: string[] = [];
      const pass = (who: string) => async () => (ran.push(who), who);
      const o = { holdMs: 60_000, quietMs: 15_000 };

      expect(await a.run("dpo-inbound", o, pass("a"))).to.equal("a");
      now = at(5_000);
      expect(await b.run("dpo-inbound", o, pass("b"))).to.equal(undefined);
      now = at(15_000);
      expect(await b.run("dpo-inbound", o, pass("b"))).to.equal("b");
      expect(ran).to.deep.equal(["a", "b"]);

      // b dies in its next pass (the lease is never released): a waits out the hold, then takes over.
      now = at(30_000);
      expect(await leases.acquire("dpo-inbound", "instance-b", now, at(30_000 + o.holdMs))).to.equal(true);
      now = at(60_000);
      expect(await a.run("dpo-inbound", o, pass("a"))).to.equal(undefined);
      now = at(90_000);
      expect(await a.run("dpo-inbound", o, pass("a"))).to.equal("a");
      expect(ran).to.deep.equal(["a", "b", "a"]);
    });

    it("keeps the lease through a pass longer than its hold by renewing it, and lets go once the pass ends", async () => {
      const a = exclusivePasses(leases, () => new Date(), "instance-a");
      const b = exclusivePasses(leases, () => new Date(), "instance-b");
      const o = { holdMs: 300, quietMs: 0 };
      let during: string | undefined = "not tried";
      const long = a.run("svarinn", o, async () => {
        await new Promise((r) => setTimeout(r, 700));
        during = await b.run("svarinn", o, async () => "b");
        await new Promise((r) => setTimeout(r, 100));
        return "a";
      });
      expect(await long).to.equal("a");
      expect(during).to.equal(undefined);
      expect(await b.run("svarinn", o, async () => "b")).to.equal("b");
    });

    it("frees every lease at the start of a process that uses its store alone", async () => {
      await leases.acquire("dpo-inbound", "dead-process", at(0), new Date(Date.now() + 3_600_000));
      expect(await leases.releaseAll()).to.equal(1);
      expect(await leases.get("dpo-inbound")).to.equal(null);
    });

    it("lets exactly one of two instances (two database clients) in when they race for a free lease", async () => {
      const other = await openDatabase(store!.url);
      try {
        const theirs = new WorkerLeaseRepo(other.db);
        for (let round = 0; round < 20; round++) {
          const now = at(round * 10_000);
          const until = at(round * 10_000 + 5_000);
          const won = await Promise.all([leases.acquire("race", "a", now, until), theirs.acquire("race", "b", now, until)]);
          expect(won.filter(Boolean), `round ${round}`).to.have.length(1);
        }
      } finally {
        await other.db.$disconnect();
      }
    });
  });
}
