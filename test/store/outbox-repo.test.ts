import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";

const T0 = new Date("2030-01-01T00:00:00Z");
const LEASE_MS = 60_000;

describe("store/outbox-repo: claimDue, and the DPI repository's fixed AS4 MessageId", () => {
  let dir: string;
  let db: Db;
  let outbox: OutboxRepo;

  async function queue(id: string, createdAt: Date, over: { documentType?: string; expiry?: Date } = {}): Promise<void> {
    await new DpiMessagesRepo(db).insert(
      {
        messageId: id,
        direction: "OUT",
        conversationId: `conv-${id}`,
        documentType: over.documentType ?? "digital",
        process: "digitalpost_info",
        standard: "urn:test",
        senderIdentifier: "0192:987654325",
        receiverIdentifier: "0192:123456785",
        avsenderOrg: "0192:987654325",
        forretningsmelding: "{}",
        expiry: over.expiry,
        enqueue: true,
      },
      "OPPRETTET",
      createdAt,
    );
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "outbox-repo-"));
    db = (await openDatabase(`file:${path.join(dir, "db.sqlite")}`)).db;
    outbox = new OutboxRepo(db);
  });
  afterEach(async () => {
    await db?.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("claims at most `limit` due messages, oldest due first, each with its lease", async () => {
    await queue("c", new Date(T0.getTime() - 1000));
    await queue("a", new Date(T0.getTime() - 3000));
    await queue("b", new Date(T0.getTime() - 2000));
    const won = await outbox.claimDue(T0, LEASE_MS, 2);
    expect(won.map((m) => m.messageId)).to.deep.equal(["a", "b"]);
    for (const m of won) expect(m.leaseUntil?.getTime()).to.equal(T0.getTime() + LEASE_MS);
  });

  it("does not hand out a leased message again until its lease has run out", async () => {
    await queue("a", new Date(T0.getTime() - 1000));
    expect(await outbox.claimDue(T0, LEASE_MS, 4)).to.have.length(1);
    expect(await outbox.claimDue(new Date(T0.getTime() + 1000), LEASE_MS, 4)).to.have.length(0);
    const again = await outbox.claimDue(new Date(T0.getTime() + LEASE_MS + 1), LEASE_MS, 4);
    expect(again.map((m) => m.messageId)).to.deep.equal(["a"]);
  });

  it("two claims racing for the same messages never both win one", async () => {
    for (const id of ["a", "b", "c"]) await queue(id, new Date(T0.getTime() - 1000));
    const [x, y] = await Promise.all([outbox.claimDue(T0, LEASE_MS, 3), outbox.claimDue(T0, LEASE_MS, 3)]);
    const ids = [...x!, ...y!].map((m) => m.messageId).sort();
    expect(ids).to.deep.equal(["a", "b", "c"]);
  });

  it("hands out no message of an expiring type whose expiry has passed; other types and undated ones still go", async () => {
    await queue("expired-letter", new Date(T0.getTime() - 3000), { expiry: T0 });
    await queue("live-letter", new Date(T0.getTime() - 2000), { expiry: new Date(T0.getTime() + 1) });
    await queue("undated-letter", new Date(T0.getTime() - 1500));
    await queue("late-receipt", new Date(T0.getTime() - 1000), { documentType: "leveringskvittering", expiry: new Date(T0.getTime() - 1) });
    const won = await outbox.claimDue(T0, LEASE_MS, 10, ["digital", "utskrift", "flyttet"]);
    expect(won.map((m) => m.messageId)).to.deep.equal(["live-letter", "undated-letter", "late-receipt"]);
    expect((await outbox.claimDue(new Date(T0.getTime() + LEASE_MS + 1), LEASE_MS, 10)).map((m) => m.messageId)).to.deep.equal(["expired-letter", "live-letter", "undated-letter", "late-receipt"]);
  });

  it("fixes the AS4 MessageId at the first recorded attempt and names it to a later one built with another", async () => {
    await queue("a", T0);
    const messages = new DpiMessagesRepo(db);
    expect((await messages.recordAttempt("a", "first@x", [])).fixed).to.equal("first@x");
    expect(await messages.recordAttempt("a", "second@x", [])).to.deep.equal({ fixed: "first@x", attempts: undefined });
  });
});
