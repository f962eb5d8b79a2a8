import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pg from "pg";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import { readZip } from "../../src/dpi/zip.js";
import { A, ARKIVMELDING_XML, B, idOf, PDF, sbd, VEDLEGG } from "../helpers/dpo-messages.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { letterAndReceipt } from "./letter-round-trip.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";


/** The blobs of a database, and which DPI message refers to each. */
async function blobsIn(url: string): Promise<{ messageId: string | null; size: string; sha256: string; bytes: Buffer }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (
      await client.query(
        `SELECT d."messageId", b."size", encode(b."sha256", 'hex') AS "sha256", b."key"
         FROM "Blob" b LEFT JOIN "DpiMessage" d ON d."payloadKey" = b."key" WHERE b."committedAt" IS NOT NULL`,
      )
    ).rows as { messageId: string | null; size: string; sha256: string; key: string }[];
    const blobs = [];
    for (const { key, ...r } of rows) {
      const chunks = (await client.query(`SELECT "bytes" FROM "BlobChunk" WHERE "key" = $1 ORDER BY "seq"`, [key])).rows as { bytes: Buffer }[];
      blobs.push({ ...r, bytes: Buffer.concat(chunks.map((c) => c.bytes)) });
    }
    return blobs;
  } finally {
    await client.end();
  }
}

describe("e2e: payloads in PostgreSQL (DPI_AP_BLOB_STORE=database), no data folder", function () {
  this.timeout(60_000);
  const scratch: ScratchDatabase[] = [];
  const dirs: string[] = [];
  let net: DpiNetwork | undefined;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    net = await DpiNetwork.start();
    for (const name of ["c2", "c3"]) {
      scratch.push(await createScratchDatabase(`dpi_ap_e2e_blobs_${name}`));
      // Empty, and it must stay so: every payload goes to the database.
      dirs.push(await mkdtemp(path.join(os.tmpdir(), `dpi-ap-no-payloads-${name}-`)));
    }
    const env = (i: number) => ({ DPI_AP_DATABASE_URL: scratch[i]!.url, DPI_AP_BLOB_STORE: "database" });
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", dir: dirs[0]!, env: env(0) });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", dir: dirs[1]!, env: env(1) });
  });
  after(async () => {
    await net?.close();
    for (const s of scratch) await s.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("takes a letter from corner 1 to the postbox and its receipt back, every payload in the database and none in the folders", async () => {
    const { messageId, cms } = await letterAndReceipt(net!, c2, c3, "pgblobs");

    const sha256 = createHash("sha256").update(cms).digest("hex");
    for (const url of [scratch[0]!.url, scratch[1]!.url]) {
      const blobs = await blobsIn(url);
      // One payload each, the letter's: the receipt carries none.
      expect(blobs.map(({ bytes, ...b }) => b)).to.deep.equal([{ messageId: messageId, size: String(cms.length), sha256 }]);
      expect(blobs[0]!.bytes.equals(cms)).to.equal(true);
    }
    for (const d of dirs) expect(await readdir(d), d).to.deep.equal([]);
  });
});

describe("e2e: eFormidling files and packages in PostgreSQL (DPI_AP_BLOB_STORE=database), no data folder", function () {
  this.timeout(90_000);
  const scratch: ScratchDatabase[] = [];
  const dirs: string[] = [];
  let net: DpiNetwork | undefined;
  let apA: RunningAccessPoint;
  let apB: RunningAccessPoint;

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    net = await DpiNetwork.start();
    for (const name of ["a", "b"]) {
      scratch.push(await createScratchDatabase(`dpi_ap_e2e_blobs_${name}`));
      dirs.push(await mkdtemp(path.join(os.tmpdir(), `dpi-ap-no-payloads-${name}-`)));
    }
    const env = (i: number, org: string) => ({
      DPI_AP_DATABASE_URL: scratch[i]!.url,
      DPI_AP_BLOB_STORE: "database",
      DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPO",
      DPI_AP_DPO_BROKER_URL: net!.sandbox.altinnBroker.url,
      DPI_AP_DPO_POLL_MS: "200",
      DPI_AP_NEXTMOVE_USERS: `arkiv:hemmelig:${org}`,
    });
    apA = await net.corner({ name: "a", seat: "POP000001", served: [`0192:${A}`], receives: "receipts", dir: dirs[0]!, env: env(0, A) });
    apB = await net.corner({ name: "b", seat: "POP000002", served: [`0192:${B}`], receives: "receipts", dir: dirs[1]!, env: env(1, B) });
  });
  after(async () => {
    await net?.close();
    for (const s of scratch) await s.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("a DPO arkivmelding's uploads are stored at A, its package at B, and B's archive system gets every document", async () => {
    const arkivA = new NextMoveClient(apA.url, { user: "arkiv", password: "hemmelig" });
    const arkivB = new NextMoveClient(apB.url, { user: "arkiv", password: "hemmelig" });
    const created = await arkivA.create(sbd({ sender: A, receiver: B, type: "arkivmelding", body: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf" } }));
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    const id = idOf(created.body);
    const files = [
      { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: ARKIVMELDING_XML },
      { filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF },
      { filename: "vedlegg.txt", title: "Vedlegg", mimeType: "text/plain", bytes: VEDLEGG },
    ];
    for (const f of files) {
      const up = await arkivA.upload(id, f);
      expect(up.status, `${f.filename}: ${JSON.stringify(up.body)}`).to.equal(200);
    }
    // The uploads are A's blobs, read back from the database when the message is packed and sent.
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect((await blobsIn(scratch[0]!.url)).map((b) => b.sha256).sort()).to.deep.equal(files.map((f) => digest(f.bytes)).sort());
    expect((await arkivA.send(id)).status).to.equal(200);

    await eventually("MOTTATT at A", async () => ((await arkivA.statuses(id)).includes("MOTTATT") ? true : undefined));
    // B keeps the package it fetched from the broker (CMS-encrypted to B) as its one blob.
    expect(await blobsIn(scratch[1]!.url)).to.have.length(1);
    const peeked = await arkivB.get("/api/messages/in/peek");
    expect([peeked.status, idOf(peeked.body)]).to.deep.equal([200, id]);
    const popped = await fetch(`${apB.url}/api/messages/in/pop/${id}`, { headers: { authorization: `Basic ${Buffer.from("arkiv:hemmelig").toString("base64")}` } });
    expect(popped.status).to.equal(200);
    const asic = readZip(new Uint8Array(await popped.arrayBuffer()));
    for (const f of files) expect(Buffer.from(asic.entries.find((e) => e.name === f.filename)!.data).equals(f.bytes), f.filename).to.equal(true);
    expect((await arkivB.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    // Deleting the message from the inbox deletes its package.
    expect(await blobsIn(scratch[1]!.url)).to.deep.equal([]);
    for (const d of dirs) expect(await readdir(d), d).to.deep.equal([]);
  });
});
