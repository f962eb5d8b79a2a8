import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { ConversationsRepo, Direction } from "../store/conversations-repo.js";
import type { StatusPoller } from "./channel.js";
import type { ExclusivePass } from "./worker-lease.js";
import { PollingLoop } from "./polling-loop.js";
import type { Channel } from "./status/index.js";

/**
 * Status polling for the channels whose far side is asked rather than pushing receipts (DPF, DPV): pollable
 * conversations whose nextPollAt is due are polled through their channel's StatusPoller, what the far side
 * reports is registered by the core's status rules (a terminal status clears `pollable`), and the next poll is
 * set by pollIntervalMs. DPI has no poller, so for a DPI-only deployment this worker does nothing.
 */

export const MIN_POLL_INTERVAL_MS = 60_000;
export const MAX_POLL_INTERVAL_MS = 60 * 60_000;
export const POLL_AGE_SPAN_MS = 30 * 24 * 3_600_000;

/**
 * The integrasjonspunkt's LinearInterpolationPolling (ip/status/LinearInterpolationPolling.java, see
 * spec/eformidling.md §7.2): the interval grows linearly from 1 minute (`minMs`) for a new conversation to 60
 * minutes for one 30 days old, and stays there. Rounded to whole milliseconds.
 */
export function pollIntervalMs(ageMs: number, minMs: number = MIN_POLL_INTERVAL_MS): number {
  const share = Math.min(1, Math.max(0, ageMs / POLL_AGE_SPAN_MS));
  const min = Math.min(minMs, MAX_POLL_INTERVAL_MS);
  return Math.round(min + (MAX_POLL_INTERVAL_MS - min) * share);
}

export interface StatusPollingDeps {
  conversations: ConversationsRepo;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pollers: readonly StatusPoller<any>[];
  pollMs: number;
  batch: number;
  clock: Clock;
  log: Logger;
  /** The interval for a new conversation (DPI_AP_STATUS_POLL_MIN_INTERVAL_MS; default the integrasjonspunkt's 1 minute). */
  minIntervalMs?: number | undefined;
  /** Several instances on one database: one pass at a time across them (src/core/worker-lease.ts). */
  exclusive?: ExclusivePass | undefined;
}

/** The lease of a status-polling pass: renewed while the pass runs, run out this long after its instance died. */
const PASS_HOLD_MS = 30_000;

export class StatusPolling {
  private readonly loop: PollingLoop;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly byChannel: Map<Channel, StatusPoller<any>>;

  constructor(private readonly deps: StatusPollingDeps) {
    this.byChannel = new Map(deps.pollers.map((p) => [p.channel, p]));
    this.loop = new PollingLoop({ pollMs: deps.pollMs, pass: async () => (await this.exclusivePass()) >= deps.batch, onError: (err) => deps.log.error({ err }, "status polling pass failed") });
  }

  start(): void {
    if (this.byChannel.size > 0) this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** runOnce, on one instance at a time; 0 when another instance is polling. */
  private async exclusivePass(): Promise<number> {
    const { exclusive } = this.deps;
    if (!exclusive) return this.runOnce();
    return (await exclusive.run("status-polling", { holdMs: PASS_HOLD_MS, quietMs: 0 }, () => this.runOnce())) ?? 0;
  }

  /** Polls the due conversations once; returns how many. Nothing when no channel has a poller (DPI). */
  async runOnce(): Promise<number> {
    const { deps } = this;
    const due = await deps.conversations.dueForPolling(deps.clock(), [...this.byChannel.keys()], deps.batch);
    for (const c of due) {
      const direction = c.direction as Direction;
      const log = deps.log.child({ messageId: c.messageId, conversationId: c.conversationId, channel: c.channel });
      let ends = false;
      try {
        const updates = await this.byChannel.get(c.channel as Channel)!.poll(c);
        for (const u of updates) await deps.conversations.registerStatus(direction, c.messageId, u.status, u.at, { description: u.description, rawReceipt: u.raw });
        ends = updates.some((u) => u.endsPolling);
      } catch (err) {
        log.warn({ err }, "status poll failed; polled again at the next interval");
      }
      if (ends) {
        await deps.conversations.stopPolling(direction, c.messageId);
        log.info({}, "status polling stopped: the far side has nothing more to say");
        continue;
      }
      const now = deps.clock();
      await deps.conversations.schedulePoll(direction, c.messageId, new Date(now.getTime() + pollIntervalMs(now.getTime() - c.createdAt.getTime(), deps.minIntervalMs)));
    }
    return due.length;
  }
}
