import { expect } from "chai";
import { SharedFlush } from "../../src/store/shared-flush.js";

/** A flush that ends when the test says so, recording when each began. */
function controlledFlush() {
  const pending: { end: () => void; fail: (err: Error) => void }[] = [];
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ end: resolve, fail: reject });
    });
  return { flush, pending };
}

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise((r) => setImmediate(r));

describe("store/shared-flush", () => {
  it("callers who ask while a flush runs share the next one, which begins only after the running one ended", async () => {
    const { flush, pending } = controlledFlush();
    const shared = new SharedFlush(flush);
    const done: string[] = [];
    const a = shared.sync().then(() => done.push("a"));
    const b = shared.sync().then(() => done.push("b"));
    const c = shared.sync().then(() => done.push("c"));
    await settle();
    expect(pending).to.have.length(1);

    pending[0]!.end();
    await settle();
    // a's flush began before b and c asked: it does not count for them.
    expect(done).to.deep.equal(["a"]);
    expect(pending).to.have.length(2);

    const d = shared.sync().then(() => done.push("d"));
    pending[1]!.end();
    await settle();
    expect(done).to.deep.equal(["a", "b", "c"]);
    expect(pending).to.have.length(3);

    pending[2]!.end();
    await Promise.all([a, b, c, d]);
    expect(done).to.deep.equal(["a", "b", "c", "d"]);
    expect(pending).to.have.length(3);
  });

  it("a caller after a quiet spell gets a flush of its own at once", async () => {
    const { flush, pending } = controlledFlush();
    const shared = new SharedFlush(flush);
    const first = shared.sync();
    pending[0]!.end();
    await first;
    const second = shared.sync();
    expect(pending).to.have.length(2);
    pending[1]!.end();
    await second;
    expect(pending).to.have.length(2);
  });

  it("a failed flush fails those who waited for it, and the next callers get a fresh one", async () => {
    const { flush, pending } = controlledFlush();
    const shared = new SharedFlush(flush);
    const a = shared.sync();
    const b = shared.sync();
    pending[0]!.fail(new Error("EIO"));
    expect(await a.then(() => "ok", (err: Error) => err.message)).to.equal("EIO");
    await settle();
    expect(pending).to.have.length(2);
    pending[1]!.end();
    expect(await b.then(() => "ok")).to.equal("ok");
  });
});
