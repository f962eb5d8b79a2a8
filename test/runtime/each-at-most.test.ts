import { expect } from "chai";
import { eachAtMost } from "../../src/each-at-most.js";

describe("eachAtMost", () => {
  it("works on every item once, at most `limit` at a time, starting them in order", async () => {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    await eachAtMost([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, n % 2 === 0 ? 5 : 1));
      running--;
    });
    expect(started).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(most).to.equal(3);
  });

  it("starts no worker for no items, and rejects with a failure while the others finish the rest", async () => {
    let calls = 0;
    await eachAtMost([], 4, async () => void calls++);
    expect(calls).to.equal(0);
    const done: number[] = [];
    let err: unknown;
    try {
      await eachAtMost([1, 2, 3, 4], 2, async (n) => {
        if (n === 1) throw new Error("one failed");
        await new Promise((r) => setTimeout(r, 1));
        done.push(n);
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal("one failed");
    await new Promise((r) => setTimeout(r, 20));
    expect(done).to.deep.equal([2, 3, 4]);
  });
});
