import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createSvarInnClient } from "../../../src/channels/dpf/svarinn-client.js";
import { SvarInnSource } from "../../../src/channels/dpf/svarinn-source.js";
import { fixedClock } from "../../../src/clock.js";
import { readZip } from "../../../src/dpi/zip.js";
import { silentLogger } from "../../../src/log.js";
import { decryptCms, openEformidlingAsic } from "../../../src/packaging/index.js";
import { keyStoreFromPem } from "../../../src/pki/keystore.js";
import { orgKeyStoresOf } from "../../../src/pki/org-keystores.js";
import { parseCertificates } from "../../../src/pki/pem.js";
import { loadDefaultSvarUtOptions, startSvarUtSim, SVARUT_SANDBOX, type SvarUtSim } from "../../../src/sim/svarut/index.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { NextMoveInRepo } from "../../../src/store/nextmove-in-repo.js";
import { CERTS } from "../../helpers/certs.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";

/** DPF's receiving side against the SvarInn simulator over HTTP, filing into a real store. */

const A = "991825827";
const KOMMUNE = "910075924";
const PDF = Buffer.from("%PDF-1.4 svar\n");
const clock = fixedClock("2026-12-03T10:00:00Z");

describe("DPF SvarInn source, against the SvarInn simulator", () => {
  let sim: SvarUtSim;
  let store: TempStore;
  let dir: string;
  let blobs: FolderBlobStore;
  let repo: NextMoveInRepo;
  let source: SvarInnSource;
  let ids: number;

  before(async () => {
    sim = await startSvarUtSim(await loadDefaultSvarUtOptions({ // SvarInn only (HTTP Basic): SvarUt's REST API and its Maskinporten are not used here.
      maskinporten: { issuer: "https://maskinporten.invalid/", jwksUrl: "http://127.0.0.1:1/jwk" } }));
    store = await openTempStore("dpf-svarinn-");
    dir = await mkdtemp(path.join(os.tmpdir(), "dpf-svarinn-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    repo = new NextMoveInRepo(store.db);
    const keys = keyStoreFromPem({ key: await readFile(path.join(CERTS, `business/${A}.key.pem`)), certificate: await readFile(path.join(CERTS, `business/${A}.pem`)) });
    ids = 0;
    source = new SvarInnSource({
      client: createSvarInnClient({ baseUrl: sim.svarInnUrl }),
      accounts: new Map([[A, { username: SVARUT_SANDBOX.svarInnUser(A), password: "sandbox" }]]),
      keystores: orgKeyStoresOf(new Map([[A, keys]])),
      blobs,
      repo,
      pollMs: 60_000,
      process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
      fallbackSenderOrg: "999999999",
      ttlHours: 24,
      clock,
      log: silentLogger,
      newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`,
    });
  });
  after(async () => {
    await sim.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("files a forsendelse (OPPRETTET, INNKOMMENDE_MOTTATT) with its SBD and a package our own key opens, then acknowledges it", async () => {
    const id = sim.putInSvarInn({
      mottaker: A,
      tittel: "Svar",
      svarPaForsendelse: "5f0e7a2c-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
      svarSendesTil: { navn: "Bergen kommune", orgnr: KOMMUNE },
      metadataFraAvleverendeSystem: { journalaar: "2026", journalpostnummer: 9, journalposttype: "U" },
      documents: [{ filnavn: "svar.pdf", mimeType: "application/pdf", bytes: PDF }],
    });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "received"]]);
    expect(sim.forsendelse(id)!.svarInn.kvittert).to.equal(true);
    expect((await repo.conversations.statuses("IN", id)).map((s) => s.status)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
    const m = (await repo.message(id))!;
    expect([m.channel, m.senderIdentifier, m.receiverIdentifier, m.conversationId, m.externalReference, m.messageTitle, m.senderName]).to.deep.equal(["DPF", `0192:${KOMMUNE}`, `0192:${A}`, id, id, "Svar", "Bergen kommune"]);
    const sbd = JSON.parse(m.nextMove.sbd) as { standardBusinessDocumentHeader: { businessScope: { scope: { type: string; instanceIdentifier: string }[] } } };
    expect(sbd.standardBusinessDocumentHeader.businessScope.scope.map((s) => [s.type, s.instanceIdentifier])).to.deep.equal([
      ["ConversationId", id],
      ["ReceiverRef", "5f0e7a2c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"],
    ]);
    const cms = await readFile(blobs.pathOf(m.nextMove.packageKey!));
    const keys = keyStoreFromPem({ key: await readFile(path.join(CERTS, `business/${A}.key.pem`)), certificate: await readFile(path.join(CERTS, `business/${A}.pem`)) });
    const asic = decryptCms(cms, keys.privateKey, keys.certificate).content;
    const anchors = [...parseCertificates(await readFile(path.join(CERTS, "business/root-ca.pem"))), ...parseCertificates(await readFile(path.join(CERTS, "business/intermediate-ca.pem")))];
    openEformidlingAsic(asic, { anchors, clock });
    const entries = readZip(asic).entries;
    const xml = Buffer.from(entries.find((e) => e.name === "arkivmelding.xml")!.data).toString("utf8");
    expect(xml).to.contain("<journalaar>2026</journalaar>").and.contain("<journalpostnummer>9</journalpostnummer>").and.contain("<referanseDokumentfil>svar.pdf</referanseDokumentfil>");
    expect(Buffer.from(entries.find((e) => e.name === "svar.pdf")!.data).equals(PDF)).to.equal(true);
  });

  it("acknowledges again a forsendelse it filed before (SvarInn did not hear of it), without filing it twice", async () => {
    const id = sim.putInSvarInn({ mottaker: A, tittel: "To gonger", svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "a.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "received"]]);
    sim.forsendelse(id)!.svarInn.kvittert = false;
    expect([...(await source.runOnce())]).to.deep.equal([[id, "acknowledged-again"]]);
    expect(sim.forsendelse(id)!.svarInn.kvittert).to.equal(true);
    expect((await repo.conversations.statuses("IN", id)).map((s) => s.status)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
  });

  it("a forsendelse whose metadata cannot be converted is FEIL (not in the inbox) and reported with mottakFeilet; the fallback sender stands in", async () => {
    const id = sim.putInSvarInn({ mottaker: A, tittel: "Feil", metadataFraAvleverendeSystem: { journalaar: "i fjor" }, documents: [{ filnavn: "a.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "failed"]]);
    const statuses = await repo.conversations.statuses("IN", id);
    const reason = 'the forsendelse cannot be converted: metadataFraAvleverendeSystem.journalaar is not a number: "i fjor"';
    expect(statuses.map((s) => [s.status, s.description])).to.deep.equal([
      ["OPPRETTET", null],
      ["FEIL", reason],
    ]);
    expect(await repo.message(id)).to.equal(null);
    expect((await repo.conversations.get("IN", id))!.senderIdentifier).to.equal("0192:999999999");
    expect(sim.forsendelse(id)!.svarInn.feilet).to.deep.equal({ feilmelding: reason, permanent: true });
    // SvarInn did not hear of it: the next pass reports the same reason again and files nothing new.
    sim.forsendelse(id)!.svarInn.feilet = undefined;
    expect([...(await source.runOnce())]).to.deep.equal([[id, "acknowledged-again"]]);
    expect(sim.forsendelse(id)!.svarInn.feilet).to.deep.equal({ feilmelding: reason, permanent: true });
    expect((await repo.conversations.statuses("IN", id)).length).to.equal(2);
  });

  it("leaves everything in SvarInn while SvarInn is down, and takes it after", async () => {
    const id = sim.putInSvarInn({ mottaker: A, tittel: "Seinare", svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "a.pdf", mimeType: "application/pdf", bytes: PDF }] });
    sim.setDown(true);
    try {
      expect([...(await source.runOnce())]).to.deep.equal([]);
    } finally {
      sim.setDown(false);
    }
    expect([...(await source.runOnce())]).to.deep.equal([[id, "received"]]);
  });
});
