import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { expect } from "chai";
import { limitHeapGrowth } from "../../src/heap-growth.js";

/**
 * src/heap-growth.ts: the access point keeps V8's old generation within 1.5 times what survived the last full
 * collection (issue #17, peak RSS). Each case runs in a child process: the flag would otherwise stay set in the
 * test runner for every test after it.
 */

const MODULE = pathToFileURL(path.resolve(import.meta.dirname, "../../src/heap-growth.ts")).href;

/**
 * A program that keeps some 60 000 small objects alive and replaces them over and over, as a server under load
 * does; prints the most old space V8 held. With `limit` it calls limitHeapGrowth first.
 */
function churn(limit: boolean, nodeArgs: string[] = []): { set: boolean | null; maxOldMB: number } {
  const program = `
    import v8 from "node:v8";
    const { limitHeapGrowth } = await import(${JSON.stringify(MODULE)});
    const set = ${limit} ? limitHeapGrowth() : null;
    const live = new Array(60000);
    for (let i = 0; i < live.length; i++) live[i] = { s: "x".repeat(200) + i, n: i };
    const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_size;
    let maxOld = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 20000; i++) { const k = (i * 7919 + round * 31) % live.length; live[k] = { s: "y".repeat(200) + k + round, n: k }; }
      maxOld = Math.max(maxOld, old());
    }
    console.log(JSON.stringify({ set, maxOldMB: maxOld / 1048576 }));
  `;
  const r = spawnSync(process.execPath, [...nodeArgs, "--import", "tsx", "--input-type=module", "-e", program], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { set: boolean | null; maxOldMB: number };
}

describe("limitHeapGrowth", function () {
  this.timeout(60_000);

  it("leaves a growing factor chosen on the node command line or in NODE_OPTIONS alone", () => {
    expect(limitHeapGrowth(["--heap-growing-percent=30"], "")).to.equal(false);
    expect(limitHeapGrowth(["--heap_growing_percent", "30"], "")).to.equal(false);
    expect(limitHeapGrowth([], "--max-old-space-size=512 --heap-growing-percent=80")).to.equal(false);
  });

  it("otherwise sets it, and the old generation then grows to about half of what V8 would let it", () => {
    const unlimited = churn(false);
    const limited = churn(true);
    expect(limited.set).to.equal(true);
    expect(limited.maxOldMB).to.be.lessThan(unlimited.maxOldMB * 0.75);
  });

  it("an operator's own factor wins: --heap-growing-percent=300 on the command line is not replaced", () => {
    const chosen = churn(true, ["--heap-growing-percent=300"]);
    const limited = churn(true);
    expect(chosen.set).to.equal(false);
    expect(limited.maxOldMB).to.be.lessThan(chosen.maxOldMB * 0.75);
  });
});
