/**
 * A flush (fsync of a folder, say) that callers who need it at about the same time share. A flush covers
 * everything done before it began, so a caller that asks while one is under way waits for the next one, which
 * begins when that one ends and serves everyone who asked in between. Each caller still returns only after a
 * flush that began after it asked, and a burst of n callers costs two flushes instead of n.
 */
export class SharedFlush {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves after a flush that began after this call; rejects as that flush does. */
  sync(): Promise<void> {
    if (this.running === undefined) return this.start();
    this.queued ??= this.running.then(
      () => this.start(),
      () => this.start(),
    );
    return this.queued;
  }

  private start(): Promise<void> {
    this.queued = undefined;
    const run: Promise<void> = this.flush().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
