/**
 * OpenSSL as an independent oracle: our OCSP client against `openssl ocsp` as responder, `openssl ocsp` as
 * client against our simulated responder, and `openssl verify -crl_check` against our CRL check.
 * Skipped when no openssl binary is on the PATH.
 */
import { expect } from "chai";
import { execFile, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { X509Certificate } from "node:crypto";
import { checkCrl, fetchCrl } from "../../src/pki/crl.js";
import type { Crl } from "../../src/pki/crl.js";
import { checkOcsp } from "../../src/pki/ocsp.js";
import { loadExampleApResponderOptions, startPkiResponder } from "../../src/sim/pki/index.js";
import { certsExample } from "./helpers.js";
import { exampleAp } from "./revocation-fixtures.js";

const run = promisify(execFile);
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const ap = (name: string) => join(certsExample, "ap", name);

/** Run openssl, returning exit status and combined output (it reports verification results on either stream). */
async function openssl(args: string[]): Promise<{ status: number; output: string }> {
  try {
    const { stdout, stderr } = await run("openssl", args, { encoding: "utf8" });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === "number" ? e.code : -1, output: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

/** UTCTime as in an OpenSSL CA index. */
function indexTime(date: Date): string {
  return date.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3$4$5$6Z");
}

describe("pki/revocation against openssl", function () {
  let dir: string;
  before(async function () {
    if (!hasOpenssl) this.skip();
    dir = await mkdtemp(join(tmpdir(), "dpi-ap-revocation-"));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe("our OCSP client against `openssl ocsp` as responder", () => {
    let server: ChildProcess | undefined;
    let url: string;

    before(async function () {
      if (!hasOpenssl) this.skip();
      const { pop1, pop9 } = exampleAp();
      const expiry = indexTime(new Date("2045-01-01T00:00:00Z"));
      const dn = (c: X509Certificate) => `/${c.subject.split("\n").join("/")}`;
      const index = [
        `V\t${expiry}\t\t${pop1.serialNumber}\tunknown\t${dn(pop1)}`,
        `R\t${expiry}\t${indexTime(new Date("2025-01-02T00:00:00Z"))},keyCompromise\t${pop9.serialNumber}\tunknown\t${dn(pop9)}`,
      ].join("\n");
      await writeFile(join(dir, "index.txt"), `${index}\n`);
      // POP000002 is deliberately absent from the index: openssl answers "unknown" for it.
      const child = spawn(
        "openssl",
        ["ocsp", "-index", join(dir, "index.txt"), "-CA", ap("intermediate-ca.pem"), "-rsigner", ap("intermediate-ca.pem"),
          "-rkey", ap("intermediate-ca.key.pem"), "-port", "0", "-nmin", "5", "-ignore_err"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      server = child;
      const port = await new Promise<number>((resolve, reject) => {
        let seen = "";
        const onData = (chunk: Buffer) => {
          seen += chunk.toString("utf8");
          const match = /ACCEPT .*:(\d+)/.exec(seen);
          if (match) resolve(Number(match[1]));
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.once("exit", (code) => reject(new Error(`openssl ocsp exited with ${code}: ${seen}`)));
        setTimeout(() => reject(new Error(`openssl ocsp did not start: ${seen}`)), 10_000).unref();
      });
      url = `http://127.0.0.1:${port}/`;
    });

    after(() => {
      server?.kill();
    });

    it("agrees: POP000001 good, POP000009 revoked (keyCompromise), POP000002 unknown", async () => {
      const { pop1, pop2, pop9, intermediate } = exampleAp();
      const at = new Date(); // openssl signs with the real clock
      const good = await checkOcsp(pop1, intermediate.cert, { url, at });
      expect(good.status).to.equal("good");
      expect(good.nextUpdate).to.be.instanceOf(Date);
      const revoked = await checkOcsp(pop9, intermediate.cert, { url, at });
      expect(revoked).to.include({ status: "revoked", reason: "keyCompromise" });
      expect(revoked.revokedAt?.toISOString()).to.equal("2025-01-02T00:00:00.000Z");
      expect((await checkOcsp(pop2, intermediate.cert, { url, at })).status).to.equal("unknown");
    });
  });

  it("`openssl ocsp` as client accepts our responder's answers", async () => {
    const responder = await startPkiResponder(await loadExampleApResponderOptions()); // real clock, like openssl
    try {
      const ask = (leaf: string) =>
        openssl(["ocsp", "-issuer", ap("intermediate-ca.pem"), "-cert", ap(leaf), "-url", responder.ocspUrl,
          "-CAfile", ap("root-ca.pem"), "-verify_other", ap("intermediate-ca.pem")]);
      const good = await ask("POP000001.pem");
      expect(good.output).to.contain("Response verify OK");
      expect(good.output).to.match(/POP000001\.pem: good/);
      const revoked = await ask("POP000009.pem");
      expect(revoked.output).to.contain("Response verify OK");
      expect(revoked.output).to.match(/POP000009\.pem: revoked/);
      expect(revoked.output).to.contain("Reason: keyCompromise");
    } finally {
      await responder.close();
    }
  });

  describe("CRL checks agree with `openssl verify -crl_check`", () => {
    async function opensslSaysRevoked(leaf: string, crlFile: string): Promise<boolean> {
      const result = await openssl(["verify", "-crl_check", "-CAfile", ap("root-ca.pem"), "-untrusted", ap("intermediate-ca.pem"),
        "-CRLfile", crlFile, ap(leaf)]);
      if (result.status === 0 && /: OK/.test(result.output)) return false;
      if (/certificate revoked/.test(result.output)) return true;
      throw new Error(`unexpected openssl verify output: ${result.output}`);
    }

    async function oursSaysRevoked(leaf: X509Certificate, crl: Crl): Promise<boolean> {
      const answer = await checkCrl(crl, leaf, exampleAp().intermediate.cert, new Date());
      return answer.status === "revoked";
    }

    it("on the committed CRL", async () => {
      const { pop1, pop9, intermediateCrl } = exampleAp();
      const file = ap("intermediate-ca.crl.pem");
      expect([await opensslSaysRevoked("POP000001.pem", file), await oursSaysRevoked(pop1, intermediateCrl)]).to.deep.equal([false, false]);
      expect([await opensslSaysRevoked("POP000009.pem", file), await oursSaysRevoked(pop9, intermediateCrl)]).to.deep.equal([true, true]);
    });

    it("on a CRL served by our simulated CRL server", async () => {
      const responder = await startPkiResponder(await loadExampleApResponderOptions());
      try {
        const crl = await fetchCrl(responder.crlUrl());
        const file = join(dir, "served.crl");
        await writeFile(file, crl.der);
        const { pop1, pop9 } = exampleAp();
        // openssl verify reads -CRLfile as PEM; converting with `openssl crl` also proves it parses our DER.
        const pem = join(dir, "served.crl.pem");
        const converted = await openssl(["crl", "-inform", "DER", "-in", file, "-out", pem]);
        expect(converted.status, converted.output).to.equal(0);
        expect([await opensslSaysRevoked("POP000001.pem", pem), await oursSaysRevoked(pop1, crl)]).to.deep.equal([false, false]);
        expect([await opensslSaysRevoked("POP000009.pem", pem), await oursSaysRevoked(pop9, crl)]).to.deep.equal([true, true]);
      } finally {
        await responder.close();
      }
    });
  });
});
