import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { formatEvidenceReport, verifyEvidenceBundle } from "../../src/cli/evidence-verify.js";
import { buildEvidenceBundle, type EvidenceManifest } from "../../src/console/evidence.js";
import { readZip, writeZip } from "../../src/dpi/zip.js";
import { parseCertificates } from "../../src/pki/pem.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { CERTS } from "../helpers/certs.js";
import { buildMessage } from "../helpers/letters.js";
import { openTempStore, type TempStore } from "../helpers/temp-store.js";

const T0 = new Date("2026-12-01T10:00:00Z");
const anchors = ["business/root-ca.pem", "business/intermediate-ca.pem"].flatMap((f) => parseCertificates(readFileSync(path.join(CERTS, f))));

describe("console/evidence: the bundle of a DPI letter with its receipt, and its offline verification", function () {
  this.timeout(30_000);
  let store: TempStore;
  let letterId: string;
  let receiptId: string;

  before(async () => {
    store = await openTempStore("console-evidence-");
    const repo = new DpiMessagesRepo(store.db);
    const letter = await buildMessage({ type: "digital" });
    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId });
    letterId = letter.messageId.toLowerCase();
    receiptId = receipt.messageId.toLowerCase();
    const common = { process: "urn:test", standard: "urn:test", senderIdentifier: "0192:910076787", receiverIdentifier: "0192:984661185", avsenderOrg: "0192:910076787" };
    await repo.insert({ ...common, messageId: letter.messageId, direction: "OUT", conversationId: letter.conversationId, documentType: "digital", forretningsmelding: letter.jws }, "OPPRETTET", T0);
    await repo.insert({ ...common, messageId: receipt.messageId, direction: "IN", conversationId: letter.conversationId, documentType: "leveringskvittering", forretningsmelding: receipt.jws }, "MOTTATT", new Date(T0.getTime() + 60_000));
  });
  after(async () => store.close());

  const bundle = async () => (await buildEvidenceBundle(store.db, "OUT", letterId.toUpperCase(), { user: "ola", now: new Date(T0.getTime() + 3_600_000) }))!;

  it("holds the signed forretningsmelding, the signed receipt and their signers' certificates, each in the manifest", async () => {
    const b = await bundle();
    expect(b.fileName).to.equal(`evidence-${letterId}.zip`);
    const names = readZip(b.bytes).entries.map((e) => e.name);
    expect(names).to.deep.equal(["manifest.json", "forretningsmelding.jws", `receipts/${receiptId}.jws`, "certificates/forretningsmelding-signer.pem", `certificates/receipt-signer-${receiptId}.pem`]);
    expect(b.manifest.files.map((f) => [f.path, f.kind, f.documentType ?? null])).to.deep.equal([
      ["forretningsmelding.jws", "forretningsmelding", null],
      [`receipts/${receiptId}.jws`, "receipt-message", "leveringskvittering"],
      ["certificates/forretningsmelding-signer.pem", "certificate", null],
      [`certificates/receipt-signer-${receiptId}.pem`, "certificate", null],
    ]);
    expect(b.manifest.conversation.statuses.map((s) => s.status)).to.deep.equal(["OPPRETTET"]);
    expect(await buildEvidenceBundle(store.db, "IN", letterId, { user: "ola", now: T0 })).to.equal(null);
  });

  it("verifies with the business trust anchors and says who signed what", async () => {
    const r = await verifyEvidenceBundle((await bundle()).bytes, { anchors });
    expect(r.verdict).to.equal("verified");
    expect(r.checks.map((c) => [c.file, c.status])).to.deep.equal([
      ["forretningsmelding.jws", "ok"],
      [`receipts/${receiptId}.jws`, "ok"],
      ["certificates/forretningsmelding-signer.pem", "ok"],
      [`certificates/receipt-signer-${receiptId}.pem`, "ok"],
    ]);
    expect(r.proves).to.have.length(2);
    expect(r.proves[0]).to.match(/^the forretningsmelding was signed by .*\(0192:910076787\), a certificate issued under a trusted anchor, and has not changed since$/);
    expect(r.proves[1]).to.match(new RegExp(`^the leveringskvittering ${receiptId} was signed by .*\\(0192:\\d{9}\\), a certificate issued under a trusted anchor`));
    expect(formatEvidenceReport(r, "x.zip")).to.match(/\nVerdict: verified\n$/);
  });

  it("is incomplete without trust anchors: the signatures verify, their owners are not known", async () => {
    const r = await verifyEvidenceBundle((await bundle()).bytes);
    expect(r.verdict).to.equal("incomplete");
    expect(r.checks.filter((c) => c.status === "unchecked").map((c) => c.file)).to.deep.equal(["forretningsmelding.jws", `receipts/${receiptId}.jws`]);
    expect(r.notProven[0]).to.equal("who owns the certificate that signed the forretningsmelding (give --trust)");
  });

  it("fails when a file is missing, added, changed, or signed by an untrusted certificate", async () => {
    const b = await bundle();
    const entries = readZip(b.bytes).entries.map((e) => ({ name: e.name, data: e.data }));
    const without = await verifyEvidenceBundle(writeZip(entries.filter((e) => e.name !== `receipts/${receiptId}.jws`)), { anchors });
    expect(without.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: `receipts/${receiptId}.jws`, status: "failed", says: "listed in the manifest but missing" }]);
    const extra = await verifyEvidenceBundle(writeZip([...entries, { name: "note.txt", data: new Uint8Array([1]) }]), { anchors });
    expect(extra.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: "note.txt", status: "failed", says: "not listed in the manifest" }]);
    // A forretningsmelding swapped for another one, with the manifest updated to match: the message id gives it away.
    const other = await buildMessage({ type: "digital" });
    const manifest = JSON.parse(Buffer.from(entries[0]!.data).toString()) as EvidenceManifest;
    const data = new Uint8Array(Buffer.from(other.jws));
    const { createHash } = await import("node:crypto");
    manifest.files[0] = { ...manifest.files[0]!, sha256: createHash("sha256").update(data).digest("hex"), size: data.length };
    const swapped = await verifyEvidenceBundle(
      writeZip(entries.map((e) => (e.name === "forretningsmelding.jws" ? { name: e.name, data } : e.name === "manifest.json" ? { name: e.name, data: new Uint8Array(Buffer.from(JSON.stringify(manifest))) } : e))),
      { anchors },
    );
    expect(swapped.verdict).to.equal("failed");
    expect(swapped.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: "forretningsmelding.jws", status: "failed", says: `its message id ${other.messageId} is not the conversation's ${letterId}` }]);
    const apOnly = ["ap/root-ca.pem"].flatMap((f) => parseCertificates(readFileSync(path.join(CERTS, f))));
    const untrusted = await verifyEvidenceBundle(b.bytes, { anchors: apOnly });
    expect(untrusted.verdict).to.equal("failed");
    expect(untrusted.checks[0]!.says).to.match(/^does not verify: x5c certificate: /);
    expect(untrusted.proves).to.deep.equal([]);
  });

  it("refuses what is not a bundle", async () => {
    expect((await verifyEvidenceBundle(new Uint8Array([1, 2, 3]))).checks[0]!.says).to.match(/^not a readable zip: /);
    expect((await verifyEvidenceBundle(writeZip([{ name: "x", data: new Uint8Array([1]) }]))).checks).to.deep.equal([{ file: "manifest.json", status: "failed", says: "missing" }]);
  });
});
