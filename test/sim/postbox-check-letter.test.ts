import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { fixedClock } from "../../src/clock.js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { checkLetter, type LetterCheck, type LetterCheckContext } from "../../src/sim/postbox/check-letter.js";
import { receiptsFor } from "../../src/sim/postbox/receipts-for.js";
import { signForretningsmelding } from "../../src/dpi/build/sign-forretningsmelding.js";
import { replaceEntry } from "../dpi/build/asic-fixtures.js";
import { samplePayload } from "../dpi/samples.js";
import {
  AVSENDER,
  BUSINESS_ANCHORS,
  buildLetter,
  businessKey,
  DATABEHANDLER,
  DIGIPOST,
  EBOKS,
  fakeMaskinportenToken,
  NOW,
  OTHER_SENDER,
  PDF,
  PRINT,
  untrustedKey,
  type BuiltLetter,
  type LetterOptions,
} from "./postbox-fixtures.js";

const clock = fixedClock(NOW);

function context(orgno = DIGIPOST, overrides: Partial<LetterCheckContext> = {}): LetterCheckContext {
  return { provider: `0192:${orgno}`, recipient: businessKey(orgno), businessAnchors: BUSINESS_ANCHORS, clock, ...overrides };
}

const letter = (opts: LetterOptions = {}) => buildLetter({ clock, ...opts });
const check = (l: Pick<BuiltLetter, "jws" | "cms">, ctx = context()) => checkLetter(l.jws, async () => l.cms, ctx);

function rejected(result: LetterCheck) {
  if (result.ok) throw new Error("expected the letter to be refused");
  return result;
}

describe("sim/postbox check-letter: what corner 4 checks before delivering", () => {
  describe("letters that pass", () => {
    it("a digital letter: verified, decrypted, its ASiC-E and manifest agree with the forretningsmelding", async () => {
      const l = await letter();
      const result = await check(l);
      if (!result.ok) throw new Error(JSON.stringify(result.rejection));
      expect(result.letter.type).to.equal("digital");
      expect(result.letter.message.messageId).to.equal(l.messageId);
      expect(result.letter.signerOrg).to.equal(`0192:${AVSENDER}`);
      expect(result.letter.postkasseadresse).to.equal("ola.nordmann#9YDT");
      expect(result.letter.asic.signerOrg).to.equal(AVSENDER);
      expect([...result.letter.asic.files.keys()]).to.include.members(["vedtak.pdf", "vedlegg.pdf"]);
    });

    it("a print letter to the print provider, with the print address and no manifest mottaker", async () => {
      const l = await letter({ type: "utskrift" });
      const result = await check(l, context(PRINT));
      if (!result.ok) throw new Error(JSON.stringify(result.rejection));
      expect(result.letter.printAddress).to.deep.include({ navn: "Ola Nordmann", postnummer: "0155" });
      expect(result.letter.postkasseadresse).to.equal(undefined);
    });

    it("a flyttet letter, whose package may name the postbox it was first delivered to", async () => {
      const l = await letter({ type: "flyttet", asic: (i) => ({ ...i, mottaker: { postkasseadresse: "old.box#1234" } }) });
      const result = await check(l);
      expect(result.ok, JSON.stringify(!result.ok && result.rejection)).to.equal(true);
    });

    it("a letter a databehandler sends for the avsender, with a delegated token", async () => {
      const l = await letter({ sender: `0192:${DATABEHANDLER}` });
      const result = await check(l);
      expect(result.ok, JSON.stringify(!result.ok && result.rejection)).to.equal(true);
    });

    it("a failed download is thrown, not answered with a feil (the letter is fetched again)", async () => {
      const l = await letter();
      let thrown: unknown;
      try {
        await checkLetter(l.jws, async () => { throw new Error("ECONNRESET"); }, context());
      } catch (err) {
        thrown = err;
      }
      expect((thrown as Error)?.message).to.equal("ECONNRESET");
    });
  });

  describe("every failed check refuses the letter and earns exactly one feil (KLIENT)", () => {
    interface Case {
      name: string;
      make: () => Promise<{ jws: string; cms?: Uint8Array; noPackage?: boolean }>;
      stage: string;
      code: string;
      trusted?: boolean;
      ctx?: () => LetterCheckContext;
    }
    const cases: Case[] = [
      {
        name: "the JWS signature is broken",
        make: async () => {
          const l = await letter();
          const [h, p, s] = l.jws.split(".");
          return { ...l, jws: `${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}` };
        },
        stage: "forretningsmelding",
        code: "forretningsmelding-signature-invalid",
        trusted: false,
      },
      {
        name: "the signer's certificate is not a trusted business certificate",
        make: () => letter({ jwsSigner: untrustedKey() }),
        stage: "forretningsmelding",
        code: "signer-certificate-invalid",
        trusted: false,
      },
      {
        name: "another organisation signed the forretningsmelding",
        make: () => letter({ jwsSigner: { ...businessKey(OTHER_SENDER), chain: [] } }),
        stage: "forretningsmelding",
        code: "signer-not-sender",
      },
      {
        name: "the letter is addressed to another provider",
        make: () => letter({ receiver: `0192:${EBOKS}`, recipientCertificate: businessKey(DIGIPOST).certificate }),
        stage: "forretningsmelding",
        code: "not-addressed-to-provider",
      },
      {
        name: "the embedded token was issued for another organisation",
        make: () => letter({ token: fakeMaskinportenToken(OTHER_SENDER) }),
        stage: "authorisation",
        code: "sender-not-authorised",
      },
      {
        name: "a databehandler sends without a delegated token",
        make: () => letter({ sender: `0192:${DATABEHANDLER}`, token: fakeMaskinportenToken(AVSENDER) }),
        stage: "authorisation",
        code: "sender-not-authorised",
      },
      {
        name: "the embedded token is not a JWT",
        make: () => letter({ token: "not-a-token" }),
        stage: "authorisation",
        code: "sender-not-authorised",
      },
      {
        name: "the access point offers no dokumentpakke",
        make: async () => ({ ...(await letter()), noPackage: true }),
        stage: "dokumentpakke",
        code: "dokumentpakke-missing",
      },
      {
        name: "the fingerprint does not match the package",
        make: () => letter({ fingerprintOf: new Uint8Array([1, 2, 3]) }),
        stage: "dokumentpakke",
        code: "fingerprint-mismatch",
      },
      {
        name: "the package is not CMS (fingerprint correct)",
        make: () => letter({ cms: randomBytes(512) }),
        stage: "decryption",
        code: "dokumentpakke-not-cms",
      },
      {
        name: "the CMS is encrypted for another recipient (fingerprint correct)",
        make: () => letter({ recipientCertificate: businessKey(EBOKS).certificate }),
        stage: "decryption",
        code: "dokumentpakke-decrypt-failed",
      },
      {
        name: "the CMS holds no zip",
        make: async () => letter({ cms: await encryptDokumentpakke(randomBytes(300), businessKey(DIGIPOST).certificate) }),
        stage: "asic",
        code: "ZIP_MALFORMED",
      },
      {
        name: "a document was changed after the ASiC-E was signed",
        make: () => letter({ tamperContainer: (c) => replaceEntry(c, "vedtak.pdf", () => Buffer.concat([PDF, Buffer.from("%x")])) }),
        stage: "asic",
        code: "ASIC_DIGEST_MISMATCH",
      },
      {
        name: "the ASiC-E is signed by someone else than the sender",
        make: () => letter({ asicSigner: businessKey(OTHER_SENDER) }),
        stage: "asic",
        code: "asic-signer-not-sender",
      },
      {
        name: "the manifest names another avsender",
        make: () => letter({ asic: (i) => ({ ...i, avsender: { orgnr: OTHER_SENDER } }) }),
        stage: "manifest",
        code: "ASIC_MANIFEST_MISMATCH",
      },
      {
        name: "the manifest names another postbox",
        make: () => letter({ asic: (i) => ({ ...i, mottaker: { postkasseadresse: "kari.nordmann#1AB2" } }) }),
        stage: "manifest",
        code: "ASIC_MANIFEST_MISMATCH",
      },
      {
        name: "a print letter's manifest names a postbox",
        make: () => letter({ type: "utskrift", asic: (i) => ({ ...i, mottaker: { postkasseadresse: "ola.nordmann#9YDT" } }) }),
        stage: "manifest",
        code: "ASIC_MANIFEST_MISMATCH",
        ctx: () => context(PRINT),
      },
    ];

    for (const c of cases) {
      it(`${c.name} → ${c.code}`, async () => {
        const l = await c.make();
        const result = rejected(await checkLetter(l.jws, l.noPackage ? undefined : async () => l.cms!, c.ctx?.() ?? context()));
        expect(result.rejection.code, result.rejection.detail).to.equal(c.code);
        expect(result.rejection.stage).to.equal(c.stage);
        expect(result.trusted).to.equal(c.trusted ?? true);
        expect(result.message?.messageId, "the letter can still be answered").to.be.a("string");

        const plan = receiptsFor(result, {}, new Date(NOW));
        expect(plan).to.have.length(1);
        expect(plan[0]!.delayMs).to.equal(0);
        expect(plan[0]!.details).to.deep.include({ type: "feil", feiltype: "KLIENT" });
        expect((plan[0]!.details as { detaljer: string }).detaljer).to.match(new RegExp(`^${c.code}: `));
      });
    }
  });

  describe("what cannot be answered", () => {
    it("a forretningsmelding that is not even a JWS is refused without anybody to send a feil to", async () => {
      const result = rejected(await checkLetter("garbage", undefined, context()));
      expect(result.rejection.code).to.equal("forretningsmelding-malformed");
      expect(result.message).to.equal(undefined);
      expect(receiptsFor(result, {}, new Date(NOW))).to.deep.equal([]);
    });

    it("a receipt offered as a letter is refused and gets no receipt of its own", async () => {
      const payload = samplePayload("leveringskvittering", { receiver: `0192:${DIGIPOST}`, sender: `0192:${AVSENDER}`, avsender: `0192:${AVSENDER}` });
      const jws = await signForretningsmelding(payload, businessKey(AVSENDER));
      const result = rejected(await checkLetter(jws, undefined, context()));
      expect(result.rejection.code).to.equal("not-a-letter");
      expect(receiptsFor(result, {}, new Date(NOW))).to.deep.equal([]);
    });
  });
});
