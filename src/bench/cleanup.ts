/**
 * What the benchmark must undo however it ends (success, failure, Ctrl-C): stop child processes, close
 * simulators, remove the temp folder. Steps run last-added first, each bounded in time, at most once.
 */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private running: Promise<string[]> | undefined;

  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  /** Runs every step (even after one failed); resolves with the failures, described. */
  run(stepTimeoutMs = 20_000): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.run),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`did not finish within ${stepTimeoutMs / 1000} s`)), stepTimeoutMs);
            }),
          ]);
        } catch (err) {
          failures.push(`${step.name}: ${err instanceof Error ? err.message : String(err)}`);
        } finally {
          clearTimeout(timer);
        }
      }
      return failures;
    })();
    return this.running;
  }
}
