import { expect } from "chai";
import { BenchUsageError, DEFAULT_OPTIONS, parseBenchArgs, parseSize } from "../../src/bench/options.js";

describe("bench: command-line options", () => {
  it("defaults to 2000 letters of 20 kB, concurrency 16, three 25 MB letters", () => {
    const o = parseBenchArgs([]);
    expect(o).to.deep.equal(DEFAULT_OPTIONS);
    expect(o).to.include({ letters: 2000, documentBytes: 20_000, concurrency: 16, large: 3, largeDocumentBytes: 25_000_000, json: false, quiet: false });
  });

  it("reads every option, as --flag value and as --flag=value", () => {
    const o = parseBenchArgs(["--letters", "50", "--size=64KiB", "--concurrency", "4", "--large=0", "--large-size", "1.5MB", "--json", "--quiet", "--time-limit", "60", "--log-level=warn", "--outbox-concurrency", "8", "--postbox-concurrency", "3", "--keep"]);
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
      postboxConcurrency: 3,
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
    expect(() => parseBenchArgs(["--postbox-concurrency", "0"])).to.throw(BenchUsageError, "--postbox-concurrency must be between 1 and 64, got 0");
    expect(() => parseBenchArgs(["--postbox-concurrency", "65"])).to.throw(BenchUsageError, "--postbox-concurrency must be between 1 and 64, got 65");
    expect(() => parseBenchArgs(["--json=yes"])).to.throw(BenchUsageError, /no value/);
  });

  it("reads the open-loop rate: letters are rate × duration unless --letters is given, and no large phase", () => {
    expect(parseBenchArgs(["--rate", "100"])).to.deep.equal({ ...DEFAULT_OPTIONS, rate: 100, durationSeconds: 30, letters: 3000, large: 0 });
    expect(parseBenchArgs(["--rate=25", "--duration", "8"])).to.deep.equal({ ...DEFAULT_OPTIONS, rate: 25, durationSeconds: 8, letters: 200, large: 0 });
    expect(parseBenchArgs(["--rate", "50", "--letters", "120"])).to.deep.equal({ ...DEFAULT_OPTIONS, rate: 50, letters: 120, large: 0 });
  });

  it("refuses open-loop combinations that mean nothing", () => {
    expect(() => parseBenchArgs(["--duration", "10"])).to.throw(BenchUsageError, "--duration goes with --rate");
    expect(() => parseBenchArgs(["--rate", "10", "--concurrency", "4"])).to.throw(BenchUsageError, "--rate is open loop: it takes no --concurrency");
    expect(() => parseBenchArgs(["--rate", "10", "--large", "1"])).to.throw(BenchUsageError, "--rate runs no large phase: leave out --large and --large-size");
    expect(() => parseBenchArgs(["--rate", "10", "--letters", "5", "--duration", "3"])).to.throw(BenchUsageError, "give --letters or --duration with --rate, not both");
    expect(() => parseBenchArgs(["--rate", "0"])).to.throw(BenchUsageError, "--rate must be between 1 and 10000, got 0");
    expect(() => parseBenchArgs(["--rate", "10000", "--duration", "101"])).to.throw(BenchUsageError, "--rate 10000 for 101 s is 1010000 letters, more than 1000000");
  });

  it("puts several instances on PostgreSQL, and one on SQLite unless --store says otherwise", () => {
    expect(parseBenchArgs([])).to.include({ instances: 1, store: "sqlite", blobStore: "folder" });
    expect(parseBenchArgs(["--instances", "2"])).to.deep.equal({ ...DEFAULT_OPTIONS, instances: 2, store: "postgresql" });
    expect(parseBenchArgs(["--instances", "1", "--store", "postgresql"])).to.deep.equal({ ...DEFAULT_OPTIONS, store: "postgresql" });
    expect(parseBenchArgs(["--instances=3", "--store=postgresql", "--postgres-url", "postgres://bench@db:5433/postgres"])).to.deep.equal({
      ...DEFAULT_OPTIONS,
      instances: 3,
      store: "postgresql",
      postgresUrl: "postgres://bench@db:5433/postgres",
    });
    expect(DEFAULT_OPTIONS.postgresUrl).to.equal("postgresql://postgres@127.0.0.1:5432/postgres");
  });

  it("refuses several instances on SQLite, unknown stores and a server URL without PostgreSQL", () => {
    expect(() => parseBenchArgs(["--instances", "2", "--store", "sqlite"])).to.throw(BenchUsageError, "--instances above 1 needs --store postgresql (SQLite is for one process)");
    expect(() => parseBenchArgs(["--store", "mysql"])).to.throw(BenchUsageError, '--store must be sqlite or postgresql, got "mysql"');
    expect(() => parseBenchArgs(["--instances", "0"])).to.throw(BenchUsageError, "--instances must be between 1 and 8, got 0");
    expect(() => parseBenchArgs(["--instances", "9"])).to.throw(BenchUsageError, "--instances must be between 1 and 8, got 9");
    expect(() => parseBenchArgs(["--postgres-url", "postgresql://x/y"])).to.throw(BenchUsageError, "--postgres-url goes with --store postgresql or --instances above 1");
    expect(() => parseBenchArgs(["--store", "postgresql", "--postgres-url", "mysql://x/y"])).to.throw(BenchUsageError, '--postgres-url needs a postgresql:// URL, got "mysql://x/y"');
  });

  it("reads --blob-store for SQLite access points and refuses other kinds", () => {
    expect(parseBenchArgs(["--blob-store", "database"])).to.include({ store: "sqlite", blobStore: "database" });
    expect(parseBenchArgs(["--blob-store=folder"])).to.include({ blobStore: "folder" });
    expect(() => parseBenchArgs(["--blob-store", "s3"])).to.throw(BenchUsageError, '--blob-store must be folder or database, got "s3"');
  });

  it("reads --channel (DPI by default); an eFormidling channel runs no large phase", () => {
    expect(DEFAULT_OPTIONS.channel).to.equal("dpi");
    for (const ch of ["dpo", "dpf", "dpv", "dpe"] as const) {
      expect(parseBenchArgs(["--channel", ch, "--letters", "200"])).to.deep.equal({ ...DEFAULT_OPTIONS, channel: ch, letters: 200, large: 0 });
    }
    expect(parseBenchArgs(["--channel=DPO"]).channel).to.equal("dpo");
    expect(parseBenchArgs(["--channel", "dpi"])).to.deep.equal(DEFAULT_OPTIONS);
    expect(parseBenchArgs(["--channel", "dpv", "--rate", "20", "--duration", "5"])).to.deep.equal({ ...DEFAULT_OPTIONS, channel: "dpv", rate: 20, durationSeconds: 5, letters: 100, large: 0 });
    expect(parseBenchArgs(["--channel", "dpo", "--instances", "2"])).to.deep.equal({ ...DEFAULT_OPTIONS, channel: "dpo", instances: 2, store: "postgresql", large: 0 });
  });

  it("refuses unknown channels, a large phase with a channel, and DPE documents beyond its 2 MiB of files", () => {
    expect(() => parseBenchArgs(["--channel", "dpx"])).to.throw(BenchUsageError, '--channel must be one of dpi, dpo, dpf, dpv, dpe, got "dpx"');
    expect(() => parseBenchArgs(["--channel"])).to.throw(BenchUsageError, '--channel must be one of dpi, dpo, dpf, dpv, dpe, got ""');
    expect(() => parseBenchArgs(["--channel", "dpo", "--large", "1"])).to.throw(BenchUsageError, "--channel dpo runs no large phase: leave out --large and --large-size");
    expect(() => parseBenchArgs(["--channel", "dpf", "--large-size", "5MB"])).to.throw(BenchUsageError, "--channel dpf runs no large phase: leave out --large and --large-size");
    expect(parseBenchArgs(["--channel", "dpe", "--size", "2044KiB"]).documentBytes).to.equal(2044 * 1024);
    expect(() => parseBenchArgs(["--channel", "dpe", "--size", "2045KiB"])).to.throw(BenchUsageError, "--size for dpe must be at most 2093056 bytes (a DPE message's files may not exceed 2 MiB)");
    expect(parseBenchArgs(["--channel", "dpo", "--size", "25MB"]).documentBytes).to.equal(25_000_000);
  });

  it("sees --help and -h", () => {
    expect(parseBenchArgs(["--help"]).help).to.equal(true);
    expect(parseBenchArgs(["-h"]).help).to.equal(true);
  });
});
