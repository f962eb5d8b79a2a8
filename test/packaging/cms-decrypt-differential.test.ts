import { expect } from "chai";
import { createHash } from "node:crypto";
import { decryptCms, encryptCms, type DecryptedCms } from "../../src/packaging/index.js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { MUTATION_KINDS, Prng, allNodes, encodeTree, mutate, parseTree, reencoded, type Mutant, type MutationKind } from "../dpi/der-mutations.js";
import { decryptCmsWithAsn1js } from "./asn1js-cms-decrypt.js";
import { decryptSamples, opensslEncrypt, type DecryptSample, type Holder } from "./cms-samples.js";
import { byteMutant, EOC, ENUMERATED, NOT_A_DOMAIN_ERROR, OVERRUN, PLAIN_ERROR, strip, Tally, X690, outcome } from "./differential.js";
import { certPath, OTHER, RECEIVER } from "./fixtures.js";

/**
 * decryptCms (our BER reader) against the asn1js reading it replaced (asn1js-cms-decrypt.ts), on every sample
 * envelope and on seeded damage to each: truncations, the last bytes flipped (CBC padding, the GCM tag,
 * end-of-contents octets), every algorithm identifier changed to an unknown one, the wrong recipient's key, and
 * random changes to bytes and to the element tree. The two must give the same plaintext and description, or the
 * same error code. Where they differ it must be one of the kinds of differential.ts, each pinned by an example below,
 * as is the one change made on purpose: a GCM nonce in a constructed OCTET STRING is malformed, not a failed
 * decryption.
 */

const decrypted = (d: DecryptedCms) => ({
  digest: createHash("sha256").update(d.content).digest("hex"),
  contentType: d.contentType,
  keyTransport: d.keyTransport,
  contentEncryption: d.contentEncryption,
});
const ours = (cms: Uint8Array, h: Holder) => outcome(() => decryptCms(cms, h.privateKey, h.certificate), decrypted);
const theirs = (cms: Uint8Array, h: Holder) => outcome(() => decryptCmsWithAsn1js(cms, h.privateKey, h.certificate), decrypted);
const newTally = () => new Tally<Holder>("cms-malformed", ours, theirs);

const PLAIN = Buffer.from(`PK\u0003\u0004 ${"an ASiC-E stands in here, æøå. ".repeat(100)}`, "utf8");

/** What each sample opens to (or why not), with the receiver's key. */
const EXPECTED: Record<string, { keyTransport: string; contentEncryption: string } | string> = {
  "encryptCms rsaes-oaep": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "encryptCms rsa-pkcs1v15": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "pkijs (encryptDokumentpakke)": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "AuthEnvelopedData with authAttrs and a 12-byte tag": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-gcm" },
  "openssl OAEP SHA-256/MGF1-SHA-256, AES-256-CBC": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "openssl OAEP defaults, AES-128-CBC": { keyTransport: "rsaes-oaep", contentEncryption: "aes-128-cbc" },
  "openssl OAEP SHA-512/MGF1-SHA-512, AES-192-CBC": { keyTransport: "rsaes-oaep", contentEncryption: "aes-192-cbc" },
  "openssl OAEP SHA-256/MGF1-SHA-1": "cms-unsupported-algorithm",
  "openssl OAEP with a label": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "openssl PKCS#1 v1.5, AES-256-CBC": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "openssl AES-256-GCM in AuthEnvelopedData": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-gcm" },
  "openssl AES-128-GCM in AuthEnvelopedData, OAEP": { keyTransport: "rsaes-oaep", contentEncryption: "aes-128-gcm" },
  "openssl subject key identifier": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "openssl streamed BER": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "openssl another recipient first": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "openssl a KEK recipient besides": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "openssl triple DES": "cms-unsupported-algorithm",
  "openssl for another organisation only": "cms-wrong-recipient",
  "BouncyCastle oaep": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "BouncyCastle pkcs1": { keyTransport: "rsa-pkcs1v15", contentEncryption: "aes-256-cbc" },
  "Digdir digital": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
  "Digdir digital-pa-vegne-av": { keyTransport: "rsaes-oaep", contentEncryption: "aes-256-cbc" },
};

/* The DER encodings of the OIDs an envelope names, to be changed into unknown ones. */
const OIDS: Record<string, string> = {
  envelopedData: "06092a864886f70d010703",
  authEnvelopedData: "060b2a864886f70d0109100117",
  data: "06092a864886f70d010701",
  rsaEncryption: "06092a864886f70d010101",
  rsaesOaep: "06092a864886f70d010107",
  mgf1: "06092a864886f70d010108",
  pSpecified: "06092a864886f70d010109",
  sha1: "06052b0e03021a",
  sha256: "0609608648016503040201",
  sha512: "0609608648016503040203",
  aesCbc: "06096086480165030401",
};

/** Each occurrence of a known OID with its last arc changed (to an arc no algorithm here has). */
function unknownAlgorithms(cms: Uint8Array): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: Uint8Array }[] = [];
  const bytes = Buffer.from(cms);
  for (const [name, hex] of Object.entries(OIDS)) {
    const needle = Buffer.from(hex, "hex");
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
      // aesCbc is a prefix: its last arc is the next byte (2, 6, 22, 26, 42, 46 for the AES modes).
      const last = name === "aesCbc" ? at + needle.length : at + needle.length - 1;
      const changed = Buffer.from(bytes);
      changed[last] = 0x7e;
      out.push({ what: `${name} at ${at} made unknown`, bytes: changed });
    }
  }
  return out;
}

describe("packaging/cms-decrypt: the same outcome as the asn1js reading it replaced", function () {
  this.timeout(600_000);
  let samples: DecryptSample[];

  before(async () => {
    samples = await decryptSamples(PLAIN);
  });

  it("every sample opens as expected, and as asn1js opened it", function () {
    const names = samples.map((s) => s.name);
    // The four of our own are always there; openssl, BouncyCastle and Digdir's skip when absent.
    expect(names.slice(0, 4)).to.deep.equal(["encryptCms rsaes-oaep", "encryptCms rsa-pkcs1v15", "pkijs (encryptDokumentpakke)", "AuthEnvelopedData with authAttrs and a 12-byte tag"]);
    for (const s of samples) {
      const expected = EXPECTED[s.name];
      expect(expected, s.name).to.not.equal(undefined);
      const a = ours(s.cms, s.holder);
      expect(strip(a), s.name).to.deep.equal(strip(theirs(s.cms, s.holder)));
      if (typeof expected === "string") {
        expect(a.ok ? "decrypted" : a.code, s.name).to.equal(expected);
      } else if (!s.name.startsWith("Digdir")) {
        expect(a, s.name).to.deep.equal({ ok: true, digest: createHash("sha256").update(PLAIN).digest("hex"), contentType: "1.2.840.113549.1.7.1", ...expected });
      } else {
        expect(a, s.name).to.include({ ok: true, contentType: "1.2.840.113549.1.7.1", ...expected });
      }
    }
  });

  it("each element of the DER samples in the other BER length forms: the same outcome from both, the sample's", () => {
    let variants = 0;
    let reencodedAway = 0;
    for (const s of samples) {
      const tree = parseTree(s.cms);
      if (tree.raw) continue; // already BER
      const expected = strip(ours(s.cms, s.holder));
      const check = (what: string, cms: Uint8Array) => {
        const a = strip(ours(cms, s.holder));
        expect(a, `${s.name}, ${what}`).to.deep.equal(strip(theirs(cms, s.holder)));
        variants++;
        // The recipient's issuer is compared as the certificate encodes it, so re-encoding it names someone else;
        // and GCM authenticates the authAttrs as they arrived, so re-encoding them fails the tag.
        if (JSON.stringify(a) !== JSON.stringify(expected)) {
          expect(a.ok ? "decrypted" : a.code, `${s.name}, ${what}`).to.be.oneOf(["cms-wrong-recipient", "cms-decrypt-failed"]);
          reencodedAway++;
        } else expect(a, `${s.name}, ${what}`).to.deep.equal(expected);
      };
      allNodes(tree).forEach((node, i) => {
        check(`element ${i} in long form`, reencoded(tree, i, "long"));
        if (node.children) check(`element ${i} of indefinite length`, reencoded(tree, i, "indefinite"));
      });
    }
    expect(variants).to.be.greaterThan(100);
    expect(reencodedAway).to.be.greaterThan(0);
  });

  it("the wrong recipient's key: the same refusal", () => {
    const tally = newTally();
    for (const s of samples) tally.compare(`${s.name} with another key`, s.cms, OTHER);
    expect([...tally.differences]).to.deep.equal([]);
  });

  it("truncated anywhere, and the last bytes flipped (padding, tag, end-of-contents): the same refusal or plaintext", () => {
    const tally = newTally();
    for (const s of samples) {
      const n = s.cms.byteLength;
      for (let i = 1; i <= 24; i++) {
        const cut = Math.floor((n * i) / 25);
        tally.compare(`${s.name} cut to ${cut} bytes`, s.cms.subarray(0, cut), s.holder);
      }
      for (let back = 1; back <= 40; back++) {
        const flipped = Buffer.from(s.cms);
        flipped[n - back]! ^= 0x01;
        tally.compare(`${s.name} with byte ${n - back} flipped`, flipped, s.holder);
      }
    }
    expect([...tally.same.keys()]).to.include.members(["cms-malformed", "cms-decrypt-failed"]);
    // BER samples end in end-of-contents octets, which asn1js did not mind damaged at the very end; a flipped
    // length octet near the end (the MAC's, the authAttrs') lets asn1js read on past the parent.
    expect([...tally.differences.keys()].filter((k) => k !== EOC && k !== OVERRUN)).to.deep.equal([]);
    expect(tally.differences.get(EOC)).to.be.greaterThan(0);
  });

  it("every algorithm identifier made unknown: the same refusal", () => {
    const tally = newTally();
    for (const s of samples) for (const m of unknownAlgorithms(s.cms)) tally.compare(`${s.name}: ${m.what}`, m.bytes, s.holder);
    expect([...tally.same.keys()]).to.include.members(["cms-malformed", "cms-unsupported-algorithm"]);
    expect([...tally.differences]).to.deep.equal([]);
  });

  it("seeded random changes to bytes and to the element tree: the same outcome, or a difference of a known kind", () => {
    const tally = newTally();
    const kinds = new Map<MutationKind, number>();
    const rng = new Prng(0x17c5);
    for (const s of samples) {
      // parseTree keeps an indefinite-length element whole: a BER sample gets only the byte-level kinds.
      const tree = parseTree(s.cms);
      for (let i = 0; i < 150; i++) {
        const m: Mutant = tree.raw ? byteMutant(s.cms, rng) : mutate(s.cms, tree, rng);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        tally.compare(`${s.name} mutant ${i} (${m.kind})`, m.bytes, s.holder, s.cms);
      }
    }
    expect([...kinds.keys()]).to.include.members([...MUTATION_KINDS]);
    // Both readers refuse most mutants alike; some decrypt to the same damaged plaintext (CBC has no integrity).
    expect(tally.same.get("cms-malformed")).to.be.greaterThan(100);
    expect(tally.same.get("ok")).to.be.greaterThan(10);
  });
});

describe("packaging/cms-decrypt: where it differs from the asn1js reading", () => {
  const oaep = () => encryptCms(PLAIN, RECEIVER.certificate, "rsaes-oaep");

  function expectDifference(cms: Uint8Array, kind: string, message: string, asn1jsCode: string, original?: Uint8Array): void {
    const a = ours(cms, RECEIVER);
    const b = theirs(cms, RECEIVER);
    expect(a.ok ? a : { code: a.code, message: a.message }).to.deep.equal({ code: "cms-malformed", message });
    expect(b.ok ? "decrypted" : b.code).to.equal(asn1jsCode);
    expect(newTally().kindOf(a, b, cms, RECEIVER, original)).to.equal(kind);
  }

  it("a padded INTEGER: refused, where asn1js decrypted", () => {
    expectDifference(replaceElement(oaep(), "020100", "02020000"), X690, "not BER-encoded ASN.1: ContentInfo: an INTEGER padded with a needless octet", "decrypted");
  });

  it("an ENUMERATED version: refused, where asn1js took it for an INTEGER", () => {
    const original = oaep();
    expectDifference(replaceElement(original, "020100", "0a0100"), ENUMERATED, "the EnvelopedData has no version", "decrypted", original);
  });

  it("an OID whose length is one short, so that its parent overruns: refused, where asn1js read on to an unknown hash", () => {
    const cms = Buffer.from(oaep());
    cms[cms.indexOf(Buffer.from(OIDS.sha256!, "hex")) + 1] = 0x08;
    expectDifference(cms, OVERRUN, "not BER-encoded ASN.1: ContentInfo: runs 4 bytes past its end", "cms-unsupported-algorithm");
  });

  it("BER whose last end-of-contents octets read 00 01: refused, where asn1js decrypted", async () => {
    const cms = Buffer.from(await encryptDokumentpakke(PLAIN, RECEIVER.certificate));
    cms[cms.byteLength - 1] = 0x01;
    expectDifference(cms, EOC, "not BER-encoded ASN.1: ContentInfo: an element runs 1 bytes past its end", "decrypted");
  });

  it("AES-GCM with its nonce in a constructed OCTET STRING: cms-malformed, where asn1js read it as empty and failed to decrypt", function () {
    const gcm = opensslEncrypt(PLAIN, ["-aes-256-gcm", "-recip", certPath("984661185")]);
    if (gcm === undefined) this.skip();
    // GCMParameters { nonce, 16 }: the 12-byte nonce put in one piece of a constructed OCTET STRING
    const params = allNodes(parseTree(gcm)).find((n) => n.children?.length === 2 && Buffer.from(encodeTree(n.children[1]!)).toString("hex") === "020110")!;
    const nonce = Buffer.from(encodeTree(params.children![0]!)).toString("hex");
    expect(nonce).to.match(/^040c[0-9a-f]{24}$/);
    const cms = replaceElement(gcm, nonce, `240e${nonce}`);
    const a = ours(cms, RECEIVER);
    const b = theirs(cms, RECEIVER);
    expect(a.ok ? a : { code: a.code, message: a.message }).to.deep.equal({ code: "cms-malformed", message: "aes-256-gcm parameters are not GCMParameters" });
    expect(b.ok ? "decrypted" : b.code).to.equal("cms-decrypt-failed");
  });

  it("RSAES-OAEP parameters holding a bare OID: cms-malformed, where the asn1js walk crashed with a TypeError", () => {
    const cms = replaceElement(oaep(), OAEP_SHA256_PARAMETERS, "3005 0603 2a0304");
    expectDifference(cms, PLAIN_ERROR, "malformed RSAES-OAEP parameters", NOT_A_DOMAIN_ERROR);
  });
});

/** RSAES-OAEP-params with SHA-256 and MGF1-SHA-256 as encryptCms writes them (cms.test.ts). */
const OAEP_SHA256_PARAMETERS = "302fa00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500";

/** DER with its first element encoded as `target` replaced by `replacement`, the lengths around it adjusted. */
function replaceElement(der: Uint8Array, target: string, replacement: string): Uint8Array {
  const tree = parseTree(der);
  const hex = (h: string) => h.replace(/\s+/g, "");
  const found = allNodes(tree).find((n) => Buffer.from(encodeTree(n)).toString("hex") === hex(target));
  if (!found) throw new Error(`no ${target} in the DER`);
  Object.assign(found, { children: undefined, content: undefined }, parseTree(Buffer.from(hex(replacement), "hex")));
  return encodeTree(tree);
}
