import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { postgresReachable } from "../../scripts/lib/pg-scratch.js";
import { observeStatuses, PgStatusObserver } from "../../src/bench/db-observer.js";
import { DpiMessagesRepo, type NewDpiMessage } from "../../src/store/dpi-messages-repo.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { openStoreOn } from "../helpers/temp-store.js";

const T0 = new Date("2030-01-01T00:00:00Z");
const letter = (id: string, over: Partial<NewDpiMessage> = {}): NewDpiMessage => ({
  messageId: id,
  direction: "OUT",
  conversationId: `conv-${id}`,
  documentType: "digital",
  process: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
  standard: "s",
  senderIdentifier: "0192:987654325",
  receiverIdentifier: "0192:123456785",
  avsenderOrg: "0192:987654325",
  forretningsmelding: `jws-${id}`,
  ...over,
});

/** Three letters out (two SENDT, one of them LEVERT) and a receipt in, which is not a letter. */
async function fill(db: Db): Promise<void> {
  const repo = new DpiMessagesRepo(db);
  const outbox = new OutboxRepo(db);
  for (const id of ["a", "b", "c"]) await repo.insert(letter(id), "OPPRETTET", T0);
  await repo.insert(letter("r", { direction: "IN", documentType: "leveringskvittering", conversationId: "conv-a" }), "MOTTATT", T0);
  await outbox.markSent("a", T0);
  await outbox.markSent("b", T0);
  await repo.conversations.registerStatus("OUT", "a", "LEVERT", T0);
}

describe("bench/db-observer", () => {
  it("counts corner 2's letters under every status they reached: a LEVERT letter still counts as SENDT", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-observer-"));
    const file = path.join(dir, "ap.db");
    const { db } = await openDatabase(`file:${file}`);
    const observer = observeStatuses(file);
    try {
      await fill(db);
      expect(observer.outgoingLetters()).to.deep.equal({ OPPRETTET: 3, SENDT: 2, LEVERT: 1 });
    } finally {
      observer.close();
      await db.$disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bench/db-observer on PostgreSQL", function () {
  this.timeout(60_000);
  before(async function () {
    if (!(await postgresReachable())) this.skip();
  });

  it("counts the same from a PostgreSQL store, refreshed in the background", async () => {
    const store = await openStoreOn("postgresql", "bench_observer");
    const observer = new PgStatusObserver(store.url, 60_000);
    try {
      await observer.refresh();
      expect(observer.outgoingLetters()).to.deep.equal({});
      await fill(store.db);
      expect(observer.outgoingLetters(), "the last refresh's counts until the next").to.deep.equal({});
      await observer.refresh();
      expect(observer.outgoingLetters()).to.deep.equal({ OPPRETTET: 3, SENDT: 2, LEVERT: 1 });
    } finally {
      await observer.close();
      await store.close();
    }
  });

  it("has no counts while the database cannot be read", async () => {
    const observer = new PgStatusObserver("postgresql://postgres@127.0.0.1:5432/dpi_ap_bench_no_such_database", 60_000);
    try {
      await observer.refresh();
      expect(observer.outgoingLetters()).to.equal(undefined);
    } finally {
      await observer.close();
    }
  });
});
