import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { decodeDpePayload, DpePayloadError, encodeDpePayload } from "../../src/channels/dpe/payload.js";
import { queueName, receiverQueueSuffix } from "../../src/channels/dpe/queues.js";
import { sasAuthorization } from "../../src/channels/dpe/sas.js";
import { ServiceBusClient, ServiceBusError } from "../../src/channels/dpe/servicebus-client.js";
import { checkSas, startServiceBusSim, type ServiceBusSim } from "../../src/sim/servicebus/server.js";
import { parseSbd } from "../../src/sbd/index.js";
import { VECTORS } from "../helpers/certs.js";
import { arkivmeldingJson, parsed, sbdJsonOf } from "../sbd/fixtures.js";

/** DPE's transport: the Service Bus REST API with SAS, the queue names, and the double-base64 payload. */

const KEY = { keyName: "MoveDPE-pilotPolicy", key: "c2FuZGJveC1kcGUtc2FzLWtleQ==" };
const Q = "nextbestqueue910075935innsyn";

describe("DPE: Service Bus REST client against the simulator", () => {
  let sim: ServiceBusSim;
  let now: Date;
  let client: ServiceBusClient;

  beforeEach(async () => {
    now = new Date("2030-01-01T10:00:00Z");
    sim = await startServiceBusSim({ keys: { [KEY.keyName]: KEY.key }, queues: [Q], clock: () => now, queueOptions: { lockDurationMs: 30_000, maxDeliveryCount: 3, maxMessageBytes: 1024 } });
    client = new ServiceBusClient({ baseUrl: sim.url, key: async () => KEY, clock: () => now });
  });
  afterEach(() => sim.close());

  it("sends, peek-locks the oldest message, and completes it with its lock token", async () => {
    await client.send(Q, '{"n":1}', "m-1");
    await client.send(Q, '{"n":2}');
    const first = await client.peekLock(Q);
    expect([first!.messageId, first!.body.toString(), first!.deliveryCount, first!.sequenceNumber]).to.deep.equal(["m-1", '{"n":1}', 1, 1]);
    // Locked: the next receiver gets the second message.
    const second = await client.peekLock(Q);
    expect(second!.body.toString()).to.equal('{"n":2}');
    expect(await client.complete(Q, first!)).to.equal(true);
    expect(await client.complete(Q, first!)).to.equal(false);
    expect(sim.messages(Q).map((m) => m.body.toString())).to.deep.equal(['{"n":2}']);
    expect(await client.peekLock(Q)).to.equal(undefined);
  });

  it("gives a message whose lock ran out to the next receiver, and the late completion is refused", async () => {
    await client.send(Q, "x", "m-1");
    const taken = await client.peekLock(Q);
    now = new Date(now.getTime() + 30_000);
    const again = await client.peekLock(Q);
    expect([again!.messageId, again!.deliveryCount, again!.lockToken === taken!.lockToken]).to.deep.equal(["m-1", 2, false]);
    expect(await client.complete(Q, taken!)).to.equal(false);
    expect(await client.complete(Q, again!)).to.equal(true);
  });

  it("dead-letters a message delivered more than the queue's max delivery count", async () => {
    await client.send(Q, "poison", "m-1");
    for (let i = 0; i < 3; i++) {
      const m = await client.peekLock(Q);
      await client.abandon(Q, m!);
    }
    expect(await client.peekLock(Q)).to.equal(undefined);
    expect(sim.deadLetters(Q).map((m) => [m.messageId, m.deadLetterReason])).to.deep.equal([["m-1", "MaxDeliveryCountExceeded"]]);
  });

  it("refuses a wrong key, an expired signature and another resource's signature with 401; an unknown queue is 404; oversize 413", async () => {
    const wrong = new ServiceBusClient({ baseUrl: sim.url, key: async () => ({ ...KEY, key: "d3Jvbmc=" }), clock: () => now });
    const e1 = await wrong.send(Q, "x").catch((e: unknown) => e);
    expect([(e1 as ServiceBusError).status, (e1 as ServiceBusError).transient, (e1 as ServiceBusError).kind]).to.deep.equal([401, false, "upstream"]);
    const late = new ServiceBusClient({ baseUrl: sim.url, key: async () => KEY, clock: () => new Date(now.getTime() - 21_000) });
    expect(((await late.send(Q, "x").catch((e: unknown) => e)) as ServiceBusError).status).to.equal(401);
    const e404 = (await client.send("nextbestqueue999999999innsyn", "x").catch((e: unknown) => e)) as ServiceBusError;
    expect([e404.status, e404.transient]).to.deep.equal([404, false]);
    const e413 = (await client.send(Q, "x".repeat(1025)).catch((e: unknown) => e)) as ServiceBusError;
    expect(e413.status).to.equal(413);
    const other = sasAuthorization(`${sim.url}/nextbestqueue111111111innsyn/messages`, KEY, now);
    expect(checkSas(other, `${sim.url}/${Q}/messages`, { [KEY.keyName]: KEY.key }, now)).to.match(/^InvalidAudience/);
    // A token for the whole namespace admits every queue in it, as Azure's does.
    expect(checkSas(sasAuthorization(sim.url, KEY, now), `${sim.url}/${Q}/messages`, { [KEY.keyName]: KEY.key }, now)).to.equal(undefined);
  });

  it("a namespace that is down is a transient failure; one that cannot be reached too", async () => {
    sim.setUnavailable(true);
    const e = (await client.send(Q, "x").catch((err: unknown) => err)) as ServiceBusError;
    expect([e.status, e.transient, e.kind]).to.deep.equal([503, true, "unavailable"]);
    const nowhere = new ServiceBusClient({ baseUrl: "http://127.0.0.1:9", key: async () => KEY, clock: () => now });
    const e0 = (await nowhere.send(Q, "x").catch((err: unknown) => err)) as ServiceBusError;
    expect([e0.status, e0.transient]).to.deep.equal([0, true]);
  });
});

describe("DPE: queues and payload", () => {
  it("names queues nextbestqueue<orgnr><suffix> and picks the receiver's suffix as the integrasjonspunkt does", () => {
    expect(queueName("910075935", "innsyn")).to.equal("nextbestqueue910075935innsyn");
    const status = parsed(sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:einnsyn:response:ver1.0", { status: "LEVERT" }));
    const kvittering = (referanseType: string) =>
      parsed(sbdJsonOf("einnsyn_kvittering", "urn:no:difi:einnsyn:xsd::einnsyn_kvittering", "urn:no:difi:profile:einnsyn:response:ver1.0", { dokumentId: "d", status: "ok", referanseType }));
    const publisering = parsed(sbdJsonOf("publisering", "urn:no:difi:einnsyn:xsd::publisering", "urn:no:difi:profile:einnsyn:journalpost:ver1.0", { orgnr: "910075935" }));
    expect([
      receiverQueueSuffix(status, { ownMode: "innsyn" }),
      receiverQueueSuffix(status, { ownMode: "meeting" }),
      receiverQueueSuffix(status, { ownMode: "data" }),
      receiverQueueSuffix(status, { ownMode: "data", receiptQueue: "kvittering" }),
      receiverQueueSuffix(kvittering("innsynskrav"), { ownMode: "innsyn" }),
      receiverQueueSuffix(kvittering("publisering"), { ownMode: "innsyn" }),
      receiverQueueSuffix(kvittering("innsynskrav"), { ownMode: "innsyn", receiptQueue: "kvittering" }),
      receiverQueueSuffix(publisering, { ownMode: "innsyn", recordEndpoint: "data" }),
    ]).to.deep.equal(["data", "innsyn", "innsyn", "kvittering", "data", "innsyn", "kvittering", "data"]);
    expect(() => receiverQueueSuffix(publisering, { ownMode: "innsyn" })).to.throw(/no queue for a publisering/);
  });

  it("carries the asic base64 twice and reads it back; no asic is null", () => {
    const sbd = parsed(arkivmeldingJson());
    const cms = Buffer.from([0x30, 0x80, 0x06, 0x09, 0xff, 0x00]);
    const text = encodeDpePayload({ sbd, asic: cms });
    const json = JSON.parse(text) as { asic: string };
    expect(json.asic).to.equal(Buffer.from(cms.toString("base64"), "ascii").toString("base64"));
    expect(Buffer.from(decodeDpePayload(text).asic!)).to.deep.equal(cms);
    expect(JSON.parse(encodeDpePayload({ sbd, asic: undefined })).asic).to.equal(null);
    expect(decodeDpePayload(encodeDpePayload({ sbd, asic: undefined })).asic).to.equal(undefined);
    for (const bad of ["not json", '{"asic":null}', `{"sbd":${JSON.stringify(arkivmeldingJson())},"asic":"***"}`]) {
      expect(() => decodeDpePayload(bad), bad).to.throw(DpePayloadError);
    }
  });

  const wire = path.join(VECTORS, "eformidling/wire/dpe-servicebus-einnsyn_kvittering.json");
  (existsSync(wire) ? it : it.skip)("reads the integrasjonspunkt's own Service Bus body (einnsyn_kvittering, no asic)", () => {
    const p = decodeDpePayload(readFileSync(wire));
    const expected = parseSbd(JSON.parse(readFileSync(wire, "utf8")).sbd);
    expect([p.sbd.type, p.asic, p.sbd.header.documentIdentification?.instanceIdentifier]).to.deep.equal(["einnsyn_kvittering", undefined, expected.header.documentIdentification?.instanceIdentifier]);
  });
});
