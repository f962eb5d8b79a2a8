import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { openStores, type Stores } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { dpiLetterFromNextMove, type NextMoveDpiLetter } from "../../src/dpi/from-nextmove.js";
import { acceptOutgoing, type IntakeDeps } from "../../src/dpi/intake.js";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import { silentLogger } from "../../src/log.js";
import { ParticipantSet } from "../../src/peppol/identifiers.js";
import { BUSINESS_ANCHORS, CLOCK, FILES, personRecord, POSTBOX, PRINT_PROVIDER, PRINTER, readEformidlingVector, SENDER, SIGNER, TOKEN } from "./nextmove-fixtures.js";

/**
 * What the mapping builds for a NextMove sender goes into the DPI outbox through the same intake a business
 * system's POST /messages/out goes through: every check, then stored as OPPRETTET.
 */
describe("dpi/from-nextmove: the letters enter the access point's own DPI intake", function () {
  let dir: string;
  let stores: Stores;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-nextmove-"));
    stores = await openStores(loadConfig({ DPI_AP_DATABASE_URL: `file:${path.join(dir, "db.sqlite")}`, DPI_AP_DATA_DIR: dir }));
  });
  after(async () => {
    await stores?.db.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deps = (): IntakeDeps => ({
    verifyForretningsmelding: createForretningsmeldingVerifier({ anchors: BUSINESS_ANCHORS, clock: CLOCK }),
    servedParticipants: new ParticipantSet([`0192:${SENDER}`]),
    repo: stores.repo,
    blobs: stores.blobs,
    clock: CLOCK,
    log: silentLogger,
  });

  async function submit(letter: NextMoveDpiLetter) {
    const blob = await stores.blobs.write(Readable.from([letter.dokumentpakke]));
    // The caller a business system would be: the avsender's token, the one inside the forretningsmelding.
    return acceptOutgoing({ forretningsmelding: letter.forretningsmelding, dokumentpakke: blob, caller: { token: TOKEN, consumer: letter.avsender } }, deps());
  }

  it("a digital letter is accepted and stored for the postbox provider", async function () {
    const letter = await dpiLetterFromNextMove({
      sbd: readEformidlingVector(this, "sbd/nextmove-dpi-digital.json"),
      files: FILES,
      record: { ...personRecord(this), pemCertificate: POSTBOX.certPem },
      signer: SIGNER,
      maskinportentoken: TOKEN,
      clock: CLOCK,
    });
    expect(await submit(letter)).to.deep.equal({
      id: "ff88849c-e281-4809-8555-7cd54952b921",
      conversationId: "97efbd4c-413d-4e2c-bbc5-257ef4a61212",
      documentType: "digital",
      status: "OPPRETTET",
    });
    const row = await stores.repo.get("OUT", letter.messageId);
    expect({
      receiver: row?.receiverIdentifier,
      avsender: row?.dpi.avsenderOrg,
      avsenderidentifikator: row?.dpi.avsenderidentifikator,
      size: row?.dpi.payloadSize,
      jws: row?.dpi.forretningsmelding,
    }).to.deep.equal({
      receiver: "0192:987464291",
      avsender: "0192:910077473",
      avsenderidentifikator: "avsender910077473",
      size: letter.dokumentpakke.byteLength,
      jws: letter.forretningsmelding,
    });
  });

  it("a print letter is accepted and stored for the print provider", async function () {
    const letter = await dpiLetterFromNextMove({
      sbd: readEformidlingVector(this, "sbd/nextmove-dpi-print.json"),
      files: FILES.filter((f) => f.filename !== "test.txt"),
      printProvider: { postkasseleverandoerAdresse: PRINT_PROVIDER, x509Sertifikat: PRINTER.certPem },
      signer: SIGNER,
      maskinportentoken: TOKEN,
      clock: CLOCK,
    });
    const accepted = await submit(letter);
    expect({ type: accepted.documentType, status: accepted.status }).to.deep.equal({ type: "utskrift", status: "OPPRETTET" });
    expect((await stores.repo.get("OUT", letter.messageId))?.receiverIdentifier).to.equal("0192:974761076");
  });
});
