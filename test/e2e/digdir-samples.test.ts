import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { X509Certificate } from "node:crypto";
import { expect } from "chai";
import { decodeProtectedHeader } from "jose";
import { openStores, type Stores } from "../../src/app.js";
import { fixedClock } from "../../src/clock.js";
import { loadConfig } from "../../src/config.js";
import { acceptOutgoing, type IntakeDeps } from "../../src/dpi/intake.js";
import { createForretningsmeldingVerifier } from "../../src/dpi/signed-forretningsmelding.js";
import { silentLogger } from "../../src/log.js";
import { ParticipantSet } from "../../src/peppol/identifiers.js";
import { VECTORS } from "../helpers/certs.js";

/**
 * Digdir's published complete examples (a direct and a delegated digital letter) must pass every intake check
 * when the clock is pinned to when they were made and their (long expired) signing certificates are trusted.
 * Their Maskinporten tokens cannot be verified (Maskinporten's keys of 2022), so the caller is built from
 * the decoded token the examples ship with.
 */
const DIR = path.join(VECTORS, "dpi");
const SAMPLES = ["digital", "digital-pa-vegne-av"];

describe("Digdir's sample letters pass the corner-2 intake", function () {
  let dir: string;
  let stores: Stores;
  before(async function () {
    if (!existsSync(DIR)) this.skip();
    dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-digdir-"));
    stores = await openStores(loadConfig({ DPI_AP_DATABASE_URL: `file:${path.join(dir, "db.sqlite")}`, DPI_AP_DATA_DIR: dir }));
  });
  after(async () => {
    await stores?.db.$disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function load(name: string) {
    const jws = readFileSync(path.join(DIR, `${name}-forretningsmelding.jwt`), "utf8").trim();
    const cms = readFileSync(path.join(DIR, `${name}-dokumentpakke.cms`));
    const token = JSON.parse(readFileSync(path.join(DIR, `${name}-forretningsmelding-autorisasjonsbevis.json`), "utf8"));
    const body = JSON.parse(readFileSync(path.join(DIR, `${name}-forretningsmelding.json`), "utf8")).standardBusinessDocument.digital;
    const signer = new X509Certificate(Buffer.from((decodeProtectedHeader(jws).x5c as string[])[0]!, "base64"));
    return { jws, cms, token, body, signer, issuedAt: new Date(token.iat * 1000) };
  }

  function deps(anchors: X509Certificate[], at: Date): IntakeDeps {
    return {
      verifyForretningsmelding: createForretningsmeldingVerifier({ anchors, clock: fixedClock(at) }),
      servedParticipants: new ParticipantSet(["0192:991825827", "0192:810969342"]),
      repo: stores.repo,
      blobs: stores.blobs,
      clock: fixedClock(at),
      log: silentLogger,
    };
  }

  const caller = (s: ReturnType<typeof load>) => ({
    token: s.body.maskinportentoken as string,
    consumer: s.token.consumer.ID as string,
    supplier: s.token.supplier?.ID as string | undefined,
  });

  for (const name of SAMPLES) {
    it(`${name}: accepted with the clock pinned and the signer trusted`, async () => {
      const s = load(name);
      const blob = await stores.blobs.write(Readable.from([s.cms]));
      const accepted = await acceptOutgoing({ forretningsmelding: s.jws, dokumentpakke: blob, caller: caller(s) }, deps([s.signer], s.issuedAt));
      expect(accepted.status).to.equal("OPPRETTET");
      const row = await stores.repo.get("OUT", accepted.id);
      expect(row?.dpi.avsenderOrg).to.equal(s.token.consumer.ID);
      expect(row?.dpi.payloadSize).to.equal(s.cms.length);
      if (s.token.supplier) expect(row?.dpi.databehandlerOrg).to.equal(s.token.supplier.ID);
    });

    it(`${name}: refused today (its certificate has expired) and when its signer is not trusted`, async () => {
      const s = load(name);
      const today = await acceptOutgoing({ forretningsmelding: s.jws, dokumentpakke: await stores.blobs.write(Readable.from([s.cms])), caller: caller(s) }, deps([s.signer], new Date())).catch((e: unknown) => e);
      expect(today).to.have.property("code", "signer-certificate-invalid");
      const untrusted = await acceptOutgoing({ forretningsmelding: s.jws, dokumentpakke: await stores.blobs.write(Readable.from([s.cms])), caller: caller(s) }, deps([], s.issuedAt)).catch((e: unknown) => e);
      expect(untrusted).to.have.property("code", "signer-certificate-invalid");
    });
  }
});
