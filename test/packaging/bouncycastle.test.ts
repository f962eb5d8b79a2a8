import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildEformidlingAsic, decryptCms, encryptCms, openEformidlingAsic } from "../../src/packaging/index.js";
import { run } from "../helpers/tools.js";
import { certPath, dpoInput, entry, keyPath, RECEIVER, replaceData, SENDER, signatureName } from "./fixtures.js";

/**
 * BouncyCastle, the library under the integrasjonspunkt's CMS and commons-asic, on the other side: BcInterop.java
 * encrypts and decrypts as efm-common's CreateCMSDocument / DecryptCMSDocument and signs and verifies as
 * commons-asic's SignatureHelper / SignatureVerifier. Skips without java, javac and Debian's libbcprov-java and
 * libbcpkix-java.
 */

const HERE = fileURLToPath(new URL(".", import.meta.url));
const JARS = ["bcprov", "bcpkix", "bcutil"].map((j) => `/usr/share/java/${j}.jar`);
const RECEIVER_ORG = "984661185";
const SENDER_ORG = "910076787";
/** RSAES-OAEP SHA-256/MGF1-SHA-256 with NULL hash parameters and the default label left out (cms.test.ts). */
const OAEP_SHA256_ALGORITHM = "303c06092a864886f70d010107302fa00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500";

describe("packaging interop: BouncyCastle (as the integrasjonspunkt uses it)", function () {
  this.timeout(120_000);
  let dir: string;
  let classpath: string;
  const plain = randomBytes(200_003);

  before(function () {
    if (!JARS.every(existsSync) || run("javac", ["-version"]).status !== 0 || run("java", ["-version"]).status !== 0) this.skip();
    dir = mkdtempSync(join(tmpdir(), "efm-bc-"));
    const classes = join(dir, "classes");
    const compiled = run("javac", ["-nowarn", "-cp", JARS.join(":"), "-d", classes, join(HERE, "BcInterop.java")]);
    expect(compiled.status, compiled.out).to.equal(0);
    classpath = [classes, ...JARS].join(":");
    writeFileSync(join(dir, "plain.bin"), plain);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function bc(...args: string[]): string {
    const r = run("java", ["-cp", classpath, "BcInterop", ...args]);
    expect(r.status, r.out).to.equal(0);
    return r.out;
  }

  for (const scheme of ["rsaes-oaep", "rsa-pkcs1v15"] as const) {
    it(`BouncyCastle decrypts encryptCms(${scheme}) as DecryptCMSDocument does`, () => {
      writeFileSync(join(dir, "ours.der"), encryptCms(plain, RECEIVER.certificate, scheme));
      bc("decrypt", keyPath(RECEIVER_ORG), join(dir, "ours.der"), join(dir, "theirs.bin"));
      expect(readFileSync(join(dir, "theirs.bin")).equals(plain)).to.equal(true);
    });
  }

  for (const [bcScheme, ours] of [
    ["oaep", "rsaes-oaep"],
    ["pkcs1", "rsa-pkcs1v15"],
  ] as const) {
    it(`decryptCms opens BouncyCastle's streamed EnvelopedData with ${ours}, as CreateCMSDocument writes it`, () => {
      bc("encrypt", certPath(RECEIVER_ORG), join(dir, "plain.bin"), join(dir, "theirs.der"), bcScheme);
      const cms = readFileSync(join(dir, "theirs.der"));
      expect(cms[1]).to.equal(0x80); // BER, indefinite length
      // encryptCms names the key transport with the very bytes BouncyCastle writes
      if (ours === "rsaes-oaep") expect(cms.toString("hex")).to.contain(OAEP_SHA256_ALGORITHM);
      const opened = decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate);
      expect(opened).to.include({ keyTransport: ours, contentEncryption: "aes-256-cbc" });
      expect(Buffer.from(opened.content).equals(plain)).to.equal(true);
    });
  }

  it("BouncyCastle verifies the container's signature over its ASiCManifest as commons-asic's SignatureVerifier does", () => {
    const zip = buildEformidlingAsic(dpoInput());
    writeFileSync(join(dir, "ASiCManifest.xml"), entry(zip, "META-INF/ASiCManifest.xml"));
    writeFileSync(join(dir, "signature.p7s"), entry(zip, signatureName(zip)));
    const out = bc("verify", join(dir, "ASiCManifest.xml"), join(dir, "signature.p7s"));
    expect(out).to.contain("verified ").and.contain("CN=DPI-AP TEST BEHANDLINGSANSVARLIG");
  });

  it("opens a container whose signature BouncyCastle made as commons-asic does (SHA-1 with RSA), sealed by BouncyCastle for DPE", () => {
    const zip = buildEformidlingAsic(dpoInput());
    writeFileSync(join(dir, "ASiCManifest.xml"), entry(zip, "META-INF/ASiCManifest.xml"));
    bc("sign", keyPath(SENDER_ORG), certPath(SENDER_ORG), join(dir, "ASiCManifest.xml"), join(dir, "bc.p7s"));
    const theirs = replaceData(zip, signatureName(zip), () => readFileSync(join(dir, "bc.p7s")));
    writeFileSync(join(dir, "asic.zip"), theirs);
    bc("encrypt", certPath(RECEIVER_ORG), join(dir, "asic.zip"), join(dir, "asic.cms"), "pkcs1");

    const opened = openEformidlingAsic(decryptCms(readFileSync(join(dir, "asic.cms")), RECEIVER.privateKey, RECEIVER.certificate).content);
    expect(opened.signer.digestAlgorithm).to.equal("sha1");
    expect(opened.signer.signerCertificate.fingerprint256).to.equal(SENDER.certificate.fingerprint256);
    expect(opened.documents.map((d) => d.name)).to.deep.equal(["arkivmelding.xml", "test.txt"]);
  });
});
