import { createHash as nodeCreateHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { formatEvidenceReport, verifyEvidenceBundle } from "../../src/cli/evidence-verify.js";
import { buildEvidenceBundle, type EvidenceManifest } from "../../src/console/evidence.js";
import { readZip, writeZip } from "../../src/dpi/zip.js";
import { parseCertificates } from "../../src/pki/pem.js";
import type { RouteRecord } from "../../src/core/channel.js";
import { ConversationsRepo } from "../../src/store/conversations-repo.js";
import { DpiMessagesRepo } from "../../src/store/dpi-messages-repo.js";
import { OutboxRepo } from "../../src/store/outbox-repo.js";
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

describe("console/evidence: the routing records a conversation's attempts were routed by", function () {
  this.timeout(30_000);
  let store: TempStore;
  const sha256Of = (b: Uint8Array) => nodeCreateHash("sha256").update(b).digest("hex");
  const record = (text: string, kind: "smp" | "service-registry", mediaType: string, minutes: number): RouteRecord => {
    const body = new Uint8Array(Buffer.from(text, "utf8"));
    return { kind, sourceUrl: `https://${kind}.example/r${minutes}`, fetchedAt: new Date(T0.getTime() + minutes * 60_000), mediaType, body, sha256: sha256Of(body) };
  };
  const smp = record("<SignedServiceMetadata>signed</SignedServiceMetadata>", "smp", "application/xml", 1);
  const sr = record("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "service-registry", "application/jose", 2);
  const unrelated = record("{}", "service-registry", "application/json", 3);

  before(async () => {
    store = await openTempStore("console-evidence-routing-");
    const conversations = new ConversationsRepo(store.db);
    for (const id of ["a", "b"]) {
      await store.db.$transaction(
        conversations.insertOperations(
          { messageId: id, direction: "OUT", conversationId: `conv-${id}`, channel: "DPO", process: "urn:test", documentType: "arkivmelding", standard: "urn:test", senderIdentifier: "0192:910076787", receiverIdentifier: "0192:984661185", enqueue: true },
          "OPPRETTET",
          T0,
        ),
      );
    }
    const outbox = new OutboxRepo(store.db);
    const attempt = (n: number, routedBy: RouteRecord) => ({ attempt: n, startedAt: T0, peer: "https://broker.example", worker: "w", routedBy });
    await outbox.scheduleRetry("a", new Date(T0.getTime() + 1000), "down", null, { record: attempt(1, smp), at: T0 });
    await outbox.markSent("a", T0, { attempt: attempt(2, sr) });
    await outbox.markSent("b", T0, { attempt: attempt(1, unrelated) });
  });
  after(async () => store.close());

  it("holds each record once, named by its SHA-256, listed as a routing-record; the verifier checks it", async () => {
    const b = (await buildEvidenceBundle(store.db, "OUT", "a", { user: "ola", now: T0 }))!;
    expect(b.manifest.files.map((f) => [f.path, f.kind, f.sha256, f.at, f.routing])).to.deep.equal([
      [`routing/${smp.sha256}.xml`, "routing-record", smp.sha256, smp.fetchedAt.toISOString(), { kind: "smp", sourceUrl: smp.sourceUrl, mediaType: "application/xml" }],
      [`routing/${sr.sha256}.jws`, "routing-record", sr.sha256, sr.fetchedAt.toISOString(), { kind: "service-registry", sourceUrl: sr.sourceUrl, mediaType: "application/jose" }],
    ]);
    const entries = readZip(b.bytes).entries;
    expect(Buffer.from(entries.find((e) => e.name === `routing/${smp.sha256}.xml`)!.data).toString()).to.equal("<SignedServiceMetadata>signed</SignedServiceMetadata>");
    const r = await verifyEvidenceBundle(b.bytes);
    expect(r.verdict).to.equal("verified");
    expect(r.checks).to.deep.equal([
      { file: `routing/${smp.sha256}.xml`, status: "ok", says: `the SMP record a send attempt was routed by, fetched from ${smp.sourceUrl} at ${smp.fetchedAt.toISOString()}, unchanged since (its signature is not checked here)` },
      { file: `routing/${sr.sha256}.jws`, status: "ok", says: `the Service Registry record a send attempt was routed by, fetched from ${sr.sourceUrl} at ${sr.fetchedAt.toISOString()}, unchanged since (its signature is not checked here)` },
    ]);
  });

  it("fails a record that changed, or one whose name is not its hash", async () => {
    const b = (await buildEvidenceBundle(store.db, "OUT", "a", { user: "ola", now: T0 }))!;
    const entries = readZip(b.bytes).entries.map((e) => ({ name: e.name, data: e.data }));
    const path = `routing/${smp.sha256}.xml`;
    const forged = new Uint8Array(Buffer.from("<SignedServiceMetadata>other</SignedServiceMetadata>"));
    const changed = await verifyEvidenceBundle(writeZip(entries.map((e) => (e.name === path ? { name: e.name, data: forged } : e))));
    expect(changed.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: path, status: "failed", says: "changed since the bundle was made (SHA-256 differs from the manifest)" }]);
    // The manifest updated to the forged content: the file's name still gives it away.
    const manifest = JSON.parse(Buffer.from(entries[0]!.data).toString()) as EvidenceManifest;
    manifest.files = manifest.files.map((f) => (f.path === path ? { ...f, sha256: sha256Of(forged), size: forged.length } : f));
    const renamed = await verifyEvidenceBundle(
      writeZip(entries.map((e) => (e.name === path ? { name: e.name, data: forged } : e.name === "manifest.json" ? { name: e.name, data: new Uint8Array(Buffer.from(JSON.stringify(manifest))) } : e))),
    );
    expect(renamed.verdict).to.equal("failed");
    expect(renamed.checks.filter((c) => c.status === "failed")).to.deep.equal([{ file: path, status: "failed", says: "its name is not the SHA-256 of its content" }]);
  });
});
