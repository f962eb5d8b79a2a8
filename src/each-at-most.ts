/**
 * Runs `work` on every item, at most `limit` at a time, starting them in the items' order: each of `limit`
 * workers takes the next item when it is done with its last. Rejects with the first failure; the other workers
 * go on through the rest of the items all the same.
 */
export async function eachAtMost<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
