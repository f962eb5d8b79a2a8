import { request } from "undici";
import { Buffer } from "node:buffer";
import { eachAtMost } from "../each-at-most.js";

/**
 * Corner 1's side of delivery: poll corner 2's GET /messages/in for receipts in pages, note when each
 * conversation's leveringskvittering (LEVERT) or feil arrived, and confirm every receipt read so the next
 * poll sees only new ones, the way a business system's integration does.
 */

export interface ReceiptSummary {
  /** The receipt's own message id (documentIdentification.instanceIdentifier). */
  messageId: string;
  /** documentIdentification.type, e.g. leveringskvittering, feil */
  type: string;
  conversationId: string;
  /** A feil's detaljer. */
  detail?: string;
}

/** What a receipt's forretningsmelding says, read without verifying it (the bench only counts). Pure. */
export function receiptSummary(jws: string): ReceiptSummary | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")) as any;
    const sbd = payload?.standardBusinessDocument;
    const header = sbd?.standardBusinessDocumentHeader;
    const messageId = header?.documentIdentification?.instanceIdentifier;
    const type = header?.documentIdentification?.type;
    const scope = (header?.businessScope?.scope as any[] | undefined)?.find((s) => s?.type === "ConversationId");
    const conversationId = scope?.instanceIdentifier;
    if (typeof messageId !== "string" || typeof type !== "string" || typeof conversationId !== "string") return undefined;
    const detail = sbd?.[type]?.detaljer;
    return { messageId, type, conversationId, ...(typeof detail === "string" ? { detail } : {}) };
  } catch {
    return undefined;
  }
}

export interface ReceiptWatcherOptions {
  /** Corner 2's REST API. */
  baseUrl: string;
  /** The avsender's bearer token. */
  token: string;
  now?: () => number;
  pageSize?: number;
  /** Read confirmations in flight at once. */
  readConcurrency?: number;
  /** Pause between polls that found nothing. */
  idleMs?: number;
}

export class ReceiptWatcher {
  /** conversationId → time (now()) its leveringskvittering was seen. */
  readonly levertAt = new Map<string, number>();
  /** conversationId → why it failed (a feil receipt). */
  readonly failed = new Map<string, string>();
  /** Conversations for which a second leveringskvittering (another message id) came. */
  readonly levertTwice = new Set<string>();
  /** Receipts listed again after they were confirmed read (the same message id). */
  listedAgain = 0;
  private readonly levertReceipt = new Map<string, string>();
  /** Receipts of other types, by type. */
  readonly otherReceipts = new Map<string, number>();
  /** Poll errors (corner 2 unreachable or answering oddly); the watcher keeps polling. */
  errors = 0;
  lastError: string | undefined;

  private readonly now: () => number;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: ReceiptWatcherOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /** Conversations that have a final answer (LEVERT or feil). */
  settled(): number {
    return this.levertAt.size + this.failed.size;
  }

  /** One poll: every unread receipt in up to `maxPages` pages, each confirmed read. Returns how many were handled. */
  async pollOnce(maxPages = 20): Promise<number> {
    let handled = 0;
    const pageSize = this.o.pageSize ?? 1000;
    for (let page = 0; page < maxPages && !this.stopped; page++) {
      const res = await request(`${this.o.baseUrl}/messages/in?page_size=${pageSize}`, {
        headers: { authorization: `Bearer ${this.o.token}` },
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.body.text();
      if (res.statusCode === 204) return handled;
      if (res.statusCode !== 200) throw new Error(`GET /messages/in answered ${res.statusCode}: ${text.slice(0, 300)}`);
      const items = JSON.parse(text) as { forretningsmelding: string }[];
      const seenAt = this.now();
      const ids: string[] = [];
      for (const item of items) {
        const s = receiptSummary(item.forretningsmelding);
        if (!s) {
          // Unreadable, so it cannot be confirmed either; it would come back on every page.
          throw new Error(`GET /messages/in returned an entry the bench cannot read: ${item.forretningsmelding.slice(0, 80)}`);
        }
        ids.push(s.messageId);
        if (s.type === "leveringskvittering") {
          const first = this.levertReceipt.get(s.conversationId);
          if (first === undefined) {
            this.levertReceipt.set(s.conversationId, s.messageId);
            this.levertAt.set(s.conversationId, seenAt);
          } else if (first === s.messageId) this.listedAgain++;
          else this.levertTwice.add(s.conversationId);
        } else if (s.type === "feil") {
          this.failed.set(s.conversationId, s.detail ?? "feil");
        } else {
          this.otherReceipts.set(s.type, (this.otherReceipts.get(s.type) ?? 0) + 1);
        }
      }
      await this.markRead(ids);
      handled += items.length;
      if (items.length < pageSize) return handled;
    }
    return handled;
  }

  private async markRead(ids: string[]): Promise<void> {
    await eachAtMost(ids, this.o.readConcurrency ?? 8, async (id) => {
      const res = await request(`${this.o.baseUrl}/messages/in/${id}/read`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.o.token}` },
        signal: AbortSignal.timeout(30_000),
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`POST /messages/in/${id}/read answered ${res.statusCode}`);
    });
  }

  /** Polls until stop() or `deadline` (a now() value). */
  start(deadline: number): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped && this.now() < deadline) {
        let handled = 0;
        try {
          handled = await this.pollOnce();
        } catch (err) {
          this.errors++;
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        if (handled === 0 && !this.stopped) await new Promise((r) => setTimeout(r, this.o.idleMs ?? 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.loop = undefined;
  }
}
