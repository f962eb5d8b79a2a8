import { expect } from "chai";
import { EXIT, main } from "../../src/cli/main.js";
import { parsePasswordHash, verifyPassword } from "../../src/console/password.js";
import { captureIo } from "./fixtures.js";

describe("cli: dpi-ap console hash-password", () => {
  const withStdin = (text: string | undefined) => {
    const io = captureIo();
    return Object.assign(io, text === undefined ? {} : { stdin: async () => text });
  };

  it("prints the scrypt hash of the first line of standard input, which verifies that password", async () => {
    const io = withStdin("correct horse battery\nsecond line\n");
    expect(await main(["console", "hash-password"], io)).to.equal(EXIT.ok);
    expect(io.err).to.equal("");
    expect(io.out).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}\n$/);
    const stored = parsePasswordHash(io.out.trim());
    expect(await verifyPassword("correct horse battery", stored)).to.equal(true);
    expect(await verifyPassword("correct horse battery\n", stored)).to.equal(false);
  });

  it("takes a Windows line end off too", async () => {
    const io = withStdin("correct horse battery\r\n");
    expect(await main(["console", "hash-password"], io)).to.equal(EXIT.ok);
    expect(await verifyPassword("correct horse battery", parsePasswordHash(io.out.trim()))).to.equal(true);
  });

  it("refuses a short password, an argument, no standard input and an unknown subcommand (exit 2)", async () => {
    const cases: [string[], string | undefined, string][] = [
      [["console", "hash-password"], "short\n", "dpi-ap: the password must be at least 12 characters\n"],
      [["console", "hash-password", "secret-on-argv"], "correct horse battery\n", "dpi-ap: console hash-password takes no arguments: the password is read from standard input\n"],
      [["console", "hash-password"], undefined, "dpi-ap: console hash-password needs standard input\n"],
      [["console", "hash"], "x", 'dpi-ap: unknown console subcommand "hash"\n'],
    ];
    for (const [argv, stdin, message] of cases) {
      const io = withStdin(stdin);
      expect(await main(argv, io), argv.join(" ")).to.equal(EXIT.usage);
      expect(io.err).to.equal(`${message}Run "dpi-ap help" for usage.\n`);
      expect(io.out).to.equal("");
    }
  });

  it("has help", async () => {
    const io = withStdin(undefined);
    expect(await main(["help", "console"], io)).to.equal(EXIT.ok);
    expect(io.out).to.match(/^Usage: dpi-ap console hash-password < password-file\n/);
  });
});
