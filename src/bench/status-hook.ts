import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The sending archive system's webhook endpoint in a channel run: corner 2 POSTs each new status its
 * subscription wants (the integrasjonspunkt's MessageStatusContent) and the bench notes when each message's
 * status first arrived. A status pushed again for the same message counts as a repeat. Runs in the bench
 * process, on loopback.
 */

export type HookEvent = { kind: "status"; messageId: string; status: string; description?: string } | { kind: "ping" };

/** What a webhook body says; undefined for one the bench cannot read. Pure. */
export function readHookEvent(text: string): HookEvent | undefined {
  try {
    const b = JSON.parse(text) as { event?: unknown; messageId?: unknown; status?: unknown; description?: unknown };
    if (b?.event === "ping") return { kind: "ping" };
    if (b?.event !== "status" || typeof b.messageId !== "string" || typeof b.status !== "string") return undefined;
    return { kind: "status", messageId: b.messageId, status: b.status, ...(typeof b.description === "string" ? { description: b.description } : {}) };
  } catch {
    return undefined;
  }
}

/** Per message, each status and when (now()) it first arrived; repeats counted. Pure apart from the clock it is given. */
export class StatusBook {
  /** messageId → status → first arrival. */
  readonly seen = new Map<string, Map<string, number>>();
  /** messageId → the description of its first failure status, for the report. */
  readonly descriptions = new Map<string, string>();
  /** The same status pushed again for the same message. */
  repeats = 0;
  /** Bodies that were neither a status nor a ping. */
  unreadable = 0;
  /** Incremented on every new status: the run watches it for progress. */
  changes = 0;

  record(e: HookEvent | undefined, at: number): void {
    if (!e) {
      this.unreadable++;
      return;
    }
    if (e.kind === "ping") return;
    let statuses = this.seen.get(e.messageId);
    if (!statuses) this.seen.set(e.messageId, (statuses = new Map()));
    if (statuses.has(e.status)) {
      this.repeats++;
      return;
    }
    statuses.set(e.status, at);
    if (e.description !== undefined && !this.descriptions.has(e.messageId)) this.descriptions.set(e.messageId, `${e.status}: ${e.description}`);
    this.changes++;
  }
}

export interface StatusHook {
  /** The push endpoint to subscribe with. */
  readonly url: string;
  readonly book: StatusBook;
  close(): Promise<void>;
}

export async function startStatusHook(now: () => number = () => performance.now()): Promise<StatusHook> {
  const book = new StatusBook();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      book.record(readHookEvent(Buffer.concat(chunks).toString("utf8")), now());
      res.writeHead(200).end();
    });
    req.on("error", () => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bench/statuses`,
    book,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
