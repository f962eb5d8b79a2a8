import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAsicE } from "../../../src/dpi/build/asic-e.js";
import { ASIC_NS, AsicDigestMismatchError, canonicalize, verifyAsicE, XADES_ALG } from "../../../src/dpi/asic-verify.js";
import { readZip } from "../../../src/dpi/zip.js";
import { parseXml } from "../../../src/xml/safe-parse.js";
import { CERTS } from "../../helpers/certs.js";
import { vectorPath } from "../vectors.js";
import { BUSINESS_ROOT, CLOCK, editSignatures, letter, PDF, replaceEntry } from "./asic-fixtures.js";
import { findPython as findPythonWith, run, SANTUARIO_JARS } from "../../helpers/tools.js";

/**
 * Our XAdES signatures and canonicalisation checked by implementations that share no code with us:
 * libxml2 C14N through python3-lxml with python3-cryptography (verify, and sign in another namespace
 * layout), and Apache Santuario's C14N. Each skips cleanly when its Debian packages are absent.
 */

const HERE = fileURLToPath(new URL(".", import.meta.url));
const SCRIPT = join(HERE, "xades_verify.py");
const JARS = SANTUARIO_JARS;
const SAMPLES = ["digital-dokumentpakke.zip", "digital-pa-vegne-av-dokumentpakke.zip"].map(vectorPath).filter((p) => existsSync(p));
const enc = (s: string) => Buffer.from(s, "utf8");


const findPython = () => findPythonWith(["-c", "import lxml.etree, cryptography.x509"]);

const containers = (): Array<[string, Uint8Array]> => [
  ["a digital letter", buildAsicE(letter())],
  [
    "a letter with vedlegg, UTF-8 names and an extension file",
    buildAsicE(
      letter({
        hoveddokument: {
          name: "Vedtak om støtte.pdf",
          mimeType: "application/pdf",
          title: "Vedtak & <svar>",
          bytes: PDF,
          data: { name: "lenke.xml", mimeType: "application/vnd.difi.dpi.lenke+xml", bytes: enc("<lenke/>") },
        },
        vedlegg: [{ name: "Ærlig talt.txt", mimeType: "text/plain", bytes: enc("hei") }],
        avsender: { orgnr: "991825827", avsenderidentifikator: "a&b", fakturaReferanse: "<42>" },
      }),
    ),
  ],
  ["a print letter", (() => {
    const { mottaker: _none, ...print } = letter();
    return buildAsicE(print);
  })()],
];

describe("interop: XAdES dokumentpakke with independent implementations", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "asic-interop-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const save = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  describe("python3-lxml + cryptography", () => {
    let python: string;
    before(function () {
      const found = findPython();
      if (!found) this.skip();
      python = found;
    });

    it("verifies Digdir's samples (the independent verifier is sound)", function () {
      if (SAMPLES.length === 0) this.skip();
      for (const sample of SAMPLES) {
        const r = run(python, [SCRIPT, sample]);
        expect(r.out, sample).to.match(/^OK 2022-03-16T/);
        expect(r.status).to.equal(0);
      }
    });

    it("verifies our containers", () => {
      for (const [i, [what, zip]] of containers().entries()) {
        const r = run(python, [SCRIPT, save(`ours-${i}.zip`, zip)]);
        expect(r.out, what).to.equal("OK 2025-06-01T10:00:00.000Z");
        expect(r.status).to.equal(0);
      }
    });

    it("rejects our container with a document, the SigningTime or the signature value changed", () => {
      const good = buildAsicE(letter());
      const cases: Array<[Uint8Array, RegExp]> = [
        [replaceEntry(good, "vedtak.pdf", (d) => Buffer.concat([d, enc("x")])), /digest mismatch for vedtak\.pdf/],
        [editSignatures(good, (x) => x.replace("T10:00:00.000Z<", "T10:00:01.000Z<")), /SignedProperties digest mismatch/],
        [editSignatures(good, (x) => x.replace(/<SignatureValue>(.)/, (_m, c: string) => `<SignatureValue>${c === "A" ? "B" : "A"}`)), /signature value does not verify/],
      ];
      for (const [i, [zip, reason]] of cases.entries()) {
        const r = run(python, [SCRIPT, save(`bad-${i}.zip`, zip)]);
        expect(r.status).to.equal(1);
        expect(r.out).to.match(reason);
      }
    });

    it("a container signed by Python in another namespace layout passes our verifier; tampered, it fails", () => {
      const source = save("source.zip", buildAsicE(letter()));
      const signed = join(dir, "python-signed.zip");
      const business = (f: string) => join(CERTS, "business", f);
      const r = run(python, [SCRIPT, "sign", source, signed, business("991825827.key.pem"), business("991825827.pem"), business("intermediate-ca.pem"), business("root-ca.pem")]);
      expect(r.out).to.equal("SIGNED");
      const zip = readFileSync(signed);
      const signatures = Buffer.from(readZip(zip).entries.find((e) => e.name === "META-INF/signatures.xml")!.data).toString();
      expect(signatures).to.contain("<ds:Signature"); // really another layout than ours
      const verified = verifyAsicE(zip, { anchors: [BUSINESS_ROOT], clock: CLOCK });
      expect(verified.signerOrg).to.equal("991825827");
      expect(verified.signingTime.toISOString()).to.equal("2025-06-01T10:00:00.000Z");
      const tampered = replaceEntry(zip, "manifest.xml", (d) => enc(Buffer.from(d).toString().replace("0000487204", "0000487205")));
      expect(() => verifyAsicE(tampered, { anchors: [BUSINESS_ROOT], clock: CLOCK })).to.throw(AsicDigestMismatchError);
    });
  });

  describe("Apache Santuario C14N", () => {
    let classes: string;
    before(function () {
      if (!JARS.every(existsSync) || run("javac", ["-version"]).status !== 0) this.skip();
      classes = join(dir, "classes");
      const compiled = run("javac", ["-nowarn", "-cp", JARS.join(":"), "-d", classes, join(HERE, "C14nSubtree.java")]);
      expect(compiled.status, compiled.out).to.equal(0);
    });

    function santuario(xmlPath: string, ns: string, localName: string): string {
      const r = spawnSync("java", ["-cp", [classes, ...JARS].join(":"), "C14nSubtree", xmlPath, ns, localName], { timeout: 60_000 });
      expect(r.status, `${r.stderr}`).to.equal(0);
      return r.stdout.toString("utf8");
    }

    function compare(name: string, xml: Uint8Array, elements: Array<[string, string]>): void {
      const path = save(`${name}.xml`, xml);
      const doc = parseXml(xml);
      for (const [ns, localName] of elements) {
        const el = doc.getElementsByTagNameNS(ns, localName)[0]!;
        expect(canonicalize(el, XADES_ALG.c14n10), `${name} ${localName}`).to.equal(santuario(path, ns, localName));
      }
    }

    const SIGNED_PARTS: Array<[string, string]> = [
      [ASIC_NS.ds, "SignedInfo"],
      [ASIC_NS.xades, "SignedProperties"],
    ];

    it("agrees on SignedInfo and SignedProperties of our signatures and Digdir's", () => {
      const ours = containers().map(([, zip]) => zip);
      const sampleZips = SAMPLES.map((p) => readFileSync(p));
      for (const [i, zip] of [...ours, ...sampleZips].entries()) {
        const sig = readZip(zip).entries.find((e) => e.name === "META-INF/signatures.xml")!.data;
        compare(`signatures-${i}`, sig, SIGNED_PARTS);
      }
    });

    it("agrees on a hostile namespace and escaping layout", () => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>
<asic:XAdESSignatures xmlns:asic="${ASIC_NS.asic}" xmlns="urn:example:default" xmlns:unused="urn:example:unused">
  <ds:Signature xmlns:ds="${ASIC_NS.ds}" Id="S">
    <ds:SignedInfo xmlns:ds="${ASIC_NS.ds}" xmlns:b="urn:b" xmlns:a="urn:a" xmlns:S12="urn:s12" xmlns:eb="urn:eb">
      <ds:CanonicalizationMethod Algorithm="${XADES_ALG.c14n10}"/>
      <ds:Reference URI="a%20b.txt" b:x="1" a:y="2" z="3" S12:m="4" eb:n="5"><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>
    </ds:SignedInfo>
    <ds:Object>
      <QualifyingProperties xmlns="${ASIC_NS.xades}" Target="#S">
        <SignedProperties Id="SP">
          <!-- dropped by c14n without comments -->
          <SigningTime>2025-06-01T12:00:00Z</SigningTime>
          <Other xmlns="" attr="a&#9;b&#10;c&quot;&lt;&amp;>'">text &amp; &lt; &gt; &#13; "quoted" <![CDATA[<cdata & more>]]></Other>
          <x:Deep xmlns:x="urn:x" xmlns:ds="${ASIC_NS.ds}"><x:Inner xmlns:x="urn:x"><Back/></x:Inner></x:Deep>
          <Empty></Empty><SelfClosed/>
        </SignedProperties>
      </QualifyingProperties>
    </ds:Object>
  </ds:Signature>
</asic:XAdESSignatures>`;
      compare("hostile", enc(xml), SIGNED_PARTS);
    });
  });
});
