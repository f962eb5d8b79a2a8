import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS, getJson } from "../helpers/dpi-network.js";
import type { RunningAccessPoint } from "../../src/server.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

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
    const token = await net!.token(AVSENDER);
    const letter = await buildMessage({ token });
    const cms = Buffer.from(letter.cms!);
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "sqliteblobs");
    expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
    await eventually("SENDT at corner 2", async () => {
      const r = await getJson(c2, `/messages/out/${letter.messageId}/statuses`, token);
      return r.body.some((s: { status: string }) => s.status === "SENDT") ? r.body : undefined;
    });

    // Corner 3 took the dokumentpakke from AS4 into its database and serves it from there.
    const providerToken = await net!.token(DIGIPOST);
    const inbox = await eventually("the letter at corner 3", async () => {
      const r = await getJson(c3, "/messages/in", providerToken);
      return r.status === 200 && r.body.length ? (r.body as { forretningsmelding: string; downloadurl: string }[]) : undefined;
    });
    const item = inbox.find((i) => i.forretningsmelding === letter.jws);
    expect(item).to.not.equal(undefined);
    const dl = await fetch(item!.downloadurl, { headers: { authorization: `Bearer ${providerToken}` } });
    expect(dl.status).to.equal(200);
    expect(dl.headers.get("content-length")).to.equal(String(cms.length));
    expect(Buffer.from(await dl.arrayBuffer()).equals(cms)).to.equal(true);

    const receipt = await buildMessage({ type: "leveringskvittering", conversationId: letter.conversationId, receiver: `0192:${AVSENDER}` });
    const r = await postMessage(c3.url, providerToken, messagesOutForm(receipt.jws));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await eventually("LEVERT at corner 2", async () => {
      const t = await getJson(c2, `/status/${letter.conversationId}`, token);
      const events = t.body?.events?.map((e: { status: string }) => e.status);
      return events?.includes("LEVERT") ? events : undefined;
    });

    const sha256 = createHash("sha256").update(cms).digest("hex");
    for (const d of dirs) {
      const blobs = blobsIn(path.join(d, "ap.db"));
      // One payload each, the letter's: the receipt carries none.
      expect(blobs.map(({ bytes, ...b }) => b)).to.deep.equal([{ messageId: letter.messageId, size: cms.length, sha256 }]);
      expect(blobs[0]!.bytes.equals(cms)).to.equal(true);
      // The database and its log, the (empty) AS4 spool, and no payload folder beside them.
      expect((await readdir(d)).filter((f) => !f.startsWith("ap.db")), d).to.deep.equal(["as4-tmp"]);
      expect(await readdir(path.join(d, "as4-tmp"))).to.deep.equal([]);
    }
  });
});
