import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { flagsOf } from "../../src/core/status/index.js";
import { readScopeOf } from "../../src/dpi/read-scope.js";
import { coreDirection, type Direction } from "../../src/store/conversations-repo.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { loadMigrations, migrate } from "../../src/store/migrate.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
import { openDatabase, type DatabaseProvider } from "../../src/store/prisma.js";
import { PushRepo } from "../../src/store/push-repo.js";
import { pgExecutor, sqliteExecutor, type SqlExecutor } from "../../src/store/sql-executor.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

/**
 * The migration to the conversation model upgrades a store written by the schema before it, with letters and
 * receipts in every state a DPI access point leaves them in, and loses nothing: every Message becomes a
 * Conversation (channel DPI) plus a DpiMessage with every value unchanged under its new name, every
 * MessageStatus row (duplicates included) a ConversationStatus row with the same id, time and text, As4Exchange
 * stays as it was, finished and pollable are what the core's rules make of each history, and the access point
 * works on the result (new status ids follow the carried ones, the outbox, inbox and push find their rows).
 */

const root = path.resolve(import.meta.dirname, "../..");
const MIGRATION = "20261202164936_conversations";

const SENDER = "0192:910076787";
const DATABEHANDLER = "0192:987464291";
const DIGIPOST = "0192:984661185";
const PRINT = "0192:987654321";
const OPERATOR = "0192:991825827";
const PROCESS = "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0";
const STANDARD = "urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0";

const T0 = Date.parse("2030-03-01T08:00:00.000Z");
const t = (s: number) => new Date(T0 + s * 1000 + 123);

type Row = Record<string, string | number | Date | Buffer | null>;

/** A Message row as the schema before the migration holds it: every column. */
function message(id: string, over: Row): Row {
  return {
    id,
    direction: "OUT",
    conversationId: `c-${id.slice(0, 8)}`,
    documentType: "digital",
    process: PROCESS,
    standard: STANDARD,
    senderOrg: SENDER,
    receiverOrg: DIGIPOST,
    avsenderOrg: SENDER,
    databehandlerOrg: null,
    avsenderidentifikator: null,
    mottakerOrg: null,
    kanal: null,
    forretningsmelding: `eyJhbGciOiJSUzI1NiJ9.${id}.c2ln`,
    payloadKey: null,
    payloadSize: null,
    payloadSha256: null,
    status: "OPPRETTET",
    createdAt: t(0),
    updatedAt: t(1),
    readAt: null,
    expectedResponseAt: null,
    as4MessageId: null,
    nextAttemptAt: null,
    attempts: 0,
    leaseUntil: null,
    lastError: null,
    lastPeer: null,
    signedReferences: null,
    nextPushAt: null,
    pushAttempts: 0,
    pushedAt: null,
    ...over,
  };
}

const payload = (n: number) => ({ payloadKey: `2030/03/01/${n}.cms`, payloadSize: 40_000 + n, payloadSha256: String(n).repeat(64).slice(0, 64) });
const refs = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => [{ uri: "#body", digest: `d${i}` }, { uri: "cid:payload", digest: `p${i}` }]));

// Ids in lower case, as the store keys them since 20261202160813_lowercase_message_ids.
const ID = {
  queued: "0a6f5c1e-7d2b-4c3a-9e8f-1b2c3d4e5f60",
  sent: "1b7a6d2f-8e3c-4d4b-8f90-2c3d4e5f6071",
  failed: "2c8b7e30-9f4d-4e5c-a0a1-3d4e5f607182",
  failedFeil: "3d9c8f41-a05e-4f6d-b1b2-4e5f60718293",
  expired: "4ead9052-b16f-4071-82c3-5f60718293a4",
  delegated: "5fbea163-c270-4182-93d4-60718293a4b5",
  answered: "60cfb274-d381-4293-a4e5-718293a4b5c6",
  levering: "71d0c385-e492-43a4-b5f6-8293a4b5c6d7",
  inUnread: "82e1d496-f5a3-44b5-86a7-93a4b5c6d7e8",
  inRead: "93f2e5a7-06b4-45c6-97b8-a4b5c6d7e8f9",
  inPushed: "a403f6b8-17c5-46d7-a8c9-b5c6d7e8f90a",
  receiptOut: "b51407c9-28d6-47e8-b9da-c6d7e8f90a1b",
} as const;

const MESSAGES: Row[] = [
  // Waiting in the outbox after three failed attempts, held by a worker right now.
  message(ID.queued, {
    kanal: "kanal-a",
    avsenderidentifikator: "skatt-1",
    ...payload(1),
    expectedResponseAt: t(86_400),
    as4MessageId: "q-1@pop000001",
    nextAttemptAt: t(600),
    attempts: 3,
    leaseUntil: t(700),
    lastError: "HTTP 503 from https://ap.example/as4",
    lastPeer: "https://ap.example/as4",
    signedReferences: refs(3),
  }),
  message(ID.sent, { ...payload(2), expectedResponseAt: t(86_400), as4MessageId: "s-1@pop000001", attempts: 1, signedReferences: refs(1), status: "SENDT", updatedAt: t(5) }),
  message(ID.failed, { documentType: "utskrift", receiverOrg: PRINT, ...payload(3), attempts: 2, lastError: "PEPPOL:NOT_SERVICED", status: "FEILET", as4MessageId: "f-1@pop000001", signedReferences: refs(2) }),
  message(ID.failedFeil, {
    direction: "IN",
    conversationId: `c-${ID.failed.slice(0, 8)}`,
    documentType: "feil",
    senderOrg: OPERATOR,
    receiverOrg: SENDER,
    avsenderOrg: OPERATOR,
    mottakerOrg: SENDER,
    kanal: "kanal-b",
    status: "MOTTATT",
    createdAt: t(30),
    updatedAt: t(30),
  }),
  message(ID.expired, { ...payload(4), expectedResponseAt: t(60), as4MessageId: "e-1@pop000001", attempts: 1, signedReferences: refs(1), status: "LEVETID_UTLOPT" }),
  // Sent by a databehandler for the avsender; the first receipt was lost and the resend recorded SENDT again.
  message(ID.delegated, { senderOrg: DATABEHANDLER, databehandlerOrg: DATABEHANDLER, avsenderidentifikator: "nav", ...payload(5), as4MessageId: "d-1@pop000001", attempts: 2, signedReferences: refs(2), status: "SENDT" }),
  message(ID.answered, { ...payload(6), as4MessageId: "a-1@pop000001", attempts: 1, signedReferences: refs(1), status: "SENDT", kanal: "kanal-c" }),
  // The leveringskvittering that answers it, read by corner 1.
  message(ID.levering, {
    direction: "IN",
    conversationId: `c-${ID.answered.slice(0, 8)}`,
    documentType: "leveringskvittering",
    senderOrg: DIGIPOST,
    receiverOrg: SENDER,
    avsenderOrg: DIGIPOST,
    mottakerOrg: SENDER,
    kanal: "kanal-c",
    avsenderidentifikator: "skatt-2",
    status: "MOTTATT",
    as4MessageId: "l-1@pop000002",
    readAt: t(90),
  }),
  // Corner 3: letters for Digipost, unread with two failed pushes, read, and pushed.
  message(ID.inUnread, { direction: "IN", ...payload(7), status: "MOTTATT", as4MessageId: "u-1@pop000009", nextPushAt: t(120), pushAttempts: 2 }),
  message(ID.inRead, { direction: "IN", ...payload(8), status: "MOTTATT", as4MessageId: "r-1@pop000009", readAt: t(200), pushedAt: t(150), pushAttempts: 1 }),
  message(ID.inPushed, { direction: "IN", ...payload(9), status: "MOTTATT", as4MessageId: "p-1@pop000009", pushedAt: t(160), pushAttempts: 1 }),
  // Corner 3 answering a letter: Digipost's aapningskvittering, sent.
  message(ID.receiptOut, {
    documentType: "aapningskvittering",
    senderOrg: DIGIPOST,
    receiverOrg: SENDER,
    avsenderOrg: DIGIPOST,
    mottakerOrg: SENDER,
    status: "SENDT",
    as4MessageId: "k-1@pop000002",
    attempts: 1,
    signedReferences: refs(1),
  }),
];

/** [direction, id, status, beskrivelse, second], in the order they were registered. */
const STATUSES: [Direction, string, string, string | null, number][] = [
  ["OUT", ID.queued, "OPPRETTET", null, 0],
  ["OUT", ID.sent, "OPPRETTET", null, 0],
  ["OUT", ID.sent, "SENDT", null, 5],
  ["OUT", ID.failed, "OPPRETTET", null, 0],
  ["OUT", ID.failed, "FEILET", "gave up: PEPPOL:NOT_SERVICED", 30],
  ["IN", ID.failedFeil, "MOTTATT", null, 30],
  ["OUT", ID.expired, "OPPRETTET", null, 0],
  ["OUT", ID.expired, "SENDT", null, 2],
  ["OUT", ID.expired, "LEVETID_UTLOPT", `no receipt arrived before ${t(60).toISOString()}`, 61],
  ["OUT", ID.delegated, "OPPRETTET", null, 0],
  ["OUT", ID.delegated, "SENDT", null, 3],
  ["OUT", ID.delegated, "SENDT", "the receiver already had it (EBMS:0004 duplicate); no receipt evidence", 9],
  ["OUT", ID.answered, "OPPRETTET", null, 0],
  ["OUT", ID.answered, "SENDT", null, 4],
  ["IN", ID.levering, "MOTTATT", null, 80],
  ["IN", ID.inUnread, "MOTTATT", null, 0],
  ["IN", ID.inRead, "MOTTATT", null, 0],
  ["IN", ID.inPushed, "MOTTATT", null, 0],
  ["OUT", ID.receiptOut, "OPPRETTET", null, 0],
  ["OUT", ID.receiptOut, "SENDT", null, 1],
];

const EXCHANGES: Row[] = [
  // Evidence of what we sent, and the inbound duplicate records of what we received (one still only claimed).
  { as4MessageId: "s-1@pop000001", direction: "OUT", messageId: ID.sent, peerPartyId: "POP000002", receiptMessageId: "rcpt-s@pop000002", receipt: Buffer.from([0, 1, 0xff, 0x80, 0x3c]), contentDigest: null, claimedUntil: null, createdAt: t(5) },
  { as4MessageId: "a-1@pop000001", direction: "OUT", messageId: ID.answered, peerPartyId: "POP000002", receiptMessageId: "rcpt-a@pop000002", receipt: Buffer.from("<S12:Envelope/>"), contentDigest: null, claimedUntil: null, createdAt: t(4) },
  { as4MessageId: "l-1@pop000002", direction: "IN", messageId: ID.levering, peerPartyId: "POP000002", receiptMessageId: "rcpt-l@pop000001", receipt: Buffer.from("<receipt/>"), contentDigest: "ab".repeat(32), claimedUntil: null, createdAt: t(80) },
  { as4MessageId: "x-1@pop000009", direction: "IN", messageId: null, peerPartyId: "POP000009", receiptMessageId: null, receipt: null, contentDigest: "cd".repeat(32), claimedUntil: t(400), createdAt: t(100) },
];

/** What finished must be for each message: its own history decides (a receipt is a message of its own). */
const FINISHED = new Set<string>([ID.failed, ID.expired]);

/** A time as each store keeps it: Prisma writes SQLite times as RFC 3339 text, PostgreSQL's are timestamp(3) UTC. */
function value(provider: DatabaseProvider, v: Row[string]): unknown {
  if (!(v instanceof Date)) return v;
  return provider === "sqlite" ? v.toISOString().replace("Z", "+00:00") : v.toISOString().replace("Z", "");
}

async function insert(db: SqlExecutor, table: string, row: Row): Promise<void> {
  const columns = Object.keys(row);
  await db.query(
    `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
    columns.map((c) => value(db.provider, row[c]!)),
  );
}

async function seed(db: SqlExecutor): Promise<void> {
  for (const m of MESSAGES) await insert(db, "Message", m);
  for (const [direction, id, status, beskrivelse, s] of STATUSES) {
    await insert(db, "MessageStatus", { messageDirection: direction, messageId: id, status, beskrivelse, createdAt: t(s) });
  }
  for (const e of EXCHANGES) await insert(db, "As4Exchange", e);
}

const all = (db: SqlExecutor, sql: string) => db.query<Record<string, unknown>>(sql);
const bool = (v: unknown) => v === true || v === 1;

/** The old columns each new column carries, by table. */
const CONVERSATION_FROM_MESSAGE: Record<string, string> = {
  direction: "direction",
  messageId: "id",
  conversationId: "conversationId",
  process: "process",
  documentType: "documentType",
  standard: "standard",
  senderIdentifier: "senderOrg",
  receiverIdentifier: "receiverOrg",
  expiry: "expectedResponseAt",
  status: "status",
  createdAt: "createdAt",
  updatedAt: "updatedAt",
  nextAttemptAt: "nextAttemptAt",
  attempts: "attempts",
  leaseUntil: "leaseUntil",
  lastError: "lastError",
  lastPeer: "lastPeer",
  readAt: "readAt",
};
const DPI_FROM_MESSAGE: Record<string, string> = {
  direction: "direction",
  messageId: "id",
  avsenderOrg: "avsenderOrg",
  databehandlerOrg: "databehandlerOrg",
  avsenderidentifikator: "avsenderidentifikator",
  mottakerOrg: "mottakerOrg",
  kanal: "kanal",
  forretningsmelding: "forretningsmelding",
  payloadKey: "payloadKey",
  payloadSize: "payloadSize",
  payloadSha256: "payloadSha256",
  as4MessageId: "as4MessageId",
  signedReferences: "signedReferences",
  nextPushAt: "nextPushAt",
  pushAttempts: "pushAttempts",
  pushedAt: "pushedAt",
};
const STATUS_FROM_MESSAGE_STATUS: Record<string, string> = {
  id: "id",
  direction: "messageDirection",
  messageId: "messageId",
  status: "status",
  description: "beskrivelse",
  createdAt: "createdAt",
};

function carried(old: Record<string, unknown>, mapping: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(mapping).map(([to, from]) => [to, old[from]]));
}

async function tables(db: SqlExecutor): Promise<string[]> {
  const sql =
    db.provider === "sqlite"
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`
      : `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`;
  return (await all(db, sql)).map((r) => r.name as string);
}

/** Upgrades a seeded store with the raw executor and proves, value by value, that everything was carried. */
async function upgradeAndCompare(db: SqlExecutor, migrationsDir: string): Promise<void> {
  const migrations = await loadMigrations(migrationsDir);
  expect(migrations.map((m) => m.name)).to.include(MIGRATION);
  await migrate(db, migrations.filter((m) => m.name < MIGRATION));
  expect(await tables(db)).to.deep.equal(["As4Exchange", "Message", "MessageStatus"]);
  await seed(db);
  const oldMessages = await all(db, `SELECT * FROM "Message" ORDER BY "direction", "id"`);
  const oldStatuses = await all(db, `SELECT * FROM "MessageStatus" ORDER BY "id"`);
  const oldExchanges = await all(db, `SELECT * FROM "As4Exchange" ORDER BY "direction", "as4MessageId"`);
  expect(oldMessages).to.have.length(MESSAGES.length);
  expect(oldStatuses).to.have.length(STATUSES.length);

  const result = await migrate(db, migrations.filter((m) => m.name <= MIGRATION));
  expect(result.applied).to.deep.equal([MIGRATION]);
  expect(await tables(db)).to.deep.equal(["As4Exchange", "Conversation", "ConversationStatus", "DpiMessage"]);

  const conversations = await all(db, `SELECT * FROM "Conversation" ORDER BY "direction", "messageId"`);
  const dpi = await all(db, `SELECT * FROM "DpiMessage" ORDER BY "direction", "messageId"`);
  const statuses = await all(db, `SELECT * FROM "ConversationStatus" ORDER BY "id"`);
  expect(conversations).to.have.length(oldMessages.length);
  expect(dpi).to.have.length(oldMessages.length);
  for (const [i, old] of oldMessages.entries()) {
    const c = conversations[i]!;
    const id = old.id as string;
    expect(carried(c, Object.fromEntries(Object.keys(CONVERSATION_FROM_MESSAGE).map((k) => [k, k]))), `Conversation ${id}`).to.deep.equal(carried(old, CONVERSATION_FROM_MESSAGE));
    expect(carried(dpi[i]!, Object.fromEntries(Object.keys(DPI_FROM_MESSAGE).map((k) => [k, k]))), `DpiMessage ${id}`).to.deep.equal(carried(old, DPI_FROM_MESSAGE));
    // What the old schema did not have starts empty.
    expect({ channel: c.channel, senderName: c.senderName, receiverName: c.receiverName, messageReference: c.messageReference, messageTitle: c.messageTitle, externalReference: c.externalReference, lockedUntil: c.lockedUntil, nextPollAt: c.nextPollAt, pushLeaseUntil: dpi[i]!.pushLeaseUntil }, id).to.deep.equal({
      channel: "DPI",
      senderName: null,
      receiverName: null,
      messageReference: null,
      messageTitle: null,
      externalReference: null,
      lockedUntil: null,
      nextPollAt: null,
      pushLeaseUntil: null,
    });
    // finished and pollable as the core's rules make them of the message's own history.
    const history = oldStatuses.filter((s) => s.messageDirection === old.direction && s.messageId === id).map((s) => s.status as string);
    expect({ finished: bool(c.finished), pollable: bool(c.pollable) }, id).to.deep.equal(flagsOf("DPI", coreDirection(old.direction as Direction), history));
    expect({ finished: bool(c.finished), pollable: bool(c.pollable) }, id).to.deep.equal({ finished: FINISHED.has(id), pollable: false });
  }
  expect(statuses.map((s) => carried(s, Object.fromEntries(Object.keys(STATUS_FROM_MESSAGE_STATUS).map((k) => [k, k]))))).to.deep.equal(oldStatuses.map((s) => carried(s, STATUS_FROM_MESSAGE_STATUS)));
  expect(statuses.every((s) => s.rawReceipt === null)).to.equal(true);
  expect(await all(db, `SELECT * FROM "As4Exchange" ORDER BY "direction", "as4MessageId"`)).to.deep.equal(oldExchanges);

  // The later migrations: statuses that existed before webhooks and the status queue count as published (no
  // subscriber created afterwards is sent the past), and nothing else changes.
  const later = await migrate(db, migrations);
  expect(later.applied).to.deep.equal(migrations.filter((m) => m.name > MIGRATION).map((m) => m.name));
  const published = await all(db, `SELECT "id", "createdAt", "publishedAt" FROM "ConversationStatus" ORDER BY "id"`);
  expect(published.map((s) => s.publishedAt)).to.deep.equal(statuses.map((s) => s.createdAt));
  expect(await all(db, `SELECT * FROM "Conversation" ORDER BY "direction", "messageId"`)).to.deep.equal(conversations);
}

/** The access point's repositories on the upgraded store: values read back as they were written, and the store works on. */
async function useUpgraded(url: string): Promise<void> {
  const opened = await openDatabase(url);
  try {
    expect(opened.applied).to.deep.equal([]);
    const messages = new DpiMessagesRepo(opened.db);
    const queued = (await messages.get("OUT", ID.queued.toUpperCase()))!;
    expect(queued).to.include({ messageId: ID.queued, channel: "DPI", status: "OPPRETTET", attempts: 3, lastPeer: "https://ap.example/as4", finished: false, pollable: false });
    expect(queued.expiry).to.deep.equal(t(86_400));
    expect(queued.leaseUntil).to.deep.equal(t(700));
    expect(queued.createdAt).to.deep.equal(t(0));
    expect(queued.dpi).to.include({ kanal: "kanal-a", avsenderidentifikator: "skatt-1", as4MessageId: "q-1@pop000001", payloadSize: 40_001 });
    expect(JSON.parse(queued.dpi.signedReferences!)).to.have.length(3);
    expect((await messages.get("OUT", ID.delegated))!.dpi).to.include({ databehandlerOrg: DATABEHANDLER, avsenderOrg: SENDER });
    expect((await messages.statuses("OUT", ID.expired)).map((s) => [s.status, s.description, s.timestamp.getTime()])).to.deep.equal([
      ["OPPRETTET", null, t(0).getTime()],
      ["SENDT", null, t(2).getTime()],
      ["LEVETID_UTLOPT", `no receipt arrived before ${t(60).toISOString()}`, t(61).getTime()],
    ]);
    // The conversation of the answered letter, and its receipt filed for corner 1 (already read).
    const conv = await messages.conversation(`c-${ID.answered.slice(0, 8)}`);
    expect(conv.map((m) => [m.direction, m.messageId, m.documentType])).to.deep.equal([
      ["OUT", ID.answered, "digital"],
      ["IN", ID.levering, "leveringskvittering"],
    ]);
    expect(conv[1]!.readAt).to.deep.equal(t(90));
    // Corner 1 sees the feil receipt of its failed letter; Digipost its unread letters, not the read one.
    expect((await messages.unread({ scope: readScopeOf({ consumer: SENDER }), pageSize: 10, page: 0 })).map((m) => m.messageId)).to.deep.equal([ID.failedFeil]);
    expect((await messages.unread({ scope: readScopeOf({ consumer: DIGIPOST }), pageSize: 10, page: 0 })).map((m) => m.messageId).sort()).to.deep.equal([ID.inPushed, ID.inUnread].sort());
    expect(await messages.payloadKeys()).to.deep.equal(new Set(Array.from({ length: 9 }, (_, i) => payload(i + 1).payloadKey)));

    // The outbox finds the queued letter once its lease has run out; a status registered now follows the history.
    const outbox = new OutboxRepo(opened.db);
    expect(await outbox.pending()).to.equal(1);
    expect(await outbox.claimDue(t(650), 60_000, 10)).to.deep.equal([]);
    expect((await outbox.claimDue(t(701), 60_000, 10)).map((m) => m.messageId)).to.deep.equal([ID.queued]);
    await outbox.markSent(ID.queued, t(710));
    const rows = await opened.db.conversationStatus.findMany({ orderBy: { id: "asc" } });
    expect(rows).to.have.length(STATUSES.length + 1);
    expect(rows.at(-1)).to.include({ messageId: ID.queued, status: "SENDT", id: rows.at(-2)!.id + 1 });
    expect(rows.slice(0, -1).map((r) => r.id)).to.deep.equal(Array.from({ length: STATUSES.length }, (_, i) => rows[0]!.id + i));

    // Push: the letter whose push failed twice is due at its nextPushAt, the pushed and read ones never again.
    const push = new PushRepo(opened.db);
    expect(await push.claimDue(t(119), 60_000, [DIGIPOST], ["digital", "utskrift"], 10)).to.deep.equal([]);
    const due = await push.claimDue(t(120), 60_000, [DIGIPOST], ["digital", "utskrift"], 10);
    expect(due.map((m) => [m.messageId, m.dpi.pushAttempts])).to.deep.equal([[ID.inUnread, 2]]);
  } finally {
    await opened.db.$disconnect();
  }
}

describe("store/migration: the conversation model carries every message, status and exchange over", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-conv-migration-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("SQLite with foreign keys enforced", async () => {
    const file = path.join(dir, "fk.db");
    const db = sqliteExecutor(file);
    try {
      await upgradeAndCompare(db, path.join(root, "prisma/migrations"));
    } finally {
      await db.close();
    }
    await useUpgraded(`file:${file}`);
  });

  it("SQLite without foreign key enforcement", async () => {
    const db = sqliteExecutor(path.join(dir, "nofk.db"));
    try {
      await db.exec("PRAGMA foreign_keys = OFF");
      await upgradeAndCompare(db, path.join(root, "prisma/migrations"));
    } finally {
      await db.close();
    }
  });

  describe("PostgreSQL", function () {
    let scratch: ScratchDatabase | undefined;
    before(async function () {
      if (!(await postgresReachable())) this.skip();
    });
    afterEach(async () => {
      await scratch?.drop();
      scratch = undefined;
    });

    it("the same outcome", async () => {
      scratch = await createScratchDatabase("dpi_ap_conv_migration");
      const db = pgExecutor(scratch.url);
      try {
        await upgradeAndCompare(db, path.join(root, "prisma/migrations-postgresql"));
      } finally {
        await db.close();
      }
      await useUpgraded(scratch.url);
    });
  });
});
