import { expect } from "chai";
import { BenchUsageError, DEFAULT_OPTIONS, parseBenchArgs, parseSize } from "../../src/bench/options.js";

describe("bench: command-line options", () => {
  it("defaults to 2000 letters of 20 kB, concurrency 16, three 25 MB letters", () => {
    const o = parseBenchArgs([]);
    expect(o).to.deep.equal(DEFAULT_OPTIONS);
    expect(o).to.include({ letters: 2000, documentBytes: 20_000, concurrency: 16, large: 3, largeDocumentBytes: 25_000_000, json: false, quiet: false });
  });

  it("reads every option, as --flag value and as --flag=value", () => {
    const o = parseBenchArgs(["--letters", "50", "--size=64KiB", "--concurrency", "4", "--large=0", "--large-size", "1.5MB", "--json", "--quiet", "--time-limit", "60", "--log-level=warn", "--outbox-concurrency", "8", "--keep"]);
    expect(o).to.deep.equal({
      ...DEFAULT_OPTIONS,
      letters: 50,
      documentBytes: 65_536,
      concurrency: 4,
      large: 0,
      largeDocumentBytes: 1_500_000,
      json: true,
      quiet: true,
      timeLimitSeconds: 60,
      logLevel: "warn",
      outboxConcurrency: 8,
      keep: true,
    });
  });

  it("parses sizes in bytes, decimal and binary units, case-insensitively", () => {
    expect(parseSize("20000")).to.equal(20_000);
    expect(parseSize("20KB")).to.equal(20_000);
    expect(parseSize("20 kb")).to.equal(20_000);
    expect(parseSize("20k")).to.equal(20_000);
    expect(parseSize("25MB")).to.equal(25_000_000);
    expect(parseSize("1MiB")).to.equal(1_048_576);
    expect(parseSize("2KiB")).to.equal(2048);
    expect(parseSize("512B")).to.equal(512);
  });

  it("refuses sizes it cannot read, below a byte, or beyond the 30 MiB dokumentpakke limit", () => {
    for (const bad of ["", "MB", "20GB", "-5", "1e6", "0", "0.1"]) expect(() => parseSize(bad), bad).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--large-size", "31MiB"])).to.throw(BenchUsageError, /30 MiB/);
  });

  it("refuses unknown flags, missing or out-of-range numbers and values on switches", () => {
    expect(() => parseBenchArgs(["--lettres", "5"])).to.throw(BenchUsageError, /unknown/);
    expect(() => parseBenchArgs(["--letters"])).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--letters", "0"])).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--letters", "2.5"])).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--concurrency", "1000"])).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--log-level", "loud"])).to.throw(BenchUsageError);
    expect(() => parseBenchArgs(["--json=yes"])).to.throw(BenchUsageError, /no value/);
  });

  it("sees --help and -h", () => {
    expect(parseBenchArgs(["--help"]).help).to.equal(true);
    expect(parseBenchArgs(["-h"]).help).to.equal(true);
  });
});
