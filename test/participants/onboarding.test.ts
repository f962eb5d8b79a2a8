import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { main, type CliIo } from "../../src/cli/main.js";
import { silentLogger } from "../../src/log.js";
import { ServedDirectory } from "../../src/participants/directory.js";
import { ParticipantNotFoundError, ParticipantSmpError } from "../../src/participants/errors.js";
import { ParticipantsService } from "../../src/participants/service.js";
import { encodeIdentifierForUrl, formatIdentifier, norwegianParticipantId } from "../../src/peppol/identifiers.js";
import { SmpManagementClient } from "../../src/peppol/smp-management.js";
import { parseServiceGroup } from "../../src/peppol/smp-xml.js";
import { startSmpSim, type SmpSim } from "../../src/sim/smp/index.js";
import { ParticipantsRepo } from "../../src/store/participants-repo.js";
import { openDatabase, type Db } from "../../src/store/prisma.js";
import { CERTS } from "../helpers/certs.js";

const read = (rel: string) => readFile(path.join(CERTS, rel), "utf8");
const USER = { user: "c2", password: "c2-password" };

describe("participants: onboarding into the store and the SMP", function () {
  this.timeout(20_000);
  let dir: string;
  let db: Db;
  let smp: SmpSim;
  let sml: string[];
  let repo: ParticipantsRepo;
  let directory: ServedDirectory;
  let service: ParticipantsService;
  let apCert: X509Certificate;

  const groupOf = async (orgno: string) => {
    const r = await fetch(`${smp.url}/${encodeIdentifierForUrl(norwegianParticipantId(orgno))}`);
    return r.status === 200 ? parseServiceGroup(await r.text()).references.map((x) => x.documentType!.value.replace(/.*schema:/, "").replace(/::1\.0$/, "")).sort() : r.status;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-participants-"));
    db = (await openDatabase(`file:${path.join(dir, "ap.db")}`)).db;
    sml = [];
    smp = await startSmpSim({
      signer: { privateKey: createPrivateKey(await read("smp/SMP000001.key.pem")), certificate: await read("smp/SMP000001.pem") },
      users: { [USER.user]: USER.password },
      sml: { registerParticipant: (p) => void sml.push(`+${formatIdentifier(p)}`), unregisterParticipant: (p) => void sml.push(`-${formatIdentifier(p)}`) },
    });
    apCert = new X509Certificate(await read("ap/POP000001.pem"));
    repo = new ParticipantsRepo(db);
    directory = new ServedDirectory(repo);
    service = new ParticipantsService({
      repo,
      directory,
      smp: { client: new SmpManagementClient({ baseUrl: smp.url, ...USER }), endpoint: () => ({ endpointUrl: "https://c2.example/as4", certificate: apCert }), spelling: "innbyggerpost" },
      clock: () => new Date("2026-03-01T10:00:00Z"),
      log: silentLogger,
    });
  });
  afterEach(async () => {
    await smp.close();
    await db.$disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("adding twice is one registration: one row, one service group with the role's document types, one SML record", async () => {
    expect((await service.add("991825827", "sender")).created).to.equal(true);
    expect((await service.add("0192:991825827", "sender")).created).to.equal(false);
    expect((await repo.list()).map((r) => [r.participant, r.role, r.state])).to.deep.equal([["0192:991825827", "sender", "registered"]]);
    expect(await groupOf("991825827")).to.deep.equal(["aapningskvittering", "feil", "leveringskvittering", "mottakskvittering", "returpostkvittering", "varslingfeiletkvittering"]);
    expect(sml).to.deep.equal(["+iso6523-actorid-upis::0192:991825827"]);
    expect(directory.servedParticipants.has("0192:991825827")).to.equal(true);
    expect(directory.letterRecipients.has("0192:991825827")).to.equal(false);
  });

  it("registers a postbox provider for digital and flyttet, a print provider for utskrift", async () => {
    await service.add("984661185", "postbox");
    await service.add("974761076", "print");
    expect(await groupOf("984661185")).to.deep.equal(["digital", "flyttet"]);
    expect(await groupOf("974761076")).to.deep.equal(["utskrift"]);
    expect(directory.letterRecipients.has("0192:974761076")).to.equal(true);
  });

  it("an SMP failure mid-way is rolled back: no row, no service group, no SML record, not served", async () => {
    let puts = 0;
    smp.setFault((call) => (call.method === "PUT" && call.documentType && ++puts === 3 ? 500 : undefined));
    const error = await service.add("991825827", "sender").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ParticipantSmpError);
    expect((error as ParticipantSmpError).code).to.equal("participant-smp-failed");
    expect((error as ParticipantSmpError).kind).to.equal("unavailable");
    expect(await repo.list()).to.deep.equal([]);
    expect(await groupOf("991825827")).to.equal(404);
    expect(sml).to.deep.equal(["+iso6523-actorid-upis::0192:991825827", "-iso6523-actorid-upis::0192:991825827"]);
    expect(directory.servedParticipants.has("0192:991825827")).to.equal(false);
  });

  it("when the rollback fails too, the participant stays pending (not served) and is registered by the retry", async () => {
    smp.setFault((call) => (call.documentType || call.method === "DELETE" ? 503 : undefined));
    const error = await service.add("991825827", "sender").catch((e: unknown) => e);
    expect((error as ParticipantSmpError).code).to.equal("participant-smp-failed");
    const [row] = await repo.list();
    expect([row!.state, row!.smpManaged]).to.deep.equal(["pending", true]);
    expect(row!.lastError).to.match(/HTTP 503.*rolling back failed too/);
    expect(directory.servedParticipants.has("0192:991825827")).to.equal(false);

    smp.setFault(undefined);
    await service.retryPending();
    expect((await repo.list()).map((r) => r.state)).to.deep.equal(["registered"]);
    expect(directory.servedParticipants.has("0192:991825827")).to.equal(true);
    expect((await groupOf("991825827")) as string[]).to.have.length(6);
  });

  it("SMP credentials it refuses (403): upstream, nothing stored", async () => {
    await service.add("991825827", "sender");
    const other = new ParticipantsService({ repo: new ParticipantsRepo(db), directory: new ServedDirectory(repo), smp: { client: new SmpManagementClient({ baseUrl: smp.url, user: "c2", password: "wrong" }), endpoint: () => ({ endpointUrl: "https://x.example/as4", certificate: apCert }), spelling: "innbyggerpost" }, clock: () => new Date(), log: silentLogger });
    const error = await other.add("810969342", "sender").catch((e: unknown) => e);
    expect([(error as ParticipantSmpError).code, (error as ParticipantSmpError).kind]).to.deep.equal(["participant-smp-failed", "upstream"]);
    expect((await repo.list()).map((r) => r.participant)).to.deep.equal(["0192:991825827"]);
  });

  it("removing one role keeps the other's entries; removing the last deletes the group; removing again is not found", async () => {
    await service.add("984661185", "postbox");
    await service.add("984661185", "sender");
    await service.remove("984661185", "postbox");
    expect(await groupOf("984661185")).to.not.include("digital");
    expect(directory.letterRecipients.has("0192:984661185")).to.equal(false);
    expect(directory.servedParticipants.has("0192:984661185")).to.equal(true);
    await service.remove("984661185");
    expect(await groupOf("984661185")).to.equal(404);
    expect(directory.servedParticipants.has("0192:984661185")).to.equal(false);
    const error = await service.remove("984661185").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ParticipantNotFoundError);
  });

  it("a failed removal leaves the participant served", async () => {
    await service.add("991825827", "sender");
    smp.setFault((call) => (call.method === "DELETE" ? 500 : undefined));
    const error = await service.remove("991825827").catch((e: unknown) => e);
    expect((error as ParticipantSmpError).code).to.equal("participant-smp-failed");
    expect(directory.servedParticipants.has("0192:991825827")).to.equal(true);
    expect((await repo.list()).map((r) => r.state)).to.deep.equal(["registered"]);
  });

  it("the CLI adds, lists and removes through the same store and SMP", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      now: () => new Date(),
      env: {
        DPI_AP_SANDBOX: "true",
        DPI_AP_DATABASE_URL: `file:${path.join(dir, "ap.db")}`,
        DPI_AP_DATA_DIR: dir,
        DPI_AP_AS4_KEYSTORE: path.join(CERTS, "ap/POP000001.p12"),
        DPI_AP_AS4_KEYSTORE_PASSWORD: "changeit",
        DPI_AP_SMP_MANAGEMENT_URL: smp.url,
        DPI_AP_SMP_MANAGEMENT_USER: USER.user,
        DPI_AP_SMP_MANAGEMENT_PASSWORD: USER.password,
        DPI_AP_SMP_ENDPOINT_URL: "https://c2.example/as4",
      },
    };
    expect(await main(["participants", "add", "810969342", "--role", "sender"], io), err.join("")).to.equal(0);
    expect(out.join("")).to.equal("0192:810969342 sender: added (registered)\n");
    expect((await groupOf("810969342")) as string[]).to.have.length(6);
    out.length = 0;
    expect(await main(["participants", "list"], io)).to.equal(0);
    expect(out.join("")).to.equal("0192:810969342  sender   registered\n");
    expect(await main(["participants", "add", "810969342", "--role", "archive"], io)).to.equal(1);
    expect(err.join("")).to.match(/^dpi-ap: participant-invalid: /);
    expect(await main(["participants", "add", "810969342"], io)).to.equal(2);
    out.length = 0;
    expect(await main(["participants", "remove", "810969342"], io)).to.equal(0);
    expect(out.join("")).to.equal("0192:810969342: removed sender\n");
    expect(await groupOf("810969342")).to.equal(404);
    // The service's directory in this process sees what the CLI (another process, in effect) wrote once it refreshes.
    await directory.refresh();
    expect(directory.servedParticipants.has("0192:810969342")).to.equal(false);
  });
});
