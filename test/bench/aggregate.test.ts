import { expect } from "chai";
import { aggregateCorners } from "../../src/bench/aggregate.js";
import { instanceNames } from "../../src/bench/network.js";
import type { ProcessFigures } from "../../src/bench/report.js";

const MIB = 1024 * 1024;

describe("bench: figures of a corner with several instances", () => {
  it("names a lone process after its corner, and several by number", () => {
    expect(instanceNames("corner 2", 1)).to.deep.equal(["corner 2"]);
    expect(instanceNames("corner 3", 3)).to.deep.equal(["corner 3 #1", "corner 3 #2", "corner 3 #3"]);
  });

  it("sums CPU, takes the largest and the summed peak RSS, and puts the corner before its instances", () => {
    const list: ProcessFigures[] = [
      { name: "corner 2 #1", role: "r", pid: 11, instanceOf: "corner 2", cpuSeconds: 30, peakRssBytes: 300 * MIB },
      { name: "corner 2 #2", role: "r", pid: 12, instanceOf: "corner 2", cpuSeconds: 20, peakRssBytes: 350 * MIB },
      { name: "corner 3 #1", role: "r", pid: 21, instanceOf: "corner 3", cpuSeconds: 10 },
      { name: "corner 3 #2", role: "r", pid: 22, instanceOf: "corner 3", peakRssBytes: 200 * MIB },
      { name: "postbox", role: "p", pid: 30, cpuSeconds: 5 },
    ];
    const out = aggregateCorners(list, 500, (c) => `role of ${c}`);
    expect(out.map((x) => x.name)).to.deep.equal(["corner 2", "corner 2 #1", "corner 2 #2", "corner 3", "corner 3 #1", "corner 3 #2", "postbox"]);
    expect(out[0]).to.deep.equal({ name: "corner 2", role: "role of corner 2", instances: 2, cpuSeconds: 50, cpuSecondsPerLetter: 0.1, peakRssBytes: 350 * MIB, peakRssTotalBytes: 650 * MIB });
    // One instance's CPU or RSS unknown: the corner's is unknown too, not a partial sum.
    expect(out[3]).to.deep.equal({ name: "corner 3", role: "role of corner 3", instances: 2 });
    expect(out[6]).to.equal(list[4]);
  });

  it("leaves single processes as they are, and gives no per-letter figure for no letters", () => {
    const single: ProcessFigures[] = [{ name: "corner 2", role: "r", pid: 1, cpuSeconds: 3 }];
    expect(aggregateCorners(single, 10, () => "x")).to.deep.equal(single);
    const two: ProcessFigures[] = [
      { name: "c #1", role: "r", instanceOf: "c", cpuSeconds: 1, peakRssBytes: 1 },
      { name: "c #2", role: "r", instanceOf: "c", cpuSeconds: 2, peakRssBytes: 2 },
    ];
    expect(aggregateCorners(two, 0, () => "x")[0]).to.deep.equal({ name: "c", role: "x", instances: 2, cpuSeconds: 3, peakRssBytes: 2, peakRssTotalBytes: 3 });
  });
});
