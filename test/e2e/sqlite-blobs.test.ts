import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { DpiNetwork, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";
import { letterAndReceipt } from "./letter-round-trip.js";
import type { RunningAccessPoint } from "../../src/server.js";

/** The committed blobs of a SQLite store, read on a connection of their own, and which DPI message refers to each. */
function blobsIn(file: string): { messageId: string | null; size: number; sha256: string; bytes: Buffer }[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT d."messageId", b."size", hex(b."sha256") AS "sha256", b."key" FROM "Blob" b LEFT JOIN "DpiMessage" d ON d."payloadKey" = b."key" WHERE b."committedAt" IS NOT NULL`)
      .all() as { messageId: string | null; size: number; sha256: string; key: string }[];
    const chunks = db.prepare(`SELECT "bytes" FROM "BlobChunk" WHERE "key" = ? ORDER BY "seq"`);
    return rows.map(({ key, sha256, ...r }) => ({ ...r, sha256: sha256.toLowerCase(), bytes: Buffer.concat((chunks.all(key) as { bytes: Buffer }[]).map((c) => c.bytes)) }));
  } finally {
    db.close();
  }
}

describe("e2e: payloads in SQLite (DPI_AP_BLOB_STORE=database with a file: database)", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  let net: DpiNetwork | undefined;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;

  before(async () => {
    net = await DpiNetwork.start();
    for (const name of ["c2", "c3"]) dirs.push(await mkdtemp(path.join(os.tmpdir(), `dpi-ap-sqlite-blobs-${name}-`)));
    const env = { DPI_AP_BLOB_STORE: "database" };
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts", dir: dirs[0]!, env });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters", dir: dirs[1]!, env });
  });
  after(async () => {
    await net?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("takes a letter to the postbox and its receipt back, every payload in the database file and no payload folder", async () => {
    const { messageId, cms } = await letterAndReceipt(net!, c2, c3, "sqliteblobs");

    const sha256 = createHash("sha256").update(cms).digest("hex");
    for (const d of dirs) {
      const blobs = blobsIn(path.join(d, "ap.db"));
      // One payload each, the letter's: the receipt carries none.
      expect(blobs.map(({ bytes, ...b }) => b)).to.deep.equal([{ messageId: messageId, size: cms.length, sha256 }]);
      expect(blobs[0]!.bytes.equals(cms)).to.equal(true);
      // The database and its log, the (empty) AS4 spool, and no payload folder beside them.
      expect((await readdir(d)).filter((f) => !f.startsWith("ap.db")), d).to.deep.equal(["as4-tmp"]);
      expect(await readdir(path.join(d, "as4-tmp"))).to.deep.equal([]);
    }
  });
});
