import { expect } from "chai";
import express from "express";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { mailDownloadRouter } from "../../../src/api/nextmove/dpf-mail-download.js";
import { requireNextMoveCaller } from "../../../src/api/nextmove/auth.js";
import { problemHandler } from "../../../src/api/problem-middleware.js";
import { FORSENDELSE_ID_HEADER } from "../../../src/channels/dpf/mail-message.js";
import { createSmtpTransport } from "../../../src/channels/dpf/mail-transport.js";
import { DpfMailWorker } from "../../../src/channels/dpf/mail-worker.js";
import { createSvarInnClient } from "../../../src/channels/dpf/svarinn-client.js";
import { SvarInnSource } from "../../../src/channels/dpf/svarinn-source.js";
import type { Clock } from "../../../src/clock.js";
import { silentLogger } from "../../../src/log.js";
import { keyStoreFromPem } from "../../../src/pki/keystore.js";
import { orgKeyStoresOf } from "../../../src/pki/org-keystores.js";
import { startSmtpSim, type SmtpSim } from "../../../src/sim/smtp/index.js";
import { loadDefaultSvarUtOptions, startSvarUtSim, SVARUT_SANDBOX, type SvarUtSim } from "../../../src/sim/svarut/index.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { DpfMailRepo } from "../../../src/store/dpf-mail-repo.js";
import { NextMoveInRepo } from "../../../src/store/nextmove-in-repo.js";
import { CERTS } from "../../helpers/certs.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";

/**
 * DPF's mail delivery end to end over the wire: SvarInn (simulator) → SvarInnSource → the store → the mail worker
 * → SMTP (simulator, read back parsed); the level-4 link against the NextMove API's authentication.
 */

const A = "991825827";
const OTHER = "810969342";
const KOMMUNE = "910075924";
const TO = "arkiv@a.example";
const FROM = "dpi-ap@ap.example";
const PDF = Buffer.from("%PDF-1.4 vedtak\n");
const VEDLEGG = Buffer.from("vedlegg, bytes \u0000\u0001\u00ff", "latin1");
const BAD_METADATA = { journalaar: "i fjor" };
const HOUR = 3_600_000;

describe("DPF mail delivery (SvarInn → mail through SMTP; level 3 attaches, level 4 links)", function () {
  this.timeout(20_000);
  let svarUt: SvarUtSim;
  let smtp: SmtpSim;
  let store: TempStore;
  let dir: string;
  let blobs: FolderBlobStore;
  let inRepo: NextMoveInRepo;
  let mails: DpfMailRepo;
  let source: SvarInnSource;
  let worker: DpfMailWorker;
  let http: Server;
  let api: string;
  let now: number;
  const clock: Clock = () => new Date(now);
  let makeWorker: () => DpfMailWorker;

  before(async () => {
    now = Date.parse("2026-12-03T10:00:00Z");
    svarUt = await startSvarUtSim(await loadDefaultSvarUtOptions({ // SvarInn only (HTTP Basic): SvarUt's REST API and its Maskinporten are not used here.
      maskinporten: { issuer: "https://maskinporten.invalid/", jwksUrl: "http://127.0.0.1:1/jwk" } }));
    smtp = await startSmtpSim();
    store = await openTempStore("dpf-mail-");
    dir = await mkdtemp(path.join(os.tmpdir(), "dpf-mail-blobs-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    inRepo = new NextMoveInRepo(store.db);
    mails = new DpfMailRepo(store.db);
    const keys = keyStoreFromPem({ key: await readFile(path.join(CERTS, `business/${A}.key.pem`)), certificate: await readFile(path.join(CERTS, `business/${A}.pem`)) });
    const keystores = orgKeyStoresOf(new Map([[A, keys]]));
    const app = express();
    app.use(requireNextMoveCaller({ users: [{ name: "arkiv", password: "riktig", orgs: [A] }, { name: "annen", password: "riktig", orgs: [OTHER] }] }));
    app.use(mailDownloadRouter({ repo: mails, blobs, keystores, clock }));
    app.use(problemHandler(silentLogger));
    http = app.listen(0, "127.0.0.1");
    await new Promise((r) => http.once("listening", r));
    api = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    makeWorker = () =>
      new DpfMailWorker({
        repo: mails,
        inRepo,
        blobs,
        keystores,
        transport: createSmtpTransport({ host: smtp.host, port: smtp.port, secure: false, requireTls: false, auth: undefined, from: FROM }),
        from: FROM,
        addressFor: (org) => (org === A ? TO : undefined),
        deadlineMs: 24 * HOUR,
        linkHours: 48,
        apiBase: () => api,
        retry: { baseDelayMs: 1_000, maxDelayMs: 1_000, windowMs: HOUR },
        pollMs: 60_000,
        clock,
        log: silentLogger,
      });
    worker = makeWorker();
    source = new SvarInnSource({
      client: createSvarInnClient({ baseUrl: svarUt.svarInnUrl }),
      accounts: new Map([[A, { username: SVARUT_SANDBOX.svarInnUser(A), password: "sandbox" }]]),
      keystores,
      blobs,
      repo: inRepo,
      pollMs: 60_000,
      process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
      fallbackSenderOrg: "999999999",
      ttlHours: 24,
      clock,
      log: silentLogger,
      mail: { repo: mails, addressFor: (org) => (org === A ? TO : undefined), onQueued: () => {} },
    });
  });
  after(async () => {
    await new Promise((r) => http.close(r));
    await svarUt.close();
    await smtp.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const mailOf = (id: string) => smtp.mails().filter((m) => m.headers.get(FORSENDELSE_ID_HEADER.toLowerCase()) === id);
  const statuses = async (id: string) => (await inRepo.conversations.statuses("IN", id)).map((s) => [s.status, s.description]);
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

  it("level 3, conversion fails: taken in (kvitterMottak, not mottakFeilet), mailed once with the documents attached, and marked delivered by e-mail", async () => {
    const id = svarUt.putInSvarInn({
      mottaker: A,
      tittel: "Vedtak",
      niva: 3,
      svarSendesTil: { navn: "Bergen kommune", orgnr: KOMMUNE },
      metadataFraAvleverendeSystem: BAD_METADATA,
      documents: [
        { filnavn: "vedtak.pdf", mimeType: "application/pdf", bytes: PDF },
        { filnavn: "vedlegg.bin", mimeType: "application/octet-stream", bytes: VEDLEGG },
      ],
    });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "mailed"]]);
    expect(svarUt.forsendelse(id)!.svarInn.kvittert).to.equal(true);
    expect(svarUt.forsendelse(id)!.svarInn.feilet).to.equal(undefined);
    const reason = 'the forsendelse cannot be converted: metadataFraAvleverendeSystem.journalaar is not a number: "i fjor"';
    expect(await statuses(id)).to.deep.equal([
      ["OPPRETTET", null],
      ["INNKOMMENDE_MOTTATT", `${reason}; to be delivered by e-mail to ${TO}`],
    ]);
    expect(await inRepo.message(id)).to.equal(null);

    await worker.runOnce();
    const [mail, ...more] = mailOf(id);
    expect(more).to.have.length(0);
    expect(mail!.envelope).to.deep.equal({ from: FROM, to: [TO] });
    expect(mail!.subject).to.equal("Forsendelse fra SvarInn: Vedtak");
    expect(mail!.text).to.contain(`Forsendelse-id: ${id}`).and.contain("Sikkerhetsnivå: 3").and.contain("Avsender: Bergen kommune");
    expect(mail!.attachments.map((a) => [a.filename, a.contentType])).to.deep.equal([
      ["vedtak.pdf", "application/pdf"],
      ["vedlegg.bin", "application/octet-stream"],
    ]);
    expect(mail!.attachments[0]!.content.equals(PDF)).to.equal(true);
    expect(mail!.attachments[1]!.content.equals(VEDLEGG)).to.equal(true);
    expect(await statuses(id)).to.deep.equal([
      ["OPPRETTET", null],
      ["INNKOMMENDE_MOTTATT", `${reason}; to be delivered by e-mail to ${TO}`],
      ["INNKOMMENDE_LEVERT", `delivered by e-mail to ${TO} (${reason})`],
    ]);

    // Sent once: neither another pass, a restarted worker, nor SvarInn listing it again mails it twice.
    await worker.runOnce();
    await makeWorker().runOnce();
    svarUt.forsendelse(id)!.svarInn.kvittert = false;
    expect([...(await source.runOnce())]).to.deep.equal([[id, "acknowledged-again"]]);
    await worker.runOnce();
    expect(mailOf(id)).to.have.length(1);
    expect((await mails.get(id))!.sentAt!.toISOString()).to.equal(new Date(now).toISOString());
  });

  it("level 4, conversion fails: no attachments but links, which refuse without credentials or for another organisation and give the bytes to the organisation's caller", async () => {
    const id = svarUt.putInSvarInn({
      mottaker: A,
      tittel: "Gradert",
      niva: 4,
      svarSendesTil: { orgnr: KOMMUNE },
      metadataFraAvleverendeSystem: BAD_METADATA,
      documents: [
        { filnavn: "gradert.pdf", mimeType: "application/pdf", bytes: PDF },
        { filnavn: "vedlegg.bin", mimeType: "application/octet-stream", bytes: VEDLEGG },
      ],
    });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "mailed"]]);
    await worker.runOnce();
    const [mail] = mailOf(id);
    expect(mail!.attachments).to.deep.equal([]);
    expect(mail!.text).to.contain("Sikkerhetsnivå: 4");
    const links = [...mail!.text.matchAll(/- (\S+): (http\S+)/g)].map((m) => [m[1], m[2]!]);
    expect(links.map(([name]) => name)).to.deep.equal(["gradert.pdf", "vedlegg.bin"]);
    const [pdfLink, binLink] = links.map(([, url]) => url!);
    expect(pdfLink).to.match(new RegExp(`^${api}/dpf/mail/[A-Za-z0-9_-]{43}/0$`));

    const anonymous = await fetch(pdfLink!);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers.get("www-authenticate")).to.contain("Basic");
    expect((await fetch(pdfLink!, { headers: basic("arkiv", "feil") })).status).to.equal(401);
    const other = await fetch(pdfLink!, { headers: basic("annen", "riktig") });
    expect(other.status).to.equal(403);
    expect(((await other.json()) as { code?: string }).code).to.equal("nextmove-organisation-forbidden");

    const ok = await fetch(pdfLink!, { headers: basic("arkiv", "riktig") });
    expect(ok.status).to.equal(200);
    expect(ok.headers.get("content-type")).to.equal("application/pdf");
    expect(Buffer.from(await ok.arrayBuffer()).equals(PDF)).to.equal(true);
    const bin = await fetch(binLink!, { headers: basic("arkiv", "riktig") });
    expect(Buffer.from(await bin.arrayBuffer()).equals(VEDLEGG)).to.equal(true);

    const wrongToken = pdfLink!.replace(/\/dpf\/mail\/[^/]+\//, `/dpf/mail/${"A".repeat(43)}/`);
    const unknown = await fetch(wrongToken, { headers: basic("arkiv", "riktig") });
    expect([unknown.status, ((await unknown.json()) as { code?: string }).code]).to.deep.equal([404, "dpf-mail-link-not-found"]);

    // The link stops working when its time is out (48 h here).
    now += 49 * HOUR;
    const late = await fetch(pdfLink!, { headers: basic("arkiv", "riktig") });
    expect([late.status, ((await late.json()) as { code?: string }).code]).to.deep.equal([410, "dpf-mail-link-expired"]);
  });

  it("deadline: a forsendelse not fetched from the NextMove inbox in 24 h is mailed (level 3: its documents) and leaves the inbox; one younger is not", async () => {
    const old = svarUt.putInSvarInn({ mottaker: A, tittel: "Gammel", niva: 3, svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "gammel.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[old, "received"]]);
    now += 20 * HOUR;
    const young = svarUt.putInSvarInn({ mottaker: A, tittel: "Ung", niva: 3, svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "ung.pdf", mimeType: "application/pdf", bytes: VEDLEGG }] });
    expect([...(await source.runOnce())]).to.deep.equal([[young, "received"]]);

    // 20 h after the first arrived: nothing is due.
    await worker.runOnce();
    expect(mailOf(old)).to.have.length(0);
    expect(mailOf(young)).to.have.length(0);

    now += 4 * HOUR + 1;
    await worker.runOnce();
    const [mail] = mailOf(old);
    expect(mail!.attachments.map((a) => a.filename)).to.deep.equal(["gammel.pdf"]);
    expect(mail!.attachments[0]!.content.equals(PDF)).to.equal(true);
    expect(mail!.text).to.contain("hentet den ikke fra NextMove-innboksen i tide (not fetched from the NextMove inbox within 24 h)");
    expect(mailOf(young)).to.have.length(0);
    expect(await statuses(old)).to.deep.equal([
      ["OPPRETTET", null],
      ["INNKOMMENDE_MOTTATT", null],
      ["INNKOMMENDE_LEVERT", `delivered by e-mail to ${TO} (not fetched from the NextMove inbox within 24 h)`],
    ]);
    const left = (await inRepo.message(old))!;
    expect([left.readAt?.toISOString(), left.nextMove.packageKey]).to.deep.equal([new Date(now).toISOString(), null]);
    expect((await inRepo.message(young))!.readAt).to.equal(null);
    expect((await statuses(young)).map(([s]) => s)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
  });

  it("deadline: a forsendelse the archive system has locked (peeked) is not mailed while the lock holds", async () => {
    const id = svarUt.putInSvarInn({ mottaker: A, tittel: "Låst", niva: 3, svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "l.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "received"]]);
    now += 25 * HOUR;
    await store.db.conversation.update({ where: { direction_messageId: { direction: "IN", messageId: id } }, data: { lockedUntil: new Date(now + 60_000) } });
    await worker.runOnce();
    expect(mailOf(id)).to.have.length(0);
    expect(await mails.get(id)).to.equal(null);
  });

  it("deadline: a forsendelse the archive system fetches after its mail was queued, but before it went, is not mailed", async () => {
    const id = svarUt.putInSvarInn({ mottaker: A, tittel: "Hentet likevel", niva: 3, svarSendesTil: { orgnr: KOMMUNE }, documents: [{ filnavn: "h.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "received"]]);
    now += 25 * HOUR;
    // (The forsendelse the test before locked is queued too: its lock has run out by now.)
    expect(await worker.queueOverdue()).to.include(id);
    await store.db.conversation.update({ where: { direction_messageId: { direction: "IN", messageId: id } }, data: { readAt: new Date(now) } });
    await worker.sendDue();
    expect(mailOf(id)).to.have.length(0);
    const dropped = (await mails.get(id))!;
    expect([dropped.sentAt, dropped.nextAttemptAt, dropped.lastError]).to.deep.equal([null, null, "not mailed: the archive system fetched it from the NextMove inbox first"]);
  });

  it("SMTP down: the mail is kept and sent on a later pass, not lost", async () => {
    smtp.setDown(true);
    const id = svarUt.putInSvarInn({ mottaker: A, tittel: "Nede", niva: 3, svarSendesTil: { orgnr: KOMMUNE }, metadataFraAvleverendeSystem: BAD_METADATA, documents: [{ filnavn: "n.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await source.runOnce())]).to.deep.equal([[id, "mailed"]]);
    await worker.runOnce();
    expect(mailOf(id)).to.have.length(0);
    const waiting = (await mails.get(id))!;
    expect([waiting.sentAt, waiting.attempts]).to.deep.equal([null, 1]);
    expect(waiting.lastError).to.contain("421");
    expect(waiting.nextAttemptAt!.getTime()).to.be.within(now, now + 1_000);
    expect((await statuses(id)).map(([s]) => s)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);

    smtp.setDown(false);
    now += 2_000;
    await worker.runOnce();
    expect(mailOf(id)).to.have.length(1);
    expect(mailOf(id)[0]!.attachments[0]!.content.equals(PDF)).to.equal(true);
    expect((await statuses(id)).map(([s]) => s)).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
  });

  it("an organisation without a mail address: a forsendelse that cannot be converted is refused as before (mottakFeilet, FEIL)", async () => {
    const sourceWithout = new SvarInnSource({
      ...(source as unknown as { deps: ConstructorParameters<typeof SvarInnSource>[0] }).deps,
      mail: { repo: mails, addressFor: () => undefined, onQueued: () => {} },
    });
    const id = svarUt.putInSvarInn({ mottaker: A, tittel: "Uten adresse", metadataFraAvleverendeSystem: BAD_METADATA, documents: [{ filnavn: "u.pdf", mimeType: "application/pdf", bytes: PDF }] });
    expect([...(await sourceWithout.runOnce())]).to.deep.equal([[id, "failed"]]);
    expect(svarUt.forsendelse(id)!.svarInn.feilet?.permanent).to.equal(true);
    expect((await statuses(id)).map(([s]) => s)).to.deep.equal(["OPPRETTET", "FEIL"]);
    expect(await mails.get(id)).to.equal(null);
  });
});
