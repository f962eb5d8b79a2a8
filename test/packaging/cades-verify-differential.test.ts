import { expect } from "chai";
import { signDetachedCades, verifyDetachedCades, type VerifiedCades } from "../../src/packaging/index.js";
import { MUTATION_KINDS, Prng, allNodes, encodeTree, mutate, parseTree, reencoded, type MutationKind, type Node } from "../dpi/der-mutations.js";
import { verifyDetachedCadesWithAsn1js } from "./asn1js-cades-verify.js";
import { cadesSamples, MANIFEST, type CadesSample } from "./cades-samples.js";
import { byteMutant, ENUMERATED, NOT_A_DOMAIN_ERROR, OVERRUN, PLAIN_ERROR, Tally, X690, outcome } from "./differential.js";
import { CLOCK, SENDER } from "./fixtures.js";

/**
 * verifyDetachedCades (our BER reader) against the asn1js reading it replaced (asn1js-cades-verify.ts), on every
 * sample signature and on seeded damage to each: truncations, every algorithm and attribute identifier changed to
 * an unknown one, other content, every element in the other BER length forms, and random changes to bytes and to
 * the element tree. The two must name the same signer, certificates, signing time and digest, or give the same
 * error code; where they differ it must be one of the kinds of differential.ts, each pinned by an example below.
 */

const verified = (v: VerifiedCades) => ({
  signer: v.signerCertificate.fingerprint256,
  certificates: v.certificates.map((c) => c.fingerprint256),
  signingTime: v.signingTime?.toISOString() ?? null,
  digestAlgorithm: v.digestAlgorithm,
});
const ours = (signature: Uint8Array, content: Uint8Array) => outcome(() => verifyDetachedCades(signature, content), verified);
const theirs = (signature: Uint8Array, content: Uint8Array) => outcome(() => verifyDetachedCadesWithAsn1js(signature, content), verified);
const newTally = () => new Tally<Uint8Array>("efm-asic-signature-malformed", ours, theirs);

/** What each sample verifies to over MANIFEST (its digest), or why not. */
const EXPECTED: Record<string, string> = {
  signDetachedCades: "sha256",
  "openssl SHA-256": "sha256",
  "openssl SHA-1": "sha1",
  "openssl SHA-512 with the chain": "sha512",
  "openssl signer by key identifier": "sha256",
  "openssl no certificates": "efm-asic-signature-invalid",
  "openssl no signed attributes": "efm-asic-signature-malformed",
  "openssl content inside": "efm-asic-signature-malformed",
  "openssl RSASSA-PSS": "efm-asic-unsupported-algorithm",
  "BouncyCastle (commons-asic)": "sha1",
};

/* The DER encodings of the OIDs a signature names, to be changed into unknown ones. */
const OIDS: Record<string, string> = {
  signedData: "06092a864886f70d010702",
  data: "06092a864886f70d010701",
  rsaEncryption: "06092a864886f70d010101",
  sha256WithRsa: "06092a864886f70d01010b",
  sha1WithRsa: "06092a864886f70d010105",
  sha1: "06052b0e03021a",
  sha256: "0609608648016503040201",
  sha512: "0609608648016503040203",
  contentTypeAttr: "06092a864886f70d010903",
  messageDigestAttr: "06092a864886f70d010904",
  signingTimeAttr: "06092a864886f70d010905",
  signingCertificateV2Attr: "060b2a864886f70d010910022f",
};

function unknownAlgorithms(signature: Uint8Array): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: Uint8Array }[] = [];
  const bytes = Buffer.from(signature);
  for (const [name, hex] of Object.entries(OIDS)) {
    const needle = Buffer.from(hex, "hex");
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
      const changed = Buffer.from(bytes);
      changed[at + needle.length - 1] = 0x7e;
      out.push({ what: `${name} at ${at} made unknown`, bytes: changed });
    }
  }
  return out;
}

describe("packaging/cades-verify: the same outcome as the asn1js reading it replaced", function () {
  this.timeout(600_000);
  let samples: CadesSample[];

  before(() => {
    samples = cadesSamples();
  });

  it("every sample verifies (or is refused) as expected, and as asn1js verified it", () => {
    expect(samples[0]!.name).to.equal("signDetachedCades");
    for (const s of samples) {
      const expected = EXPECTED[s.name];
      expect(expected, s.name).to.not.equal(undefined);
      const a = ours(s.signature, MANIFEST);
      const b = theirs(s.signature, MANIFEST);
      expect(a.ok ? a : { code: a.code }, s.name).to.deep.equal(b.ok ? b : { code: b.code });
      expect(a.ok ? a.digestAlgorithm : a.code, s.name).to.equal(expected);
    }
  });

  it("over other content: the same refusal", () => {
    const tally = newTally();
    for (const s of samples) tally.compare(`${s.name} over other content`, s.signature, Buffer.concat([MANIFEST, Buffer.from(" ")]));
    expect([...tally.differences]).to.deep.equal([]);
    expect(tally.same.get("efm-asic-signature-invalid")).to.be.greaterThan(0);
  });

  it("each element in the other BER length forms: the same outcome from both", () => {
    const tally = newTally();
    // Two samples: each element of the certificates they carry is a variant, and each variant parses them anew.
    for (const s of samples.slice(0, 2)) {
      const tree = parseTree(s.signature);
      if (tree.raw) continue;
      allNodes(tree).forEach((node, i) => {
        tally.compare(`${s.name}, element ${i} in long form`, reencoded(tree, i, "long"), MANIFEST);
        if (node.children) tally.compare(`${s.name}, element ${i} of indefinite length`, reencoded(tree, i, "indefinite"), MANIFEST);
      });
    }
    expect([...tally.differences]).to.deep.equal([]);
    expect(tally.same.get("ok")).to.be.greaterThan(100);
  });

  it("truncated anywhere, or every algorithm and attribute identifier made unknown: the same refusal", () => {
    const tally = newTally();
    for (const s of samples) {
      for (let cut = 0; cut < s.signature.byteLength; cut += 7) tally.compare(`${s.name} cut to ${cut} bytes`, s.signature.subarray(0, cut), MANIFEST);
      for (const m of unknownAlgorithms(s.signature)) tally.compare(`${s.name}: ${m.what}`, m.bytes, MANIFEST);
    }
    expect([...tally.same.keys()]).to.include.members(["efm-asic-signature-malformed", "efm-asic-unsupported-algorithm", "efm-asic-signature-invalid"]);
    // A length made short lets asn1js read on; the certificate's key algorithm made unknown threw a plain error.
    expect([...tally.differences.keys()].filter((k) => k !== OVERRUN && k !== PLAIN_ERROR)).to.deep.equal([]);
  });

  it("seeded random changes to bytes and to the element tree: the same outcome, or a difference of a known kind", () => {
    const tally = newTally();
    const kinds = new Map<MutationKind, number>();
    const rng = new Prng(0x17ca);
    for (const s of samples) {
      // parseTree keeps an indefinite-length element whole: a BER sample (BouncyCastle's) gets only the byte-level kinds.
      const tree = parseTree(s.signature);
      for (let i = 0; i < 300; i++) {
        const m = tree.raw ? byteMutant(s.signature, rng) : mutate(s.signature, tree, rng);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        tally.compare(`${s.name} mutant ${i} (${m.kind})`, m.bytes, MANIFEST, s.signature);
      }
    }
    expect([...kinds.keys()]).to.include.members([...MUTATION_KINDS]);
    expect(tally.same.get("efm-asic-signature-malformed")).to.be.greaterThan(100);
    expect(tally.same.get("ok")).to.be.greaterThan(10);
  });
});

describe("packaging/cades-verify: where it differs from the asn1js reading", () => {
  function expectDifference(signature: Uint8Array, kind: string, message: string, asn1jsCode: string, original?: Uint8Array): void {
    const a = ours(signature, MANIFEST);
    const b = theirs(signature, MANIFEST);
    expect(a.ok ? a : { code: a.code, message: a.message }).to.deep.equal({ code: "efm-asic-signature-malformed", message });
    expect(b.ok ? "verified" : b.code).to.equal(asn1jsCode);
    expect(newTally().kindOf(a, b, signature, MANIFEST, original)).to.equal(kind);
  }

  const signature = () => signDetachedCades(MANIFEST, SENDER, CLOCK());

  /** The signature's element tree, and the first element `pick` chooses in it. */
  function edit(pick: (n: Node) => boolean): { tree: Node; node: Node } {
    const tree = parseTree(signature());
    const node = allNodes(tree).find(pick);
    if (!node) throw new Error("no such element in the signature");
    return { tree, node };
  }
  const hexOf = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString("hex") : "");
  const isVersionOne = (n: Node) => hexOf(n.identifier) === "02" && hexOf(n.content) === "01";

  it("a padded INTEGER (SignedData's version): refused, where asn1js verified", () => {
    const { tree, node } = edit(isVersionOne);
    node.content = Buffer.from("0001", "hex");
    expectDifference(encodeTree(tree), X690, "the signature is not BER-encoded ASN.1: ContentInfo: an INTEGER padded with a needless octet", "verified");
  });

  it("an ENUMERATED serial number naming the signer: refused, where asn1js took it for an INTEGER", () => {
    const original = signature();
    const { tree, node } = edit((n) => n.children?.length === 2 && hexOf(n.children[1]!.identifier) === "02" && hexOf(n.children[0]!.identifier) === "30" && n.children[1]!.content!.length > 8);
    node.children![1]!.identifier = Buffer.from("0a", "hex");
    expectDifference(encodeTree(tree), ENUMERATED, "the SignerInfo names its certificate in no known way", "verified", original);
  });

  it("the signer's key algorithm made unknown: malformed, where the asn1js reading let node:crypto's plain error escape", () => {
    const original = Buffer.from(signature());
    const at = original.lastIndexOf(Buffer.from(OIDS.rsaEncryption!, "hex"));
    const changed = Buffer.from(original);
    changed[at + 10] = 0x7e;
    expectDifference(changed, PLAIN_ERROR, "the signer's certificate carries an unreadable public key", NOT_A_DOMAIN_ERROR);
  });
});
