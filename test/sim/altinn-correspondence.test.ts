import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { multipartBody, type CorrespondenceFile, type FormField } from "../../src/channels/dpv/client.js";
import { startAltinnCorrespondenceSim, type AltinnCorrespondenceSim } from "../../src/sim/altinn-correspondence/index.js";
import { startAltinnTokenSim, type AltinnTokenSim } from "../../src/sim/altinn-token/index.js";
import { loadDefaultSimOptions } from "../../src/sim/maskinporten/defaults.js";
import { startMaskinportenSim, type MaskinportenSim } from "../../src/sim/maskinporten/server.js";

/** The Altinn token exchange and the correspondence service, over HTTP on 127.0.0.1, with Maskinporten simulator tokens. */

const ORG = "991825827";
const OTHER = "810969342";

function fields(o: { key?: string; ref?: string; recipient?: string; resource?: string; files?: string[]; extra?: FormField[] } = {}): FormField[] {
  const f: FormField[] = [
    ["recipients[0]", o.recipient ?? "urn:altinn:organization:identifier-no:910075946"],
    ["correspondence.resourceId", o.resource ?? "eformidling-dpv-administrasjon"],
    ["correspondence.sender", `0192:${ORG}`],
    ["correspondence.sendersReference", o.ref ?? "ref-1"],
    ["correspondence.messageSender", "DPI-AP TEST AVSENDER"],
    ["correspondence.isConfidential", "false"],
    ["correspondence.propertyList.senderOrgNumber", ORG],
    ["correspondence.content.language", "nb"],
    ["correspondence.content.messageTitle", "Tittel"],
    ["correspondence.content.messageSummary", "Sammendrag"],
    ["correspondence.content.messageBody", "Innhold"],
    ["correspondence.notification.notificationTemplate", "CustomMessage"],
    ["correspondence.notification.emailSubject", "Melding mottatt i Altinn"],
    ["correspondence.notification.emailBody", "Du har post"],
    ["correspondence.notification.smsBody", "Du har post"],
    ["correspondence.notification.sendReminder", "true"],
    ["correspondence.notification.reminderEmailSubject", "Påminnelse"],
    ["correspondence.notification.reminderEmailBody", "Du har fortsatt post"],
    ["correspondence.notification.reminderSmsBody", "Du har fortsatt post"],
    ["correspondence.notification.notificationChannel", "EmailAndSms"],
    ["idempotentKey", o.key ?? randomUUID()],
    ...(o.extra ?? []),
  ];
  (o.files ?? ["brev.pdf"]).forEach((name, i) => {
    f.push([`correspondence.content.attachments[${i}].fileName`, name], [`correspondence.content.attachments[${i}].displayName`, `Vedlegg ${i + 1}`], [`correspondence.content.attachments[${i}].isEncrypted`, "false"], [`correspondence.content.attachments[${i}].sendersReference`, "a"]);
  });
  return f;
}

const pdf = (name = "brev.pdf", size = 100): CorrespondenceFile => ({ filename: name, mimeType: "application/pdf", bytes: Buffer.alloc(size, 0x25) });

describe("sim/altinn-token and sim/altinn-correspondence (HTTP)", () => {
  let mp: MaskinportenSim;
  let auth: AltinnTokenSim;
  let sim: AltinnCorrespondenceSim;
  let token: string;

  const exchange = async (mpToken?: string) => fetch(auth.exchangeUrl + "?test=true", { headers: mpToken ? { authorization: `Bearer ${mpToken}` } : {} });
  const altinnToken = async (consumer: string, scope = "eformidling:dpv") => (await exchange((await mp.issueToken({ consumer, scope })).token)).text();
  const upload = async (f: FormField[], files: CorrespondenceFile[] = [pdf()], bearer = token) => {
    const boundary = "b-" + randomUUID();
    const res = await fetch(`${sim.url}/correspondence/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${bearer}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: new Uint8Array(multipartBody(boundary, f, files)),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const get = async (path: string, bearer = token) => {
    const res = await fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };

  before(async () => {
    mp = await startMaskinportenSim(await loadDefaultSimOptions());
    auth = await startAltinnTokenSim({ maskinporten: { issuer: mp.issuer, jwksUrl: mp.jwksUrl } });
    sim = await startAltinnCorrespondenceSim({ altinn: { issuer: auth.issuer, jwksUrl: auth.jwksUrl }, maxAttachmentBytes: 1000, maxRequestBytes: 20_000 });
    token = await altinnToken(ORG);
  });
  after(async () => {
    await sim?.close();
    await auth?.close();
    await mp?.close();
  });

  it("exchanges a Maskinporten token for a 30-minute Altinn token naming the organisation and the scope; refuses anything else", async () => {
    const claims = decodeJwt(token);
    expect([claims["urn:altinn:orgNumber"], claims.scope, claims.iss, (claims.exp ?? 0) - (claims.iat ?? 0)]).to.deep.equal([ORG, "eformidling:dpv", auth.issuer, 1800]);
    expect((await exchange()).status).to.equal(401);
    expect((await exchange("not.a.jwt")).status).to.equal(401);
    const foreign = await mp.issueToken({ consumer: ORG, scope: "eformidling:dpv", issuer: "https://elsewhere.example/" });
    expect((await exchange(foreign.token)).status).to.equal(401);
  });

  it("takes a correspondence, finds it by sender's reference, and shows Published, Read and purged as they happen", async () => {
    const ref = randomUUID();
    const up = await upload(fields({ ref, files: ["brev.pdf", "vedlegg.pdf"] }), [pdf("brev.pdf"), pdf("vedlegg.pdf", 50)]);
    expect(up.status).to.equal(200);
    const [c] = up.body.correspondences;
    expect([c.status, c.recipient, c.notifications.map((n: any) => [n.isReminder, n.status]), up.body.attachmentIds.length]).to.deep.equal([
      "Initialized",
      "urn:altinn:organization:identifier-no:910075946",
      [
        [false, "Success"],
        [true, "Success"],
      ],
      2,
    ]);
    const id = c.correspondenceId as string;
    expect((await get(`/correspondence?sendersReference=${ref}`)).body).to.deep.equal({ ids: [id] });
    const stored = sim.state.get(id)!;
    expect(stored.attachments.map((a) => [a.fileName, a.displayName, a.bytes.length])).to.deep.equal([
      ["brev.pdf", "Vedlegg 1", 100],
      ["vedlegg.pdf", "Vedlegg 2", 50],
    ]);
    expect(stored.notifications.map((n) => [n.channel, n.emailSubject, n.isReminder])).to.deep.equal([
      ["EmailAndSms", "Melding mottatt i Altinn", false],
      ["EmailAndSms", "Påminnelse", true],
    ]);

    let o = (await get(`/correspondence/${id}`)).body!;
    expect([o.status, o.published, o.read, o.sendersReference, o.resourceId]).to.deep.equal(["ReadyForPublish", null, null, ref, "eformidling-dpv-administrasjon"]);
    sim.publish(id);
    o = (await get(`/correspondence/${id}`)).body!;
    expect([o.status, typeof o.published, o.read]).to.deep.equal(["Published", "string", null]);
    sim.read(id);
    o = (await get(`/correspondence/${id}`)).body!;
    expect([o.status, typeof o.read]).to.deep.equal(["Read", "string"]);
    sim.purge(id);
    const details = (await get(`/correspondence/${id}/details`)).body!;
    expect(details.statusHistory.map((h: any) => h.status)).to.deep.equal(["Initialized", "ReadyForPublish", "Published", "Fetched", "Read", "PurgedByRecipient"]);
    sim.remove(id);
    const gone = await get(`/correspondence/${id}`);
    expect([gone.status, gone.body!.errorCode]).to.deep.equal([404, 1001]);
    expect(sim.stats().overviews.get(id)).to.equal(3);
  });

  it("answers 409 to an idempotent key used before, and creates nothing", async () => {
    const key = randomUUID();
    expect((await upload(fields({ key, ref: key }))).status).to.equal(200);
    const again = await upload(fields({ key, ref: key }));
    expect([again.status, again.body.errorCode, again.body.title]).to.deep.equal([409, 1034, "A correspondence with the same idempotent key already exists"]);
    expect((await get(`/correspondence?sendersReference=${key}`)).body!.ids).to.have.length(1);
  });

  it("refuses unknown resources, malformed recipients, oversize files and requests, and files that do not match their metadata", async () => {
    const unknown = await upload(fields({ resource: "eformidling-dpv-ukjent" }));
    expect([unknown.status, unknown.body.errorCode]).to.deep.equal([400, 4009]);
    const recipient = await upload(fields({ recipient: "910075946" }));
    expect([recipient.status, Object.keys(recipient.body.errors)]).to.deep.equal([400, ["Recipients"]]);
    const person = await upload(fields({ recipient: "urn:altinn:person:identifier-no:1791209999" }));
    expect(person.status).to.equal(400);
    const big = await upload(fields(), [pdf("brev.pdf", 1001)]);
    expect([big.status, big.body.errorCode]).to.deep.equal([400, 2004]);
    const huge = await upload(fields(), [pdf("brev.pdf", 30_000)]);
    expect(huge.status).to.equal(413);
    const missing = await upload(fields({ files: ["brev.pdf", "mangler.pdf"] }));
    expect([missing.status, missing.body.errorCode]).to.deep.equal([400, 1005]);
    const key = await upload(fields({ key: "not-a-guid" }));
    expect([key.status, key.body.errorCode]).to.deep.equal([400, 1033]);
    const noSms = await upload(fields().filter(([k]) => k !== "correspondence.notification.smsBody"));
    expect([noSms.status, noSms.body.errorCode]).to.deep.equal([400, 3006]);
    expect(sim.stats().uploads).to.be.greaterThan(0);
  });

  it("needs an Altinn token with the DPV scope, and shows a correspondence only to its sender", async () => {
    const none = await fetch(`${sim.url}/correspondence?sendersReference=x`);
    expect(none.status).to.equal(401);
    const maskinporten = (await mp.issueToken({ consumer: ORG, scope: "eformidling:dpv" })).token;
    expect((await get("/correspondence?sendersReference=x", maskinporten)).status).to.equal(401);
    expect((await get("/correspondence?sendersReference=x", await altinnToken(ORG, "eformidling:dpo"))).status).to.equal(403);
    const up = await upload(fields());
    const id = up.body.correspondences[0].correspondenceId;
    const other = await altinnToken(OTHER);
    expect((await get(`/correspondence/${id}`, other)).status).to.equal(404);
  });

  it("answers 503 while unavailable, and cuts the connection after creating when told to lose an answer", async () => {
    sim.unavailable(true);
    try {
      expect((await get("/correspondence?sendersReference=x")).status).to.equal(503);
    } finally {
      sim.unavailable(false);
    }
    const ref = randomUUID();
    sim.dropNextUploadAnswer();
    const lost = await upload(fields({ ref })).then(
      () => "answered",
      () => "no answer",
    );
    expect(lost).to.equal("no answer");
    expect((await get(`/correspondence?sendersReference=${ref}`)).body!.ids).to.have.length(1);
  });

  it("publishes, reads and purges over its control API", async () => {
    const up = await upload(fields());
    const id = up.body.correspondences[0].correspondenceId;
    for (const action of ["publish", "read", "purge"]) expect((await fetch(`${sim.root}/_sim/correspondence/${id}/${action}`, { method: "POST" })).status, action).to.equal(204);
    expect((await get(`/correspondence/${id}`)).body!.status).to.equal("PurgedByRecipient");
    const again = await fetch(`${sim.root}/_sim/correspondence/${id}/purge`, { method: "POST" });
    expect(again.status).to.equal(400);
  });
});
