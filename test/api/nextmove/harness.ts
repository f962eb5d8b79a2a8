import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type RequestHandler } from "express";
import type { NextMoveCaller } from "../../../src/api/nextmove/caller.js";
import { conversationsRouter } from "../../../src/api/nextmove/conversations.js";
import { statusesRouter } from "../../../src/api/nextmove/statuses.js";
import { subscriptionsRouter } from "../../../src/api/nextmove/subscriptions.js";
import { notFound, problemHandler } from "../../../src/api/problem-middleware.js";
import type { Clock } from "../../../src/clock.js";
import { StatusPublisher } from "../../../src/core/status-publisher.js";
import type { Channel } from "../../../src/core/status/index.js";
import { WebhookSender, type WebhookPost } from "../../../src/core/webhook-sender.js";
import type { RetryPolicy } from "../../../src/core/retry-policy.js";
import { silentLogger } from "../../../src/log.js";
import { ConversationsRepo, registerStatusIn, type NewConversation } from "../../../src/store/conversations-repo.js";
import { NextMoveStatusRepo } from "../../../src/store/nextmove-status-repo.js";
import type { Db } from "../../../src/store/prisma.js";
import { StatusPublishRepo } from "../../../src/store/status-publish-repo.js";
import { SubscriptionsRepo } from "../../../src/store/subscriptions-repo.js";
import { WebhookDeliveryRepo } from "../../../src/store/webhook-delivery-repo.js";
import type { ProblemAnswer } from "../../helpers/problem.js";

/**
 * The NextMove status side as a real HTTP server over a store: the three routers under /api behind a stand-in
 * for the authentication middleware (the caller's organisations come from the X-Test-Orgs header: "*" or a
 * comma-separated list; "*" when absent), the project's problem handler, a status publisher and a webhook
 * sender on a clock the test moves.
 */

export const ORG_A = "910077473";
export const ORG_B = "910075918";
export const ORG_C = "987654321";

export const callerFromHeader: RequestHandler = (req, res, next) => {
  const h = req.get("x-test-orgs") ?? "*";
  const caller: NextMoveCaller = { name: "test", orgs: h === "*" ? "*" : h.split(",").filter((o) => o !== "") };
  res.locals.nextMoveCaller = caller;
  next();
};

export interface StatusApi {
  url: string;
  db: Db;
  now: { value: Date };
  clock: Clock;
  publisher: StatusPublisher;
  sender: WebhookSender;
  deliveries: WebhookDeliveryRepo;
  close(): Promise<void>;
}

export interface StatusApiOptions {
  queueChannels?: readonly Channel[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  post?: WebhookPost;
  start?: Date;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 60_000, windowMs: 3_600_000 };

export async function startStatusApi(db: Db, o: StatusApiOptions = {}): Promise<StatusApi> {
  const now = { value: o.start ?? new Date("2030-01-01T10:00:00Z") };
  const clock: Clock = () => new Date(now.value.getTime());
  const deliveries = new WebhookDeliveryRepo(db);
  const sender = new WebhookSender({
    repo: deliveries,
    retry: o.retry ?? DEFAULT_RETRY,
    timeoutMs: o.timeoutMs ?? 2_000,
    pollMs: 60_000,
    clock,
    log: silentLogger,
    random: () => 0.5,
    ...(o.post ? { post: o.post } : {}),
  });
  const publisher = new StatusPublisher({ repo: new StatusPublishRepo(db), queueChannels: o.queueChannels ?? [], pollMs: 60_000, clock, log: silentLogger });
  const repo = new NextMoveStatusRepo(db);
  const app = express();
  app.use("/api", callerFromHeader);
  app.use("/api", statusesRouter({ repo }));
  app.use("/api", conversationsRouter({ repo }));
  app.use("/api", subscriptionsRouter({ repo: new SubscriptionsRepo(db), ping: (url) => sender.ping(url), clock }));
  app.use(notFound);
  app.use(problemHandler(silentLogger));
  const server = await listenOn(createServer(app));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    db,
    now,
    clock,
    publisher,
    sender,
    deliveries,
    close: () => closeServer(server),
  };
}

function listenOn(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface Answer extends ProblemAnswer {
  json: <T = unknown>() => T;
}

export async function call(base: string, method: string, path: string, o: { orgs?: string; body?: unknown; rawBody?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.orgs !== undefined) headers["x-test-orgs"] = o.orgs;
  let body: string | undefined;
  if (o.rawBody !== undefined) body = o.rawBody;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const parsed: unknown = text === "" ? undefined : JSON.parse(text);
  return { status: res.status, contentType: res.headers.get("content-type"), body: parsed, json: <T>() => parsed as T };
}

/** Creates a conversation with its statuses, each registered through the core's rules at its time. */
export async function conversationWith(
  db: Db,
  c: Partial<NewConversation> & Pick<NewConversation, "messageId" | "direction" | "channel">,
  statuses: readonly { status: string; at: Date; description?: string; rawReceipt?: string }[],
): Promise<void> {
  const full: NewConversation = {
    conversationId: `c-${c.messageId}`,
    process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
    documentType: "arkivmelding",
    standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
    senderIdentifier: `0192:${ORG_A}`,
    receiverIdentifier: `0192:${ORG_B}`,
    ...c,
  };
  const [first, ...rest] = statuses;
  if (!first) throw new Error("a conversation starts with a status");
  await db.$transaction(new ConversationsRepo(db).insertOperations(full, first.status, first.at, { description: first.description, rawReceipt: first.rawReceipt }));
  for (const s of rest) {
    const d = await db.$transaction((tx) => registerStatusIn(tx, full.direction, full.messageId, s.status, s.at, { description: s.description, rawReceipt: s.rawReceipt }));
    if (!d?.ok) throw new Error(`${s.status} refused: ${JSON.stringify(d)}`);
  }
}

/** A local push endpoint: records each POST, answers with what `answer` says (status, or "hang" to never answer). */
export async function startEndpoint(answer: (n: number, body: unknown) => number | "hang" = () => 200) {
  const received: { path: string; body: unknown; contentType: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      received.push({ path: req.url ?? "", body, contentType: req.headers["content-type"] });
      const a = answer(received.length, body);
      if (a === "hang") return;
      res.statusCode = a;
      res.end();
    });
  });
  await listenOn(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => closeServer(server) };
}

/** `n` outgoing DPO conversations with one unpublished status each, written in one transaction. */
export async function manyStatuses(db: Db, n: number, prefix: string, at: (i: number) => Date): Promise<void> {
  const repo = new ConversationsRepo(db);
  await db.$transaction(
    Array.from({ length: n }, (_, i) =>
      repo.insertOperations(
        {
          messageId: `${prefix}-${String(i).padStart(5, "0")}`,
          conversationId: `c-${prefix}-${i}`,
          direction: "OUT",
          channel: "DPO",
          process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
          documentType: "arkivmelding",
          standard: "urn:no:difi:arkivmelding:xsd::arkivmelding",
          senderIdentifier: `0192:${ORG_A}`,
          receiverIdentifier: `0192:${ORG_B}`,
        },
        "OPPRETTET",
        at(i),
      ),
    ).flat(),
  );
}
