import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createAltinnTokens } from "../../../src/channels/altinn/index.js";
import { AltinnCorrespondenceError, CorrespondenceClient, DpvStatusPoller, GONE_DESCRIPTION } from "../../../src/channels/dpv/index.js";
import type { FormField } from "../../../src/channels/dpv/client.js";
import type { Conversation } from "../../../src/store/generated/client.js";
import { startAltinnCorrespondenceSim, type AltinnCorrespondenceSim } from "../../../src/sim/altinn-correspondence/index.js";
import { startAltinnTokenSim, type AltinnTokenSim } from "../../../src/sim/altinn-token/index.js";
import { loadDefaultSimOptions } from "../../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../../src/sim/maskinporten/server.js";

/** The DPV client, the Altinn token exchange client and the status poller against the simulators over HTTP. */

const ORG = "991825827";

function fields(key: string, resource = "eformidling-dpv-administrasjon"): FormField[] {
  return [
    ["recipients[0]", "urn:altinn:organization:identifier-no:910075946"],
    ["correspondence.resourceId", resource],
    ["correspondence.sendersReference", key],
    ["correspondence.content.language", "nb"],
    ["correspondence.content.messageTitle", "Tittel"],
    ["correspondence.content.messageSummary", "Sammendrag"],
    ["correspondence.content.messageBody", "Innhold"],
    ["correspondence.content.attachments[0].fileName", "brev.pdf"],
    ["correspondence.content.attachments[0].sendersReference", "a"],
    ["idempotentKey", key],
  ];
}
const FILES = [{ filename: "brev.pdf", mimeType: "application/pdf", bytes: Buffer.from("%PDF-1.4 brev") }];

describe("channels/dpv: client, Altinn tokens and status poller (against the simulators)", () => {
  let mp: MaskinportenSim;
  let auth: AltinnTokenSim;
  let sim: AltinnCorrespondenceSim;
  let now: Date;
  let client: CorrespondenceClient;
  let maskinportenTokens: number;

  before(async () => {
    mp = await startMaskinportenSim(await loadDefaultSimOptions());
    auth = await startAltinnTokenSim({ maskinporten: { issuer: mp.issuer, jwksUrl: mp.jwksUrl } });
    sim = await startAltinnCorrespondenceSim({ altinn: { issuer: auth.issuer, jwksUrl: auth.jwksUrl } });
  });
  beforeEach(() => {
    now = new Date();
    maskinportenTokens = 0;
    const tokens = createAltinnTokens({
      exchangeUrl: auth.exchangeUrl,
      maskinportenToken: async (orgno, scopes) => {
        maskinportenTokens++;
        return (await mp.issueToken({ consumer: orgno, scope: scopes })).token;
      },
      clock: () => now,
    });
    client = new CorrespondenceClient({ baseUrl: sim.url, token: (orgno) => tokens.token(orgno, ["eformidling:dpv"]) });
  });
  after(async () => {
    await sim?.close();
    await auth?.close();
    await mp?.close();
  });

  const conversation = (externalReference: string | null): Conversation => ({ messageId: "m", senderIdentifier: `0192:${ORG}`, externalReference }) as Conversation;

  it("keeps an Altinn token until shortly before it expires, then exchanges a new one", async () => {
    const before = auth.stats().exchanges;
    const key = randomUUID();
    await client.upload(ORG, fields(key), FILES);
    await client.findBySendersReference(ORG, key);
    expect([auth.stats().exchanges - before, maskinportenTokens]).to.deep.equal([1, 1]);
    now = new Date(now.getTime() + 29 * 60_000 + 1_000); // inside the last minute of 30
    await client.findBySendersReference(ORG, key);
    expect([auth.stats().exchanges - before, maskinportenTokens]).to.deep.equal([2, 2]);
  });

  it("uploads, finds by sender's reference, reads the overview; a second upload with the key is a 409 conflict", async () => {
    const key = randomUUID();
    const up = await client.upload(ORG, fields(key), FILES);
    expect(up.attachmentIds).to.have.length(1);
    expect(await client.findBySendersReference(ORG, key)).to.deep.equal([up.correspondenceId]);
    const o = await client.overview(ORG, up.correspondenceId);
    expect([o.correspondenceId, o.status, o.published, o.read]).to.deep.equal([up.correspondenceId, "ReadyForPublish", undefined, undefined]);
    const e = await client.upload(ORG, fields(key), FILES).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(AltinnCorrespondenceError);
    expect([(e as AltinnCorrespondenceError).status, (e as AltinnCorrespondenceError).kind, (e as AltinnCorrespondenceError).reason]).to.deep.equal([
      409,
      "conflict",
      "1034: A correspondence with the same idempotent key already exists",
    ]);
  });

  it("gives Altinn's reason for a refusal, and tells unavailable (503, no connection) apart", async () => {
    const refused = (await client.upload(ORG, fields(randomUUID(), "ukjent-ressurs"), FILES).catch((x: unknown) => x)) as AltinnCorrespondenceError;
    expect([refused.status, refused.kind, refused.message]).to.deep.equal([
      400,
      "invalid",
      "Altinn answered HTTP 400: 4009: Resource type is not supported. Resource must be of type GenericAccessResource or CorrespondenceService",
    ]);
    sim.unavailable(true);
    try {
      const down = (await client.findBySendersReference(ORG, "x").catch((x: unknown) => x)) as AltinnCorrespondenceError;
      expect([down.status, down.kind]).to.deep.equal([503, "unavailable"]);
    } finally {
      sim.unavailable(false);
    }
    const nowhere = new CorrespondenceClient({ baseUrl: "http://127.0.0.1:9/correspondence/api/v1", token: async () => "t" });
    const gone = (await nowhere.findBySendersReference(ORG, "x").catch((x: unknown) => x)) as AltinnCorrespondenceError;
    expect([gone.status, gone.kind]).to.deep.equal([0, "unavailable"]);
  });

  it("polls: nothing before publishing, LEVERT at publishing, LEST at reading, ANNET and stop when purged or gone", async () => {
    const poller = new DpvStatusPoller(client, () => now);
    const up = await client.upload(ORG, fields(randomUUID()), FILES);
    const c = conversation(up.correspondenceId);
    expect(await poller.poll(c)).to.deep.equal([]);
    const published = sim.publish(up.correspondenceId).published!;
    const first = await poller.poll(c);
    expect(first.map((u) => [u.status, u.at.toISOString(), u.endsPolling])).to.deep.equal([["LEVERT", published.toISOString(), undefined]]);
    expect(JSON.parse(first[0]!.raw!).status).to.equal("Published");
    const read = sim.read(up.correspondenceId).read!;
    expect((await poller.poll(c)).map((u) => [u.status, u.at.toISOString()])).to.deep.equal([
      ["LEVERT", published.toISOString()],
      ["LEST", read.toISOString()],
    ]);
    sim.purge(up.correspondenceId, "altinn");
    expect((await poller.poll(c)).map((u) => [u.status, u.description, u.endsPolling ?? false])).to.deep.equal([
      ["LEVERT", "Published", false],
      ["LEST", "Read", false],
      ["ANNET", "PurgedByAltinn: stopper polling.", true],
    ]);
    sim.remove(up.correspondenceId);
    expect((await poller.poll(c)).map((u) => [u.status, u.description, u.endsPolling])).to.deep.equal([["ANNET", GONE_DESCRIPTION, true]]);
    expect((await poller.poll(conversation(null))).map((u) => [u.status, u.endsPolling])).to.deep.equal([["ANNET", true]]);
  });

  it("lets a poll fail when Altinn cannot answer (the core polls again later)", async () => {
    const poller = new DpvStatusPoller(client, () => now);
    sim.unavailable(true);
    try {
      const e = await poller.poll(conversation(randomUUID())).catch((x: unknown) => x);
      expect((e as AltinnCorrespondenceError).status).to.equal(503);
    } finally {
      sim.unavailable(false);
    }
  });
});
