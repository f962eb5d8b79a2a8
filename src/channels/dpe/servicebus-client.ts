import { request, type Dispatcher } from "undici";
import { systemClock, type Clock } from "../../clock.js";
import { DomainError } from "../../errors.js";
import { sasAuthorization, type SasKey } from "./sas.js";

/**
 * The Service Bus REST API as the integrasjonspunkt's ServiceBusRestClient uses it: send to a queue, peek-lock the
 * head of our own queue, complete (delete) a locked message, and give one back (unlock). Each request carries a
 * SharedAccessSignature for its own URL.
 */

/** The namespace answered with an error or could not be reached; `transient` says whether trying again may help. */
export class ServiceBusError extends DomainError {
  readonly code = "servicebus-failure";
  readonly kind;
  constructor(
    readonly status: number,
    detail: string,
    readonly transient: boolean,
  ) {
    super(detail);
    this.kind = transient ? ("unavailable" as const) : ("upstream" as const);
  }
}

export interface LockedMessage {
  messageId: string;
  lockToken: string;
  sequenceNumber: number;
  deliveryCount: number;
  body: Buffer;
}

export interface ServiceBusClientOptions {
  /** The namespace URL with its scheme, e.g. https://efm-dpe-prod.servicebus.windows.net. */
  baseUrl: string;
  /** The SAS key (from the Service Registry's /sastoken, or configured) and its name. */
  key: () => Promise<SasKey>;
  timeoutMs?: number;
  clock?: Clock;
  dispatcher?: Dispatcher;
}

export class ServiceBusClient {
  private readonly base: string;
  private readonly clock: Clock;

  constructor(private readonly o: ServiceBusClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, "");
    this.clock = o.clock ?? systemClock;
  }

  /** The queue's URL in this namespace (where a send to it goes). */
  queueUrl(queue: string): string {
    return `${this.base}/${encodeURIComponent(queue)}`;
  }

  async send(queue: string, body: Buffer | string, messageId?: string): Promise<void> {
    const url = `${this.base}/${encodeURIComponent(queue)}/messages`;
    const r = await this.call("POST", url, { BrokerProperties: JSON.stringify(messageId ? { MessageId: messageId } : {}), "Content-Type": "application/json" }, body);
    if (r.status !== 201 && r.status !== 200) throw failure(r.status, `sending to ${queue}`, r.text);
  }

  /** Locks the oldest message of `queue`, or undefined when there is none (waiting up to `waitSeconds`). */
  async peekLock(queue: string, waitSeconds = 0): Promise<LockedMessage | undefined> {
    const url = `${this.base}/${encodeURIComponent(queue)}/messages/head`;
    const r = await this.call("POST", waitSeconds > 0 ? `${url}?timeout=${waitSeconds}` : url, {}, undefined, url);
    if (r.status === 204) return undefined;
    if (r.status !== 201 && r.status !== 200) throw failure(r.status, `receiving from ${queue}`, r.text);
    const props = JSON.parse(r.brokerProperties ?? "{}") as { MessageId?: string; LockToken?: string; SequenceNumber?: number; DeliveryCount?: number };
    if (!props.MessageId || !props.LockToken) throw new ServiceBusError(r.status, `receiving from ${queue}: the answer has no MessageId and LockToken`, false);
    return { messageId: props.MessageId, lockToken: props.LockToken, sequenceNumber: props.SequenceNumber ?? 0, deliveryCount: props.DeliveryCount ?? 1, body: r.body };
  }

  /** Completes a locked message. False when the lock was lost (it expired and the message went back to the queue). */
  async complete(queue: string, m: Pick<LockedMessage, "messageId" | "lockToken">): Promise<boolean> {
    const url = `${this.base}/${encodeURIComponent(queue)}/messages/${encodeURIComponent(m.messageId)}/${encodeURIComponent(m.lockToken)}`;
    const r = await this.call("DELETE", url, {});
    if (r.status === 404 || r.status === 410) return false;
    if (r.status !== 200) throw failure(r.status, `completing ${m.messageId} on ${queue}`, r.text);
    return true;
  }

  /** Gives a locked message back to the queue at once. */
  async abandon(queue: string, m: Pick<LockedMessage, "messageId" | "lockToken">): Promise<void> {
    const url = `${this.base}/${encodeURIComponent(queue)}/messages/${encodeURIComponent(m.messageId)}/${encodeURIComponent(m.lockToken)}`;
    const r = await this.call("PUT", url, {});
    if (r.status !== 200 && r.status !== 404 && r.status !== 410) throw failure(r.status, `unlocking ${m.messageId} on ${queue}`, r.text);
  }

  private async call(method: "POST" | "DELETE" | "PUT", url: string, headers: Record<string, string>, body?: Buffer | string, signedUrl = url) {
    const authorization = sasAuthorization(signedUrl, await this.o.key(), this.clock());
    try {
      const r = await request(url, {
        method,
        headers: { ...headers, Authorization: authorization },
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.o.timeoutMs ?? 30_000,
        bodyTimeout: this.o.timeoutMs ?? 30_000,
        ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
      });
      const bytes = Buffer.from(await r.body.arrayBuffer());
      const bp = r.headers["brokerproperties"];
      return { status: r.statusCode, body: bytes, text: bytes.toString("utf8").slice(0, 500), brokerProperties: Array.isArray(bp) ? bp[0] : bp };
    } catch (err) {
      throw new ServiceBusError(0, `${method} ${url} failed: ${(err as Error).message}`, true);
    }
  }
}

function failure(status: number, what: string, text: string): ServiceBusError {
  // 401/403/404/413 will not change by trying again; 5xx and throttling (429) may.
  const transient = status >= 500 || status === 429 || status === 408;
  return new ServiceBusError(status, `${what}: HTTP ${status}${text ? ` ${text}` : ""}`, transient);
}
