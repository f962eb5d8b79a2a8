import { expect } from "chai";
import { expectProblem } from "../../helpers/problem.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";
import { call, ORG_A, ORG_B, startEndpoint, startStatusApi, type StatusApi } from "./harness.js";

// /api/subscriptions CRUD over real HTTP and a temp SQLite store, with a local push endpoint for the pings.

interface SubscriptionJson {
  id: number;
  name: string;
  pushEndpoint: string;
  resource: string;
  event: string;
  filter?: string;
}

interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  sort: { sorted: boolean; unsorted: boolean; empty: boolean };
}

describe("NextMove API: /api/subscriptions", function () {
  let store: TempStore;
  let api: StatusApi;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;

  beforeEach(async () => {
    store = await openTempStore("nm-subscriptions-");
    api = await startStatusApi(store.db, { start: new Date("2019-03-25T11:38:23Z") });
    endpoint = await startEndpoint();
  });
  afterEach(async () => {
    await endpoint.close();
    await api.close();
    await store.close();
  });

  const create = (body: unknown, orgs = "*") => call(api.url, "POST", "/api/subscriptions", { body, orgs });
  const hook = (over: Record<string, unknown> = {}) => ({ name: "My test webhook", pushEndpoint: endpoint.url, resource: "all", event: "all", ...over });

  it("POST creates it, pings the endpoint as webhooks.feature shows, and answers the subscription", async () => {
    const r = await create(hook({ filter: "status=LEVERT,FEIL&direction=OUTGOING" }));
    expect(r.status).to.equal(200);
    const s = r.json<SubscriptionJson>();
    expect(s).to.deep.equal({ id: s.id, name: "My test webhook", pushEndpoint: endpoint.url, resource: "all", event: "all", filter: "status=LEVERT,FEIL&direction=OUTGOING" });
    expect(endpoint.received).to.deep.equal([{ path: "/hook", contentType: "application/json", body: { createdTs: "2019-03-25T12:38:23+01:00", event: "ping" } }]);
    expect((await call(api.url, "GET", `/api/subscriptions/${s.id}`)).json()).to.deep.equal(s);
  });

  it("a ping that fails does not stop the subscription (the integrasjonspunkt only logs it)", async () => {
    const down = await startEndpoint(() => 500);
    try {
      const r = await create(hook({ pushEndpoint: down.url }));
      expect(r.status).to.equal(200);
      expect(down.received).to.have.length(1);
    } finally {
      await down.close();
    }
    expect((await create(hook({ pushEndpoint: "http://127.0.0.1:9/nobody" }))).status).to.equal(200);
  });

  it("refuses what the integrasjonspunkt's validation refuses, with nothing stored and nothing pinged", async () => {
    const bad: [string, unknown][] = [
      ["no name", { pushEndpoint: endpoint.url, resource: "all", event: "all" }],
      ["no pushEndpoint", { name: "x", resource: "all", event: "all" }],
      ["no resource", { name: "x", pushEndpoint: endpoint.url, event: "all" }],
      ["no event", { name: "x", pushEndpoint: endpoint.url, resource: "all" }],
      ["an id", hook({ id: 5 })],
      ["a resource not all|messages", hook({ resource: "conversations" })],
      ["an event not all|status", hook({ event: "created" })],
      ["a pushEndpoint that is no URL", hook({ pushEndpoint: "not a url" })],
      ["a pushEndpoint we cannot POST to", hook({ pushEndpoint: "ftp://example.com/x" })],
      ["an unknown filter", hook({ filter: "receiver=0192:910077473" })],
      ["a filter part without =", hook({ filter: "status=LEVERT&direction" })],
      ["an empty filter", hook({ filter: "" })],
      ["a filter operator other than =", hook({ filter: "status!=LEVERT" })],
      ["a name that is not a string", hook({ name: 5 })],
      ["an array", [hook()]],
    ];
    for (const [why, body] of bad) {
      const r = await create(body);
      expect({ why, status: r.status, code: (r.body as { code?: string }).code }).to.deep.equal({ why, status: 400, code: "subscription-invalid" });
      expectProblem(r, 400, "subscription-invalid");
    }
    expectProblem(await call(api.url, "POST", "/api/subscriptions", { rawBody: "{not json" }), 400, "subscription-invalid");
    expect(await store.db.subscription.count()).to.equal(0);
    expect(endpoint.received).to.deep.equal([]);
  });

  it("a second subscription with the same name and push endpoint is refused with 400, as the integrasjonspunkt does", async () => {
    const first = (await create(hook())).json<SubscriptionJson>();
    const r = await create(hook({ event: "status" }));
    expectProblem(r, 400, "subscription-exists");
    expect((r.body as { detail: string }).detail).to.equal(`subscription ${first.id} has the same name and push endpoint`);
    expect((await create(hook({ name: "Another" }))).status).to.equal(200);
    // Another owner's subscription of that name is no clash.
    expect((await create(hook(), ORG_A)).status).to.equal(200);
  });

  it("PUT changes what the body gives and keeps the rest; a new endpoint is pinged", async () => {
    const s = (await create(hook({ filter: "status=LEVERT" }))).json<SubscriptionJson>();
    const other = await startEndpoint();
    try {
      const r = await call(api.url, "PUT", `/api/subscriptions/${s.id}`, { body: { pushEndpoint: other.url, event: "status", filter: null } });
      expect([r.status, r.body]).to.deep.equal([200, undefined]);
      expect(other.received.map((x) => x.body)).to.deep.equal([{ createdTs: "2019-03-25T12:38:23+01:00", event: "ping" }]);
    } finally {
      await other.close();
    }
    expect((await call(api.url, "GET", `/api/subscriptions/${s.id}`)).json()).to.deep.equal({ ...s, pushEndpoint: other.url, event: "status" });
    expectProblem(await call(api.url, "PUT", `/api/subscriptions/${s.id}`, { body: { resource: "everything" } }), 400, "subscription-invalid");
    expectProblem(await call(api.url, "PUT", "/api/subscriptions/999999", { body: { name: "x" } }), 404, "subscription-not-found");
    const twin = (await create(hook({ name: "Twin", pushEndpoint: other.url }))).json<SubscriptionJson>();
    expectProblem(await call(api.url, "PUT", `/api/subscriptions/${twin.id}`, { body: { name: "My test webhook" } }), 400, "subscription-exists");
  });

  it("GET lists them a page at a time, unsorted as Spring's default Pageable; GET, DELETE by id; DELETE all", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await create(hook({ name: `hook ${i}` }))).json<SubscriptionJson>().id);
    const first = (await call(api.url, "GET", "/api/subscriptions")).json<Page<SubscriptionJson>>();
    expect(first.content.map((s) => s.id)).to.deep.equal(ids.slice(0, 10));
    expect([first.totalElements, first.totalPages]).to.deep.equal([12, 2]);
    expect(first.sort).to.deep.equal({ sorted: false, unsorted: true, empty: true });
    expect((await call(api.url, "GET", "/api/subscriptions?page=1")).json<Page<SubscriptionJson>>().content.map((s) => s.id)).to.deep.equal(ids.slice(10));
    expect((await call(api.url, "GET", "/api/subscriptions?sort=id,desc&size=2")).json<Page<SubscriptionJson>>().content.map((s) => s.id)).to.deep.equal([ids[11], ids[10]]);

    const del = await call(api.url, "DELETE", `/api/subscriptions/${ids[0]}`);
    expect([del.status, del.body]).to.deep.equal([200, undefined]);
    expectProblem(await call(api.url, "GET", `/api/subscriptions/${ids[0]}`), 404, "subscription-not-found");
    expectProblem(await call(api.url, "DELETE", `/api/subscriptions/${ids[0]}`), 404, "subscription-not-found");
    expectProblem(await call(api.url, "GET", "/api/subscriptions/x"), 400, "nextmove-query-invalid");
    expect((await call(api.url, "DELETE", "/api/subscriptions")).status).to.equal(200);
    expect(await store.db.subscription.count()).to.equal(0);
  });

  it("owner scoping: a caller sees and changes only subscriptions of organisations it may act for", async () => {
    const a = (await create(hook({ name: "A" }), ORG_A)).json<SubscriptionJson>();
    const ab = (await create(hook({ name: "AB" }), `${ORG_B},${ORG_A}`)).json<SubscriptionJson>();
    const all = (await create(hook({ name: "all" }), "*")).json<SubscriptionJson>();
    expect((await store.db.subscription.findMany({ orderBy: { id: "asc" } })).map((s) => s.owner)).to.deep.equal([ORG_A, `${ORG_B},${ORG_A}`, null]);
    const names = async (orgs: string) => (await call(api.url, "GET", "/api/subscriptions", { orgs })).json<Page<SubscriptionJson>>().content.map((s) => s.name);
    expect(await names(ORG_A)).to.deep.equal(["A"]);
    expect(await names(`${ORG_A},${ORG_B}`)).to.deep.equal(["A", "AB"]);
    expect(await names("*")).to.deep.equal(["A", "AB", "all"]);
    expectProblem(await call(api.url, "GET", `/api/subscriptions/${ab.id}`, { orgs: ORG_A }), 404, "subscription-not-found");
    expectProblem(await call(api.url, "PUT", `/api/subscriptions/${all.id}`, { orgs: ORG_A, body: { name: "mine" } }), 404, "subscription-not-found");
    expectProblem(await call(api.url, "DELETE", `/api/subscriptions/${ab.id}`, { orgs: ORG_B }), 404, "subscription-not-found");
    expect((await call(api.url, "DELETE", "/api/subscriptions", { orgs: ORG_A })).status).to.equal(200);
    expect((await store.db.subscription.findMany({ orderBy: { id: "asc" } })).map((s) => s.id)).to.deep.equal([ab.id, all.id]);
    void a;
  });
});
