import { expect } from "chai";
import { createRevocationCache } from "../../src/pki/revocation-cache.js";
import { AT, manualClock } from "./revocation-fixtures.js";

const MINUTE = 60_000;

describe("pki/revocation-cache", () => {
  it("keeps a value until its nextUpdate", async () => {
    const clock = manualClock();
    const cache = createRevocationCache({ clock: clock.now, maxAgeMs: 60 * MINUTE });
    let loads = 0;
    const load = async () => ({ value: ++loads, nextUpdate: new Date(AT.getTime() + 10 * MINUTE) });
    expect(await cache.get("k", load)).to.equal(1);
    clock.advance(9 * MINUTE);
    expect(await cache.get("k", load)).to.equal(1);
    clock.advance(2 * MINUTE);
    expect(await cache.get("k", load)).to.equal(2);
    expect(cache.stats()).to.include({ hits: 1, misses: 2 });
  });

  it("never keeps a value longer than maxAgeMs; one without nextUpdate lives maxAgeMs", async () => {
    const clock = manualClock();
    const cache = createRevocationCache({ clock: clock.now, maxAgeMs: 5 * MINUTE });
    let loads = 0;
    const farFuture = async () => ({ value: ++loads, nextUpdate: new Date(AT.getTime() + 24 * 60 * MINUTE) });
    await cache.get("a", farFuture);
    clock.advance(6 * MINUTE);
    await cache.get("a", farFuture);
    expect(loads).to.equal(2);

    const noNextUpdate = async () => ({ value: ++loads });
    await cache.get("b", noNextUpdate);
    await cache.get("b", noNextUpdate);
    expect(loads).to.equal(3);
    clock.advance(6 * MINUTE);
    await cache.get("b", noNextUpdate);
    expect(loads).to.equal(4);
  });

  it("does not store a value whose nextUpdate has already passed", async () => {
    const cache = createRevocationCache({ clock: manualClock().now });
    let loads = 0;
    const stale = async () => ({ value: ++loads, nextUpdate: new Date(AT.getTime() - 1) });
    await cache.get("k", stale);
    await cache.get("k", stale);
    expect(loads).to.equal(2);
    expect(cache.stats().size).to.equal(0);
  });

  it("shares one load among concurrent lookups of a key", async () => {
    const cache = createRevocationCache({ clock: manualClock().now });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const load = async () => {
      loads += 1;
      await gate;
      return { value: "v", nextUpdate: new Date(AT.getTime() + MINUTE) };
    };
    const all = Promise.all([cache.get("k", load), cache.get("k", load), cache.get("k", load)]);
    release();
    expect(await all).to.deep.equal(["v", "v", "v"]);
    expect(loads).to.equal(1);
    expect(cache.stats()).to.include({ misses: 1, shared: 2 });
  });

  it("does not cache failures, and every waiter sees the failure", async () => {
    const cache = createRevocationCache({ clock: manualClock().now });
    let loads = 0;
    const failing = async (): Promise<{ value: number }> => {
      loads += 1;
      throw new Error("responder down");
    };
    const results = await Promise.allSettled([cache.get("k", failing), cache.get("k", failing)]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    expect(loads).to.equal(1);
    expect(await cache.get("k", async () => ({ value: 7 }))).to.equal(7);
  });

  it("evicts the least recently used entry when full", async () => {
    const cache = createRevocationCache({ clock: manualClock().now, maxEntries: 2 });
    const value = (v: string) => async () => ({ value: v });
    await cache.get("a", value("a"));
    await cache.get("b", value("b"));
    await cache.get("a", value("a2")); // touch a: b is now the oldest
    await cache.get("c", value("c"));
    expect(cache.stats().size).to.equal(2);
    expect(await cache.get("a", value("a3"))).to.equal("a");
    expect(await cache.get("b", value("b2"))).to.equal("b2");
  });
});
