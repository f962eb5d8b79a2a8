import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { generateKeyPem, loadIssued, makeLeaf, type Issued } from "../../scripts/lib/cert-factory.js";
import { formatEvidenceReport, verifyEvidenceBundle } from "../../src/cli/evidence-verify.js";
import { buildEvidenceBundle, type EvidenceManifest } from "../../src/console/evidence.js";
import { readZip, writeZip } from "../../src/dpi/zip.js";
import { buildOcspRequest } from "../../src/pki/ocsp.js";
import { parseCertificates } from "../../src/pki/pem.js";
import { sha256Hex } from "../../src/pki/revocation-evidence.js";
import { buildCrl, createOcspResponder } from "../../src/sim/pki/index.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { RevocationAnswersRepo, type RevocationUseRecord } from "../../src/store/revocation-answers-repo.js";
import { CERTS } from "../helpers/certs.js";
import { buildMessage } from "../helpers/letters.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";

const T0 = new Date("2026-12-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;
const REVOKED_AT = new Date("2026-06-01T00:00:00.000Z");
const read = (f: string) => readFileSync(path.join(CERTS, f), "utf8");
const anchors = ["business/root-ca.pem", "business/intermediate-ca.pem"].flatMap((f) => parseCertificates(readFileSync(path.join(CERTS, f))));
const businessCa = loadIssued({ certPem: read("business/intermediate-ca.pem"), keyPem: read("business/intermediate-ca.key.pem") });
const signer = new X509Certificate(read("business/910076787.pem"));
const SERIAL = signer.serialNumber.replace(/^0+/, "").toUpperCase();
const SUBJECT = signer.subject.replace(/\n/g, ", ");
const CA = businessCa.cert.subject.replace(/\n/g, ", ");
const OCSP_URL = "http://ocsp.test/ocsp";
const CRL_URL = "http://crl.test/business.crl";

/** The business CA's OCSP answer for the signer, made by the simulator's responder from a real request. */
async function ocspAnswer(o: { revoked?: boolean; responder?: Issued; thisUpdate?: Date } = {}): Promise<Uint8Array> {
  const responder = createOcspResponder({
    issuer: businessCa,
    ...(o.responder ? { responder: o.responder } : {}),
    revoked: () => (o.revoked ? [{ serialNumber: signer.serialNumber, revokedAt: REVOKED_AT, reason: 1 }] : []),
    validityMs: HOUR,
    now: () => o.thisUpdate ?? at(-60_000),
  });
  const answer = await responder.respond((await buildOcspRequest(signer, businessCa.cert, { nonce: false })).der);
  expect(answer.status).to.equal("successful");
  return answer.der;
}

/** The business CA's CRL, listing the signer when told to. */
async function crl(o: { revoked?: boolean } = {}): Promise<Uint8Array> {
  return buildCrl({ issuer: businessCa, revoked: o.revoked ? [{ serialNumber: signer.serialNumber, revokedAt: REVOKED_AT, reason: 1 }] : [], thisUpdate: at(-HOUR), nextUpdate: at(23 * HOUR), crlNumber: 42 });
}

function responderCertificate(ocspSigning: boolean): Issued {
  return makeLeaf({
    subject: { C: "NO", O: "dpi-ap test", CN: ocspSigning ? "TEST Business OCSP Responder" : "TEST Business Not A Responder" },
    issuer: businessCa,
    keyPem: generateKeyPem(),
    keyUsage: ["digitalSignature"],
    extKeyUsage: [ocspSigning ? "1.3.6.1.5.5.7.3.9" : "clientAuth"],
  });
}

describe("console/evidence: the revocation answers in a bundle, and their offline verification", function () {
  this.timeout(30_000);
  let store: TempStore;
  before(async () => {
    store = await openTempStore("console-evidence-revocation-");
  });
  after(async () => store.close());

  /** A letter stored at T0 that relied on `answers` for its signer's certificate; its bundle. */
  async function letterRelyingOn(...answers: { kind: "ocsp" | "crl"; der: Uint8Array }[]) {
    const letter = await buildMessage({ type: "digital" });
    const repo = new RevocationAnswersRepo(store.db);
    const revocation: RevocationUseRecord[] = [];
    for (const a of answers) {
      const sha256 = sha256Hex(a.der);
      await repo.keep({ kind: a.kind, der: a.der, sha256, url: a.kind === "ocsp" ? OCSP_URL : CRL_URL, fetchedAt: at(-30_000), thisUpdate: at(-60_000), nextUpdate: at(HOUR), issuer: businessCa.cert, ...(a.kind === "crl" ? { crlNumber: "2A" } : { serial: SERIAL }) });
      revocation.push({ sha256, role: "forretningsmelding", serial: SERIAL, subject: SUBJECT, ca: false, checkedAt: at(-1_000).toISOString() });
    }
    const common = { process: "urn:test", standard: "urn:test", senderIdentifier: "0192:910076787", receiverIdentifier: "0192:984661185", avsenderOrg: "0192:910076787" };
    await new DpiMessagesRepo(store.db).insert({ ...common, messageId: letter.messageId, direction: "OUT", conversationId: letter.conversationId, documentType: "digital", forretningsmelding: letter.jws, revocation }, "OPPRETTET", T0);
    return (await buildEvidenceBundle(store.db, "OUT", letter.messageId, { user: "ola", now: at(HOUR) }))!;
  }

  /** The bundle with the file at `file` replaced by `data` and the manifest changed to match. */
  function replaced(bytes: Uint8Array, file: string, data: Uint8Array): Uint8Array {
    const entries = readZip(bytes).entries.map((e) => ({ name: e.name, data: e.data }));
    const manifest = JSON.parse(Buffer.from(entries.find((e) => e.name === "manifest.json")!.data).toString()) as EvidenceManifest;
    manifest.files = manifest.files.map((f) => (f.path === file ? { ...f, sha256: sha256Hex(data), size: data.length } : f));
    return writeZip(entries.map((e) => (e.name === file ? { name: e.name, data } : e.name === "manifest.json" ? { name: e.name, data: new Uint8Array(Buffer.from(JSON.stringify(manifest))) } : e)));
  }

  it("holds the OCSP response as stored, with the CA's certificate and what it was relied on for", async () => {
    const der = await ocspAnswer();
    const b = await letterRelyingOn({ kind: "ocsp", der });
    const sha = sha256Hex(der);
    const caPath = `certificates/ca-${businessCa.cert.fingerprint256.replace(/:/g, "").slice(0, 16).toLowerCase()}.pem`;
    expect(b.manifest.files.map((f) => [f.path, f.kind])).to.deep.equal([
      ["forretningsmelding.jws", "forretningsmelding"],
      ["certificates/forretningsmelding-signer.pem", "certificate"],
      [caPath, "issuer-certificate"],
      [`revocation/${sha}.ocsp.der`, "ocsp-response"],
    ]);
    expect(b.manifest.files[3]!.revocation).to.deep.equal({
      url: OCSP_URL,
      fetchedAt: at(-30_000).toISOString(),
      thisUpdate: at(-60_000).toISOString(),
      nextUpdate: at(HOUR).toISOString(),
      issuer: CA,
      issuerCertificate: caPath,
      answersFor: [{ serial: SERIAL, subject: SUBJECT, ca: false, role: "forretningsmelding", checkedAt: at(-1_000).toISOString(), document: "forretningsmelding.jws" }],
    });
    const zipped = new Map(readZip(b.bytes).entries.map((e) => [e.name, e.data]));
    expect(Buffer.from(zipped.get(`revocation/${sha}.ocsp.der`)!).equals(Buffer.from(der))).to.equal(true);
    expect(new X509Certificate(Buffer.from(zipped.get(caPath)!)).fingerprint256).to.equal(businessCa.cert.fingerprint256);
    expect(b.manifest.notIncluded).to.deep.equal(["the AS4 UserMessage envelopes themselves: only the references (digests) signed in each attempt are stored"]);
  });

  it("verifies a good OCSP answer signed by the CA, and says what it proves", async () => {
    const der = await ocspAnswer();
    const b = await letterRelyingOn({ kind: "ocsp", der });
    const file = `revocation/${sha256Hex(der)}.ocsp.der`;
    const r = await verifyEvidenceBundle(b.bytes, { anchors });
    expect(r.verdict).to.equal("verified");
    expect(r.checks.find((c) => c.file === file)).to.deep.equal({
      file,
      status: "ok",
      says: `OCSP response signed by the CA itself (${CA}): serial ${SERIAL} good, thisUpdate ${at(-60_000).toISOString()}, nextUpdate ${at(HOUR - 60_000).toISOString()}, current at ${T0.toISOString()}`,
    });
    expect(r.proves).to.include(
      `the certificate that signed forretningsmelding.jws, "${SUBJECT}" (serial ${SERIAL}), was not revoked at ${T0.toISOString()}: the OCSP responder ${OCSP_URL} said so in an answer signed by the CA itself (${CA}), a CA under a trusted anchor`,
    );
    expect(r.notProven.join("\n")).to.not.match(/OCSP|CRL/);
    expect(formatEvidenceReport(r, "x.zip")).to.include(`  [ ok ] ${file}: OCSP response signed by the CA itself`);

    // Without anchors the answer is checked against the CA certificate in the bundle, but whose CA it is is not known.
    const untrusted = await verifyEvidenceBundle(b.bytes);
    expect(untrusted.checks.find((c) => c.file === file)!.status).to.equal("unchecked");
    expect(untrusted.notProven).to.include(`whose CA signed the revocation answer ${file} (give --trust)`);
  });

  it("verifies an answer signed by a responder the CA certified for OCSP signing, and refuses one it did not", async () => {
    const delegated = responderCertificate(true);
    const der = await ocspAnswer({ responder: delegated });
    const r = await verifyEvidenceBundle((await letterRelyingOn({ kind: "ocsp", der })).bytes, { anchors });
    expect(r.verdict).to.equal("verified");
    const responder = delegated.cert.subject.replace(/\n/g, ", ");
    expect(r.checks.find((c) => c.file.endsWith(".ocsp.der"))!.says).to.match(new RegExp(`^OCSP response signed by ${responder}, an OCSP responder certified by ${CA}: serial ${SERIAL} good`));

    const impostor = responderCertificate(false);
    const bad = await verifyEvidenceBundle((await letterRelyingOn({ kind: "ocsp", der: await ocspAnswer({ responder: impostor }) })).bytes, { anchors });
    expect(bad.verdict).to.equal("failed");
    expect(bad.checks.find((c) => c.file.endsWith(".ocsp.der"))).to.deep.include({
      status: "failed",
      says: `not a valid answer for serial ${SERIAL} at ${T0.toISOString()}: unauthorized-responder: responder "${impostor.cert.subject.replace(/\n/g, ", ")}" lacks the id-kp-OCSPSigning extended key usage`,
    });
  });

  it("fails on an OCSP answer that says the certificate was revoked", async () => {
    const der = await ocspAnswer({ revoked: true });
    const r = await verifyEvidenceBundle((await letterRelyingOn({ kind: "ocsp", der })).bytes, { anchors });
    expect(r.verdict).to.equal("failed");
    expect(r.checks.find((c) => c.file.endsWith(".ocsp.der"))).to.deep.include({ status: "failed", says: `it says serial ${SERIAL} was revoked at ${REVOKED_AT.toISOString()} (keyCompromise)` });
    expect(r.proves).to.deep.equal([]);
  });

  it("fails on a tampered OCSP answer: by its digest, and with the manifest changed to match, by its signature", async () => {
    const der = await ocspAnswer();
    const b = await letterRelyingOn({ kind: "ocsp", der });
    const file = `revocation/${sha256Hex(der)}.ocsp.der`;
    // producedAt one second later: still a well-formed response, but not the one the CA signed.
    const producedAt = Buffer.from("20261201095900Z");
    const tampered = new Uint8Array(der);
    const i = Buffer.from(der).indexOf(producedAt);
    expect(i).to.be.greaterThan(0);
    tampered[i + producedAt.length - 2] = "1".charCodeAt(0);
    const entries = readZip(b.bytes).entries.map((e) => ({ name: e.name, data: e.name === file ? tampered : e.data }));
    const changed = await verifyEvidenceBundle(writeZip(entries), { anchors });
    expect(changed.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file, status: "failed", says: "changed since the bundle was made (SHA-256 differs from the manifest)" }]);
    const resigned = await verifyEvidenceBundle(replaced(b.bytes, file, tampered), { anchors });
    expect(resigned.verdict).to.equal("failed");
    expect(resigned.checks.find((c) => c.file === file)).to.deep.include({
      status: "failed",
      says: `not a valid answer for serial ${SERIAL} at ${T0.toISOString()}: bad-signature: the response signature does not verify with the issuer's or a delegated responder's key`,
    });
  });

  it("fails on an OCSP answer that was no longer current when the forretningsmelding was recorded", async () => {
    const der = await ocspAnswer({ thisUpdate: at(-3 * HOUR) });
    const r = await verifyEvidenceBundle((await letterRelyingOn({ kind: "ocsp", der })).bytes, { anchors });
    expect(r.checks.find((c) => c.file.endsWith(".ocsp.der"))).to.deep.include({
      status: "failed",
      says: `not a valid answer for serial ${SERIAL} at ${T0.toISOString()}: stale: response is stale: nextUpdate ${at(-2 * HOUR).toISOString()} at ${T0.toISOString()}`,
    });
  });

  it("verifies a CRL of the CA that does not list the certificate, and fails on one that does", async () => {
    const good = await crl();
    const r = await verifyEvidenceBundle((await letterRelyingOn({ kind: "crl", der: good })).bytes, { anchors });
    expect(r.verdict).to.equal("verified");
    const file = `revocation/${sha256Hex(good)}.crl.der`;
    expect(r.checks.find((c) => c.file === file)).to.deep.equal({
      file,
      status: "ok",
      says: `CRL signed by the CA itself (${CA}): serial ${SERIAL} not listed, thisUpdate ${at(-HOUR).toISOString()}, nextUpdate ${at(23 * HOUR).toISOString()}, current at ${T0.toISOString()}`,
    });
    expect(r.proves).to.include(
      `the certificate that signed forretningsmelding.jws, "${SUBJECT}" (serial ${SERIAL}), was not revoked at ${T0.toISOString()}: the CRL ${CRL_URL} (number 2A) said so in an answer signed by the CA itself (${CA}), a CA under a trusted anchor`,
    );

    const listing = await crl({ revoked: true });
    const bad = await verifyEvidenceBundle((await letterRelyingOn({ kind: "crl", der: listing })).bytes, { anchors });
    expect(bad.verdict).to.equal("failed");
    expect(bad.checks.find((c) => c.file.endsWith(".crl.der"))).to.deep.include({ status: "failed", says: `it lists serial ${SERIAL} as revoked at ${REVOKED_AT.toISOString()} (keyCompromise)` });
  });

  it("fails on a CRL that its CA did not sign, and names a letter that relied on none", async () => {
    // The access point CA's CRL, filed as the business CA's.
    const foreign = new Uint8Array(Buffer.from(read("ap/intermediate-ca.crl.pem").replace(/-----[^-]+-----|\s/g, ""), "base64"));
    const r = await verifyEvidenceBundle((await letterRelyingOn({ kind: "crl", der: foreign })).bytes, { anchors });
    expect(r.checks.find((c) => c.file.endsWith(".crl.der"))!.says).to.match(/^not a valid CRL of its CA at 2026-12-01T10:00:00\.000Z: issuer-mismatch: /);

    const none = await letterRelyingOn();
    expect(none.manifest.notIncluded).to.deep.equal([
      "the AS4 UserMessage envelopes themselves: only the references (digests) signed in each attempt are stored",
      "revocation answers for the forretningsmelding: none recorded (a message stored before answers were kept, one this access point made itself, or one accepted in soft-fail mode without an answer)",
    ]);
  });
});
