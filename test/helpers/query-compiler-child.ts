/**
 * A process that opens the store and runs the statements of a message on it, counting the WebAssembly modules
 * it compiles (Prisma's query compiler is one). Prints one JSON line: the count after opening, after the
 * message's statements, after the operator console's reads, and after one query of Prisma's model API (which
 * must compile it: the count can tell).
 *   node --import tsx test/helpers/query-compiler-child.ts <database-url>
 */
let compiled = 0;
const Module = WebAssembly.Module;
(WebAssembly as { Module: typeof WebAssembly.Module }).Module = new Proxy(Module, {
  construct(target, args: ConstructorParameters<typeof WebAssembly.Module>) {
    compiled++;
    return new target(...args);
  },
});

const { openDatabase } = await import("../../src/store/prisma.js");
const { NextMoveRepo } = await import("../../src/store/nextmove-repo.js");
const { OutboxRepo } = await import("../../src/store/outbox-repo.js");
const { ConversationsRepo } = await import("../../src/store/conversations-repo.js");
const { StatusPublishRepo } = await import("../../src/store/status-publish-repo.js");
const { WorkerLeaseRepo } = await import("../../src/store/worker-lease-repo.js");
const { sqlOf } = await import("../../src/store/sql.js");
const { ConsoleQueries } = await import("../../src/console/queries.js");
const { buildEvidenceBundle } = await import("../../src/console/evidence.js");
const { equals, TRUE } = await import("../../src/store/sql-condition.js");

const { db } = await openDatabase(process.argv[2]!);
const counts: Record<string, number> = { opened: compiled };
const nextMove = new NextMoveRepo(db);
const outbox = new OutboxRepo(db);
const conversations = new ConversationsRepo(db);
const at = new Date();
const c = { messageId: "m-1", direction: "OUT" as const, conversationId: "c-1", channel: "DPO" as const, process: "p", documentType: "arkivmelding", standard: "s", senderIdentifier: "0192:991825827", receiverIdentifier: "0192:910076787" };
await nextMove.create(c, "{}", "OPPRETTET", at);
await nextMove.queue(c.messageId, at);
for (const m of await outbox.claimDue(new Date(), 60_000, 10)) await outbox.markSent(m.messageId, new Date());
await sqlOf(db).transaction((tx) => conversations.insertIn(tx, { ...c, direction: "IN", messageId: "in-1", receiverIdentifier: "0192:991825827" }, "INNKOMMENDE_MOTTATT", at));
const peeked = await conversations.inboxPeek({ anyOf: [equals("receiverIdentifier", "0192:991825827")] }, new Date(), new Date(Date.now() + 60_000));
await conversations.markRead(peeked!.messageId, new Date());
await new StatusPublishRepo(db).publishBatch(new Date(), 100, false, () => ({ deliveries: [], queue: [] }));
await new WorkerLeaseRepo(db).acquire("sweep", "me", new Date(), new Date(Date.now() + 1000));
await outbox.pending();
await outbox.expireOverdue(new Date(), ["arkivmelding"]);
await nextMove.unsent(TRUE, { skip: 0, take: 10 });
counts.message = compiled;
const console = new ConsoleQueries(db);
await console.list({ text: "m-1" }, { page: 0, size: 50 });
await console.statusNames();
await console.conversation("OUT", "m-1");
await console.overview(new Date());
await buildEvidenceBundle(db, "OUT", "m-1", { user: "operator", now: new Date() });
counts.console = compiled;
counts.statuses = await db.conversationStatus.count();
counts.modelApi = compiled;
await db.$disconnect();
process.stdout.write(`${JSON.stringify(counts)}\n`);
