import { expect } from "chai";
import { EXIT, main } from "../../src/cli/main.js";
import { captureIo } from "./fixtures.js";

describe("cli: dpi-ap evidence verify (its command line; the bundles are checked in test/console/evidence.test.ts)", () => {
  it("refuses a missing or unreadable bundle and an unknown subcommand (exit 2)", async () => {
    const cases: [string[], string][] = [
      [["evidence", "verify"], "dpi-ap: evidence verify needs exactly one file, got 0\n"],
      [["evidence", "verify", "/nonexistent/bundle.zip"], "dpi-ap: cannot read the bundle /nonexistent/bundle.zip: ENOENT\n"],
      [["evidence", "check", "x.zip"], 'dpi-ap: unknown evidence subcommand "check"\n'],
    ];
    for (const [argv, message] of cases) {
      const io = captureIo();
      expect(await main(argv, io), argv.join(" ")).to.equal(EXIT.usage);
      expect(io.err).to.equal(`${message}Run "dpi-ap help" for usage.\n`);
    }
  });

  it("refuses an unknown option (exit 2)", async () => {
    const io = captureIo();
    expect(await main(["evidence", "verify", "x.zip", "--bogus"], io)).to.equal(EXIT.usage);
    // The wording after the option's name is Node's (util.parseArgs).
    expect(io.err.startsWith("dpi-ap: Unknown option '--bogus'")).to.equal(true);
  });

  it("has help", async () => {
    const io = captureIo();
    expect(await main(["help", "evidence", "verify"], io)).to.equal(EXIT.ok);
    expect(io.out).to.match(/^Usage: dpi-ap evidence verify <zip> \[options\]\n/);
  });
});
