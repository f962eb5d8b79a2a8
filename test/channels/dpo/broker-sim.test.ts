import { createHash } from "node:crypto";
import { systemUserOf } from "../../../src/channels/dpo/altinn-token.js";
import { expect } from "chai";
import { BrokerRefusedError, BrokerUnavailableError } from "../../../src/channels/dpo/broker-errors.js";
import { DPO_RESOURCE } from "../../../src/sim/altinn-broker/index.js";
import { A, B, BrokerWorld, C, SMALL_RESOURCE } from "./fixtures.js";

/** The Altinn 3 broker simulator and its token exchange, through DPO's own clients over HTTP. */
describe("Altinn 3 broker simulator and DPO's broker client", () => {
  let w: BrokerWorld;
  before(async () => {
    w = await BrokerWorld.start();
  });
  after(async () => {
    await w?.close();
  });

  const init = (o: Partial<{ sender: string; recipients: string[]; resourceId: string; ref: string }> = {}) => ({
    fileName: "sbd.zip",
    resourceId: o.resourceId ?? DPO_RESOURCE,
    sendersFileTransferReference: o.ref ?? "7f2a0d4e-0000-4000-8000-000000000001",
    sender: o.sender ?? `0192:${A}`,
    recipients: o.recipients ?? [`0192:${B}`],
    propertyList: { kanal: "test" },
  });

  async function refusal(p: Promise<unknown>): Promise<BrokerRefusedError> {
    try {
      await p;
    } catch (e) {
      if (e instanceof BrokerRefusedError) return e;
      throw e;
    }
    throw new Error("expected a refusal");
  }

  it("takes a file from A to B: initialise, upload, listed for B, overview, download, confirm, per-recipient history", async () => {
    const bytes = Buffer.from("PK pretend zip bytes");
    const id = await w.client.initialise(A, init());
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    const uploaded = await w.client.upload(A, id, bytes);
    expect([uploaded.fileTransferStatus, uploaded.fileTransferSize]).to.deep.equal(["Published", bytes.length]);

    expect(await w.client.list(B, { resourceId: DPO_RESOURCE, status: "Published", recipientStatus: "Initialized" })).to.deep.equal([id]);
    const o = await w.client.overview(B, id);
    expect([o.sender, o.sendersFileTransferReference, o.fileName, o.recipients?.map((r) => [r.recipient, r.currentRecipientFileTransferStatusCode])]).to.deep.equal([
      `0192:${A}`,
      "7f2a0d4e-0000-4000-8000-000000000001",
      "sbd.zip",
      [[`0192:${B}`, "Initialized"]],
    ]);

    expect(Buffer.from(await w.client.download(B, id, 1000)).equals(bytes)).to.equal(true);
    expect(await w.client.list(B, { resourceId: DPO_RESOURCE, status: "Published", recipientStatus: "Initialized" })).to.deep.equal([]);
    expect(await w.client.list(B, { resourceId: DPO_RESOURCE, recipientStatus: "DownloadStarted" })).to.deep.equal([id]);
    await w.client.confirmDownload(B, id);
    await w.client.confirmDownload(B, id);
    const t = w.broker.state.all().find((x) => x.fileTransferId === id)!;
    expect([t.status, t.recipients[0]!.history.map((h) => h.status)]).to.deep.equal(["AllConfirmedDownloaded", ["Initialized", "DownloadStarted", "DownloadConfirmed"]]);
    expect(t.history.map((h) => h.status)).to.deep.equal(["Initialized", "UploadStarted", "UploadProcessing", "Published", "AllConfirmedDownloaded"]);
  });

  it("refuses what Altinn refuses: unknown resource, a recipient without access, a sender that is not the caller, a second upload", async () => {
    expect((await refusal(w.client.initialise(A, init({ resourceId: "no-such-resource" })))).status).to.equal(403);
    const wrong = await refusal(w.client.initialise(A, init({ recipients: [`0192:${C}`] })));
    expect([wrong.status, wrong.message]).to.deep.equal([400, `initialise: the broker refused (400): Recipient has no access: the recipient 0192:${C} has no access to the resource ${DPO_RESOURCE}`]);
    expect((await refusal(w.client.initialise(A, init({ sender: `0192:${B}` })))).status).to.equal(403);
    const id = await w.client.initialise(A, init());
    await w.client.upload(A, id, Buffer.from("x"));
    expect((await refusal(w.client.upload(A, id, Buffer.from("y")))).status).to.equal(409);
  });

  it("refuses a file over the resource's limit and marks the transfer Failed", async () => {
    const id = await w.client.initialise(A, init({ resourceId: SMALL_RESOURCE }));
    const e = await refusal(w.client.upload(A, id, Buffer.alloc(101)));
    expect([e.status, e.message]).to.deep.equal([400, "upload: the broker refused (400): File size exceeds maximum: the file is 101 bytes; the resource allows 100"]);
    expect(w.broker.state.all().find((x) => x.fileTransferId === id)!.status).to.equal("Failed");
  });

  it("lets only recipients download and confirm, and hides transfers from others", async () => {
    const id = await w.client.initialise(A, init());
    await w.client.upload(A, id, Buffer.from("z"));
    expect((await refusal(w.client.download(A, id, 100))).status).to.equal(403);
    expect((await refusal(w.client.confirmDownload(B, id))).status).to.equal(400);
    expect((await refusal(w.client.overview(C, id))).status).to.equal(404);
  });

  it("checks the upload against the checksum declared at initialisation: a mismatch is refused and the transfer Failed", async () => {
    const bytes = Buffer.from("PK pretend zip bytes");
    const md5 = createHash("md5").update(bytes).digest("hex");
    const good = await w.client.initialise(A, { ...init(), checksum: md5.toUpperCase() });
    expect((await w.client.upload(A, good, bytes)).fileTransferStatus).to.equal("Published");
    expect((await w.client.overview(B, good)).checksum).to.equal(md5);

    const bad = await w.client.initialise(A, { ...init(), checksum: createHash("md5").update("something else").digest("hex") });
    const e = await refusal(w.client.upload(A, bad, bytes));
    expect([e.status, e.message]).to.deep.equal([400, `upload: the broker refused (400): Checksum mismatch: the uploaded file's MD5 is ${md5}; the file transfer was initialised with ${createHash("md5").update("something else").digest("hex")}`]);
    expect(w.broker.state.all().find((t) => t.fileTransferId === bad)!.status).to.equal("Failed");
    expect((await refusal(w.client.initialise(A, { ...init(), checksum: "not-md5" }))).status).to.equal(400);
  });

  it("answers 401 without an Altinn token, 403 for a token without the broker scopes or without the organisation's system user, and 401 at the exchange without a Maskinporten token", async () => {
    const bare = await fetch(`${w.broker.url}/filetransfer?resourceId=${DPO_RESOURCE}`);
    expect(bare.status).to.equal(401);
    const exchange = async (scope: string, details?: unknown[]) => {
      const t = await w.maskinporten.issueToken({ consumer: A, scope, ...(details ? { claims: { authorization_details: details } } : {}) });
      return (await fetch(w.altinnToken.exchangeUrl, { headers: { authorization: `Bearer ${t.token}` } })).text();
    };
    const userless = await exchange("altinn:broker.read altinn:broker.write");
    const refused = await fetch(`${w.broker.url}/filetransfer?resourceId=${DPO_RESOURCE}`, { headers: { authorization: `Bearer ${userless}` } });
    expect([refused.status, ((await refused.json()) as { detail: string }).detail]).to.deep.equal([403, `the token acts as no system user of ${A}`]);
    const otherUser = await exchange("altinn:broker.read altinn:broker.write", [systemUserOf(B)]);
    expect((await fetch(`${w.broker.url}/filetransfer?resourceId=${DPO_RESOURCE}`, { headers: { authorization: `Bearer ${otherUser}` } })).status).to.equal(403);
    const mp = await w.maskinporten.issueToken({ consumer: A, scope: "eformidling:dpo", claims: { authorization_details: [systemUserOf(A)] } });
    const exchanged = await fetch(w.altinnToken.exchangeUrl, { headers: { authorization: `Bearer ${mp.token}` } });
    expect(exchanged.status).to.equal(200);
    const altinn = await exchanged.text();
    const listed = await fetch(`${w.broker.url}/filetransfer?resourceId=${DPO_RESOURCE}`, { headers: { authorization: `Bearer ${altinn}` } });
    expect(listed.status).to.equal(403);
    expect(((await listed.json()) as { detail: string }).detail).to.equal("the token lacks the scope altinn:broker.read");
    expect((await fetch(w.altinnToken.exchangeUrl)).status).to.equal(401);
    expect((await fetch(w.altinnToken.exchangeUrl, { headers: { authorization: "Bearer abc.def.ghi" } })).status).to.equal(401);
  });

  it("is unavailable (503) while down: the client says so as BrokerUnavailableError", async () => {
    await w.tokens.token(A);
    w.broker.setAvailable(false);
    try {
      let err: unknown;
      await w.client.list(A, { resourceId: DPO_RESOURCE }).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(BrokerUnavailableError);
      expect((err as Error).message).to.equal("list: the broker answered 503: Service Unavailable: the broker is down");
    } finally {
      w.broker.setAvailable(true);
    }
  });
});
