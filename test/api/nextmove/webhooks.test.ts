import { expect } from "chai";
import { routeStatuses } from "../../../src/core/status-publisher.js";
import type { Subscription } from "../../../src/store/generated/client.js";
import type { PublishableStatus } from "../../../src/store/status-publish-repo.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";
import { call, conversationWith, ORG_A, ORG_B, ORG_C, startEndpoint, startStatusApi, type StatusApi } from "./harness.js";

// Webhooks end to end: subscriptions made through /api/subscriptions, statuses registered in the store, the
// StatusPublisher routing them and the WebhookSender POSTing them to a local HTTP server, on a clock the test moves.

const T0 = new Date("2030-01-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

interface Received {
  path: string;
  body: Record<string, unknown>;
}

describe("NextMove webhooks: publisher and sender", function () {
  let store: TempStore;
  let api: StatusApi;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  let answer: (n: number, body: Record<string, unknown>) => number | "hang";

  async function start(o: Parameters<typeof startStatusApi>[1] = {}) {
    api = await startStatusApi(store.db, { start: T0, ...o });
  }
  beforeEach(async () => {
    store = await openTempStore("nm-webhooks-");
    answer = () => 200;
    endpoint = await startEndpoint((n, body) => answer(n, body as Record<string, unknown>));
  });
  afterEach(async () => {
    await endpoint.close();
    await api?.close();
    await store.close();
  });

  const subscribe = async (name: string, over: Record<string, unknown> = {}, orgs = "*") => {
    const r = await call(api.url, "POST", "/api/subscriptions", { orgs, body: { name, pushEndpoint: `${endpoint.url}/${name}`, resource: "all", event: "all", ...over } });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
  };
  /** What arrived, pings left out, as [subscription, status] pairs in arrival order. */
  const arrivals = () =>
    (endpoint.received as Received[]).filter((r) => r.body.event !== "ping").map((r) => `${r.path.replace("/hook/", "")}:${String(r.body.messageId)}:${String(r.body.status)}`);
  const deliveryRows = () => store.db.webhookDelivery.findMany({ orderBy: { id: "asc" } });

  it("POSTs the integrasjonspunkt's event JSON, once per status and subscription that wants it", async () => {
    await start();
    await subscribe("everything");
    await subscribe("levert", { filter: "status=LEVERT" });
    await subscribe("incoming", { filter: "direction=incoming" });
    await subscribe("dpo-messages", { resource: "messages", event: "status", filter: "serviceIdentifier=dpv,DPO&status=SENDT,LEVERT" });
    await subscribe("resource-only", { resource: "messages" });
    await conversationWith(store.db, { messageId: "out-1", conversationId: "conv-1", direction: "OUT", channel: "DPO" }, [
      { status: "OPPRETTET", at: at(0) },
      { status: "SENDT", at: at(1) },
      { status: "LEVERT", at: at(2), description: "levert hos mottaker" },
    ]);
    await conversationWith(store.db, { messageId: "in-1", direction: "IN", channel: "DPI", documentType: "digital", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_A}` }, [{ status: "MOTTATT", at: at(3) }]);
    const published = await api.publisher.publishOnce();
    expect(published).to.deep.equal({ found: 4, published: 4, deliveries: 4 + 1 + 1 + 2 + 4, queued: 0 });
    expect(await api.sender.runOnce()).to.equal(12);
    expect(arrivals().filter((a) => a.startsWith("everything"))).to.deep.equal(["everything:out-1:OPPRETTET", "everything:out-1:SENDT", "everything:out-1:LEVERT", "everything:in-1:INNKOMMENDE_MOTTATT"]);
    expect(arrivals().filter((a) => !a.startsWith("everything") && !a.startsWith("resource-only")).sort()).to.deep.equal([
      "dpo-messages:out-1:LEVERT",
      "dpo-messages:out-1:SENDT",
      "incoming:in-1:INNKOMMENDE_MOTTATT",
      "levert:out-1:LEVERT",
    ]);
    const levert = (endpoint.received as Received[]).find((r) => r.path === "/hook/levert" && r.body.event === "status")!;
    expect(levert.body).to.deep.equal({
      createdTs: "2030-01-01T11:00:02+01:00",
      resource: "messages",
      event: "status",
      messageId: "out-1",
      conversationId: "conv-1",
      direction: "OUTGOING",
      serviceIdentifier: "DPO",
      status: "LEVERT",
      description: "levert hos mottaker",
    });
    expect(Object.keys((endpoint.received as Received[]).find((r) => r.path === "/hook/incoming" && r.body.event === "status")!.body)).to.deep.equal([
      "createdTs",
      "resource",
      "event",
      "messageId",
      "conversationId",
      "direction",
      "serviceIdentifier",
      "status",
    ]);
    expect((await deliveryRows()).every((d) => d.deliveredAt !== null && d.nextAttemptAt === null && d.attempts === 1)).to.equal(true);
    expect(await api.sender.runOnce()).to.equal(0);
    expect((await api.publisher.publishOnce()).found).to.equal(0);
  });

  it("a subscription gets only statuses of the conversations its owner's organisations send or receive", async () => {
    await start();
    await subscribe("c-only", {}, ORG_C);
    await subscribe("a-and-c", {}, `${ORG_A},${ORG_C}`);
    await conversationWith(store.db, { messageId: "a-to-b", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(0) }]);
    await conversationWith(store.db, { messageId: "b-to-c", direction: "OUT", channel: "DPO", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_C}:part` }, [{ status: "OPPRETTET", at: at(1) }]);
    await conversationWith(store.db, { messageId: "b-to-c-in", direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_C}:part` }, [{ status: "OPPRETTET", at: at(2) }]);
    await api.publisher.publishOnce();
    await api.sender.runOnce();
    // b-to-c is B's sending: C gets the incoming copy (b-to-c-in) where it receives it.
    expect(arrivals().sort()).to.deep.equal(["a-and-c:a-to-b:OPPRETTET", "a-and-c:b-to-c-in:OPPRETTET", "c-only:b-to-c-in:OPPRETTET"]);
  });

  it("retries after a 500 with growing back-off, holding back that subscription's later statuses, not another's", async () => {
    await start();
    await subscribe("flaky");
    await subscribe("steady");
    // The first POST of a status to each subscription fails.
    answer = (() => {
      let failed = 0;
      return (_n: number, body: Record<string, unknown>) => (body.event !== "ping" && body.status === "OPPRETTET" && failed++ < 2 ? 500 : 200);
    })();
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
      { status: "OPPRETTET", at: at(0) },
      { status: "SENDT", at: at(1) },
      { status: "LEVERT", at: at(2) },
    ]);
    await api.publisher.publishOnce();
    expect(await api.sender.runOnce()).to.equal(2);
    expect(arrivals()).to.have.members(["flaky:m-1:OPPRETTET", "steady:m-1:OPPRETTET"]);
    const failed = (await deliveryRows()).filter((d) => d.attempts === 1);
    expect(failed.map((d) => [d.lastError, d.deliveredAt, d.nextAttemptAt?.toISOString(), d.leaseUntil])).to.deep.equal([
      ["webhook answered 500", null, "2030-01-01T10:00:00.500Z", null],
      ["webhook answered 500", null, "2030-01-01T10:00:00.500Z", null],
    ]);
    // Not due yet: nothing is sent, and nothing overtakes the failed one.
    expect(await api.sender.runOnce()).to.equal(0);
    api.now.value = at(1);
    expect(await api.sender.runOnce()).to.equal(6);
    const flaky = arrivals().filter((a) => a.startsWith("flaky"));
    expect(flaky).to.deep.equal(["flaky:m-1:OPPRETTET", "flaky:m-1:OPPRETTET", "flaky:m-1:SENDT", "flaky:m-1:LEVERT"]);
    expect((await deliveryRows()).map((d) => d.attempts)).to.have.members([2, 2, 1, 1, 1, 1]);
    expect((await deliveryRows()).every((d) => d.deliveredAt !== null)).to.equal(true);
  });

  it("gives up at the policy's attempt limit, keeps the last error, and the statuses behind it go on", async () => {
    await start({ retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, windowMs: 3_600_000, maxAttempts: 2 } });
    await subscribe("h");
    answer = (_n, body) => (body.status === "OPPRETTET" ? 503 : 200);
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
      { status: "OPPRETTET", at: at(0) },
      { status: "SENDT", at: at(1) },
    ]);
    await api.publisher.publishOnce();
    expect(await api.sender.runOnce()).to.equal(1);
    api.now.value = at(10);
    expect(await api.sender.runOnce()).to.equal(1);
    const [first, second] = await deliveryRows();
    expect([first!.attempts, first!.nextAttemptAt, first!.deliveredAt, first!.lastError]).to.deep.equal([2, null, null, "webhook answered 503; gave up after 2 attempts"]);
    expect(second!.deliveredAt).to.equal(null);
    expect(await api.sender.runOnce()).to.equal(1);
    expect(arrivals()).to.deep.equal(["h:m-1:OPPRETTET", "h:m-1:OPPRETTET", "h:m-1:SENDT"]);
    expect(await api.deliveries.pendingCount()).to.equal(0);
  });

  it("gives up when the retry window from the status's registration has passed", async () => {
    await start({ retry: { baseDelayMs: 1_000, maxDelayMs: 60_000, windowMs: 60_000 } });
    await subscribe("h");
    answer = () => 500;
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(0) }]);
    await api.publisher.publishOnce();
    api.now.value = at(61);
    expect(await api.sender.runOnce()).to.equal(1);
    const [d] = await deliveryRows();
    expect([d!.nextAttemptAt, d!.lastError]).to.deep.equal([null, "webhook answered 500; gave up after 1 attempt in the 1 min retry window"]);
  });

  it("an endpoint that does not answer in time counts as a failed attempt", async () => {
    await start({ timeoutMs: 300 });
    await subscribe("slow");
    answer = (_n, body) => (body.event === "ping" ? 200 : "hang");
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(0) }]);
    await api.publisher.publishOnce();
    expect(await api.sender.runOnce()).to.equal(1);
    const [d] = await deliveryRows();
    expect(d!.lastError).to.match(/^webhook unreachable: /);
    expect(d!.nextAttemptAt?.toISOString()).to.equal("2030-01-01T10:00:00.500Z");
  });

  it("a claimed run is leased: another worker does not take it until the lease runs out", async () => {
    await start();
    await subscribe("h");
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(0) }]);
    await api.publisher.publishOnce();
    const runs = await api.deliveries.claimRuns(at(0), 30_000, 20);
    expect(runs.map((r) => r.map((d) => d.status.status))).to.deep.equal([["OPPRETTET"]]);
    expect(await api.deliveries.claimRuns(at(29), 30_000, 20)).to.deep.equal([]);
    expect(await api.sender.runOnce()).to.equal(0);
    expect((await api.deliveries.claimRuns(at(31), 30_000, 20)).map((r) => r.length)).to.deep.equal([1]);
  });

  it("publishes statuses registered before any subscription as published, with nothing to deliver or queue", async () => {
    await start();
    await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
      { status: "OPPRETTET", at: at(0) },
      { status: "SENDT", at: at(1) },
    ]);
    expect(await api.publisher.publishOnce()).to.deep.equal({ found: 2, published: 2, deliveries: 0, queued: 0 });
    expect((await store.db.conversationStatus.findMany()).map((s) => s.publishedAt?.toISOString())).to.deep.equal([T0.toISOString(), T0.toISOString()]);
    await subscribe("late");
    expect((await api.publisher.publishOnce()).found).to.equal(0);
    expect(await store.db.webhookDelivery.count()).to.equal(0);
  });

  it("routes by the integrasjonspunkt's rules: resource, event, filter parts ANDed, values ORed without case", () => {
    const status: PublishableStatus = {
      id: 1,
      direction: "OUT",
      messageId: "m",
      conversationId: "c",
      channel: "DPI",
      status: "FEILET",
      description: null,
      createdAt: T0,
      senderIdentifier: `0192:${ORG_A}`,
      receiverIdentifier: "01017012345",
    };
    const sub = (id: number, over: Partial<Subscription>): Subscription => ({ id, name: "s", pushEndpoint: "http://x/", resource: "all", event: "all", filter: null, owner: null, createdAt: T0, ...over });
    const subs = [
      sub(1, {}),
      sub(2, { filter: "status=feil" }),
      sub(3, { filter: "status=FEILET" }),
      sub(4, { filter: "serviceIdentifier=DPI&direction=OUTGOING" }),
      sub(5, { filter: "serviceIdentifier=DPI&direction=INCOMING" }),
      sub(6, { resource: "conversations" }),
      sub(7, { event: "ping" }),
      sub(8, { owner: ORG_A }),
      sub(9, { owner: ORG_B }),
      sub(10, { filter: "receiver=x" }),
    ];
    expect(routeStatuses([status], subs, ["DPI"])).to.deep.equal({
      deliveries: [1, 2, 4, 8].map((subscriptionId) => ({ subscriptionId, statusId: 1 })),
      queue: [{ statusId: 1, channel: "DPI" }],
    });
    expect(routeStatuses([status], [], ["DPO"])).to.deep.equal({ deliveries: [], queue: [] });
  });
});
