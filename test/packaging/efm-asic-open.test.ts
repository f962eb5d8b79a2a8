import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixedClock } from "../../src/clock.js";
import { writeZip } from "../../src/dpi/zip.js";
import { buildEformidlingAsic, decryptCms, encryptCms, openEformidlingAsic, signDetachedCades } from "../../src/packaging/index.js";
import { hasOpenssl, run } from "../helpers/tools.js";
import {
  AP_ROOT,
  ARKIVMELDING,
  BUSINESS_ROOT,
  CLOCK,
  certPath,
  dpoInput,
  entry,
  expectCode,
  keyPath,
  OTHER,
  RECEIVER,
  replaceData,
  ROOT_PATH,
  rezip,
  SENDER,
  signatureName,
  TEST_TXT,
} from "./fixtures.js";

/**
 * openEformidlingAsic: what a received package yields, and every way a package can be refused, each with its code.
 */

const ASIC_MANIFEST = "META-INF/ASiCManifest.xml";
const text = (s: string) => Buffer.from(s, "utf8");

describe("packaging: openEformidlingAsic", () => {
  const zip = buildEformidlingAsic(dpoInput());

  it("returns the manifest, the documents typed as the ASiCManifest types them, and the signer", () => {
    const opened = openEformidlingAsic(zip);
    expect(opened.manifest).to.deep.equal({
      receiver: "0192:910075918",
      sender: "0192:910077473",
      mainDocument: { href: "arkivmelding.xml", mimeType: "application/xml", title: "Hoveddokument", lang: "no" },
    });
    expect(opened.documents.map((d) => [d.name, d.mimeType, Buffer.from(d.bytes).toString("utf8")])).to.deep.equal([
      ["arkivmelding.xml", "application/xml", ARKIVMELDING.toString("utf8")],
      ["test.txt", "text/plain", TEST_TXT.toString("utf8")],
    ]);
    expect(opened.signer.signerCertificate.fingerprint256).to.equal(SENDER.certificate.fingerprint256);
    expect(opened.signer.signingTime?.toISOString()).to.equal(CLOCK().toISOString());
    expect(opened.signer.digestAlgorithm).to.equal("sha256");
    expect(opened.signer.path).to.equal(undefined);
  });

  it("round-trips through the CMS envelope with both key transports, as a channel sends it", () => {
    for (const scheme of ["rsaes-oaep", "rsa-pkcs1v15"] as const) {
      const sealed = encryptCms(zip, RECEIVER.certificate, scheme);
      const opened = openEformidlingAsic(decryptCms(sealed, RECEIVER.privateKey, RECEIVER.certificate).content);
      expect(opened.documents.map((d) => d.name)).to.deep.equal(["arkivmelding.xml", "test.txt"]);
    }
  });

  it("validates the signer's chain when given anchors, and returns the path", () => {
    const opened = openEformidlingAsic(zip, { anchors: [BUSINESS_ROOT], clock: CLOCK });
    expect(opened.signer.path?.map((c) => c.fingerprint256)).to.deep.equal([
      SENDER.certificate.fingerprint256,
      SENDER.chain[0]!.fingerprint256,
      BUSINESS_ROOT.fingerprint256,
    ]);
  });

  it("efm-asic-signer-untrusted when the chain does not reach the anchors, or not at the clock's time", () => {
    expectCode(() => openEformidlingAsic(zip, { anchors: [AP_ROOT], clock: CLOCK }), "efm-asic-signer-untrusted");
    expectCode(() => openEformidlingAsic(zip, { anchors: [BUSINESS_ROOT], clock: fixedClock("2050-01-01T00:00:00Z") }), "efm-asic-signer-untrusted");
  });

  it("accepts names percent-encoded in the ASiCManifest, as other ASiC producers write URIs", () => {
    const spaced = buildEformidlingAsic(dpoInput({ documents: [{ name: "mitt brev.txt", mimeType: "text/plain", bytes: TEST_TXT }] }));
    const encoded = resign(spaced, (xml) => xml.replace('URI="mitt brev.txt"', 'URI="mitt%20brev.txt"'));
    expect(openEformidlingAsic(encoded).documents.map((d) => d.name)).to.deep.equal(["mitt brev.txt"]);
  });

  describe("tampering", () => {
    it("a document changed: efm-asic-digest-mismatch naming it", () => {
      const err = expectCode(() => openEformidlingAsic(replaceData(zip, "test.txt", () => text("Testing 1 2 4\n"))), "efm-asic-digest-mismatch");
      expect(err).to.include({ fileName: "test.txt" });
    });

    it("manifest.xml changed: efm-asic-digest-mismatch naming it", () => {
      const forged = replaceData(zip, "manifest.xml", (d) => text(Buffer.from(d).toString("utf8").replace("0192:910075918", "0192:999999999")));
      expect(expectCode(() => openEformidlingAsic(forged), "efm-asic-digest-mismatch")).to.include({ fileName: "manifest.xml" });
    });

    it("a file added outside META-INF: efm-asic-file-not-covered naming it", () => {
      const added = rezip(zip, (entries) => [...entries.slice(0, 4), { name: "extra.pdf", data: text("%PDF-1.7") }, ...entries.slice(4)]);
      expect(expectCode(() => openEformidlingAsic(added), "efm-asic-file-not-covered")).to.include({ fileName: "extra.pdf" });
    });

    it("a referenced file removed: efm-asic-file-missing naming it", () => {
      const removed = rezip(zip, (entries) => entries.filter((e) => e.name !== "test.txt"));
      expect(expectCode(() => openEformidlingAsic(removed), "efm-asic-file-missing")).to.include({ fileName: "test.txt" });
    });

    it("the ASiCManifest edited to match a changed document: efm-asic-signature-invalid", () => {
      const changed = text("Testing 1 2 4\n");
      const oldDigest = createHash("sha256").update(TEST_TXT).digest("base64");
      const newDigest = createHash("sha256").update(changed).digest("base64");
      let forged = replaceData(zip, "test.txt", () => changed);
      forged = replaceData(forged, ASIC_MANIFEST, (d) => text(Buffer.from(d).toString("utf8").replace(oldDigest, newDigest)));
      expectCode(() => openEformidlingAsic(forged), "efm-asic-signature-invalid");
    });

    it("the signature replaced by one from another organisation over another manifest: efm-asic-signature-invalid", () => {
      const other = signDetachedCades(text("<ASiCManifest/>"), { ...OTHER, chain: [] }, CLOCK());
      expectCode(() => openEformidlingAsic(replaceData(zip, signatureName(zip), () => other)), "efm-asic-signature-invalid");
    });

    it("the signature removed: efm-asic-signature-missing", () => {
      const name = signatureName(zip);
      expectCode(() => openEformidlingAsic(rezip(zip, (entries) => entries.filter((e) => e.name !== name))), "efm-asic-signature-missing");
    });

    it("the ASiCManifest removed: efm-asic-signature-missing", () => {
      expectCode(() => openEformidlingAsic(rezip(zip, (entries) => entries.filter((e) => e.name !== ASIC_MANIFEST))), "efm-asic-signature-missing");
    });

    it("the signature not CMS: efm-asic-signature-malformed", () => {
      expectCode(() => openEformidlingAsic(replaceData(zip, signatureName(zip), () => text("garbage"))), "efm-asic-signature-malformed");
    });

    it("the ASiCManifest not XML, or with a DOCTYPE: efm-asic-signature-malformed", () => {
      expectCode(() => openEformidlingAsic(replaceData(zip, ASIC_MANIFEST, () => text("<ASiCManifest"))), "efm-asic-signature-malformed");
      const withDoctype = replaceData(zip, ASIC_MANIFEST, (d) => text(Buffer.from(d).toString("utf8").replace("<ASiCManifest ", '<!DOCTYPE x [<!ENTITY a "b">]><ASiCManifest ')));
      expectCode(() => openEformidlingAsic(withDoctype), "efm-asic-signature-malformed");
    });

    it("a second, unreferenced signature in META-INF: efm-asic-malformed", () => {
      const extra = rezip(zip, (entries) => [...entries, { name: "META-INF/signature-2.p7s", data: entry(zip, signatureName(zip)) }]);
      expectCode(() => openEformidlingAsic(extra), "efm-asic-malformed");
    });

    it("an unknown file in META-INF: efm-asic-malformed", () => {
      const extra = rezip(zip, (entries) => [...entries, { name: "META-INF/signatures.xml", data: text("<x/>") }]);
      expectCode(() => openEformidlingAsic(extra), "efm-asic-malformed");
    });

    it("a second ASiCManifest: efm-asic-malformed", () => {
      const extra = rezip(zip, (entries) => [...entries, { name: "META-INF/ASiCManifest2.xml", data: entry(zip, ASIC_MANIFEST) }]);
      expectCode(() => openEformidlingAsic(extra), "efm-asic-malformed");
    });

    it("a reference repeated in the ASiCManifest: efm-asic-malformed", () => {
      const twice = resign(zip, (xml) => xml.replace("</ASiCManifest>", `${/<DataObjectReference URI="test.txt"[\s\S]*?<\/DataObjectReference>/.exec(xml)![0]}\n</ASiCManifest>`));
      expectCode(() => openEformidlingAsic(twice), "efm-asic-malformed");
    });

    it("a digest method other than SHA-2 in a signed ASiCManifest: efm-asic-unsupported-algorithm", () => {
      const sha1 = resign(zip, (xml) => xml.replace(/http:\/\/www\.w3\.org\/2001\/04\/xmlenc#sha256/g, "http://www.w3.org/2000/09/xmldsig#sha1"));
      expectCode(() => openEformidlingAsic(sha1), "efm-asic-unsupported-algorithm");
    });

    it("manifest.xml naming a main document the container lacks (consistently signed): efm-asic-manifest-invalid", () => {
      const forged = buildEformidlingAsic(dpoInput());
      const edited = resign(replaceData(forged, "manifest.xml", (d) => text(Buffer.from(d).toString("utf8").replace('href="arkivmelding.xml"', 'href="borte.xml"'))), (xml) => xml, ["manifest.xml"]);
      expectCode(() => openEformidlingAsic(edited), "efm-asic-manifest-invalid");
    });

    it("no manifest.xml (consistently signed): efm-asic-manifest-invalid", () => {
      const without = resign(rezip(zip, (entries) => entries.filter((e) => e.name !== "manifest.xml")), (xml) => xml.replace(/ {4}<DataObjectReference URI="manifest\.xml"[\s\S]*?<\/DataObjectReference>\n/, ""));
      expectCode(() => openEformidlingAsic(without), "efm-asic-manifest-invalid");
    });
  });

  describe("the container", () => {
    it("not a zip: efm-asic-malformed", () => {
      expectCode(() => openEformidlingAsic(text("not a zip at all")), "efm-asic-malformed");
    });

    it("mimetype missing, compressed, not first or wrong: efm-asic-malformed", () => {
      expectCode(() => openEformidlingAsic(rezip(zip, (entries) => entries.slice(1))), "efm-asic-malformed");
      expectCode(() => openEformidlingAsic(rezip(zip, (entries) => [{ ...entries[0]!, method: "deflate" }, ...entries.slice(1)])), "efm-asic-malformed");
      expectCode(() => openEformidlingAsic(rezip(zip, (entries) => [...entries.slice(1, 2), entries[0]!, ...entries.slice(2)])), "efm-asic-malformed");
      expectCode(() => openEformidlingAsic(replaceData(zip, "mimetype", () => text("application/zip"))), "efm-asic-malformed");
    });

    it("more entries than allowed: efm-asic-limit-exceeded", () => {
      expect(openEformidlingAsic(zip, { maxEntries: 7 }).documents).to.have.length(2);
      expectCode(() => openEformidlingAsic(zip, { maxEntries: 6 }), "efm-asic-limit-exceeded");
    });

    it("more inflated bytes than allowed: efm-asic-limit-exceeded", () => {
      expectCode(() => openEformidlingAsic(zip, { maxTotalSize: 2000 }), "efm-asic-limit-exceeded");
    });

    it("a zip bomb: refused from its declared sizes before anything is inflated (efm-asic-limit-exceeded)", () => {
      const bomb = writeZip([
        { name: "mimetype", data: text("application/vnd.etsi.asic-e+zip"), method: "store" },
        { name: "zeros.bin", data: Buffer.alloc(64 * 1024 * 1024) },
      ]);
      expect(bomb.byteLength).to.be.below(100_000);
      const err = expectCode(() => openEformidlingAsic(bomb, { maxTotalSize: 8 * 1024 * 1024 }), "efm-asic-limit-exceeded");
      expect(err.message).to.equal(`the entries declare ${64 * 1024 * 1024 + 31} bytes, more than the limit of ${8 * 1024 * 1024}`);
    });

    it("a zip whose sizes lie: efm-asic-malformed, not inflated past what it declares", () => {
      const honest = writeZip([
        { name: "mimetype", data: text("application/vnd.etsi.asic-e+zip"), method: "store" },
        { name: "zeros.bin", data: Buffer.alloc(1024 * 1024) },
      ]);
      // Rewrite zeros.bin's declared size (local header and central directory) to 1000 bytes.
      const lying = Buffer.from(honest);
      for (const sig of [0x04034b50, 0x02014b50]) {
        let at = -1;
        while ((at = lying.indexOf(Buffer.from(Uint32Array.of(sig).buffer), at + 1)) !== -1) {
          const nameLength = lying.readUInt16LE(at + (sig === 0x04034b50 ? 26 : 28));
          const name = lying.subarray(at + (sig === 0x04034b50 ? 30 : 46), at + (sig === 0x04034b50 ? 30 : 46) + nameLength).toString();
          if (name === "zeros.bin") lying.writeUInt32LE(1000, at + (sig === 0x04034b50 ? 22 : 24));
        }
      }
      expectCode(() => openEformidlingAsic(lying), "efm-asic-malformed");
    });
  });
});

/**
 * The container with its ASiCManifest rewritten by `edit`, digests recomputed for `redigest` files, and signed
 * again by the sender: a consistently signed package, so only the rule under test can refuse it.
 */
function resign(zip: Uint8Array, edit: (xml: string) => string, redigest: readonly string[] = []): Uint8Array {
  let xml = edit(entry(zip, ASIC_MANIFEST).toString("utf8"));
  for (const name of redigest) {
    const digest = createHash("sha256").update(entry(zip, name)).digest("base64");
    xml = xml.replace(new RegExp(`(<DataObjectReference URI="${name.replace(".", "\\.")}"[\\s\\S]*?<ns2:DigestValue>)[^<]*`), `$1${digest}`);
  }
  const manifest = text(xml);
  const signature = signDetachedCades(manifest, SENDER, CLOCK());
  const sigName = signatureName(zip);
  return rezip(zip, (entries) =>
    entries.map((e) => (e.name === ASIC_MANIFEST ? { ...e, data: manifest } : e.name === sigName ? { ...e, data: signature } : e)),
  );
}

describe("packaging interop: ASiC-E signatures with openssl", function () {
  this.timeout(60_000);
  let dir: string;
  const zip = buildEformidlingAsic(dpoInput());

  before(function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), "efm-asic-openssl-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("openssl cms -verify accepts the container's signature over its ASiCManifest as detached content", () => {
    writeFileSync(join(dir, "ASiCManifest.xml"), entry(zip, ASIC_MANIFEST));
    writeFileSync(join(dir, "signature.p7s"), entry(zip, signatureName(zip)));
    const r = run("openssl", [
      "cms", "-verify", "-binary", "-inform", "DER", "-in", join(dir, "signature.p7s"),
      "-content", join(dir, "ASiCManifest.xml"), "-CAfile", ROOT_PATH, "-purpose", "any", "-out", "/dev/null",
    ]);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.contain("Verification successful");
  });

  it("opens a container signed the way commons-asic signs (SHA-1 with RSA, no signing-certificate attribute)", () => {
    writeFileSync(join(dir, "ASiCManifest.xml"), entry(zip, ASIC_MANIFEST));
    const r = run("openssl", [
      "cms", "-sign", "-binary", "-md", "sha1", "-in", join(dir, "ASiCManifest.xml"),
      "-signer", certPath("910076787"), "-inkey", keyPath("910076787"), "-outform", "DER", "-out", join(dir, "sha1.p7s"),
    ]);
    expect(r.status, r.out).to.equal(0);
    const signedSha1 = replaceData(zip, signatureName(zip), () => readFileSync(join(dir, "sha1.p7s")));
    const opened = openEformidlingAsic(signedSha1);
    expect(opened.signer.digestAlgorithm).to.equal("sha1");
    expect(opened.documents).to.have.length(2);
    expectCode(() => openEformidlingAsic(signedSha1, { allowSha1: false }), "efm-asic-unsupported-algorithm");
  });
});
