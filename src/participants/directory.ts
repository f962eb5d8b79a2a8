/**
 * Who is served here, as the AS4 inbound and the intake ask it on every message: a snapshot of the store's
 * registered participants kept in memory. Onboarding in this process refreshes it at once; other processes
 * (a CLI, another instance on the same PostgreSQL store) are seen at the next refresh, every `refreshMs`.
 */
import { ParticipantSet, type ParticipantLike } from "../peppol/identifiers.js";
import type { ParticipantsRepo, ServedParticipantRow } from "../store/participants-repo.js";
import type { Logger } from "../log.js";

/** The one question readers ask: is this participant a member? */
export interface ParticipantLookup {
  has(p: ParticipantLike): boolean;
}

export class ServedDirectory {
  #served = new ParticipantSet([]);
  #letterRecipients = new ParticipantSet([]);
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: ParticipantsRepo,
    private readonly log?: Logger,
  ) {}

  /** Participants with at least one registered role: messages to them (and letters from them) are ours. */
  readonly servedParticipants: ParticipantLookup = { has: (p) => this.#served.has(p) };
  /** Participants registered as postbox or print provider: they take letters. */
  readonly letterRecipients: ParticipantLookup = { has: (p) => this.#letterRecipients.has(p) };

  async refresh(): Promise<void> {
    this.apply(await this.repo.list());
  }

  apply(rows: readonly ServedParticipantRow[]): void {
    const registered = rows.filter((r) => r.state === "registered");
    this.#served = new ParticipantSet(registered.map((r) => r.participant));
    this.#letterRecipients = new ParticipantSet(registered.filter((r) => r.role !== "sender").map((r) => r.participant));
  }

  /** Refreshes every `refreshMs` (and runs `alsoEach`, e.g. retrying pending registrations) until stop(). */
  start(refreshMs: number, alsoEach?: () => Promise<void>): void {
    if (this.#timer) return;
    const tick = async () => {
      try {
        await alsoEach?.();
        await this.refresh();
      } catch (e) {
        this.log?.warn({ err: e }, "served participants: refresh from the store failed; keeping the last snapshot");
      }
      if (this.#timer) this.#timer = setTimeout(tick, refreshMs).unref();
    };
    this.#timer = setTimeout(tick, refreshMs).unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
