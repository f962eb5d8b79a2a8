import { expect } from "chai";
import { parseProcStatCpuSeconds, parseProcStatusBytes, sampleProcess } from "../../src/bench/proc-stats.js";

describe("bench: /proc readings", () => {
  it("adds utime and stime (fields 14 and 15, in 1/100 s)", () => {
    const stat = "4242 (node) S 1 4242 4242 0 -1 4194560 90210 0 12 0 1234 567 0 0 20 0 11 0 99 1234567 8910 18446744073709551615";
    expect(parseProcStatCpuSeconds(stat)).to.equal(18.01);
  });

  it("is not fooled by spaces and parentheses in the command name", () => {
    const stat = "77 (we (ird) name) R 1 77 77 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0 5 0 0";
    expect(parseProcStatCpuSeconds(stat)).to.equal(3);
  });

  it("refuses text that is not a stat line", () => {
    expect(() => parseProcStatCpuSeconds("garbage")).to.throw();
    expect(() => parseProcStatCpuSeconds("1 (x) S 1 2")).to.throw();
  });

  it("reads kB lines of /proc/<pid>/status as bytes", () => {
    const status = "Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  418000 kB\nVmRSS:\t  300000 kB\nThreads:\t11\n";
    expect(parseProcStatusBytes(status, "VmHWM")).to.equal(418000 * 1024);
    expect(parseProcStatusBytes(status, "VmRSS")).to.equal(300000 * 1024);
    expect(parseProcStatusBytes(status, "VmSwap")).to.equal(undefined);
    expect(parseProcStatusBytes(status, "Threads")).to.equal(undefined);
  });

  it("samples this process where /proc exists", function () {
    const s = sampleProcess("self");
    if (s === undefined) this.skip();
    expect(s!.cpuSeconds).to.be.greaterThan(0);
    expect(s!.peakRssBytes).to.be.greaterThan(0);
  });
});
