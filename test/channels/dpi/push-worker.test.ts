import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { silentLogger } from "../../../src/log.js";
import { PushWorker } from "../../../src/channels/dpi/push-worker.js";
import { DpiMessagesRepo } from "../../../src/store/dpi-messages-repo.js";
import { openDatabase, type Db } from "../../../src/store/prisma.js";
import { PushRepo } from "../../../src/store/push-repo.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../../scripts/lib/pg-scratch.js";

/**
 * Push workers of several access points sharing one store take each letter with a lease, so a provider's
 * webhook gets every letter exactly once however many processes push (run on SQLite, and on PostgreSQL where
 * several processes really share a store).
 */

const PROVIDER = "0192:984661185";
const T0 = new Date("2030-01-01T00:00:00Z");

async function webhook(): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      calls.push((JSON.parse(text) as { messageId: string }).messageId);
      // Slow enough that the workers' passes overlap.
      setTimeout(() => res.writeHead(204).end(), 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/push`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`channels/dpi/push-worker: workers sharing a ${provider} store`, function () {
    this.timeout(30_000);
    let url: string;
    let cleanup: () => Promise<void>;
    let dbs: Db[] = [];

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      if (provider === "postgresql") {
        const scratch: ScratchDatabase = await createScratchDatabase("dpi_ap_push");
        url = scratch.url;
        cleanup = scratch.drop;
      } else {
        const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-push-"));
        url = `file:${path.join(dir, "db.sqlite")}`;
        cleanup = () => rm(dir, { recursive: true, force: true });
      }
    });
    afterEach(async () => {
      await Promise.all(dbs.map((db) => db.$disconnect()));
      dbs = [];
      await cleanup();
    });

    it("push every letter exactly once", async () => {
      // Each worker with its own client, as each access point process has.
      dbs = [(await openDatabase(url)).db, (await openDatabase(url)).db, (await openDatabase(url)).db];
      const ids = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      const messages = new DpiMessagesRepo(dbs[0]!);
      for (const [i, id] of ids.entries()) {
        await messages.insert(
          { messageId: id, direction: "IN", conversationId: `c-${i}`, documentType: "digital", process: "p", standard: "s", senderIdentifier: "0192:910076787", receiverIdentifier: PROVIDER, avsenderOrg: "0192:910076787", forretningsmelding: `jws-${i}` },
          "MOTTATT",
          new Date(T0.getTime() + i),
        );
      }
      const hook = await webhook();
      try {
        const workers = dbs.map(
          (db) =>
            new PushWorker({
              repo: new PushRepo(db),
              webhooks: new Map([[PROVIDER, hook.url]]),
              downloadUrl: (id) => `https://ap.example/messages/in/${id}`,
              retry: { baseDelayMs: 1000, maxDelayMs: 60_000, windowMs: 3_600_000 },
              pollMs: 1000,
              timeoutMs: 5000,
              clock: () => new Date(T0.getTime() + 1000),
              log: silentLogger,
            }),
        );
        const attempted = await Promise.all(workers.map((w) => w.runOnce()));
        expect(attempted.reduce((a, b) => a + b, 0)).to.equal(ids.length);
        expect(hook.calls.slice().sort()).to.deep.equal(ids);
        for (const id of ids) expect((await messages.get("IN", id))!.dpi).to.include({ pushAttempts: 1, pushLeaseUntil: null, nextPushAt: null });
        expect(await Promise.all(workers.map((w) => w.runOnce()))).to.deep.equal([0, 0, 0]);
      } finally {
        await hook.close();
      }
    });
  });
}
