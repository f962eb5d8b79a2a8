import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pg from "pg";
import { messagesOutForm, postMessage } from "../../src/client/messages-out-client.js";
import { buildMessage } from "../helpers/letters.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS, getJson } from "../helpers/dpi-network.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from "../../scripts/lib/pg-scratch.js";

const AVSENDER = "910076787";
const DIGIPOST = "984661185";

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
    return await Promise.all(
      rows.map(async ({ key, ...r }) => {
        const chunks = (await client.query(`SELECT "bytes" FROM "BlobChunk" WHERE "key" = $1 ORDER BY "seq"`, [key])).rows as { bytes: Buffer }[];
        return { ...r, bytes: Buffer.concat(chunks.map((c) => c.bytes)) };
      }),
    );
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
    const token = await net!.token(AVSENDER);
    const letter = await buildMessage({ token });
    const cms = Buffer.from(letter.cms!);
    const posted = await postMessage(c2.url, token, messagesOutForm(letter.jws, letter.cms), "pgblobs");
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
    for (const url of [scratch[0]!.url, scratch[1]!.url]) {
      const blobs = await blobsIn(url);
      // One payload each, the letter's: the receipt carries none.
      expect(blobs.map(({ bytes, ...b }) => b)).to.deep.equal([{ messageId: letter.messageId, size: String(cms.length), sha256 }]);
      expect(blobs[0]!.bytes.equals(cms)).to.equal(true);
    }
    for (const d of dirs) expect(await readdir(d), d).to.deep.equal([]);
  });
});
