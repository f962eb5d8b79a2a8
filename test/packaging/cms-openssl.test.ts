import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptCms, encryptCms } from "../../src/packaging/index.js";
import { hasOpenssl, run } from "../helpers/tools.js";
import { certPath, expectCode, keyPath, RECEIVER } from "./fixtures.js";

/**
 * OpenSSL as the other side of the envelope: it must open what encryptCms writes with either key transport, and
 * decryptCms must open what `openssl cms -encrypt` writes (OAEP with its parameter encoding, which leaves out the
 * hash parameters; PKCS#1 v1.5; AES-128; AES-GCM in AuthEnvelopedData; a recipient named by key identifier).
 * Skips without openssl.
 */

const RECEIVER_ORG = "984661185";

describe("packaging interop: CMS with openssl", function () {
  this.timeout(60_000);
  let dir: string;
  const plain = randomBytes(70_001);

  before(function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), "efm-cms-openssl-"));
    writeFileSync(join(dir, "plain.bin"), plain);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function opensslDecrypt(cms: Uint8Array): Buffer {
    writeFileSync(join(dir, "in.der"), cms);
    const r = run("openssl", ["cms", "-decrypt", "-binary", "-inform", "DER", "-in", join(dir, "in.der"), "-recip", certPath(RECEIVER_ORG), "-inkey", keyPath(RECEIVER_ORG), "-out", join(dir, "out.bin")]);
    expect(r.status, r.out).to.equal(0);
    return readFileSync(join(dir, "out.bin"));
  }

  function opensslEncrypt(args: string[]): Buffer {
    const out = join(dir, "enc.der");
    const r = run("openssl", ["cms", "-encrypt", "-binary", "-in", join(dir, "plain.bin"), "-outform", "DER", "-out", out, "-recip", certPath(RECEIVER_ORG), ...args]);
    expect(r.status, r.out).to.equal(0);
    return readFileSync(out);
  }

  for (const scheme of ["rsaes-oaep", "rsa-pkcs1v15"] as const) {
    it(`openssl cms -decrypt opens encryptCms(${scheme})`, () => {
      expect(opensslDecrypt(encryptCms(plain, RECEIVER.certificate, scheme)).equals(plain)).to.equal(true);
    });
  }

  const variants: Array<[string, string[], { keyTransport: string; contentEncryption: string }]> = [
    [
      "RSAES-OAEP SHA-256/MGF1-SHA-256, hash parameters left out, AES-256-CBC",
      ["-aes256", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256"],
      { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
    ],
    ["RSA PKCS#1 v1.5, AES-256-CBC", ["-aes256"], { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" }],
    ["RSAES-OAEP with all defaults (SHA-1), AES-128-CBC", ["-aes128", "-keyopt", "rsa_padding_mode:oaep"], { keyTransport: "rsaes-oaep", contentEncryption: "aes-128-cbc" }],
    ["AES-256-GCM in AuthEnvelopedData", ["-aes-256-gcm"], { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-gcm" }],
    ["CMS naming the recipient by subject key identifier", ["-aes256", "-keyid"], { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" }],
  ];
  for (const [what, args, expected] of variants) {
    it(`decryptCms opens openssl's ${what}`, () => {
      const opened = decryptCms(opensslEncrypt(args), RECEIVER.privateKey, RECEIVER.certificate);
      expect(opened).to.include(expected);
      expect(Buffer.from(opened.content).equals(plain)).to.equal(true);
    });
  }

  it("AES-GCM: a tag that does not verify is cms-decrypt-failed, and no plaintext comes out", () => {
    const cms = opensslEncrypt(["-aes-256-gcm"]);
    cms[cms.length - 1]! ^= 0x01; // the MAC is the last field
    expectCode(() => decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate), "cms-decrypt-failed");
  });

  it("cms-unsupported-algorithm for OAEP with SHA-256 but MGF1-SHA-1", () => {
    const cms = opensslEncrypt(["-aes256", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha1"]);
    expectCode(() => decryptCms(cms, RECEIVER.privateKey, RECEIVER.certificate), "cms-unsupported-algorithm");
  });

  it("cms-unsupported-algorithm for triple DES content", () => {
    expectCode(() => decryptCms(opensslEncrypt(["-des3"]), RECEIVER.privateKey, RECEIVER.certificate), "cms-unsupported-algorithm");
  });
});
