import { expect } from "chai";
import { Cleanup } from "../../src/bench/cleanup.js";

describe("bench: cleanup", () => {
  it("runs steps last-added first, all of them even when one fails, and only once", async () => {
    const order: string[] = [];
    const c = new Cleanup();
    c.add("remove temp folder", () => void order.push("temp"));
    c.add("stop corner 2", async () => {
      order.push("c2");
      throw new Error("already gone");
    });
    c.add("stop postbox", () => void order.push("postbox"));
    const failures = await c.run();
    expect(order).to.deep.equal(["postbox", "c2", "temp"]);
    expect(failures).to.deep.equal(["stop corner 2: already gone"]);
    expect(await c.run()).to.deep.equal(failures);
    expect(order).to.have.length(3);
  });

  it("gives up on a step that hangs and goes on with the rest", async () => {
    const order: string[] = [];
    const c = new Cleanup();
    c.add("after", () => void order.push("after"));
    c.add("hangs", () => new Promise<void>(() => {}));
    const failures = await c.run(20);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.match(/^hangs: did not finish/);
    expect(order).to.deep.equal(["after"]);
  });
});
