import { expect } from "chai";
import { createHash } from "node:crypto";
import { decryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { DomainError } from "../../src/errors.js";
import { certificateParts } from "../../src/packaging/certificates.js";
import { readEnvelope } from "../../src/packaging/cms-envelope.js";
import { decryptSamples, type DecryptSample, type Holder } from "../packaging/cms-samples.js";
import { byteMutant, differenceKind, EOC, NOT_A_DOMAIN_ERROR, OVERRUN, strip, same, X690, type Outcome } from "../packaging/differential.js";
import { OTHER } from "../packaging/fixtures.js";
import { MUTATION_KINDS, Prng, mutate, parseTree, type Mutant, type MutationKind } from "./der-mutations.js";
import { decryptDokumentpakkeWithPkijs } from "./pkijs-dokumentpakke-decrypt.js";

/**
 * decryptDokumentpakke (our BER reader and node:crypto) against the pkijs and WebCrypto decryption it replaced
 * (pkijs-dokumentpakke-decrypt.ts): the same plaintext or the same error code on every sample envelope (ours,
 * pkijs', openssl's, BouncyCastle's and Digdir's where present) and on seeded damage to each. Where they differ
 * it must be a kind of BER that pkijs' asn1js let pass and our reader refuses (differential.ts).
 */

async function outcome(run: () => Promise<Uint8Array>): Promise<Outcome> {
  try {
    return { ok: true, digest: createHash("sha256").update(await run()).digest("hex") };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: NOT_A_DOMAIN_ERROR, message: String((err as Error).stack ?? err) };
  }
}

/*
 * RFC 5652 names the recipient by the issuer's Name as the certificate encodes it, and we compare those bytes;
 * pkijs compared the names' strings after its own normalisation (case, spaces, control characters), so a name
 * changed in a way it normalised away still found the recipient there, and fails later or decrypts anyway.
 */
const ISSUER_BY_BYTES = "the recipient's issuer changed in its bytes (pkijs normalised the names' strings before comparing them)";

function issuerReencoded(ours: Outcome, cms: Uint8Array, holder: Holder): boolean {
  if (ours.ok || !ours.message.startsWith("no KeyTransRecipientInfo")) return false;
  const mine = Buffer.from(certificateParts(holder.certificate).issuer);
  const recipients = readEnvelope(cms).recipients;
  return recipients.length > 0 && recipients.every((r) => !("issuer" in r.id) || !mine.equals(r.id.issuer));
}

const ours = (cms: Uint8Array, h: Holder) => outcome(() => decryptDokumentpakke(cms, h.privateKey, h.certificate));
const theirs = (cms: Uint8Array, h: Holder) => outcome(() => decryptDokumentpakkeWithPkijs(cms, h.privateKey, h.certificate));

class Tally {
  readonly same = new Map<string, number>();
  readonly differences = new Map<string, number>();
  async compare(what: string, cms: Uint8Array, holder: Holder): Promise<void> {
    const a = await ours(cms, holder);
    const b = await theirs(cms, holder);
    if (!a.ok) expect(a.code, `${what}: ${a.message}`).to.not.equal(NOT_A_DOMAIN_ERROR);
    if (same(a, b)) {
      const key = a.ok ? "ok" : a.code;
      this.same.set(key, (this.same.get(key) ?? 0) + 1);
      return;
    }
    const kind = differenceKind("dokumentpakke-not-cms", a, b) ?? (issuerReencoded(a, cms, holder) ? ISSUER_BY_BYTES : undefined);
    if (kind === undefined) expect.fail(`${what}: ours ${JSON.stringify(a)}, pkijs' ${JSON.stringify(b)}`);
    this.differences.set(kind, (this.differences.get(kind) ?? 0) + 1);
  }
}

const PLAIN = Buffer.from(`PK\u0003\u0004 ${"an ASiC-E stands in here, æøå. ".repeat(100)}`, "utf8");
const PLAIN_DIGEST = createHash("sha256").update(PLAIN).digest("hex");

/** What DPI makes of each sample: only RSAES-OAEP with one hash and no label, AES-CBC, in EnvelopedData. */
const EXPECTED: Record<string, string> = {
  "encryptCms rsaes-oaep": "ok",
  "encryptCms rsa-pkcs1v15": "unsupported-cms-algorithm",
  "pkijs (encryptDokumentpakke)": "ok",
  "AuthEnvelopedData with authAttrs and a 12-byte tag": "dokumentpakke-not-cms",
  "openssl OAEP SHA-256/MGF1-SHA-256, AES-256-CBC": "ok",
  "openssl OAEP defaults, AES-128-CBC": "ok",
  "openssl OAEP SHA-512/MGF1-SHA-512, AES-192-CBC": "ok",
  "openssl OAEP SHA-256/MGF1-SHA-1": "unsupported-cms-algorithm",
  "openssl OAEP with a label": "unsupported-cms-algorithm",
  "openssl PKCS#1 v1.5, AES-256-CBC": "unsupported-cms-algorithm",
  "openssl AES-256-GCM in AuthEnvelopedData": "dokumentpakke-not-cms",
  "openssl AES-128-GCM in AuthEnvelopedData, OAEP": "dokumentpakke-not-cms",
  "openssl subject key identifier": "unsupported-cms-algorithm",
  "openssl streamed BER": "unsupported-cms-algorithm",
  "openssl another recipient first": "unsupported-cms-algorithm",
  "openssl a KEK recipient besides": "unsupported-cms-algorithm",
  "openssl triple DES": "unsupported-cms-algorithm",
  "openssl for another organisation only": "dokumentpakke-decrypt-failed",
  "BouncyCastle oaep": "ok",
  "BouncyCastle pkcs1": "unsupported-cms-algorithm",
  "Digdir digital": "ok",
  "Digdir digital-pa-vegne-av": "ok",
};

describe("dpi/dokumentpakke: decryption gives what the pkijs decryption it replaced gave", function () {
  this.timeout(600_000);
  let samples: DecryptSample[];

  before(async () => {
    samples = await decryptSamples(PLAIN);
  });

  it("every sample: the same plaintext or refusal, the one DPI's profile calls for", async () => {
    expect(samples.map((s) => s.name).slice(0, 4)).to.deep.equal(Object.keys(EXPECTED).slice(0, 4));
    for (const s of samples) {
      const a = await ours(s.cms, s.holder);
      expect(strip(a), s.name).to.deep.equal(strip(await theirs(s.cms, s.holder)));
      expect(a.ok ? "ok" : a.code, s.name).to.equal(EXPECTED[s.name]);
      if (a.ok && !s.name.startsWith("Digdir")) expect(a.digest, s.name).to.equal(PLAIN_DIGEST);
    }
  });

  it("the wrong recipient's key: the same refusal", async () => {
    const tally = new Tally();
    for (const s of samples) await tally.compare(`${s.name} with another key`, s.cms, OTHER);
    expect([...tally.differences]).to.deep.equal([]);
    expect(tally.same.get("dokumentpakke-decrypt-failed")).to.be.greaterThan(3);
  });

  it("truncated anywhere and the last bytes flipped (CBC padding, end-of-contents): the same refusal or plaintext", async () => {
    const tally = new Tally();
    for (const s of samples) {
      const n = s.cms.byteLength;
      for (let i = 1; i <= 8; i++) await tally.compare(`${s.name} cut`, s.cms.subarray(0, Math.floor((n * i) / 9)), s.holder);
      for (let back = 1; back <= 24; back++) {
        const flipped = Buffer.from(s.cms);
        flipped[n - back]! ^= 0x01;
        await tally.compare(`${s.name} with byte ${n - back} flipped`, flipped, s.holder);
      }
    }
    expect([...tally.same.keys()]).to.include.members(["dokumentpakke-not-cms", "dokumentpakke-decrypt-failed"]);
    expect([...tally.differences.keys()].filter((k) => k !== EOC && k !== OVERRUN)).to.deep.equal([]);
  });

  it("seeded random changes to bytes and to the element tree: the same outcome, or a difference of a known kind", async () => {
    const tally = new Tally();
    const kinds = new Map<MutationKind, number>();
    const rng = new Prng(0xd91);
    for (const s of samples) {
      const tree = parseTree(s.cms);
      for (let i = 0; i < 60; i++) {
        const m: Mutant = tree.raw ? byteMutant(s.cms, rng) : mutate(s.cms, tree, rng);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        await tally.compare(`${s.name} mutant ${i} (${m.kind})`, m.bytes, s.holder);
      }
    }
    expect([...kinds.keys()]).to.include.members([...MUTATION_KINDS]);
    expect(tally.same.get("dokumentpakke-not-cms")).to.be.greaterThan(50);
    expect(tally.same.get("ok")).to.be.greaterThan(5);
    expect([...tally.differences.keys()].filter((k) => k !== EOC && k !== OVERRUN && k !== X690 && k !== ISSUER_BY_BYTES)).to.deep.equal([]);
  });
});
