import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { expectProblem } from "../../helpers/problem.js";
import { openStoreOn, type TempStore } from "../../helpers/temp-store.js";
import { postgresReachable } from "../../../scripts/lib/pg-scratch.js";
import { call, conversationWith, ORG_A, ORG_B, ORG_C, startStatusApi, type StatusApi } from "./harness.js";

// GET/DELETE /api/conversations… over real HTTP and a temp SQLite store.

const VECTORS = path.resolve(import.meta.dirname, "../../../../shared/vectors/eformidling/api");

interface ConversationJson {
  id: number;
  conversationId: string;
  messageId: string;
  direction: string;
  serviceIdentifier: string;
  lastUpdate: string;
  messageStatuses: { id: number; lastUpdate: string; status: string; description?: string }[];
  [k: string]: unknown;
}

interface Page<T> {
  content: T[];
  totalElements: number;
  [k: string]: unknown;
}

const T0 = new Date("2030-01-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const keys = (o: object) => Object.keys(o).sort();
const omit = (o: object, drop: readonly string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !drop.includes(k)));

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`NextMove API: /api/conversations on ${provider}`, function () {
    this.timeout(30_000);
    let store: TempStore;
    let api: StatusApi;

    before(async function () {
      if (provider === "postgresql" && !(await postgresReachable())) this.skip();
    });
    beforeEach(async () => {
      store = await openStoreOn(provider, "nm_conversations");
      api = await startStatusApi(store.db);
    });
    afterEach(async () => {
      await api.close();
      await store.close();
    });

    /** Sets a conversation's lastUpdate (the store stamps it with the wall clock). */
    const touch = (messageId: string, direction: "OUT" | "IN", updatedAt: Date) =>
      store.db.conversation.update({ where: { direction_messageId: { direction, messageId } }, data: { updatedAt } });

    describe("the JSON, compared key for key with the integrasjonspunkt's REST docs (conversations-page.json)", function () {
      before(function () {
        if (!existsSync(VECTORS)) this.skip();
      });

      it("has the page's keys, and each conversation's and status's, but what v4 changed; the same values but ids and times", async () => {
        const expected = JSON.parse(readFileSync(path.join(VECTORS, "conversations-page.json"), "utf8")) as Page<ConversationJson>;
        for (const c of expected.content) {
          await conversationWith(
            store.db,
            {
              messageId: c.messageId,
              conversationId: c.conversationId,
              direction: "IN",
              channel: c.serviceIdentifier as "DPO" | "DPI",
              senderIdentifier: c.senderIdentifier as string,
              receiverIdentifier: c.receiverIdentifier as string,
              process: c.processIdentifier as string,
              messageReference: c.messageReference as string,
              messageTitle: c.messageTitle as string,
              expiry: new Date("2019-04-25T11:38:23Z"),
              externalReference: "reference from external system",
            },
            // DPI names an arrived letter MOTTATT; the integrasjonspunkt calls it INNKOMMENDE_MOTTATT.
            [{ status: c.serviceIdentifier === "DPI" ? "MOTTATT" : "INNKOMMENDE_MOTTATT", at: new Date("2019-11-05T10:04:34Z"), description: "INNKOMMENDE_MOTTATT" }],
          );
          await touch(c.messageId, "IN", new Date("2019-03-25T11:38:23Z"));
        }
        const page = (await call(api.url, "GET", "/api/conversations")).json<Page<ConversationJson>>();
        const { content, ...rest } = page;
        const { content: _e, ...expectedRest } = expected;
        expect(rest).to.deep.equal(expectedRest);
        expect(content.map((c) => c.messageId)).to.have.members(expected.content.map((c) => c.messageId));
        for (const want of expected.content) {
          const got = content.find((c) => c.messageId === want.messageId)!;
          // v4 dropped serviceCode and serviceEditionCode (Altinn 2); the docs' example predates the entity's
          // sender, receiver and documentIdentifier, and leaves out externalSystemReference, which the v4 docs list.
          const v4Keys = [...keys(want).filter((k) => k !== "serviceCode" && k !== "serviceEditionCode"), "sender", "receiver", "documentIdentifier", "externalSystemReference"].sort();
          expect(keys(got), want.messageId).to.deep.equal(v4Keys);
          const aside = ["id", "lastUpdate", "expiry", "messageStatuses"];
          expect(omit(got, [...aside, "sender", "receiver", "documentIdentifier", "externalSystemReference"])).to.deep.equal(omit(want, [...aside, "serviceCode", "serviceEditionCode"]));
          expect(got.lastUpdate).to.equal("2019-03-25T12:38:23+01:00");
          // The example's offsets were typed in; in Oslo that April day is summer time and that November day not.
          expect(got.expiry).to.equal("2019-04-25T13:38:23+02:00");
          expect(got.messageStatuses).to.deep.equal([{ ...want.messageStatuses[0]!, id: got.id, lastUpdate: "2019-11-05T11:04:34+01:00" }]);
          expect([got.sender, got.receiver, got.documentIdentifier, got.externalSystemReference]).to.deep.equal([want.senderIdentifier, want.receiverIdentifier, "urn:no:difi:arkivmelding:xsd::arkivmelding", "reference from external system"]);
        }
      });
    });

    it("a DPI letter in the integrasjonspunkt's words: its statuses mapped, its identifiers as stored", async () => {
      await conversationWith(store.db, { messageId: "dpi-1", direction: "OUT", channel: "DPI", documentType: "digital", standard: "urn:no:difi:digitalpost:xsd:digital::digital", process: "urn:no:difi:profile:digitalpost:info:ver1.0", receiverIdentifier: "01017012345" }, [
        { status: "OPPRETTET", at: at(0) },
        { status: "FEILET", at: at(1), description: "gave up" },
      ]);
      const c = (await call(api.url, "GET", "/api/conversations")).json<Page<ConversationJson>>().content[0]!;
      const { lastUpdate: _l, id, ...rest } = c;
      expect(rest).to.deep.equal({
        conversationId: "c-dpi-1",
        messageId: "dpi-1",
        sender: `0192:${ORG_A}`,
        senderIdentifier: `0192:${ORG_A}`,
        receiver: "01017012345",
        receiverIdentifier: "01017012345",
        processIdentifier: "urn:no:difi:profile:digitalpost:info:ver1.0",
        documentIdentifier: "urn:no:difi:digitalpost:xsd:digital::digital",
        finished: true,
        direction: "OUTGOING",
        serviceIdentifier: "DPI",
        messageStatuses: [
          { id, lastUpdate: "2030-01-01T11:00:00+01:00", status: "SENDT" },
          { id: c.messageStatuses[1]!.id, lastUpdate: "2030-01-01T11:00:01+01:00", status: "FEIL", description: "gave up" },
        ],
      });
    });

    describe("filters", () => {
      beforeEach(async () => {
        await conversationWith(
          store.db,
          { messageId: "out-1", conversationId: "conv-1", direction: "OUT", channel: "DPV", messageReference: "ref-1", messageTitle: "Title one", receiverIdentifier: `0192:${ORG_C}` },
          [
            { status: "OPPRETTET", at: at(0) },
            { status: "SENDT", at: at(1) },
          ],
        );
        await conversationWith(store.db, { messageId: "in-1", conversationId: "conv-2", direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_A}` }, [
          { status: "OPPRETTET", at: at(2) },
          { status: "INNKOMMENDE_MOTTATT", at: at(3) },
          { status: "INNKOMMENDE_LEVERT", at: at(4) },
        ]);
        // lastUpdate: out-1 on 2030-01-02 (Oslo), in-1 on 2030-01-03 00:30 Oslo (still 2030-01-02 in UTC).
        await touch("out-1", "OUT", new Date("2030-01-02T12:00:00Z"));
        await touch("in-1", "IN", new Date("2030-01-02T23:30:00Z"));
      });
      const found = async (q: string) => (await call(api.url, "GET", `/api/conversations?${q}`)).json<Page<ConversationJson>>().content.map((c) => c.messageId);

      const cases: [string, string, string[]][] = [
        ["conversationId", "conversationId=conv-2", ["in-1"]],
        ["conversationId", "conversationId=conv-9", []],
        ["messageId", "messageId=OUT-1", ["out-1"]],
        ["messageId", "messageId=none", []],
        ["receiver", `receiver=0192:${ORG_C}`, ["out-1"]],
        ["receiver", `receiver=0192:${ORG_B}`, []],
        ["receiverIdentifier", `receiverIdentifier=0192:${ORG_A}`, ["in-1"]],
        ["receiverIdentifier", `receiverIdentifier=${ORG_A}`, []],
        ["sender", `sender=0192:${ORG_B}`, ["in-1"]],
        ["sender", `sender=0192:${ORG_C}`, []],
        ["senderIdentifier", `senderIdentifier=0192:${ORG_A}`, ["out-1"]],
        ["senderIdentifier", `senderIdentifier=0192:${ORG_A}&sender=0192:${ORG_B}`, []],
        ["serviceIdentifier", "serviceIdentifier=DPV", ["out-1"]],
        ["serviceIdentifier", "serviceIdentifier=DPH", []],
        ["messageReference", "messageReference=ref-1", ["out-1"]],
        ["messageReference", "messageReference=ref-2", []],
        ["messageTitle", "messageTitle=Title%20one", ["out-1"]],
        ["messageTitle", "messageTitle=Title", []],
        ["pollable", "pollable=true", ["out-1"]],
        ["pollable", "pollable=false", ["in-1"]],
        ["finished", "finished=true", ["in-1"]],
        ["finished", "finished=no", ["out-1"]],
        ["direction", "direction=INCOMING", ["in-1"]],
        ["direction", "direction=OUTGOING", ["out-1"]],
        ["lastUpdateFrom (an Oslo day)", "lastUpdateFrom=2030-01-03", ["in-1"]],
        ["lastUpdateFrom (an Oslo day)", "lastUpdateFrom=2030-01-04", []],
        ["lastUpdateTo (inclusive)", "lastUpdateTo=2030-01-02", ["out-1"]],
        ["lastUpdateTo (inclusive)", "lastUpdateTo=2030-01-01", []],
      ];
      for (const [name, q, expected] of cases) {
        it(`${name}: ${q} → [${expected.join(", ")}]`, async () => {
          expect(await found(q)).to.deep.equal(expected);
        });
      }

      it("newest update first; sort by another property", async () => {
        expect(await found("")).to.deep.equal(["in-1", "out-1"]);
        expect(await found("sort=lastUpdate,asc")).to.deep.equal(["out-1", "in-1"]);
        expect(await found("sort=messageId")).to.deep.equal(["in-1", "out-1"]);
      });

      it("refuses values that do not convert", async () => {
        for (const q of ["pollable=maybe", "finished=2", "direction=outgoing", "serviceIdentifier=XYZ", "lastUpdateFrom=2030-02-30", "lastUpdateTo=02.01.2030", "sort=id", "conversationId=a&conversationId=b"]) {
          expectProblem(await call(api.url, "GET", `/api/conversations?${q}`), 400, "nextmove-query-invalid");
        }
      });

      it("GET /api/conversations/queue: the pollable ones", async () => {
        const p = (await call(api.url, "GET", "/api/conversations/queue")).json<Page<ConversationJson>>();
        expect(p.content.map((c) => c.messageId)).to.deep.equal(["out-1"]);
      });
    });

    describe("one conversation", () => {
      let outId: number;
      let inId: number;
      beforeEach(async () => {
        await conversationWith(store.db, { messageId: "m-1", direction: "OUT", channel: "DPO" }, [
          { status: "OPPRETTET", at: at(0) },
          { status: "SENDT", at: at(1) },
        ]);
        await conversationWith(store.db, { messageId: "m-2", direction: "IN", channel: "DPO", senderIdentifier: `0192:${ORG_B}`, receiverIdentifier: `0192:${ORG_A}` }, [{ status: "OPPRETTET", at: at(2) }]);
        outId = (await store.db.conversationStatus.findFirstOrThrow({ where: { messageId: "m-1" }, orderBy: { id: "asc" } })).id;
        inId = (await store.db.conversationStatus.findFirstOrThrow({ where: { messageId: "m-2" } })).id;
      });

      it("GET /api/conversations/{id}: an outgoing one by its number; incoming, unknown or a later status's id is 404", async () => {
        const r = await call(api.url, "GET", `/api/conversations/${outId}`);
        expect(r.status).to.equal(200);
        expect(r.json<ConversationJson>()).to.include({ id: outId, messageId: "m-1", direction: "OUTGOING" });
        expectProblem(await call(api.url, "GET", `/api/conversations/${inId}`), 404, "conversation-not-found");
        expectProblem(await call(api.url, "GET", `/api/conversations/${outId + 1}`), 404, "conversation-not-found");
        expectProblem(await call(api.url, "GET", "/api/conversations/999999"), 404, "conversation-not-found");
        expectProblem(await call(api.url, "GET", "/api/conversations/abc"), 400, "nextmove-query-invalid");
      });

      it("GET /api/conversations/messageId/{messageId}: outgoing only", async () => {
        const r = await call(api.url, "GET", "/api/conversations/messageId/M-1");
        expect(r.json<ConversationJson>()).to.include({ id: outId, messageId: "m-1" });
        expectProblem(await call(api.url, "GET", "/api/conversations/messageId/m-2"), 404, "conversation-not-found");
      });

      it("DELETE /api/conversations/{id} and /messageId/{messageId}: gone with their history; deleting what is not there is no error", async () => {
        const del = await call(api.url, "DELETE", `/api/conversations/${inId}`);
        expect([del.status, del.body]).to.deep.equal([200, undefined]);
        expect(await store.db.conversation.count({ where: { messageId: "m-2" } })).to.equal(0);
        expect(await store.db.conversationStatus.count({ where: { messageId: "m-2" } })).to.equal(0);
        expect((await call(api.url, "DELETE", `/api/conversations/${inId}`)).status).to.equal(200);
        expect((await call(api.url, "DELETE", "/api/conversations/messageId/M-1")).status).to.equal(200);
        expect(await store.db.conversation.count()).to.equal(0);
        expect((await call(api.url, "DELETE", "/api/conversations/messageId/m-1")).status).to.equal(200);
      });

      it("owner scoping: another organisation's conversation is not found and not deleted", async () => {
        expectProblem(await call(api.url, "GET", `/api/conversations/${outId}`, { orgs: ORG_C }), 404, "conversation-not-found");
        expectProblem(await call(api.url, "GET", "/api/conversations/messageId/m-1", { orgs: ORG_C }), 404, "conversation-not-found");
        expect((await call(api.url, "GET", "/api/conversations", { orgs: ORG_C })).json<Page<ConversationJson>>().totalElements).to.equal(0);
        expect((await call(api.url, "GET", "/api/conversations", { orgs: `${ORG_C},${ORG_A}` })).json<Page<ConversationJson>>().content.map((c) => c.messageId)).to.have.members(["m-1", "m-2"]);
        // B receives m-1 and sent m-2, but those are the copies A holds: B's own are held where B sends and receives.
        expect((await call(api.url, "GET", "/api/conversations", { orgs: ORG_B })).json<Page<ConversationJson>>().totalElements).to.equal(0);
        expect((await call(api.url, "DELETE", `/api/conversations/${outId}`, { orgs: ORG_C })).status).to.equal(200);
        expect((await call(api.url, "DELETE", "/api/conversations/messageId/m-2", { orgs: ORG_C })).status).to.equal(200);
        expect(await store.db.conversation.count()).to.equal(2);
        expect((await call(api.url, "GET", `/api/conversations/${outId}`, { orgs: ORG_A })).status).to.equal(200);
      });
    });
  });
}
