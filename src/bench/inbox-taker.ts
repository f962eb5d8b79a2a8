import { request } from "undici";
import { NextMoveClient } from "../client/nextmove-client.js";

/**
 * The receiving archive system of a DPO or DPE run, at corner 3: workers that each peek the oldest message
 * (which locks it for them), pop its package (decrypted and verified by corner 3) and delete it, which is
 * INNKOMMENDE_LEVERT there and the LEVERT status message back to the sender. A message offered again after it
 * was deleted counts as taken twice.
 */

export interface InboxTakerOptions {
  baseUrl: string;
  credentials: { user: string; password: string };
  /** Peek–pop–delete loops at once. */
  workers?: number;
  /** Pause of a worker whose peek found nothing. */
  idleMs?: number;
  now?: () => number;
}

export class InboxTaker {
  /** messageId → when its peek returned it. */
  readonly takenAt = new Map<string, number>();
  /** Messages offered again after they were deleted. */
  takenTwice = 0;
  /** Bytes of the packages popped. */
  packageBytes = 0;
  errors = 0;
  lastError: string | undefined;

  private readonly client: NextMoveClient;
  private readonly auth: string;
  private readonly now: () => number;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly o: InboxTakerOptions) {
    this.client = new NextMoveClient(o.baseUrl, o.credentials);
    this.auth = `Basic ${Buffer.from(`${o.credentials.user}:${o.credentials.password}`).toString("base64")}`;
    this.now = o.now ?? (() => performance.now());
  }

  /** Peeks, pops and deletes one message; false when the inbox had none. */
  async takeOne(): Promise<boolean> {
    const peeked = await this.client.get("/api/messages/in/peek");
    if (peeked.status === 204) return false;
    if (peeked.status !== 200) throw new Error(`peek answered ${peeked.status}: ${JSON.stringify(peeked.body).slice(0, 300)}`);
    const at = this.now();
    const id = (peeked.body as { standardBusinessDocumentHeader?: { documentIdentification?: { instanceIdentifier?: string } } }).standardBusinessDocumentHeader?.documentIdentification?.instanceIdentifier;
    if (typeof id !== "string") throw new Error("peek answered an SBD without a message id");
    if (this.takenAt.has(id)) this.takenTwice++;
    else this.takenAt.set(id, at);
    // The package as bytes (the client would read it as text).
    const popped = await request(`${this.o.baseUrl}/api/messages/in/pop/${encodeURIComponent(id)}`, { headers: { authorization: this.auth }, signal: AbortSignal.timeout(60_000) });
    const bytes = new Uint8Array(await popped.body.arrayBuffer());
    if (popped.statusCode !== 200) throw new Error(`pop of ${id} answered ${popped.statusCode}: ${Buffer.from(bytes).toString("utf8").slice(0, 300)}`);
    this.packageBytes += bytes.byteLength;
    const deleted = await this.client.delete(`/api/messages/in/${encodeURIComponent(id)}`);
    if (deleted.status !== 200) throw new Error(`delete of ${id} answered ${deleted.status}`);
    return true;
  }

  /** Runs the workers until stop() or `deadline` (a now() value). */
  start(deadline: number): void {
    if (this.loops.length) return;
    this.stopped = false;
    const worker = async () => {
      while (!this.stopped && this.now() < deadline) {
        let took = false;
        try {
          took = await this.takeOne();
        } catch (err) {
          this.errors++;
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        if (!took && !this.stopped) await new Promise((r) => setTimeout(r, this.o.idleMs ?? 100));
      }
    };
    this.loops = Array.from({ length: this.o.workers ?? 4 }, worker);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.loops = [];
  }
}
