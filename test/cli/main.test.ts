import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { main } from "../../src/cli/main.js";
import type { As4Report } from "../../src/cli/as4/report-types.js";
import { AP_ANCHOR_FILES, CERTS, captureIo, G2_ANCHOR_FILES, makeUserMessage, RECEIPTS, ROOT, vectorPath, writeTo } from "./fixtures.js";

const run = promisify(execFile);

describe("cli dpi-ap main", function () {
  this.timeout(60_000);
  let dir: string;
  let dumpFile: string;
  let mimeFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cli-main-test-"));
    const made = await makeUserMessage();
    dumpFile = await writeTo(dir, "message.as4", made.dump);
    mimeFile = await writeTo(dir, "message.mime", made.mime);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  describe("usage errors exit 2 and say what is wrong on stderr", () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["as4"], /as4 needs a subcommand/],
      [["as4", "sign"], /unknown as4 subcommand "sign"/],
      [["as4", "verify"], /needs exactly one file, got 0/],
      [["as4", "verify", "a", "b"], /needs exactly one file, got 2/],
      [["as4", "verify", "x", "--bogus"], /Unknown option '--bogus'/],
      [["as4", "verify", "/nonexistent/message.as4"], /cannot read the message file .*ENOENT/],
      [["as4", "verify", "x", "--at", "yesterday"], /--at must be an ISO 8601 time/],
      [["as4", "verify", "x", "--password", "p"], /--password needs --key/],
      [["help", "nothing"], /no help for "nothing"/],
    ];
    for (const [argv, message] of cases) {
      it(`dpi-ap ${argv.join(" ")}`, async () => {
        const io = captureIo();
        expect(await main(argv, io)).to.equal(2);
        expect(io.err).to.match(message);
        expect(io.out).to.equal("");
      });
    }

    it("an unreadable --trust or --key is a usage error too", async () => {
      const badTrust = captureIo();
      expect(await main(["as4", "verify", dumpFile, "--trust", join(CERTS, "POP000001.key.pem")], badTrust)).to.equal(2);
      expect(badTrust.err).to.match(/cannot read --trust .*no certificate found/);
      const badPassword = captureIo();
      expect(await main(["as4", "verify", dumpFile, "--key", join(CERTS, "POP000002.p12"), "--password", "wrong"], badPassword)).to.equal(2);
      expect(badPassword.err).to.match(/wrong PKCS#12 password \(ERR_PKI_KEYSTORE_PASSWORD\)/);
    });
  });

  it("help prints usage and exits 0", async () => {
    const io = captureIo();
    expect(await main(["help", "as4", "verify"], io)).to.equal(0);
    expect(io.out).to.match(/^Usage: dpi-ap as4 verify <file> \[options\]/);
    const io2 = captureIo();
    expect(await main(["as4", "verify", "--help"], io2)).to.equal(0);
    expect(io2.out).to.equal(io.out);
  });

  it("verifies our message with --key (password from the environment) and a --trust folder; exits 0", async () => {
    const io = captureIo(new Date("2026-03-01T12:00:00Z"), { DPI_AP_KEY_PASSWORD: "changeit" });
    const code = await main(["as4", "verify", dumpFile, "--trust", CERTS, "--key", join(CERTS, "POP000002.p12")], io);
    expect(code, io.out + io.err).to.equal(0);
    expect(io.out).to.match(/Reference 3 +ok +cid:sbd-1@sender\.test -> attachment/);
    expect(io.out).to.match(/decryption +ok, GCM tag verified/);
    expect(io.out).to.match(/\nVerdict: VERIFIED\n$/);
  });

  it("without --key the cid reference needs the key and the exit code is 1 (not everything verified)", async () => {
    const io = captureIo();
    expect(await main(["as4", "verify", mimeFile, "--trust", CERTS], io)).to.equal(1);
    expect(io.out).to.match(/Reference 3 +needs --key +cid:sbd-1@sender\.test/);
    expect(io.out).to.match(/Verdict: INCOMPLETE\n {2}- not checked: 1 attachment digest\(s\)/);
  });

  it("--json prints the report with the file name", async () => {
    const io = captureIo(new Date("2026-03-01T12:00:00Z"));
    expect(await main(["as4", "verify", mimeFile, "--json", ...AP_ANCHOR_FILES.flatMap((f) => ["--trust", f])], io)).to.equal(1);
    const report = JSON.parse(io.out) as As4Report & { file: string };
    expect(report.file).to.equal(mimeFile);
    expect(report.verdict.status).to.equal("incomplete");
    expect(report.signer?.trust.status).to.equal("ok");
    expect(report.signer?.at).to.equal("2026-03-01T12:00:00.000Z");
  });

  it("a third-party receipt fails chain validation without --at (its certificate expired long ago): exit 1", async function () {
    const file = vectorPath(this, `as4/${RECEIPTS[0].file}`);
    vectorPath(this, "pki/G2-Peppol_Test_Root_CA.cer");
    const io = captureIo();
    const code = await main(["as4", "verify", file, ...G2_ANCHOR_FILES.flatMap((f) => ["--trust", f])], io);
    expect(code).to.equal(1);
    expect(io.out).to.match(/Chain +FAILED at 2026-03-01T12:00:00\.000Z: ERR_PKI_CERT_EXPIRED .*try --at 2022-03-07T17:41:28\.705Z/);
    expect(io.out).to.match(/Reference 1 +ok/);
  });

  it("the installed bin runs the command (spawned): the Governikus receipt verifies at its own time", async function () {
    const file = vectorPath(this, `as4/${RECEIPTS[0].file}`);
    vectorPath(this, "pki/G2-Peppol_Test_Root_CA.cer");
    const { stdout } = await run(
      process.execPath,
      [join(ROOT, "bin/dpi-ap.js"), "as4", "verify", file, "--trust", G2_ANCHOR_FILES[0]!, "--trust", G2_ANCHOR_FILES[1]!, "--at", "2022-03-07T17:41:28Z"],
      { cwd: dir },
    );
    expect(stdout).to.match(/Message: Receipt \(signal\)/);
    expect(stdout).to.match(/Peppol seat id +POP000260/);
    expect(stdout).to.match(/\nVerdict: VERIFIED\n$/);
  });

  it("the spawned bin exits 1 for a message that fails", async () => {
    // bare SOAP that is not signed: no vectors needed
    const file = await writeTo(dir, "unsigned.xml", '<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body/></S12:Envelope>');
    let code: number | undefined;
    try {
      await run(process.execPath, [join(ROOT, "bin/dpi-ap.js"), "as4", "verify", file], { cwd: dir });
      code = 0;
    } catch (e) {
      code = (e as { code?: number }).code;
    }
    expect(code).to.equal(1);
  });
});
