import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { expectProblem } from "../../helpers/problem.js";
import { openStoreOn, type TempStore } from "../../helpers/temp-store.js";
import { postgresReachable } from "../../../scripts/lib/pg-scratch.js";
import { call, conversationWith, ORG_A, ORG_B, ORG_C, startStatusApi, type StatusApi } from "./harness.js";

// GET /api/statuses, /api/statuses/{messageId}, /api/statuses/peek and DELETE /api/statuses/{id} over real HTTP
// and a temp store of each provider.

const VECTORS = path.resolve(import.meta.dirname, "../../../../shared/vectors/eformidling/api");
const vector = (name: string) => JSON.parse(readFileSync(path.join(VECTORS, name), "utf8")) as Record<string, unknown>;

/** Database ids set to 1, as the integrasjonspunkt's cucumber steps compare these pages (vectors README). */
function idsToOne(page: unknown): unknown {
  const p = structuredClone(page) as { content: Record<string, unknown>[] };
  for (const item of p.content) {
    item.id = 1;
    item.convId = 1;
  }
  return p;
}

interface StatusJson {
  id: number;
  lastUpdate: string;
  status: string;
  description?: string;
  rawReceipt?: string;
  conversationId: string;
  messageId: string;
  convId: number;
}

interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  size: number;
  number: number;
  first: boolean;
  last: boolean;
  numberOfElements: number;
  empty: boolean;
}

/** The cucumber features' clock: 2019-03-25T11:38:23Z, 12:38:23+01:00 in Oslo. */
const CUKE = new Date("2019-03-25T11:38:23Z");
const T0 = new Date("2030-01-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`NextMove API: /api/statuses on ${provider}`, function () {
    this.timeout(30_000);
    let store: TempStore;
    let api: StatusApi;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStoreOn(provider, "nm_statuses");
      api = await startStatusApi(store.db);
    });
    afterEach(async () => {
      await api.close();
      await store.close();
    });

    describe("the integrasjonspunkt's pages (vectors)", function () {
      before(function () {
        if (!existsSync(VECTORS)) this.skip();
      });

      it("an outgoing DPO message that was delivered: statuses-outgoing-levert.json, ids aside", async () => {
        const expected = vector("statuses-outgoing-levert.json");
        const item = (expected.content as StatusJson[])[0]!;
        await conversationWith(store.db, { messageId: item.messageId, conversationId: item.conversationId, direction: "OUT", channel: "DPO" }, [
          { status: "OPPRETTET", at: CUKE },
          { status: "SENDT", at: CUKE },
          { status: "LEVERT", at: CUKE },
        ]);
        const r = await call(api.url, "GET", `/api/statuses?messageId=${item.messageId}`);
        expect(r.status).to.equal(200);
        expect(r.contentType).to.equal("application/json; charset=utf-8");
        expect(idsToOne(r.body)).to.deep.equal(idsToOne(expected));
      });

      it("an incoming DPO message handed to the archive system: statuses-incoming.json, ids aside", async () => {
        const expected = vector("statuses-incoming.json");
        const item = (expected.content as StatusJson[])[0]!;
        await conversationWith(store.db, { messageId: item.messageId, conversationId: item.conversationId, direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_A}` }, [
          { status: "OPPRETTET", at: CUKE },
          { status: "INNKOMMENDE_MOTTATT", at: CUKE },
          { status: "INNKOMMENDE_LEVERT", at: CUKE },
        ]);
        const r = await call(api.url, "GET", `/api/statuses?messageId=${item.messageId}`);
        expect(idsToOne(r.body)).to.deep.equal(idsToOne(expected));
      });

      it("a message that expired: statuses-levetid-utlopt.json (description, a summer-time offset), ids aside", async () => {
        const expected = vector("statuses-levetid-utlopt.json");
        const items = expected.content as StatusJson[];
        await conversationWith(store.db, { messageId: items[0]!.messageId, conversationId: items[0]!.conversationId, direction: "OUT", channel: "DPO" }, [
          { status: "OPPRETTET", at: CUKE },
          { status: "LEVETID_UTLOPT", at: new Date("2019-05-12T20:00:00Z"), description: items[1]!.description! },
        ]);
        const r = await call(api.url, "GET", `/api/statuses?messageId=${items[0]!.messageId}`);
        expect(idsToOne(r.body)).to.deep.equal(idsToOne(expected));
      });
    });

    it("numbers statuses by id and a conversation by its first status (convId); rawReceipt when there is one", async () => {
      await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
        { status: "OPPRETTET", at: at(0) },
        { status: "SENDT", at: at(1), rawReceipt: "<receipt/>", description: "sendt" },
      ]);
      const ids = (await store.db.conversationStatus.findMany({ orderBy: { id: "asc" } })).map((s) => s.id);
      const page = (await call(api.url, "GET", "/api/statuses")).json<Page<StatusJson>>();
      expect(page.content).to.deep.equal([
        { id: ids[0], lastUpdate: "2030-01-01T11:00:00+01:00", status: "OPPRETTET", conversationId: "c-m-1", messageId: "m-1", convId: ids[0] },
        { id: ids[1], lastUpdate: "2030-01-01T11:00:01+01:00", status: "SENDT", description: "sendt", rawReceipt: "<receipt/>", conversationId: "c-m-1", messageId: "m-1", convId: ids[0] },
      ]);
    });

    it("reports each channel's statuses in the integrasjonspunkt's words, and filters by those words", async () => {
      await conversationWith(store.db, { messageId: "dpi-1", direction: "OUT", channel: "DPI", documentType: "digital" }, [
        { status: "OPPRETTET", at: at(0) },
        { status: "FEILET", at: at(1), description: "gave up" },
      ]);
      await conversationWith(store.db, { messageId: "dpo-1", direction: "OUT", channel: "DPO" }, [
        { status: "OPPRETTET", at: at(2) },
        { status: "FEIL", at: at(3) },
      ]);
      const all = (await call(api.url, "GET", "/api/statuses")).json<Page<StatusJson>>();
      expect(all.content.map((s) => [s.messageId, s.status])).to.deep.equal([
        ["dpi-1", "SENDT"],
        ["dpi-1", "FEIL"],
        ["dpo-1", "OPPRETTET"],
        ["dpo-1", "FEIL"],
      ]);
      const feil = (await call(api.url, "GET", "/api/statuses?status=FEIL")).json<Page<StatusJson>>();
      expect(feil.content.map((s) => s.messageId)).to.deep.equal(["dpi-1", "dpo-1"]);
      const sendt = (await call(api.url, "GET", "/api/statuses?status=SENDT")).json<Page<StatusJson>>();
      expect(sendt.content.map((s) => s.messageId)).to.deep.equal(["dpi-1"]);
      // DPI's own word is not the integrasjonspunkt's.
      expect((await call(api.url, "GET", "/api/statuses?status=FEILET")).json<Page<StatusJson>>().totalElements).to.equal(0);
    });

    describe("filters", () => {
      beforeEach(async () => {
        await conversationWith(store.db, { messageId: "m-1", conversationId: "conv-1", direction: "OUT", channel: "DPO" }, [
          { status: "OPPRETTET", at: at(0) },
          { status: "SENDT", at: at(60) },
        ]);
        await conversationWith(store.db, { messageId: "m-2", conversationId: "conv-2", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(120) }]);
      });
      const messageIdsOf = async (query: string) => (await call(api.url, "GET", `/api/statuses?${query}`)).json<Page<StatusJson>>().content.map((s) => `${s.messageId}:${s.status}`);

      it("id", async () => {
        const [first] = await store.db.conversationStatus.findMany({ orderBy: { id: "asc" } });
        expect(await messageIdsOf(`id=${first!.id}`)).to.deep.equal(["m-1:OPPRETTET"]);
        expect(await messageIdsOf("id=999999")).to.deep.equal([]);
      });
      it("conversationId", async () => {
        expect(await messageIdsOf("conversationId=conv-2")).to.deep.equal(["m-2:OPPRETTET"]);
        expect(await messageIdsOf("conversationId=conv-9")).to.deep.equal([]);
      });
      it("messageId (in any letter case)", async () => {
        expect(await messageIdsOf("messageId=M-1")).to.deep.equal(["m-1:OPPRETTET", "m-1:SENDT"]);
        expect(await messageIdsOf("messageId=m-9")).to.deep.equal([]);
      });
      it("status", async () => {
        expect(await messageIdsOf("status=SENDT")).to.deep.equal(["m-1:SENDT"]);
        expect(await messageIdsOf("status=LEVERT")).to.deep.equal([]);
      });
      it("fromDateTime and toDateTime, inclusive, with any offset", async () => {
        expect(await messageIdsOf("fromDateTime=2030-01-01T11:01:00%2B01:00")).to.deep.equal(["m-1:SENDT", "m-2:OPPRETTET"]);
        expect(await messageIdsOf("toDateTime=2030-01-01T10:01:00Z")).to.deep.equal(["m-1:OPPRETTET", "m-1:SENDT"]);
        expect(await messageIdsOf("fromDateTime=2030-01-01T10:00:30Z&toDateTime=2030-01-01T10:01:30Z")).to.deep.equal(["m-1:SENDT"]);
        expect(await messageIdsOf("fromDateTime=2030-01-01T10:05:00Z")).to.deep.equal([]);
        // An unencoded "+" arrives as a space.
        expect(await messageIdsOf("fromDateTime=2030-01-01T11:02:00+01:00")).to.deep.equal(["m-2:OPPRETTET"]);
      });
      it("refuses values that do not convert, and a filter given twice", async () => {
        for (const q of ["id=abc", "fromDateTime=2030-01-01", "toDateTime=2030-02-30T10:00:00Z", "fromDateTime=2030-01-01T10:00:00", "messageId=a&messageId=b", "sort=name"]) {
          expectProblem(await call(api.url, "GET", `/api/statuses?${q}`), 400, "nextmove-query-invalid");
        }
      });
    });

    describe("paging", () => {
      beforeEach(async () => {
        for (let i = 0; i < 12; i++) await conversationWith(store.db, { messageId: `m-${String(i).padStart(2, "0")}`, direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(i) }]);
      });

      it("10 to a page by default, id ascending; the page JSON as Spring writes it", async () => {
        const p = (await call(api.url, "GET", "/api/statuses")).json<Page<StatusJson> & Record<string, unknown>>();
        expect(p.content.map((s) => s.messageId)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `m-${String(i).padStart(2, "0")}`));
        const { content: _c, ...rest } = p;
        expect(rest).to.deep.equal({
          pageable: { pageNumber: 0, pageSize: 10, sort: { empty: false, sorted: true, unsorted: false }, offset: 0, paged: true, unpaged: false },
          last: false,
          totalElements: 12,
          totalPages: 2,
          size: 10,
          number: 0,
          sort: { empty: false, sorted: true, unsorted: false },
          first: true,
          numberOfElements: 10,
          empty: false,
        });
      });

      it("page and size; a page past the end is empty", async () => {
        const p = (await call(api.url, "GET", "/api/statuses?page=2&size=5")).json<Page<StatusJson>>();
        expect(p.content.map((s) => s.messageId)).to.deep.equal(["m-10", "m-11"]);
        expect({ first: p.first, last: p.last, totalPages: p.totalPages, number: p.number, size: p.size, numberOfElements: p.numberOfElements }).to.deep.equal({
          first: false,
          last: true,
          totalPages: 3,
          number: 2,
          size: 5,
          numberOfElements: 2,
        });
        const past = (await call(api.url, "GET", "/api/statuses?page=7&size=5")).json<Page<StatusJson>>();
        expect({ n: past.content.length, empty: past.empty, last: past.last, total: past.totalElements }).to.deep.equal({ n: 0, empty: true, last: true, total: 12 });
      });

      it("reads page and size as Spring does: not a number is 0, a size below 1 the default, above 2000 is 2000", async () => {
        const sizes = async (q: string) => {
          const p = (await call(api.url, "GET", `/api/statuses?${q}`)).json<Page<StatusJson>>();
          return [p.number, p.size];
        };
        expect(await sizes("page=abc&size=xyz")).to.deep.equal([0, 10]);
        expect(await sizes("page=-3&size=0")).to.deep.equal([0, 10]);
        expect(await sizes("size=5000")).to.deep.equal([0, 2000]);
      });

      it("sort by another property and direction", async () => {
        const p = (await call(api.url, "GET", "/api/statuses?sort=lastUpdate,desc&size=3")).json<Page<StatusJson>>();
        expect(p.content.map((s) => s.messageId)).to.deep.equal(["m-11", "m-10", "m-09"]);
      });
    });

    it("GET /api/statuses/{messageId}: that message's statuses, paged; none for an unknown id", async () => {
      await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
        { status: "OPPRETTET", at: at(0) },
        { status: "SENDT", at: at(1) },
      ]);
      await conversationWith(store.db, { messageId: "m-2", direction: "OUT", channel: "DPO" }, [{ status: "OPPRETTET", at: at(2) }]);
      const p = (await call(api.url, "GET", "/api/statuses/m-1?size=1&page=1")).json<Page<StatusJson>>();
      expect(p.content.map((s) => `${s.messageId}:${s.status}`)).to.deep.equal(["m-1:SENDT"]);
      expect(p.totalElements).to.equal(2);
      const none = await call(api.url, "GET", "/api/statuses/m-9");
      expect(none.status).to.equal(200);
      expect(none.json<Page<StatusJson>>().totalElements).to.equal(0);
    });

    describe("owner scoping", () => {
      beforeEach(async () => {
        await conversationWith(store.db, { messageId: "a-to-b", direction: "OUT", channel: "DPO", senderIdentifier: `0192:${ORG_A}`, receiverIdentifier: `0192:${ORG_B}` }, [{ status: "OPPRETTET", at: at(0) }]);
        await conversationWith(store.db, { messageId: "c-to-b", direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_C}`, receiverIdentifier: `0192:${ORG_B}` }, [{ status: "OPPRETTET", at: at(1) }]);
      });
      const seen = async (orgs: string, q = "") => (await call(api.url, "GET", `/api/statuses${q}`, { orgs })).json<Page<StatusJson>>().content.map((s) => s.messageId);

      it("a caller sees statuses of the conversations its organisations send (outgoing) and receive (incoming)", async () => {
        expect(await seen(ORG_A)).to.deep.equal(["a-to-b"]);
        expect(await seen(ORG_C)).to.deep.equal([]);
        expect(await seen(ORG_B)).to.deep.equal(["c-to-b"]);
        expect(await seen(`${ORG_A},${ORG_B}`)).to.deep.equal(["a-to-b", "c-to-b"]);
        expect(await seen("*")).to.deep.equal(["a-to-b", "c-to-b"]);
        expect(await seen("111111111")).to.deep.equal([]);
        expect(await seen(ORG_A, "/c-to-b")).to.deep.equal([]);
      });
    });

    describe("the status queue: peek and acknowledge", () => {
      let queued: StatusApi;
      beforeEach(async () => {
        queued = await startStatusApi(store.db, { queueChannels: ["DPO"] });
        await conversationWith(store.db, { messageId: "dpo-1", direction: "OUT", channel: "DPO" }, [
          { status: "OPPRETTET", at: at(0) },
          { status: "SENDT", at: at(1) },
        ]);
        await conversationWith(store.db, { messageId: "dpv-1", direction: "OUT", channel: "DPV" }, [{ status: "OPPRETTET", at: at(2) }]);
        await conversationWith(store.db, { messageId: "dpo-c", direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_C}`, receiverIdentifier: `0192:${ORG_B}` }, [{ status: "OPPRETTET", at: at(3) }]);
        expect((await queued.publisher.publishOnce()).queued).to.equal(3);
      });
      afterEach(() => queued.close());

      it("peek shows the oldest queued status of the configured channels and leaves it there until it is deleted", async () => {
        const first = await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_A });
        expect(first.status).to.equal(200);
        const s = first.json<StatusJson>();
        expect([s.messageId, s.status]).to.deep.equal(["dpo-1", "OPPRETTET"]);
        expect((await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_A })).json<StatusJson>().id).to.equal(s.id);
        const ack = await call(queued.url, "DELETE", `/api/statuses/${s.id}`, { orgs: ORG_A });
        expect([ack.status, ack.body]).to.deep.equal([200, undefined]);
        expect((await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_A })).json<StatusJson>().status).to.equal("SENDT");
        expectProblem(await call(queued.url, "DELETE", `/api/statuses/${s.id}`, { orgs: ORG_A }), 404, "status-not-queued");
      });

      it("the receiver of an outgoing message cannot acknowledge its statuses, though it sees incoming ones of its own", async () => {
        // B receives dpo-1 (A's outgoing message) and has an incoming conversation of its own, dpo-c.
        const [opprettet] = await store.db.conversationStatus.findMany({ where: { messageId: "dpo-1" }, orderBy: { id: "asc" } });
        expectProblem(await call(queued.url, "DELETE", `/api/statuses/${opprettet!.id}`, { orgs: ORG_B }), 404, "status-not-queued");
        expect((await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_A })).json<StatusJson>().id).to.equal(opprettet!.id);
      });

      it("204 when nothing the caller may see is queued; another owner's entry cannot be acknowledged", async () => {
        const dpoC = await store.db.conversationStatus.findFirstOrThrow({ where: { messageId: "dpo-c" } });
        expectProblem(await call(queued.url, "DELETE", `/api/statuses/${dpoC.id}`, { orgs: ORG_A }), 404, "status-not-queued");
        for (const s of await store.db.conversationStatus.findMany({ where: { messageId: "dpo-1" } })) {
          expect((await call(queued.url, "DELETE", `/api/statuses/${s.id}`, { orgs: ORG_A })).status).to.equal(200);
        }
        const none = await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_A });
        expect([none.status, none.body]).to.deep.equal([204, undefined]);
        expect((await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_B })).json<StatusJson>().messageId).to.equal("dpo-c");
        expect((await call(queued.url, "GET", "/api/statuses/peek", { orgs: ORG_C })).status).to.equal(204);
        expectProblem(await call(queued.url, "DELETE", "/api/statuses/abc"), 400, "nextmove-query-invalid");
      });
    });
  });
}
