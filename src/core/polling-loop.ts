/**
 * A worker's heartbeat: run a pass, and when it reports no more work, sleep until the poll interval passes or
 * someone nudges. A nudge during a pass is remembered, so work queued meanwhile is not left for the next poll.
 */
export class PollingLoop {
  private running = false;
  private nudged = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  /** `waitFirst`: sleep a poll interval before the first pass instead of running it at start. */
  constructor(private readonly o: { pollMs: number; pass: () => Promise<boolean>; onError: (err: unknown) => void; waitFirst?: boolean }) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Lets the current pass finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    if (this.o.waitFirst) await this.sleep();
    while (this.running) {
      this.nudged = false;
      let more = false;
      try {
        more = await this.o.pass();
      } catch (err) {
        this.o.onError(err);
      }
      if (!this.running) break;
      if (more || this.nudged) continue;
      await this.sleep();
    }
  }

  /** Until the poll interval passes, a nudge comes or stop is called. */
  private async sleep(): Promise<void> {
    if (!this.running || this.nudged) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.o.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
