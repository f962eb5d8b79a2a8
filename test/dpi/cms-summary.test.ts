import { expect } from "chai";
import * as asn1js from "asn1js";
import { cmsSkeleton } from "../../src/dpi/cms-skeleton.js";
import { summarizeEnvelopedData, type EnvelopedDataSummary, type KeyTransportRecipientSummary } from "../../src/dpi/cms-summary.js";
import { CMS_OIDS, pkijsSkeletonSummary } from "../../src/dpi/dokumentpakke.js";
import { DokumentpakkeNotCmsError } from "../../src/dpi/errors.js";
import { cmsSamples } from "./cms-samples.js";
import { MUTATION_KINDS, Prng, allNodes, mutate, parseTree, reencoded, type MutationKind } from "./der-mutations.js";

/**
 * cms-summary.ts against the asn1js + pkijs reading it replaced (pkijsSkeletonSummary): on the skeleton of
 * every CMS sample, on every other valid BER encoding of those skeletons, and on seeded mutations of them.
 * Where pkijs accepts and our reader refuses, the refusal must be one of the kinds listed in STRICTER, each
 * pinned by an example below; the other way round (we accept what pkijs refuses), and different summaries,
 * only for the cases in "where it differs from pkijs otherwise".
 */

type Outcome = { readonly ok: true; readonly summary: EnvelopedDataSummary } | { readonly ok: false; readonly error: Error };

function outcome(read: () => EnvelopedDataSummary): Outcome {
  try {
    return { ok: true, summary: read() };
  } catch (error) {
    // Anything but a dokumentpakke-not-cms escaping would be a bug (a 500 instead of a 400).
    expect(error, (error as Error).stack).to.be.instanceOf(DokumentpakkeNotCmsError);
    return { ok: false, error: error as Error };
  }
}

const ours = (skeleton: Uint8Array) => outcome(() => summarizeEnvelopedData(skeleton));
const theirs = (skeleton: Uint8Array) => outcome(() => pkijsSkeletonSummary(skeleton));

/** What our reader refuses and pkijs lets through, by the refusal's message. */
const STRICTER: readonly { readonly kind: string; readonly message: RegExp }[] = [
  { kind: "an element after the last field of a SEQUENCE (pkijs stops reading at the schema's end)", message: /: [^:]+ (after [\w ]+|out of place)$/ },
  {
    kind: "a child running past its parent's end, or bytes after the ContentInfo (asn1js reads on and takes up after the child)",
    message: /: runs \d+ bytes past its end$|^\d+ bytes follow the CMS ContentInfo$/,
  },
  {
    kind: "BER that X.690 forbids and asn1js lets pass (padded or empty INTEGERs and OIDs, NULL or BOOLEAN of the wrong length, primitive SEQUENCEs, end-of-contents in a definite element, malformed BIT STRINGs, constructed strings not made of OCTET STRINGs, UTCTimes that are none)",
    message:
      /: (an INTEGER without content|an INTEGER padded with a needless octet|a NULL with content|a BOOLEAN of \d+ octets|an empty (OBJECT IDENTIFIER|RELATIVE-OID)|an arc padded with a zero octet in an (OBJECT IDENTIFIER|RELATIVE-OID)|the last arc cut off in an (OBJECT IDENTIFIER|RELATIVE-OID)|a BIT STRING [\w -]+|a primitive [\w -]+|a constructed [\w -]+ holds [\w -[\]]+, not OCTET STRING|end-of-contents octets where an element belongs|".*" is not a UTCTime|tag number \d+ in high-tag-number form|a tag number padded with a zero octet|a length of \d+ octets)$/,
  },
  { kind: "an empty RelativeDistinguishedName (X.501: SIZE (1..MAX))", message: /: an empty RelativeDistinguishedName$/ },
  { kind: "a negative version, or one of more than three octets (pkijs reports -1, or 0 from four octets on)", message: /^malformed EnvelopedData: version: (a negative INTEGER|an INTEGER of \d+ octets)$/ },
  { kind: "an empty unprotectedAttrs (SIZE (1..MAX))", message: /^malformed EnvelopedData: unprotectedAttrs is empty$/ },
  {
    kind: "RSAES-OAEP parameters that are neither absent, NULL nor a SEQUENCE (pkijs takes them for the defaults)",
    message: /^malformed RSAES-OAEP parameters: recipientInfos\[\d+\]\.keyEncryptionAlgorithm\.parameters: [^:]+, not a SEQUENCE$/,
  },
  {
    kind: "MGF1 without a well-formed hash AlgorithmIdentifier (pkijs reports no MGF1 hash)",
    message: /^malformed RSAES-OAEP parameters: recipientInfos\[\d+\]\.keyEncryptionAlgorithm\.parameters\.maskGenAlgorithm\.parameters(\.algorithm)?: /,
  },
];

function stricterKind(message: string): string | undefined {
  return STRICTER.find((s) => s.message.test(message))?.kind;
}

interface Sample {
  readonly name: string;
  readonly skeleton: Uint8Array;
}

const oaep = (hash: string, mgf1Hash: string, emptyLabel = true): KeyTransportRecipientSummary => ({
  keyEncryptionAlgorithm: CMS_OIDS.rsaesOaep,
  oaepHashAlgorithm: hash,
  oaepMaskGenAlgorithm: CMS_OIDS.mgf1,
  oaepMgf1HashAlgorithm: mgf1Hash,
  oaepEmptyLabel: emptyLabel,
  identifiedBy: "issuerAndSerialNumber",
});
const RSA = "1.2.840.113549.1.1.1";
const pkcs1 = (identifiedBy: KeyTransportRecipientSummary["identifiedBy"] = "issuerAndSerialNumber"): KeyTransportRecipientSummary => ({
  keyEncryptionAlgorithm: RSA,
  identifiedBy,
});

function summary(version: number, recipientCount: number, recipients: KeyTransportRecipientSummary[]): EnvelopedDataSummary {
  const first = recipients[0];
  return {
    version,
    recipientCount,
    keyTransportRecipients: recipients,
    ...(first ? { keyTransportAlgorithm: first.keyEncryptionAlgorithm } : {}),
    ...(first?.oaepHashAlgorithm ? { oaepHashAlgorithm: first.oaepHashAlgorithm, oaepMgf1HashAlgorithm: first.oaepMgf1HashAlgorithm } : {}),
    contentType: CMS_OIDS.data,
    contentEncryptionAlgorithm: CMS_OIDS.aes256Cbc,
  };
}

const DPI = summary(0, 1, [oaep(CMS_OIDS.sha256, CMS_OIDS.sha256)]);
const EXPECTED: Record<string, EnvelopedDataSummary> = {
  "pkijs (encryptDokumentpakke)": DPI,
  "encryptCms rsaes-oaep": DPI,
  "encryptCms rsa-pkcs1v15": summary(0, 1, [pkcs1()]),
  "Digdir digital": DPI,
  "Digdir digital-pa-vegne-av": DPI,
  "openssl OAEP SHA-256/MGF1-SHA-256": DPI,
  "openssl OAEP defaults": summary(0, 1, [oaep(CMS_OIDS.sha1, CMS_OIDS.sha1)]),
  "openssl OAEP SHA-256/MGF1-SHA-1": summary(0, 1, [oaep(CMS_OIDS.sha256, CMS_OIDS.sha1)]),
  "openssl OAEP with a label": summary(0, 1, [oaep(CMS_OIDS.sha1, CMS_OIDS.sha1, false)]),
  "openssl PKCS#1 v1.5": summary(0, 1, [pkcs1()]),
  "openssl subject key identifier": summary(2, 1, [pkcs1("subjectKeyIdentifier")]),
  "openssl streamed, RSA and EC recipients": summary(2, 2, [pkcs1()]),
  "openssl KeyAgreeRecipientInfo": summary(2, 1, []),
  "openssl KEKRecipientInfo": summary(2, 1, []),
  "openssl PasswordRecipientInfo": summary(3, 1, []),
};

describe("dpi/cms-summary: the same summary as pkijs", function () {
  this.timeout(300_000);
  let samples: Sample[];

  before(async () => {
    samples = (await cmsSamples()).map((s) => ({ name: s.name, skeleton: cmsSkeleton(s.cms) }));
  });

  it("for the skeleton of every sample", () => {
    expect(samples.length).to.be.at.least(3);
    for (const { name, skeleton } of samples) {
      const expected = EXPECTED[name];
      expect(expected, name).to.not.equal(undefined);
      expect(ours(skeleton), name).to.deep.equal({ ok: true, summary: expected });
      expect(theirs(skeleton), name).to.deep.equal({ ok: true, summary: expected });
    }
  });

  it("for every sample with any one element in another valid BER length form (long form, indefinite)", () => {
    let count = 0;
    for (const { name, skeleton } of samples) {
      const tree = parseTree(skeleton);
      const nodes = allNodes(tree);
      nodes.forEach((node, index) => {
        const forms = node.raw ? [] : node.children ? (["long", "indefinite"] as const) : (["long"] as const);
        for (const form of forms) {
          const bytes = reencoded(tree, index, form);
          expect(ours(bytes), `${name}, element ${index} ${form}`).to.deep.equal({ ok: true, summary: EXPECTED[name] });
          expect(theirs(bytes), `${name}, element ${index} ${form}`).to.deep.equal({ ok: true, summary: EXPECTED[name] });
          count++;
        }
      });
    }
    expect(count).to.be.greaterThan(100);
  });

  it("for seeded mutations: both refuse, or both accept with the same summary, or we refuse for a listed reason", () => {
    // CMS_MUTATION_SEED and CMS_MUTATIONS explore further; the defaults are what CI runs.
    const rng = new Prng(Number(process.env.CMS_MUTATION_SEED ?? 0x5eed_c0de));
    const perSample = Math.ceil(Number(process.env.CMS_MUTATIONS ?? 900) / samples.length);
    const tally = { bothAccept: 0, bothRefuse: 0, stricter: 0 };
    const kinds = new Set<MutationKind>();
    const unexplained: string[] = [];
    for (const { name, skeleton } of samples) {
      const tree = parseTree(skeleton);
      for (let i = 0; i < perSample; i++) {
        const mutant = mutate(skeleton, tree, rng);
        kinds.add(mutant.kind);
        const a = ours(mutant.bytes);
        const b = theirs(mutant.bytes);
        const label = `${name}, mutation ${i} (${mutant.kind}): ${Buffer.from(mutant.bytes).toString("hex")}`;
        if (a.ok && b.ok) {
          expect(a.summary, label).to.deep.equal(b.summary);
          tally.bothAccept++;
        } else if (!a.ok && !b.ok) {
          tally.bothRefuse++;
        } else if (!a.ok) {
          if (stricterKind(a.error.message) === undefined) unexplained.push(`we refuse, pkijs accepts: ${a.error.message}\n  ${label}`);
          tally.stricter++;
        } else if (!b.ok) {
          unexplained.push(`we accept, pkijs refuses: ${b.error.message}\n  ${label}`);
        }
      }
    }
    expect(unexplained, unexplained.join("\n")).to.deep.equal([]);
    expect([...kinds].sort()).to.deep.equal([...MUTATION_KINDS].sort());
    // Not vacuous: many mutants survive both readers, and most damage is refused by both.
    expect(tally.bothAccept, JSON.stringify(tally)).to.be.greaterThan(150);
    expect(tally.bothRefuse, JSON.stringify(tally)).to.be.greaterThan(300);
  });
});

/* A skeleton built piece by piece, DPI's shape by default, for the examples below. */
const h = (hex: string) => Buffer.from(hex, "hex");
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const oid = (dotted: string) => Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
const NULL = h("0500");
const algorithm = (id: string, ...parameters: Buffer[]) => tlv(0x30, oid(id), ...parameters);
const sha256 = algorithm(CMS_OIDS.sha256, NULL);
const mgf1Sha256 = tlv(0xa1, algorithm(CMS_OIDS.mgf1, sha256));
const dpiOaep = (...fields: Buffer[]) => algorithm(CMS_OIDS.rsaesOaep, tlv(0x30, tlv(0xa0, sha256), ...fields));
const name = (...rdns: Buffer[]) => tlv(0x30, ...rdns);
const cn = tlv(0x31, tlv(0x30, oid("2.5.4.3"), tlv(0x0c, Buffer.from("strict"))));
const issuerAndSerial = (issuer = name(cn), serial = h("020106"), ...extra: Buffer[]) => tlv(0x30, issuer, serial, ...extra);
const ktri = (rid = issuerAndSerial(), keyEncryption = dpiOaep(mgf1Sha256), ...extra: Buffer[]) =>
  tlv(0x30, h("020100"), rid, keyEncryption, tlv(0x04, Buffer.alloc(8, 7)), ...extra);
const eci = tlv(0x30, oid(CMS_OIDS.data), algorithm(CMS_OIDS.aes256Cbc, tlv(0x04, Buffer.alloc(16, 1))), h("8000"));
const envelopedData = (version = h("020100"), recipients = tlv(0x31, ktri()), ...rest: Buffer[]) => tlv(0x30, version, recipients, ...(rest.length ? rest : [eci]));
const contentInfo = (content = envelopedData()) => tlv(0x30, oid(CMS_OIDS.envelopedData), tlv(0xa0, content));
/** The default skeleton with its one KeyTransRecipientInfo made of these fields. */
const withRecipient = (...fields: Parameters<typeof ktri>) => contentInfo(envelopedData(undefined, tlv(0x31, ktri(...fields))));

function refusedByUs(bytes: Uint8Array): string {
  const result = ours(bytes);
  return result.ok ? "accepted" : result.error.message;
}

describe("dpi/cms-summary: where it is stricter than pkijs", () => {
  it("builds the examples on a skeleton both read alike", () => {
    expect(ours(contentInfo())).to.deep.equal({ ok: true, summary: DPI });
    expect(theirs(contentInfo())).to.deep.equal({ ok: true, summary: DPI });
  });

  const cases: Record<string, { bytes: () => Uint8Array; message: string }> = {
    "an element after the last field of a KeyTransRecipientInfo": {
      bytes: () => withRecipient(undefined, undefined, NULL),
      message: "malformed EnvelopedData: recipientInfos[0]: NULL after encryptedKey",
    },
    "an element after the last field of an AlgorithmIdentifier": {
      bytes: () => withRecipient(undefined, dpiOaep(tlv(0xa1, algorithm(CMS_OIDS.mgf1, sha256, NULL)))),
      message: "malformed RSAES-OAEP parameters: recipientInfos[0].keyEncryptionAlgorithm.parameters.maskGenAlgorithm: NULL after parameters",
    },
    "an element after the EnvelopedData inside ContentInfo's [0]": {
      bytes: () => tlv(0x30, oid(CMS_OIDS.envelopedData), tlv(0xa0, envelopedData(), NULL)),
      message: "not a CMS ContentInfo: content: NULL after EnvelopedData",
    },
    "RSAES-OAEP parameters out of order (pkijs ignores the MGF after the label)": {
      bytes: () => withRecipient(undefined, dpiOaep(tlv(0xa2, algorithm(CMS_OIDS.pSpecified, h("0400"))), mgf1Sha256)),
      message: "malformed RSAES-OAEP parameters: recipientInfos[0].keyEncryptionAlgorithm.parameters: [1] out of place",
    },
    "a KeyTransRecipientInfo running past the end of recipientInfos": {
      bytes: () => {
        const recipient = ktri();
        const recipients = Buffer.concat([h("3181"), Buffer.from([recipient.length - 1]), recipient]);
        return tlv(0x30, oid(CMS_OIDS.envelopedData), tlv(0xa0, tlv(0x30, h("020100"), recipients, eci)));
      },
      message: "malformed EnvelopedData: recipientInfos: runs 1 bytes past its end",
    },
    "a serial number padded with a needless zero octet": {
      bytes: () => withRecipient(issuerAndSerial(undefined, h("02020006"))),
      message: "malformed EnvelopedData: recipientInfos[0].rid.serialNumber: an INTEGER padded with a needless octet",
    },
    "a NULL with content as hash parameters": {
      bytes: () => withRecipient(undefined, algorithm(CMS_OIDS.rsaesOaep, tlv(0x30, tlv(0xa0, algorithm(CMS_OIDS.sha256, h("050100")))))),
      message: "malformed EnvelopedData: recipientInfos[0].keyEncryptionAlgorithm.parameters: a NULL with content",
    },
    "a primitive SEQUENCE as a name's value": {
      bytes: () => withRecipient(issuerAndSerial(name(tlv(0x31, tlv(0x30, oid("2.5.4.3"), h("1000")))))),
      message: "malformed EnvelopedData: recipientInfos[0].rid.issuer: a primitive SEQUENCE",
    },
    "a UTCTime that is none as a name's value": {
      bytes: () => withRecipient(issuerAndSerial(name(tlv(0x31, tlv(0x30, oid("2.5.4.3"), tlv(0x17, Buffer.from("NO"))))))),
      message: 'malformed EnvelopedData: recipientInfos[0].rid.issuer: "NO" is not a UTCTime',
    },
    "an empty RelativeDistinguishedName": {
      bytes: () => withRecipient(issuerAndSerial(name(cn, tlv(0x31)))),
      message: "malformed EnvelopedData: recipientInfos[0].rid.issuer: an empty RelativeDistinguishedName",
    },
    "a negative version (pkijs reports -1)": {
      bytes: () => contentInfo(envelopedData(h("0201ff"))),
      message: "malformed EnvelopedData: version: a negative INTEGER",
    },
    "a version of four octets (pkijs reports 0)": {
      bytes: () => contentInfo(envelopedData(h("020401000000"))),
      message: "malformed EnvelopedData: version: an INTEGER of 4 octets",
    },
    "an empty unprotectedAttrs": {
      bytes: () => contentInfo(envelopedData(undefined, undefined, eci, h("a100"))),
      message: "malformed EnvelopedData: unprotectedAttrs is empty",
    },
    "RSAES-OAEP parameters that are an INTEGER (pkijs takes SHA-1 defaults)": {
      bytes: () => withRecipient(undefined, algorithm(CMS_OIDS.rsaesOaep, h("020100"))),
      message: "malformed RSAES-OAEP parameters: recipientInfos[0].keyEncryptionAlgorithm.parameters: INTEGER, not a SEQUENCE",
    },
    "MGF1 without its hash (pkijs reports no MGF1 hash)": {
      bytes: () => withRecipient(undefined, dpiOaep(tlv(0xa1, algorithm(CMS_OIDS.mgf1)))),
      message: "malformed RSAES-OAEP parameters: recipientInfos[0].keyEncryptionAlgorithm.parameters.maskGenAlgorithm.parameters: MGF1 without its hash algorithm",
    },
    "MGF1 with NULL for its hash": {
      bytes: () => withRecipient(undefined, dpiOaep(tlv(0xa1, algorithm(CMS_OIDS.mgf1, NULL)))),
      message: "malformed RSAES-OAEP parameters: recipientInfos[0].keyEncryptionAlgorithm.parameters.maskGenAlgorithm.parameters: NULL, not a SEQUENCE",
    },
  };
  for (const [what, { bytes, message }] of Object.entries(cases)) {
    it(`refuses ${what}, which pkijs accepts`, () => {
      const skeleton = bytes();
      const theirResult = theirs(skeleton);
      expect(theirResult.ok, theirResult.ok ? "" : theirResult.error.message).to.equal(true);
      expect(refusedByUs(skeleton)).to.equal(message);
      expect(stricterKind(message), message).to.not.equal(undefined);
    });
  }
});

describe("dpi/cms-summary: where it differs from pkijs otherwise", () => {
  it("reports a constructed, non-empty OAEP label as not empty (pkijs reads it as empty)", () => {
    const label = tlv(0xa2, algorithm(CMS_OIDS.pSpecified, tlv(0x24, tlv(0x04, h("0102")))));
    const skeleton = withRecipient(undefined, dpiOaep(mgf1Sha256, label));
    const mine = ours(skeleton);
    const pkijs = theirs(skeleton);
    expect(mine.ok && mine.summary.keyTransportRecipients[0]?.oaepEmptyLabel).to.equal(false);
    expect(pkijs.ok && pkijs.summary.keyTransportRecipients[0]?.oaepEmptyLabel).to.equal(true);
  });

  it("writes arcs of eight octets and more in decimal (pkijs writes them in hex)", () => {
    const bigArc = Buffer.concat([h("060a2a"), Buffer.alloc(8, 0xff), h("7f")]);
    const skeleton = withRecipient(undefined, tlv(0x30, bigArc));
    const mine = ours(skeleton);
    const pkijs = theirs(skeleton);
    expect(mine.ok && mine.summary.keyTransportAlgorithm).to.equal("1.2.9223372036854775807");
    expect(pkijs.ok && pkijs.summary.keyTransportAlgorithm).to.equal("1.2.{7f7f7f7f7f7f7f7f7f}");
  });

  it("accepts more than asn1js' 10 000 nodes (the skeleton's own cap bounds the work)", () => {
    const attribute = tlv(0x30, oid("1.2.3.4"), tlv(0x31, ...Array.from({ length: 10_000 }, () => NULL)));
    const skeleton = contentInfo(envelopedData(undefined, undefined, eci, tlv(0xa1, attribute)));
    expect(ours(skeleton)).to.deep.equal({ ok: true, summary: DPI });
    const pkijs = theirs(skeleton);
    expect(pkijs.ok ? "accepted" : pkijs.error.message).to.equal("not BER-encoded ASN.1: Maximum ASN.1 node count exceeded");
  });

  it("checks originatorInfo's certificates as BER only (pkijs parses them as X.509)", () => {
    const originatorInfo = tlv(0xa0, tlv(0xa0, tlv(0x30, h("020101"))));
    const skeleton = contentInfo(tlv(0x30, h("020100"), originatorInfo, tlv(0x31, ktri()), eci));
    expect(ours(skeleton)).to.deep.equal({ ok: true, summary: DPI });
    const pkijs = theirs(skeleton);
    expect(pkijs.ok ? "accepted" : pkijs.error.message).to.equal("malformed EnvelopedData");
  });
});

describe("dpi/cms-summary: refusals it shares with pkijs", () => {
  const cases: Record<string, { bytes: () => Uint8Array; message: string }> = {
    "no recipient": {
      bytes: () => contentInfo(envelopedData(undefined, tlv(0x31))),
      message: "malformed EnvelopedData: recipientInfos is empty",
    },
    "an encrypted key in the constructed form": {
      bytes: () => contentInfo(envelopedData(undefined, tlv(0x31, tlv(0x30, h("020100"), issuerAndSerial(), dpiOaep(mgf1Sha256), tlv(0x24, h("040107")))))),
      message: "malformed EnvelopedData: recipientInfos[0].encryptedKey: constructed OCTET STRING, not a primitive OCTET STRING",
    },
    "a subject key identifier in the constructed form": {
      bytes: () => withRecipient(tlv(0xa0, h("040107"))),
      message: "malformed EnvelopedData: recipientInfos[0].rid: constructed [0], not a RecipientIdentifier",
    },
    "a RecipientInfo of an unknown kind": {
      bytes: () => contentInfo(envelopedData(undefined, tlv(0x31, tlv(0xa5, h("020100"))))),
      message: "malformed EnvelopedData: recipientInfos[0]: [5], not a RecipientInfo",
    },
    "an EncryptedContentInfo without content": {
      bytes: () => contentInfo(envelopedData(undefined, undefined, tlv(0x30, oid(CMS_OIDS.data), algorithm(CMS_OIDS.aes256Cbc)))),
      message: "EnvelopedData carries no encrypted content",
    },
    "another content type": {
      bytes: () => tlv(0x30, oid("1.2.840.113549.1.7.2"), tlv(0xa0, envelopedData())),
      message: "ContentInfo content type is 1.2.840.113549.1.7.2, not EnvelopedData (1.2.840.113549.1.7.3)",
    },
    "an EnvelopedData that is a SET": {
      bytes: () => contentInfo(tlv(0x31, h("020100"))),
      message: "malformed EnvelopedData: EnvelopedData: SET, not a SEQUENCE",
    },
  };
  for (const [what, { bytes, message }] of Object.entries(cases)) {
    it(`refuses ${what}`, () => {
      const skeleton = bytes();
      expect(theirs(skeleton).ok).to.equal(false);
      expect(refusedByUs(skeleton)).to.equal(message);
    });
  }
});
