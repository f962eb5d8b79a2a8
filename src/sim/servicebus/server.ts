import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../clock.js";
import { DEFAULT_QUEUE_OPTIONS, SbQueue, type QueueOptions, type SbMessage } from "./queues.js";

/**
 * An honest local Azure Service Bus namespace, REST API only (what the integrasjonspunkt's ServiceBusRestClient
 * uses; spec/eformidling.md §6.1):
 *   POST   /{queue}/messages                              send (BrokerProperties header: MessageId may be set)
 *   POST   /{queue}[/$DeadLetterQueue]/messages/head      peek-lock (?timeout= seconds to wait); 201 with the body
 *                                                         and BrokerProperties, 204 when nothing arrives in time
 *   DELETE /{queue}[/$DeadLetterQueue]/messages/{id}/{lockToken}   complete; 404 when the lock is not held
 *   PUT    /{queue}/messages/{id}/{lockToken}             unlock (abandon)
 * Every request needs a SharedAccessSignature for the resource (or a prefix of it, as Azure allows) signed with
 * one of the namespace's keys and not expired; otherwise 401. Unknown queues are 404, oversize bodies 413.
 * Tests and the sandbox create queues and may dead-letter a message as a receiver would over AMQP.
 */

export interface ServiceBusSimOptions {
  port?: number;
  host?: string;
  /** Shared access keys of the namespace (key name → key). */
  keys: Record<string, string>;
  queues?: readonly string[];
  queueOptions?: Partial<QueueOptions>;
  clock?: Clock;
  /** Longest a head request waits for a message (default 5 s; the real one up to its timeout). */
  maxWaitMs?: number;
}

export interface ServiceBusSim {
  /** The namespace URL, e.g. http://127.0.0.1:1234 (the integrasjonspunkt's serviceBus baseUrl with its scheme). */
  readonly url: string;
  createQueue(name: string): void;
  queue(name: string): SbQueue | undefined;
  /** Messages in the queue (not dead-lettered), locked or not. */
  messages(name: string): readonly SbMessage[];
  deadLetters(name: string): readonly SbMessage[];
  /** Refuses every request with 503 while true (a namespace that is down). */
  setUnavailable(down: boolean): void;
  close(): Promise<void>;
}

const DEAD_LETTER = "$DeadLetterQueue";

export async function startServiceBusSim(o: ServiceBusSimOptions): Promise<ServiceBusSim> {
  const clock = o.clock ?? systemClock;
  const queues = new Map<string, SbQueue>();
  const queueOptions = { ...DEFAULT_QUEUE_OPTIONS, ...o.queueOptions };
  const createQueue = (name: string) => {
    if (!queues.has(name)) queues.set(name, new SbQueue(name, queueOptions));
  };
  for (const q of o.queues ?? []) createQueue(q);
  let down = false;
  let baseUrl = "";

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, `<Error><Code>500</Code><Detail>${String(err)}</Detail></Error>`));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, queueOptions.maxMessageBytes);
    if (down) return send(res, 503, error(503, "The service is unavailable"));
    const url = new URL(req.url ?? "/", baseUrl);
    const auth = checkSas(req.headers.authorization, `${baseUrl}${url.pathname}`, o.keys, clock());
    if (auth) return send(res, 401, error(401, auth));
    const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
    const [name, ...rest] = parts;
    const q = name ? queues.get(name) : undefined;
    if (!q) return send(res, 404, error(404, `The messaging entity '${name ?? ""}' could not be found`));
    const dlq = rest[0] === DEAD_LETTER;
    const path = dlq ? rest.slice(1) : rest;

    if (req.method === "POST" && path.length === 1 && path[0] === "messages" && !dlq) {
      if (body === "too-large") return send(res, 413, error(413, `The received message exceeds the quota of ${queueOptions.maxMessageBytes} bytes`));
      let props: { MessageId?: unknown } = {};
      const header = req.headers.brokerproperties;
      if (typeof header === "string" && header.trim() !== "") {
        try {
          props = JSON.parse(header) as { MessageId?: unknown };
        } catch {
          return send(res, 400, error(400, "BrokerProperties is not valid JSON"));
        }
      }
      q.send(body, { messageId: typeof props.MessageId === "string" ? props.MessageId : undefined, contentType: req.headers["content-type"] }, clock());
      return send(res, 201, "");
    }
    if (req.method === "POST" && path.length === 2 && path[0] === "messages" && path[1] === "head") {
      const waitMs = Math.min(Number(url.searchParams.get("timeout") ?? "0") * 1000 || 0, o.maxWaitMs ?? 5_000);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const m = q.peekLock(clock(), dlq);
        if (m) {
          res.setHeader("BrokerProperties", JSON.stringify(brokerProperties(m)));
          res.setHeader("Location", `${baseUrl}/${encodeURIComponent(q.name)}${dlq ? `/${DEAD_LETTER}` : ""}/messages/${m.messageId}/${m.lockToken}`);
          if (m.contentType) res.setHeader("Content-Type", m.contentType);
          res.writeHead(201).end(m.body);
          return;
        }
        if (Date.now() >= deadline) return send(res, 204, "");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if ((req.method === "DELETE" || req.method === "PUT") && path.length === 3 && path[0] === "messages") {
      const [, id, lock] = path as [string, string, string];
      const outcome = req.method === "DELETE" ? q.complete(id, lock, clock(), dlq) : dlq ? "not-found" : q.abandon(id, lock, clock());
      if (outcome === "completed" || outcome === "abandoned") return send(res, 200, "");
      return send(res, 404, error(404, `The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue (message ${id})`));
    }
    return send(res, 405, error(405, `${req.method} ${url.pathname} is not supported`));
  }

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve(server.address() as AddressInfo));
  });
  baseUrl = `http://${o.host ?? "127.0.0.1"}:${address.port}`;
  return {
    url: baseUrl,
    createQueue,
    queue: (name) => queues.get(name),
    messages: (name) => queues.get(name)?.messages ?? [],
    deadLetters: (name) => queues.get(name)?.deadLetters ?? [],
    setUnavailable: (d) => {
      down = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function brokerProperties(m: SbMessage) {
  return {
    DeliveryCount: m.deliveryCount,
    EnqueuedSequenceNumber: m.sequenceNumber,
    EnqueuedTimeUtc: m.enqueuedAt.toUTCString(),
    LockToken: m.lockToken,
    LockedUntilUtc: m.lockedUntil?.toUTCString(),
    MessageId: m.messageId,
    SequenceNumber: m.sequenceNumber,
    State: "Active",
    ...(m.deadLetterReason ? { DeadLetterReason: m.deadLetterReason } : {}),
  };
}

/**
 * Why a SharedAccessSignature does not admit the request, or undefined when it does: it must name a resource the
 * request's URL starts with, carry a key name the namespace has, an expiry not passed, and the HMAC-SHA256 of
 * "<sr as sent>\n<se>" under that key.
 */
export function checkSas(header: string | undefined, requestUrl: string, keys: Record<string, string>, now: Date): string | undefined {
  if (!header?.startsWith("SharedAccessSignature ")) return "MissingToken: the request has no SharedAccessSignature";
  const fields = new Map<string, string>();
  for (const pair of header.slice("SharedAccessSignature ".length).split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  const skn = fields.get("skn");
  if (!sr || !sig || !se || !skn) return "InvalidSignature: sr, sig, se and skn are required";
  const key = keys[decodeURIComponent(skn)];
  if (key === undefined) return `InvalidSignature: unknown key name ${decodeURIComponent(skn)}`;
  if (!/^\d+$/.test(se) || Number(se) * 1000 <= now.getTime()) return "ExpiredToken: the token has expired";
  const resource = decodeURIComponent(sr);
  if (!requestUrl.toLowerCase().startsWith(resource.toLowerCase())) return `InvalidAudience: the token is for ${resource}, not ${requestUrl}`;
  const expected = createHmac("sha256", key).update(`${sr}\n${se}`, "utf8").digest();
  const given = Buffer.from(decodeURIComponent(sig), "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "InvalidSignature: the signature does not match";
  return undefined;
}

function error(code: number, detail: string): string {
  return `<Error><Code>${code}</Code><Detail>${detail.replace(/[<&]/g, (c) => (c === "<" ? "&lt;" : "&amp;"))}</Detail></Error>`;
}

function send(res: ServerResponse, status: number, body: string): void {
  if (body) res.setHeader("Content-Type", "application/xml; charset=utf-8");
  res.writeHead(status).end(body);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | "too-large"> {
  // Read to the end either way: leaving the loop early would destroy the request and with it the answer.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size <= max) chunks.push(c as Buffer);
  }
  return size > max ? "too-large" : Buffer.concat(chunks);
}
