import { expect } from "chai";
import { formatBytes, formatCpu, formatMiB, formatMs, formatRate, formatReport, formatTable, type BenchReport, type PhaseReport } from "../../src/bench/report.js";

function phase(name: string, over: Partial<PhaseReport> = {}): PhaseReport {
  return {
    name,
    letters: 2000,
    documentBytes: 20_000,
    dokumentpakkeBytes: 24_800,
    concurrency: 16,
    posted: 2000,
    accepted: 2000,
    refused: 0,
    levert: 2000,
    failed: 0,
    unsettled: 0,
    intakeLatencyMs: { count: 2000, min: 40, mean: 90, p50: 85.25, p95: 140.5, p99: 1234, max: 2000 },
    postToLevertMs: { count: 2000, min: 900, mean: 5000, p50: 4000, p95: 9000, p99: 9500, max: 9900 },
    acceptedPerSecond: 57.51,
    levertPerSecond: 8.049,
    intakeSeconds: 34.8,
    deliverySeconds: 248.4,
    processes: [
      { name: "bench", role: "corner 1 and simulators", pid: 1, cpuSeconds: 14, cpuSecondsPerLetter: 0.007, peakRssBytes: 181 * 1024 * 1024 },
      { name: "corner 2", role: "sending access point", pid: 2, cpuSeconds: 150, cpuSecondsPerLetter: 0.0749, peakRssBytes: 408 * 1024 * 1024 },
      { name: "corner 3", role: "receiving access point", pid: 3, cpuSeconds: 142, cpuSecondsPerLetter: 0.0709 },
    ],
    delivered: 2000,
    duplicates: { offeredAgainToPostbox: 0, levertTwice: 0 },
    peakRssScope: "phase",
    problems: [],
    ...over,
  };
}

const REPORT: BenchReport = {
  tool: "dpi-ap bench",
  startedAt: "2026-11-23T17:54:45.126Z",
  durationSeconds: 300,
  setupSeconds: 3.8,
  prepareSeconds: 2.5,
  machine: { cpus: 2, cpuModel: "AMD EPYC", memoryBytes: 25_280_000_000, node: "20.20.2", platform: "linux 6.18" },
  options: { letters: 2000, documentBytes: 20_000, concurrency: 16, large: 3, largeDocumentBytes: 25_000_000, logLevel: "info", instances: 1, store: "sqlite" },
  phases: [phase("letters"), phase("large", { letters: 3, posted: 3, accepted: 3, levert: 2, unsettled: 1, concurrency: 3, stoppedBy: "time-limit", problems: ["refused x: HTTP 413 payload-too-large"] })],
  notes: ["one warm-up letter went end to end before timing"],
};

describe("bench: report formatting", () => {
  it("formats sizes, durations, rates and CPU seconds for people", () => {
    expect(formatBytes(512)).to.equal("512 B");
    expect(formatBytes(20_000)).to.equal("20.0 kB");
    expect(formatBytes(25_004_321)).to.equal("25.0 MB");
    expect(formatBytes(undefined)).to.equal("n/a");
    expect(formatMiB(408 * 1024 * 1024)).to.equal("408 MiB");
    expect(formatMs(3.456)).to.equal("3.46 ms");
    expect(formatMs(85.25)).to.equal("85.3 ms");
    expect(formatMs(1234)).to.equal("1.23 s");
    expect(formatRate(8.049)).to.equal("8.05/s");
    expect(formatRate(57.51)).to.equal("57.5/s");
    expect(formatCpu(0.074912)).to.equal("0.0749 s");
    expect(formatCpu(2.4567)).to.equal("2.46 s");
    expect(formatCpu(undefined)).to.equal("n/a");
  });

  it("aligns a table: labels left, values right, a rule under the header", () => {
    const t = formatTable(["", "a", "bb"], [["long label", "1", "22"], ["x", "333", "4"]]).split("\n");
    expect(t).to.deep.equal([
      "               a   bb",
      "----------   ---   --",
      "long label     1   22",
      "x            333    4",
    ]);
  });

  it("shows one column per phase with the figures the README records", () => {
    const text = formatReport(REPORT);
    const row = (label: string) => text.split("\n").find((l) => l.startsWith(label));
    expect(text).to.include("machine: 2 × AMD EPYC");
    expect(row("intake latency p50")).to.match(/85\.3 ms\s+85\.3 ms$/);
    expect(row("intake latency p99")).to.match(/1\.23 s/);
    expect(row("LEVERT per second")).to.match(/8\.05\/s/);
    expect(row("accepted per second")).to.match(/57\.5\/s/);
    expect(row("CPU per letter, corner 2")).to.match(/0\.0749 s/);
    expect(row("peak RSS, corner 3")).to.match(/n\/a/);
    expect(row("feil / refused / unsettled")).to.match(/0 \/ 0 \/ 1$/);
    expect(text).to.include("large (time-limit)");
    expect(text).to.include("large: refused x: HTTP 413 payload-too-large");
    expect(text).to.include("note: one warm-up letter");
  });

  it("lists the access points before the postbox and the bench, whatever order they were measured in", () => {
    const labels = formatReport(REPORT)
      .split("\n")
      .filter((l) => l.startsWith("CPU per letter"))
      .map((l) => l.split(/\s{2,}/)[0]);
    expect(labels).to.deep.equal(["CPU per letter, corner 2", "CPU per letter, corner 3", "CPU per letter, bench"]);
  });

  it("shows the open-loop rows: offered and started rate, start lag, the most in flight", () => {
    const open = phase("open loop", {
      concurrency: 41,
      openLoop: {
        offeredPerSecond: 100,
        startedPerSecond: 99.87,
        startLagMs: { count: 3000, min: 0.1, mean: 2, p50: 1.2, p95: 4, p99: 12.5, max: 48 },
        maxInFlight: 41,
      },
    });
    const text = formatReport({ ...REPORT, phases: [open] });
    const row = (label: string) => text.split("\n").find((l) => l.startsWith(label));
    expect(row("concurrency")).to.match(/open loop \(≤ 41 in flight\)$/);
    expect(row("offered per second (schedule)")).to.match(/100\.0\/s$/);
    expect(row("started per second (bench)")).to.match(/99\.9\/s$/);
    expect(row("start lag p99 / max")).to.match(/12\.5 ms \/ 48\.0 ms$/);
    expect(row("intake latency max")).to.match(/2\.00 s$/);
    // A closed-loop report has none of them.
    expect(formatReport(REPORT)).not.to.include("offered per second");
  });

  it("shows a corner of several instances, then each instance, the balancers' spread, and the server without RSS", () => {
    const mib = 1024 * 1024;
    const multi = phase("letters", {
      duplicates: { offeredAgainToPostbox: 0, levertTwice: 2 },
      balanced: [{ corner: "corner 2", perInstance: [1003, 1002] }],
      processes: [
        { name: "bench", role: "corner 1", pid: 1, cpuSecondsPerLetter: 0.01, peakRssBytes: 100 * mib },
        { name: "postgresql", role: "server", cpuSecondsPerLetter: 0.02 },
        { name: "corner 2 #2", role: "one of 2", pid: 3, instanceOf: "corner 2", cpuSecondsPerLetter: 0.03, peakRssBytes: 300 * mib },
        { name: "corner 2", role: "sending access point", instances: 2, cpuSecondsPerLetter: 0.07, peakRssBytes: 400 * mib, peakRssTotalBytes: 700 * mib },
        { name: "corner 2 #1", role: "one of 2", pid: 2, instanceOf: "corner 2", cpuSecondsPerLetter: 0.04, peakRssBytes: 400 * mib },
      ],
    });
    const lines = formatReport({ ...REPORT, phases: [multi] }).split("\n");
    const labels = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => l.split(/\s{2,}/)[0]);
    expect(labels("CPU per letter")).to.deep.equal(["CPU per letter, corner 2", "CPU per letter, corner 2 #1", "CPU per letter, corner 2 #2", "CPU per letter, postgresql", "CPU per letter, bench"]);
    expect(labels("peak RSS")).to.deep.equal(["peak RSS, corner 2", "peak RSS, corner 2 #1", "peak RSS, corner 2 #2", "peak RSS, bench"]);
    expect(lines.find((l) => l.startsWith("peak RSS, corner 2 "))).to.match(/400 MiB \(Σ 700 MiB\)$/);
    expect(lines.find((l) => l.startsWith("requests per instance, corner 2"))).to.match(/1003 \/ 1002$/);
    expect(lines.find((l) => l.startsWith("duplicates: offered again / LEVERT twice"))).to.match(/0 \/ 2$/);
    // The instances are listed under their corner's role only.
    expect(lines.filter((l) => l.startsWith("  corner 2"))).to.deep.equal(["  corner 2: sending access point"]);
  });

  it("shows a channel run's messages: delivered and final statuses, the receiver's count, the far side and its duplicates", () => {
    const dpo = phase("messages", {
      letters: 200,
      posted: 200,
      accepted: 200,
      levert: 200,
      documentBytes: 20_000,
      dokumentpakkeBytes: 21_180,
      levertPerSecond: 12.345,
      duplicates: { levertTwice: 0, takenTwice: 1, farSideTwice: 0 },
      delivered: undefined,
      processes: [
        { name: "corner 2", role: "access point of the sender", pid: 2, cpuSecondsPerLetter: 0.0612, peakRssBytes: 300 * 1024 * 1024 },
        { name: "corner 3", role: "access point of the receiver", pid: 3, cpuSecondsPerLetter: 0.0554, peakRssBytes: 280 * 1024 * 1024 },
        { name: "bench", role: "corner 1", pid: 1, cpuSecondsPerLetter: 0.02, peakRssBytes: 150 * 1024 * 1024 },
      ],
      channel: {
        serviceIdentifier: "DPO",
        deliveredStatuses: ["MOTTATT", "LEVERT", "LEST"],
        finalStatuses: ["LEVERT", "LEST"],
        final: 199,
        finalPerSecond: 11.5,
        postToFinalMs: { count: 199, min: 300, mean: 900, p50: 850, p95: 1500, p99: 1700, max: 1800 },
        takenByReceiver: 200,
        farSide: { what: "file transfers on the Altinn 3 broker", held: 200, heldTwice: 0 },
      },
    });
    const text = formatReport({ ...REPORT, options: { ...REPORT.options, large: 0, channel: "dpo" }, phases: [dpo] });
    const row = (label: string) => text.split("\n").find((l) => l.startsWith(label));
    expect(text.split("\n")[0]).to.equal("dpi-ap bench, 2026-11-23T17:54:45.126Z, channel DPO");
    expect(row("messages sent")).to.match(/ 200$/);
    expect(row("document / files per message")).to.match(/20\.0 kB \/ 21\.2 kB$/);
    expect(row("submitted (create, upload, send)")).to.match(/ 200$/);
    expect(row("delivered (MOTTATT) at corner 1")).to.match(/ 200$/);
    expect(row("final (LEVERT/LEST) at corner 1")).to.match(/ 199$/);
    expect(row("intake latency (create → send) p50")).to.match(/85\.3 ms$/);
    expect(row("delivered per second")).to.match(/12\.3\/s$/);
    expect(row("final status per second")).to.match(/11\.5\/s$/);
    expect(row("submission → final p50 / p95")).to.match(/850\.0 ms \/ 1\.50 s$/);
    expect(row("taken by corner 3's archive system")).to.match(/ 200$/);
    expect(row("held by the far side")).to.match(/ 200$/);
    expect(row("duplicates: taken / far side / pushed")).to.match(/1 \/ 0 \/ 0$/);
    expect(row("CPU per message, corner 2")).to.match(/0\.0612 s$/);
    expect(row("CPU per message, corner 3")).to.match(/0\.0554 s$/);
    expect(text).to.include("DPO messages built in 2.50 s");
    // None of a DPI run's rows.
    expect(text).not.to.include("LEVERT at corner 1");
    expect(text).not.to.include("delivered by the postbox");
    expect(text).not.to.include("CPU per letter");
  });

  it("is one JSON document that survives a round trip", () => {
    expect(JSON.parse(JSON.stringify(REPORT))).to.deep.equal(REPORT);
  });
});
