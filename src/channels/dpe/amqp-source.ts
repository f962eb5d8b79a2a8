import rhea, { type Connection, type Delivery, type EventContext, type Receiver } from "rhea";
import type { InboundSource } from "../../core/channel.js";
import { decodeDpePayload, DpePayloadError } from "./payload.js";
import { queueName, type QueueMode } from "./queues.js";
import { storeDpeMessage, type DpeStoreDeps } from "./receive.js";

/**
 * DPE's AMQP 1.0 receive path, the integrasjonspunkt's batch read (ServiceBusAmqpClient, `batchRead=true`): one
 * connection, a receiver per organisation's queue in peek-lock (unsettled deliveries, no auto-accept), a credit
 * window of `batch` messages. Each message is stored (storeDpeMessage) and only then accepted (completed); one that
 * cannot be read, or whose package is refused (its sender told FEIL), is rejected, which dead-letters it; one the
 * store could not take is released, so it comes again.
 * Messages are handled one at a time per queue, in arrival order. Authentication is SASL PLAIN (user and password
 * in the URL), as RabbitMQ's AMQP 1.0 plugin and a local broker take it; Azure Service Bus's claims-based
 * security ($cbs put-token with a SAS token) is not implemented, so against Azure the REST path is used.
 */

export interface DpeAmqpOptions extends DpeStoreDeps {
  /** amqp://user:password@host:port or amqps://… */
  url: string;
  /** Prefix of a queue's link address: "" for Azure Service Bus, "/amq/queue/" for RabbitMQ's plugin. */
  addressPrefix: string;
  /**
   * Ask for receiver settle mode "second", as Azure Service Bus clients do for peek-lock. RabbitMQ refuses it;
   * there deliveries stay unacknowledged until settled all the same.
   */
  settleSecond: boolean;
  orgs: readonly string[];
  /** Each organisation's queue mode: which of its queues is ours to read. */
  modeOf(orgno: string): QueueMode;
  /** Messages in flight per queue (the integrasjonspunkt's readMaxMessages). */
  batch?: number | undefined;
  /** Wait before connecting again after the connection was lost. */
  reconnectMs?: number | undefined;
}

export class DpeAmqpSource implements InboundSource {
  readonly channel = "DPE" as const;
  readonly kind = "poll" as const;
  private connection: Connection | undefined;
  private stopped = true;
  private readonly chains = new Map<Receiver, Promise<void>>();

  constructor(private readonly o: DpeAmqpOptions) {}

  /** Resolves once the receivers are open (or throws when the broker refuses the connection). */
  async start(): Promise<void> {
    this.stopped = false;
    const u = new URL(this.o.url);
    const container = rhea.create_container();
    const common = {
      host: u.hostname,
      ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
      reconnect: this.o.reconnectMs ?? 5_000,
      container_id: `dpi-ap-dpe-${process.pid}`,
    };
    const connection =
      u.protocol === "amqps:"
        ? container.connect({ ...common, port: Number(u.port || 5671), transport: "tls" })
        : container.connect({ ...common, port: Number(u.port || 5672), transport: "tcp" });
    this.connection = connection;
    await new Promise<void>((resolve, reject) => {
      connection.once("connection_open", () => resolve());
      connection.once("connection_error", (ctx: EventContext) => reject(new Error(`AMQP connection refused: ${ctx.connection.error?.toString() ?? "unknown"}`)));
      connection.once("disconnected", (ctx: EventContext) => {
        if (!connection.is_open()) reject(new Error(`AMQP connection failed: ${(ctx as { error?: Error }).error?.message ?? "disconnected"}`));
      });
    });
    connection.on("disconnected", (ctx: EventContext) => {
      if (!this.stopped) this.o.log.warn({ err: (ctx as { error?: Error }).error?.message }, "DPE AMQP connection lost; reconnecting");
    });
    for (const org of this.o.orgs) this.open(connection, queueName(org, this.o.modeOf(org)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.chains.values());
    const c = this.connection;
    this.connection = undefined;
    if (c?.is_open()) {
      await new Promise<void>((resolve) => {
        c.once("connection_close", () => resolve());
        c.once("disconnected", () => resolve());
        c.close();
      });
    }
  }

  private open(connection: Connection, queue: string): void {
    const receiver = connection.open_receiver({
      source: { address: `${this.o.addressPrefix}${queue}` },
      autoaccept: false,
      // Peek-lock: the broker keeps each delivery until we settle it.

      ...(this.o.settleSecond ? { rcv_settle_mode: 1 as const } : {}),
      credit_window: this.o.batch ?? 50,
    });
    this.chains.set(receiver, Promise.resolve());
    receiver.on("message", (ctx: EventContext) => {
      const delivery = ctx.delivery!;
      const body = bodyOf(ctx.message?.body);
      // rhea writes the settlements made in one tick as ranges, and a range of two takes the first one's outcome
      // (write_dispositions compares outcomes only from the third delivery on): an accept followed at once by a
      // reject would accept both. Each settlement gets a tick of its own before the next is made.
      const next = this.chains
        .get(receiver)!
        .then(() => this.handle(queue, delivery, body))
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)));
      this.chains.set(receiver, next);
    });
    receiver.on("receiver_error", (ctx: EventContext) => this.o.log.error({ queue, err: ctx.receiver?.error?.toString() }, "DPE AMQP receiver failed"));
  }

  private async handle(queue: string, delivery: Delivery, body: Buffer | undefined): Promise<void> {
    if (this.stopped) {
      delivery.release();
      return;
    }
    let payload;
    try {
      if (!body) throw new DpePayloadError("no body");
      payload = decodeDpePayload(body);
    } catch (err) {
      if (!(err instanceof DpePayloadError)) throw err;
      this.o.log.error({ queue, reason: err.message }, "DPE message cannot be read: dead-lettered");
      delivery.reject({ condition: "amqp:decode-error", description: err.message });
      return;
    }
    let outcome;
    try {
      outcome = await storeDpeMessage(this.o, payload);
    } catch (err) {
      this.o.log.error({ queue, err }, "DPE message could not be stored: released to come again");
      delivery.release();
      return;
    }
    // A refused package was answered with FEIL; the message itself goes to the dead-letter queue.
    if (outcome === "refused") delivery.reject({ condition: "amqp:not-allowed", description: "package refused on arrival" });
    else delivery.accept();
  }
}

/** A message body as bytes: an AMQP data section (how the REST API's bodies arrive), a binary or a string value. */
function bodyOf(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  const content = (body as { content?: unknown } | undefined)?.content;
  if (Buffer.isBuffer(content)) return content;
  if (typeof content === "string") return Buffer.from(content, "utf8");
  return undefined;
}
