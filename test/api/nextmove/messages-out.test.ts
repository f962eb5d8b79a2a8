import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import express from "express";
import { messagesOutRouter } from "../../../src/api/nextmove/messages-out.js";
import { NextMoveOutQueue } from "../../../src/api/nextmove/out-queue.js";
import { notFound, problemHandler } from "../../../src/api/problem-middleware.js";
import type { Clock } from "../../../src/clock.js";
import type { RouteQuery, Router } from "../../../src/core/channel.js";
import type { Channel } from "../../../src/core/status/index.js";
import { silentLogger } from "../../../src/log.js";
import { ReceiverDoesNotAcceptProcessError, type EformidlingEndpoint } from "../../../src/routing/eformidling.js";
import { identifierResourceOf, type ServiceRecord } from "../../../src/routing/service-registry/records.js";
import { zoneOffsetSeconds } from "../../../src/sbd/date-time.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import { NextMoveRepo } from "../../../src/store/nextmove-repo.js";
import type { Db } from "../../../src/store/prisma.js";
import { CERTS } from "../../helpers/certs.js";
import { expectProblem } from "../../helpers/problem.js";
import { openTempStore, type TempStore } from "../../helpers/temp-store.js";
import { callerFromHeader, closeServer, conversationWith } from "./harness.js";

// The outgoing side of the NextMove API (/api/messages/out...) over real HTTP: the router, the out-queue over a
// temp SQLite store and blob store, a stand-in for the Service Registry routing, no channel handover (sending
// only queues the message for its channel's outbox).

const ADMIN = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0";
const ARKIVMELDING = "urn:no:difi:arkivmelding:xsd::arkivmelding";
/** A standard a receiver's record may list that does not end with `::arkivmelding`. */
const ODD_STANDARD = "urn:no:difi:arkivmelding:xsd:arkivmelding";
const AVTALT_PROCESS = "urn:no:difi:profile:avtalt:avtalt:ver1.0";
const AVTALT = "urn:no:difi:avtalt:xsd::avtalt";
const INNSYNSKRAV_PROCESS = "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0";
const INNSYNSKRAV = "urn:no:difi:einnsyn:xsd::innsynskrav";

/** The organisations this deployment sends for. */
/** The organisations routing was asked as, in order (each asks the Service Registry with its own token). */
const askedBy: string[] = [];
const OWN = "910077473";
const OWN_2 = "991825827";
/** Receivers, one per channel, and one the registry knows nothing of. */
const DPO_ORG = "910075918";
const DPF_ORG = "910075924";
const DPV_ORG = "910075946";
const DPE_ORG = "910075935";
const UNKNOWN_ORG = "974761076";

const MiB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Winter: Oslo is +01:00. */
const T0 = new Date("2030-01-15T10:00:00Z");

const certPem = readFileSync(path.join(CERTS, "business/910076787.pem"), "utf8");

/** Service Registry records as the registry writes them, read by the project's parser (certificates and all). */
function records(): ServiceRecord[] {
  const rec = (org: string, id: string, process: string, documentTypes: string[], endpointUrl = "") => ({
    organisationNumber: org,
    pemCertificate: id === "DPV" ? "" : certPem,
    process,
    documentTypes,
    service: { identifier: id, endpointUrl, serviceCode: null, serviceEditionCode: null, securityLevel: id === "DPF" ? 3 : null, resource: id === "DPV" ? "eformidling-dpv-administrasjon" : null },
  });
  return identifierResourceOf({
    infoRecord: null,
    serviceRecords: [
      rec(DPO_ORG, "DPO", ADMIN, [ARKIVMELDING, ODD_STANDARD]),
      rec(DPO_ORG, "DPO", AVTALT_PROCESS, [AVTALT]),
      rec(DPF_ORG, "DPF", ADMIN, [ARKIVMELDING]),
      rec(DPV_ORG, "DPV", ADMIN, [ARKIVMELDING]),
      rec(DPE_ORG, "DPE", INNSYNSKRAV_PROCESS, [INNSYNSKRAV], "innsyn"),
      // One organisation this deployment serves also receives over DPO.
      rec(OWN_2, "DPO", AVTALT_PROCESS, [AVTALT]),
    ],
  }).serviceRecords as ServiceRecord[];
}

/** Routing as the eFormidling router decides it, from the records above; it remembers every question. */
function standInRouter(all: readonly ServiceRecord[]): { router: Router<EformidlingEndpoint>; queries: RouteQuery[] } {
  const queries: RouteQuery[] = [];
  return {
    queries,
    router: {
      async route(q) {
        queries.push(q);
        const standard = q.standard ?? q.documentType;
        const r = all.find((x) => x.organisationNumber === q.receiver && x.process === q.process && x.documentTypes.includes(standard));
        if (!r) throw new ReceiverDoesNotAcceptProcessError(q.process, `no record for ${q.receiver} with ${standard}`);
        return { channel: r.serviceIdentifier as Channel, endpoint: r as EformidlingEndpoint };
      },
    },
  };
}

interface OutApi {
  url: string;
  db: Db;
  blobs: FolderBlobStore;
  now: { value: Date };
  queries: RouteQuery[];
  queued: Channel[];
  /** Blob keys in the blob store (temporary files aside). */
  blobKeys(): Promise<string[]>;
  close(): Promise<void>;
}

interface OutApiOptions {
  channels?: readonly Channel[];
  orgs?: readonly string[];
  start?: Date;
  ttlHours?: number;
}

async function startOutApi(db: Db, o: OutApiOptions = {}): Promise<OutApi> {
  const root = await mkdtemp(path.join(os.tmpdir(), "nm-out-blobs-"));
  const blobs = new FolderBlobStore(root);
  await blobs.init();
  const now = { value: o.start ?? T0 };
  const clock: Clock = () => new Date(now.value.getTime());
  const { router, queries } = standInRouter(records());
  askedBy.length = 0;
  const queued: Channel[] = [];
  const queue = new NextMoveOutQueue({
    repo: new NextMoveRepo(db),
    routerFor: (org) => (askedBy.push(org), router),
    blobs,
    orgs: o.orgs ?? [OWN, OWN_2],
    channels: o.channels ?? ["DPO", "DPF", "DPV", "DPE"],
    handovers: [],
    defaultTtlHours: o.ttlHours ?? 24,
    clock,
    log: silentLogger,
    onQueued: (c) => queued.push(c),
  });
  const app = express();
  app.use("/api", callerFromHeader);
  app.use("/api", messagesOutRouter({ queue, blobs, multipart: { sbdBytes: MiB, fileBytes: 5 * MiB, maxParts: 20 } }));
  app.use(notFound);
  app.use(problemHandler(silentLogger));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    db,
    blobs,
    now,
    queries,
    queued,
    blobKeys: async () => (await readdir(path.join(root, "blobs"))).filter((n) => /^[0-9a-f-]{36}$/.test(n)).sort(),
    async close() {
      await closeServer(server);
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: any;
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, contentType: res.headers.get("content-type"), text, body };
}

type Json = Record<string, any>;

interface SbdOptions {
  receiver?: string;
  /** null: no sender at all. */
  sender?: string | null;
  messageId?: string;
  conversationId?: string;
  expected?: string;
  creation?: string;
  process?: string;
  standard?: string;
  type?: string;
}

function header(o: SbdOptions, defaults: { receiver: string; process: string; standard: string; type: string; typeVersion: string }): Json {
  const scope: Json = { type: "ConversationId", identifier: o.process ?? defaults.process };
  if (o.conversationId !== undefined) scope.instanceIdentifier = o.conversationId;
  if (o.expected !== undefined) scope.scopeInformation = [{ expectedResponseDateTime: o.expected }];
  const di: Json = { standard: o.standard ?? defaults.standard, type: o.type ?? defaults.type, typeVersion: defaults.typeVersion };
  if (o.messageId !== undefined) di.instanceIdentifier = o.messageId;
  if (o.creation !== undefined) di.creationDateAndTime = o.creation;
  return {
    headerVersion: "1.0",
    sender: o.sender === null ? [] : [{ identifier: { authority: "iso6523-actorid-upis", value: o.sender ?? `0192:${OWN}` } }],
    receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${o.receiver ?? defaults.receiver}` } }],
    documentIdentification: di,
    businessScope: { scope: [scope] },
  };
}

function arkivmeldingSbd(o: SbdOptions = {}): Json {
  const h = header(o, { receiver: DPO_ORG, process: ADMIN, standard: ARKIVMELDING, type: "arkivmelding", typeVersion: "2.0" });
  return { standardBusinessDocumentHeader: h, [o.type ?? "arkivmelding"]: { sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf" } };
}

function avtaltSbd(o: SbdOptions = {}): Json {
  const h = header(o, { receiver: DPO_ORG, process: AVTALT_PROCESS, standard: AVTALT, type: "avtalt", typeVersion: "1.0" });
  return { standardBusinessDocumentHeader: h, avtalt: { identifier: "avtale-1", content: { hello: "world" } } };
}

function innsynskravSbd(o: SbdOptions = {}): Json {
  const h = header(o, { receiver: DPE_ORG, process: INNSYNSKRAV_PROCESS, standard: INNSYNSKRAV, type: "innsynskrav", typeVersion: "1.0" });
  return { standardBusinessDocumentHeader: h, innsynskrav: { orgnr: OWN, epost: "innsyn@example.no" } };
}

const idOf = (sbd: Json): string => sbd.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;

/** A minimal arkivmelding.xml that src/sbd/arkivmelding.ts reads: one saksmappe, one numbered journalpost, one file. */
function arkivmeldingXml(files: readonly string[] = ["vedtak.pdf"], o: { title?: string; number?: number } = {}): Buffer {
  const objects = files.map((f) => `<dokumentobjekt><referanseDokumentfil>${f}</referanseDokumentfil></dokumentobjekt>`).join("");
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappe xsi:type="saksmappe">
    <systemID>sak-2030-17</systemID>
    <basisregistrering xsi:type="journalpost">
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer>${objects}</dokumentbeskrivelse>
      <tittel>Vedtak om skoleskyss (intern)</tittel>
      <offentligTittel>${o.title ?? "Vedtak om skoleskyss"}</offentligTittel>
      ${o.number === undefined ? "" : `<journalpostnummer>${o.number}</journalpostnummer>`}
    </basisregistrering>
  </mappe>
</arkivmelding>`,
    "utf8",
  );
}

const ARKIVMELDING_VECTOR = path.resolve(import.meta.dirname, "../../../../shared/vectors/eformidling/arkivmelding/arkivmelding_ok.xml");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("NextMove API: /api/messages/out", function () {
  let store: TempStore;
  let api: OutApi;

  const start = async (o: OutApiOptions = {}) => {
    api = await startOutApi(store.db, o);
  };
  beforeEach(async () => {
    store = await openTempStore("nm-out-");
  });
  afterEach(async () => {
    await api?.close();
    await store.close();
  });

  const post = async (body: unknown, orgs?: string): Promise<Answer> =>
    answerOf(
      await fetch(`${api.url}/messages/out`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(orgs !== undefined ? { "x-test-orgs": orgs } : {}) },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  const put = async (id: string, content: Buffer, headers: Record<string, string>, query = "", orgs?: string): Promise<Answer> =>
    answerOf(await fetch(`${api.url}/messages/out/${id}${query}`, { method: "PUT", headers: { ...headers, ...(orgs !== undefined ? { "x-test-orgs": orgs } : {}) }, body: new Uint8Array(content) }));
  const upload = (id: string, filename: string, content: Buffer, contentType = "application/pdf", title = "Dokument") =>
    put(id, content, { "content-type": contentType, "content-disposition": `attachment; name="${title}"; filename="${filename}"` });
  const upload2 = (id: string, orgs: string) => put(id, Buffer.from("x"), { "content-type": "application/pdf", "content-disposition": 'attachment; name="T"; filename="x.pdf"' }, "", orgs);
  const send = async (id: string, orgs?: string): Promise<Answer> =>
    answerOf(await fetch(`${api.url}/messages/out/${id}`, { method: "POST", headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} }));
  const get = async (pathAndQuery: string, orgs?: string): Promise<Answer> =>
    answerOf(await fetch(`${api.url}${pathAndQuery}`, { headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} }));
  const del = async (id: string, orgs?: string): Promise<Answer> =>
    answerOf(await fetch(`${api.url}/messages/out/${id}`, { method: "DELETE", headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} }));

  /** Creates the message and returns its id. */
  const created = async (sbd: Json, orgs?: string): Promise<string> => {
    const r = await post(sbd, orgs);
    expect(r.status, r.text).to.equal(200);
    return idOf(r.body as Json);
  };
  const conversation = (id: string) =>
    store.db.conversation.findUnique({ where: { direction_messageId: { direction: "OUT", messageId: id } }, include: { statuses: { orderBy: { id: "asc" } }, nextMove: { include: { files: { orderBy: { id: "asc" } } } } } });
  const counts = async () => ({
    conversations: await store.db.conversation.count(),
    messages: await store.db.nextMoveMessage.count(),
    files: await store.db.nextMoveFile.count(),
    blobs: (await api.blobKeys()).length,
  });

  describe("POST /api/messages/out", () => {
    it("fills in the integrasjonspunkt's defaults on the clock, in Oslo's offset, and files the conversation as OPPRETTET", async () => {
      await start();
      const r = await post(arkivmeldingSbd());
      expect(r.status, r.text).to.equal(200);
      expect(r.contentType).to.equal("application/json; charset=utf-8");
      const h = (r.body as Json).standardBusinessDocumentHeader;
      const id: string = h.documentIdentification.instanceIdentifier;
      const conversationId: string = h.businessScope.scope[0].instanceIdentifier;
      expect(id).to.match(UUID);
      expect(conversationId).to.match(UUID);
      expect(conversationId).to.not.equal(id);
      expect(h.documentIdentification).to.deep.equal({ standard: ARKIVMELDING, typeVersion: "2.0", instanceIdentifier: id, type: "arkivmelding", creationDateAndTime: "2030-01-15T11:00:00+01:00" });
      expect(h.businessScope.scope).to.deep.equal([
        { type: "ConversationId", instanceIdentifier: conversationId, identifier: ADMIN, scopeInformation: [{ expectedResponseDateTime: "2030-01-16T11:00:00+01:00" }] },
      ]);
      expect(h.sender).to.deep.equal([{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${OWN}` } }]);
      expect((r.body as Json).arkivmelding).to.deep.equal({ sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf" });

      const c = (await conversation(id))!;
      expect({
        messageId: c.messageId,
        conversationId: c.conversationId,
        channel: c.channel,
        process: c.process,
        documentType: c.documentType,
        standard: c.standard,
        senderIdentifier: c.senderIdentifier,
        receiverIdentifier: c.receiverIdentifier,
        expiry: c.expiry,
        status: c.status,
        nextAttemptAt: c.nextAttemptAt,
        messageTitle: c.messageTitle,
        messageReference: c.messageReference,
      }).to.deep.equal({
        messageId: id,
        conversationId,
        channel: "DPO",
        process: ADMIN,
        documentType: "arkivmelding",
        standard: ARKIVMELDING,
        senderIdentifier: `0192:${OWN}`,
        receiverIdentifier: `0192:${DPO_ORG}`,
        expiry: new Date("2030-01-16T10:00:00Z"),
        status: "OPPRETTET",
        nextAttemptAt: null,
        messageTitle: null,
        messageReference: null,
      });
      expect(c.statuses.map((s) => ({ status: s.status, at: s.createdAt }))).to.deep.equal([{ status: "OPPRETTET", at: T0 }]);
      expect(c.nextMove!.sbd).to.equal(r.text);
      expect(c.nextMove!.queuedAt).to.equal(null);
      expect(c.nextMove!.createdAt).to.deep.equal(T0);
      // The registry was asked before the defaults were filled in (no conversation id yet), with the security level.
      expect(api.queries).to.deep.equal([{ receiver: DPO_ORG, process: ADMIN, documentType: "arkivmelding", standard: ARKIVMELDING, securityLevel: 3, conversationId: undefined }]);
    });

    it("takes the TTL hours from its settings and summer time's offset (+02:00)", async () => {
      await start({ start: new Date("2030-07-01T06:30:00Z"), ttlHours: 48 });
      const r = await post(arkivmeldingSbd());
      expect(r.status, r.text).to.equal(200);
      const h = (r.body as Json).standardBusinessDocumentHeader;
      expect(h.documentIdentification.creationDateAndTime).to.equal("2030-07-01T08:30:00+02:00");
      expect(h.businessScope.scope[0].scopeInformation).to.deep.equal([{ expectedResponseDateTime: "2030-07-03T08:30:00+02:00" }]);
      expect((await conversation(idOf(r.body as Json)))!.expiry).to.deep.equal(new Date("2030-07-03T06:30:00Z"));
    });

    it("keeps the ids and times the archive system gave, and files the given expiry", async () => {
      await start();
      const messageId = "ff88849c-e281-4809-8555-7cd54952b916";
      const conversationId = "37efbd4c-413d-4e2c-bbc5-257ef4a65a56";
      const r = await post(arkivmeldingSbd({ messageId, conversationId, creation: "2030-01-15T09:00:00+01:00", expected: "2030-02-01T00:00:00+01:00" }));
      expect(r.status, r.text).to.equal(200);
      const h = (r.body as Json).standardBusinessDocumentHeader;
      expect(h.documentIdentification.instanceIdentifier).to.equal(messageId);
      expect(h.documentIdentification.creationDateAndTime).to.equal("2030-01-15T09:00:00+01:00");
      expect(h.businessScope.scope[0]).to.deep.equal({ type: "ConversationId", instanceIdentifier: conversationId, identifier: ADMIN, scopeInformation: [{ expectedResponseDateTime: "2030-02-01T00:00:00+01:00" }] });
      const c = (await conversation(messageId))!;
      expect({ conversationId: c.conversationId, expiry: c.expiry }).to.deep.equal({ conversationId, expiry: new Date("2030-01-31T23:00:00Z") });
      expect(api.queries[0]!.conversationId).to.equal(conversationId);
    });

    it("reads a date-time without offset in Oslo's offset on the queue's clock, not the machine's", async () => {
      // The queue's clock is put in the other half of the year from the machine's, so the two offsets differ.
      const machineInSummer = zoneOffsetSeconds("Europe/Oslo", new Date()) === 7200;
      const clock = machineInSummer ? new Date("2030-01-15T10:00:00Z") : new Date("2030-07-15T10:00:00Z");
      const offset = machineInSummer ? "+01:00" : "+02:00";
      const expected = machineInSummer ? "2030-01-20T12:00:00" : "2030-07-20T12:00:00";
      await start({ start: clock });
      const r = await post(arkivmeldingSbd({ expected }));
      expect(r.status, r.text).to.equal(200);
      expect((r.body as Json).standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation).to.deep.equal([{ expectedResponseDateTime: `${expected}${offset}` }]);
    });

    it("routes each receiver to the channel of its Service Registry record", async () => {
      await start();
      const cases: [Json, Channel, string, string][] = [
        [arkivmeldingSbd({ receiver: DPO_ORG }), "DPO", "arkivmelding", ADMIN],
        [arkivmeldingSbd({ receiver: DPF_ORG }), "DPF", "arkivmelding", ADMIN],
        [arkivmeldingSbd({ receiver: DPV_ORG }), "DPV", "arkivmelding", ADMIN],
        [innsynskravSbd(), "DPE", "innsynskrav", INNSYNSKRAV_PROCESS],
        [avtaltSbd(), "DPO", "avtalt", AVTALT_PROCESS],
      ];
      for (const [sbd, channel, type, process] of cases) {
        const id = await created(sbd);
        const c = (await conversation(id))!;
        expect({ channel: c.channel, documentType: c.documentType, process: c.process, receiver: c.receiverIdentifier }).to.deep.equal({
          channel,
          documentType: type,
          process,
          receiver: (sbd.standardBusinessDocumentHeader as Json).receiver[0].identifier.value,
        });
      }
    });

    it("refuses a channel that is not enabled: 400 nextmove-service-not-enabled, nothing stored", async () => {
      await start({ channels: ["DPO"] });
      const r = await post(innsynskravSbd());
      expectProblem(r, 400, "nextmove-service-not-enabled");
      expect(r.body.detail).to.equal("Service DPE is not enabled");
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
    });

    it("refuses an unknown message type: 400 nextmove-unknown-message-type", async () => {
      await start();
      const sbd = arkivmeldingSbd({ type: "brev", standard: "urn:no:difi:brev:xsd::brev" });
      const r = await post(sbd);
      expectProblem(r, 400, "nextmove-unknown-message-type");
      expect(r.body.detail).to.equal(
        "Unknown NextMove document type brev. Expected one of the following values: status, feil, arkivmelding, avtalt, digital, digital_dpv, print, dialogmelding, innsynskrav, publisering",
      );
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
      expect(api.queries).to.deep.equal([]);
    });

    it("refuses a standard that does not end with ::<type>: 400 nextmove-message-type-mismatch", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ standard: ODD_STANDARD }));
      expectProblem(r, 400, "nextmove-message-type-mismatch");
      expect(r.body.detail).to.equal(`Message type arkivmelding does not match the document type ${ODD_STANDARD}`);
      expect(await store.db.conversation.count()).to.equal(0);
    });

    it("refuses a receiver without a record for the process: 400 nextmove-receiver-does-not-accept-process", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ receiver: UNKNOWN_ORG }));
      expectProblem(r, 400, "nextmove-receiver-does-not-accept-process");
      expect(r.body.detail).to.equal(`Receiver do not accept the document process ${ADMIN}`);
      const r2 = await post(arkivmeldingSbd({ receiver: DPE_ORG }));
      expectProblem(r2, 400, "nextmove-receiver-does-not-accept-process");
      expect(await store.db.conversation.count()).to.equal(0);
    });

    it("refuses a message id already used, by an outgoing message or by an incoming conversation: 400 nextmove-message-already-exists", async () => {
      await start();
      const id = "5d6c2d1b-3e8f-4a8e-9b0a-0c2f8e6f1a11";
      await created(arkivmeldingSbd({ messageId: id }));
      const again = await post(avtaltSbd({ messageId: id }));
      expectProblem(again, 400, "nextmove-message-already-exists");
      expect(again.body.detail).to.equal(`Message with messageId = ${id} already exists`);
      const upper = await post(avtaltSbd({ messageId: id.toUpperCase() }));
      expectProblem(upper, 400, "nextmove-message-already-exists");

      const incoming = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
      await conversationWith(store.db, { messageId: incoming, direction: "IN", channel: "DPO", senderIdentifier: `0192:${DPO_ORG}`, receiverIdentifier: `0192:${OWN}` }, [{ status: "INNKOMMENDE_MOTTATT", at: T0 }]);
      const r = await post(arkivmeldingSbd({ messageId: incoming }));
      expectProblem(r, 400, "nextmove-message-already-exists");
      expect(r.body.detail).to.equal(`Message with messageId = ${incoming} already exists`);
      expect(await store.db.conversation.count({ where: { direction: "OUT" } })).to.equal(1);
    });

    it("refuses a sender the caller may not act for, or one this deployment does not serve: 403 nextmove-organisation-forbidden", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ sender: `0192:${OWN}` }), OWN_2);
      expectProblem(r, 403, "nextmove-organisation-forbidden");
      expect(r.body.detail).to.equal(`test may not act for organisation ${OWN}`);
      const r2 = await post(arkivmeldingSbd({ sender: `0192:${UNKNOWN_ORG}` }));
      expectProblem(r2, 403, "nextmove-organisation-forbidden");
      expect(await store.db.conversation.count()).to.equal(0);
    });

    it("fills in the sender when the caller acts for exactly one organisation", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ sender: null }), OWN_2);
      expect(r.status, r.text).to.equal(200);
      expect((r.body as Json).standardBusinessDocumentHeader.sender).to.deep.equal([{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${OWN_2}` } }]);
      expect((await conversation(idOf(r.body as Json)))!.senderIdentifier).to.equal(`0192:${OWN_2}`);
      expect(askedBy).to.deep.equal([OWN_2]);
    });

    it("sends for another organisation on its behalf: filed under both, and the sending organisation's caller keeps it", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ sender: `0192:${OWN}:${UNKNOWN_ORG}` }), OWN);
      expect(r.status, r.text).to.equal(200);
      const id = idOf(r.body as Json);
      expect((await conversation(id))!.senderIdentifier).to.equal(`0192:${OWN}:${UNKNOWN_ORG}`);
      expect((await get(`/messages/out/${id}`, OWN)).status).to.equal(200);
      expect(((await get("/messages/out", OWN)).body as { content: Json[] }).content.map(idOf)).to.deep.equal([id]);
      expect((await get(`/messages/out/${id}`, OWN_2)).status).to.equal(404);
    });

    it("wants the sender named when the caller may act for several organisations: 400 nextmove-sender-required", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ sender: null }), "*");
      expectProblem(r, 400, "nextmove-sender-required");
      const r2 = await post(arkivmeldingSbd({ sender: null }), `${OWN},${OWN_2}`);
      expectProblem(r2, 400, "nextmove-sender-required");
      expect(await store.db.conversation.count()).to.equal(0);
    });

    it("fills in the one organisation this deployment serves for a caller that may act for all", async () => {
      await start({ orgs: [OWN_2] });
      const r = await post(arkivmeldingSbd({ sender: null }), "*");
      expect(r.status, r.text).to.equal(200);
      expect((r.body as Json).standardBusinessDocumentHeader.sender[0].identifier.value).to.equal(`0192:${OWN_2}`);
    });

    it("refuses an expectedResponseDateTime that is not in the future on the queue's clock: 400 nextmove-constraint-violation", async () => {
      await start();
      const r = await post(arkivmeldingSbd({ expected: "2030-01-15T11:00:00+01:00" }));
      expectProblem(r, 400, "nextmove-constraint-violation");
      expect(r.body.detail).to.equal("standardBusinessDocumentHeader.businessScope.scope[].scopeInformation[].expectedResponseDateTime: must be a future date");
      expect((await post(arkivmeldingSbd({ expected: "2030-01-15T11:00:01+01:00" }))).status).to.equal(200);
    });

    it("wants DPF's sikkerhetsnivaa: 400 nextmove-constraint-violation", async () => {
      await start();
      const sbd = arkivmeldingSbd({ receiver: DPF_ORG });
      delete sbd.arkivmelding.sikkerhetsnivaa;
      const r = await post(sbd);
      expectProblem(r, 400, "nextmove-constraint-violation");
      expect(r.body.detail).to.equal("arkivmelding.sikkerhetsnivaa: must not be null");
      expect(api.queries.map((q) => q.securityLevel)).to.deep.equal([undefined]);
      expect(await store.db.conversation.count()).to.equal(0);
    });

    it("refuses a body that is not JSON: 400 nextmove-sbd-unreadable", async () => {
      await start();
      const r = await post("{ this is not json");
      expectProblem(r, 400, "nextmove-sbd-unreadable");
      expect(r.body.detail).to.match(/^JSON parse error: /);
      expect(await store.db.conversation.count()).to.equal(0);
    });
  });

  describe("PUT /api/messages/out/{messageId}", () => {
    it("needs a Content-Disposition that names the file: 400 content-disposition-invalid", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const none = await put(id, Buffer.from("x"), { "content-type": "text/plain" });
      expectProblem(none, 400, "content-disposition-invalid");
      const nameOnly = await put(id, Buffer.from("x"), { "content-type": "text/plain", "content-disposition": 'attachment; name="Tittel"' });
      expectProblem(nameOnly, 400, "content-disposition-invalid");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 0, blobs: 0 });
    });

    it("stores the file with its title (?title= before name=), size, digest and bytes", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const a = Buffer.from("%PDF-1.4 vedtak\n");
      const b = Buffer.from("vedlegg");
      const c = Buffer.from("uten tittel");
      expect((await put(id, a, { "content-type": "application/pdf", "content-disposition": 'inline; name="Fra navnet"; filename="vedtak.pdf"' }, "?title=Fra%20parameteret")).status).to.equal(200);
      expect((await put(id, b, { "content-type": "text/plain", "content-disposition": 'attachment; name="Vedlegg 1"; filename="vedlegg.txt"' })).status).to.equal(200);
      const r = await put(id, c, { "content-type": "text/plain", "content-disposition": 'attachment; filename="uten.txt"' });
      expect(r.status).to.equal(200);
      expect(r.text).to.equal("");
      const files = (await conversation(id))!.nextMove!.files;
      expect(files.map((f) => ({ filename: f.filename, title: f.title, mimeType: f.mimeType, size: f.size, sha256: f.sha256, createdAt: f.createdAt }))).to.deep.equal([
        { filename: "vedtak.pdf", title: "Fra parameteret", mimeType: "application/pdf", size: a.length, sha256: sha256(a), createdAt: T0 },
        { filename: "vedlegg.txt", title: "Vedlegg 1", mimeType: "text/plain", size: b.length, sha256: sha256(b), createdAt: T0 },
        { filename: "uten.txt", title: null, mimeType: "text/plain", size: c.length, sha256: sha256(c), createdAt: T0 },
      ]);
      expect(await readFile(api.blobs.pathOf(files[0]!.blobKey))).to.deep.equal(a);
      expect(await readFile(api.blobs.pathOf(files[2]!.blobKey))).to.deep.equal(c);
      expect((await api.blobKeys()).length).to.equal(3);
    });

    it("takes the MIME type from Content-Type, else from the extension, and PDF for an extension it does not know", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const body = Buffer.from("data");
      const cases: [string, string | undefined, string][] = [
        ["a.bin", "application/vnd.example+json", "application/vnd.example+json"],
        ["b.txt", undefined, "text/plain"],
        ["c.docx", "application/octet-stream", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        ["d.PNG", undefined, "image/png"],
        ["e.xyz", "application/octet-stream", "application/pdf"],
        ["f", undefined, "application/pdf"],
      ];
      for (const [filename, contentType] of cases) {
        const headers: Record<string, string> = { "content-disposition": `attachment; name="T"; filename="${filename}"` };
        if (contentType !== undefined) headers["content-type"] = contentType;
        const r = await put(id, body, headers);
        expect(r.status, r.text).to.equal(200);
      }
      const files = (await conversation(id))!.nextMove!.files;
      expect(files.map((f) => [f.filename, f.mimeType])).to.deep.equal(cases.map(([f, , m]) => [f, m]));
    });

    it("gives the conversation the title and reference of arkivmelding.xml", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const r = await upload(id, "arkivmelding.xml", arkivmeldingXml(["vedtak.pdf"], { number: 42 }), "application/xml", "Arkivmelding");
      expect(r.status, r.text).to.equal(200);
      const c = (await conversation(id))!;
      expect({ title: c.messageTitle, reference: c.messageReference }).to.deep.equal({ title: "Vedtak om skoleskyss", reference: "sak-2030-17-42" });
      expect(c.nextMove!.files.map((f) => [f.filename, f.mimeType])).to.deep.equal([["arkivmelding.xml", "application/xml"]]);
    });

    it("gives the conversation the title of the integrasjonspunkt's arkivmelding_ok.xml (no journalpostnummer, so no reference)", async function () {
      if (!existsSync(ARKIVMELDING_VECTOR)) this.skip();
      await start();
      const id = await created(arkivmeldingSbd());
      const r = await upload(id, "arkivmelding.xml", readFileSync(ARKIVMELDING_VECTOR), "application/octet-stream");
      expect(r.status, r.text).to.equal(200);
      const c = (await conversation(id))!;
      expect({ title: c.messageTitle, reference: c.messageReference, mime: c.nextMove!.files[0]!.mimeType }).to.deep.equal({ title: "Nye lysrør", reference: null, mime: "text/xml" });
    });

    it("refuses an unreadable arkivmelding.xml and keeps neither file nor blob", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const r = await upload(id, "arkivmelding.xml", Buffer.from("<arkivmelding><unclosed></arkivmelding>"), "application/xml");
      expectProblem(r, 400, "arkivmelding-unreadable");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 0, blobs: 0 });
    });

    it("refuses files beyond the channel's combined limit (DPE: 2 MiB) with the integrasjonspunkt's wording, leaving no blob", async () => {
      await start();
      const id = await created(innsynskravSbd());
      expect((await upload(id, "a.pdf", Buffer.alloc(1.5 * MiB, 1))).status).to.equal(200);
      const r = await upload(id, "b.pdf", Buffer.alloc(MiB, 2));
      expectProblem(r, 400, "nextmove-max-file-size-exceeded");
      expect(r.body.detail).to.equal("The combined file size for all attachments (2MB) exceeds the maximum allowed upload size for the target service (DPE, 2MB)");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 1, blobs: 1 });
      // Exactly the limit in all is taken.
      expect((await upload(id, "c.pdf", Buffer.alloc(0.5 * MiB, 3))).status).to.equal(200);
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 2, blobs: 2 });
    });

    it("words one upload far beyond the limit with its real size, as the integrasjonspunkt does", async () => {
      await start();
      const id = await created(innsynskravSbd());
      const r = await upload(id, "big.pdf", Buffer.alloc(3.5 * MiB, 1));
      expectProblem(r, 400, "nextmove-max-file-size-exceeded");
      expect(r.body.detail).to.equal("The combined file size for all attachments (3MB) exceeds the maximum allowed upload size for the target service (DPE, 2MB)");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 0, blobs: 0 });
      // The connection served the answer and the queue goes on.
      expect((await upload(id, "small.pdf", Buffer.from("ok"))).status).to.equal(200);
    });

    it("refuses a second file of the same name: 400 nextmove-duplicate-filename", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      expect((await upload(id, "vedtak.pdf", Buffer.from("1"))).status).to.equal(200);
      const r = await upload(id, "vedtak.pdf", Buffer.from("2"));
      expectProblem(r, 400, "nextmove-duplicate-filename");
      expect(r.body.detail).to.equal("Filename already exists in message: vedtak.pdf.");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 1, blobs: 1 });
    });

    it("wants a title for DPV: 400 nextmove-missing-file-title", async () => {
      await start();
      const id = await created(arkivmeldingSbd({ receiver: DPV_ORG }));
      const r = await put(id, Buffer.from("x"), { "content-type": "application/pdf", "content-disposition": 'attachment; filename="vedtak.pdf"' });
      expectProblem(r, 400, "nextmove-missing-file-title");
      expect(r.body.detail).to.equal("Title is required for the following capabilities: DPV");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 0, blobs: 0 });
    });

    it("answers 404 for a message that is sent, unknown, or another organisation's", async () => {
      await start();
      const id = await created(avtaltSbd());
      const other = await upload(id, "a.pdf", Buffer.from("x"));
      expect(other.status).to.equal(200);
      const foreign = await put(id, Buffer.from("x"), { "content-type": "application/pdf", "content-disposition": 'attachment; name="T"; filename="b.pdf"' }, "", OWN_2);
      expectProblem(foreign, 404, "nextmove-message-not-found");
      expect((await send(id)).status).to.equal(200);
      const sent = await upload(id, "c.pdf", Buffer.from("x"));
      expectProblem(sent, 404, "nextmove-message-not-found");
      expect(sent.body.detail).to.equal(`Message with messageId = ${id} was not found`);
      const unknown = await upload("0b5e8c1a-1111-4222-8333-944455556666", "a.pdf", Buffer.from("x"));
      expectProblem(unknown, 404, "nextmove-message-not-found");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 1, blobs: 1 });
    });
  });

  describe("POST /api/messages/out/{messageId}", () => {
    it("refuses a message without files when its type needs them: 400 nextmove-missing-file", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      const r = await send(id);
      expectProblem(r, 400, "nextmove-missing-file");
      expect(r.body.detail).to.equal("There must always be at least one attachment");
      const c = (await conversation(id))!;
      expect({ queuedAt: c.nextMove!.queuedAt, status: c.status, nextAttemptAt: c.nextAttemptAt }).to.deep.equal({ queuedAt: null, status: "OPPRETTET", nextAttemptAt: null });
    });

    it("refuses an arkivmelding without arkivmelding.xml: 400 nextmove-missing-arkivmelding", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      await upload(id, "vedtak.pdf", Buffer.from("%PDF"));
      const r = await send(id);
      expectProblem(r, 400, "nextmove-missing-arkivmelding");
      expect(r.body.detail).to.equal("DPO message type requires arkivmelding.xml attachment");
      expect((await conversation(id))!.nextMove!.queuedAt).to.equal(null);
    });

    it("refuses an arkivmelding whose arkivmelding.xml names files not uploaded: 400 nextmove-missing-arkivmelding-file", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      await upload(id, "arkivmelding.xml", arkivmeldingXml(["vedtak.pdf", "vedlegg.pdf"]), "application/xml");
      await upload(id, "vedtak.pdf", Buffer.from("%PDF"));
      const r = await send(id);
      expectProblem(r, 400, "nextmove-missing-arkivmelding-file");
      expect(r.body.detail).to.equal("File(s) defined in arkivmelding, but not found in message: vedlegg.pdf");
    });

    it("refuses a message past its expectedResponseDateTime and records LEVETID_UTLOPT: 400 nextmove-time-to-live-expired", async () => {
      await start();
      const id = await created(avtaltSbd({ expected: "2030-01-15T12:00:00+01:00" }));
      api.now.value = new Date("2030-01-15T11:00:01Z");
      const r = await send(id);
      expectProblem(r, 400, "nextmove-time-to-live-expired");
      expect(r.body.detail).to.equal("ExpectedResponseDateTime 2030-01-15T12:00:00+01:00 has been exceeded. Please resend the message");
      const c = (await conversation(id))!;
      expect({ status: c.status, queuedAt: c.nextMove!.queuedAt, nextAttemptAt: c.nextAttemptAt }).to.deep.equal({ status: "LEVETID_UTLOPT", queuedAt: null, nextAttemptAt: null });
      expect(c.statuses.map((s) => [s.status, s.createdAt])).to.deep.equal([
        ["OPPRETTET", T0],
        ["LEVETID_UTLOPT", new Date("2030-01-15T11:00:01Z")],
      ]);
      expect(api.queued).to.deep.equal([]);
    });

    it("queues a complete message for its channel; a second send is answered alike and changes nothing", async () => {
      await start();
      const id = await created(arkivmeldingSbd());
      await upload(id, "arkivmelding.xml", arkivmeldingXml(["vedtak.pdf"], { number: 7 }), "application/xml");
      await upload(id, "vedtak.pdf", Buffer.from("%PDF"));
      const t1 = new Date("2030-01-15T10:05:00Z");
      api.now.value = t1;
      const r = await send(id);
      expect(r.status, r.text).to.equal(200);
      expect(r.text).to.equal("");
      const after = (await conversation(id))!;
      expect({ queuedAt: after.nextMove!.queuedAt, nextAttemptAt: after.nextAttemptAt, status: after.status, statuses: after.statuses.map((s) => s.status) }).to.deep.equal({
        queuedAt: t1,
        nextAttemptAt: t1,
        status: "OPPRETTET",
        statuses: ["OPPRETTET"],
      });
      expect(api.queued).to.deep.equal(["DPO"]);

      api.now.value = new Date("2030-01-15T10:10:00Z");
      const again = await send(id);
      expect(again.status, again.text).to.equal(200);
      const still = (await conversation(id))!;
      expect({ queuedAt: still.nextMove!.queuedAt, nextAttemptAt: still.nextAttemptAt, status: still.status, statuses: still.statuses.length, updatedAt: still.updatedAt }).to.deep.equal({
        queuedAt: t1,
        nextAttemptAt: t1,
        status: "OPPRETTET",
        statuses: 1,
        updatedAt: after.updatedAt,
      });
      expect(api.queued).to.deep.equal(["DPO"]);

      expectProblem(await get(`/messages/out/${id}`), 404, "nextmove-message-not-found");
      expect((await get("/messages/out")).body.totalElements).to.equal(0);
      // Its files stay for the channel's outbox.
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 2, blobs: 2 });
    });

    it("sends a message type that needs no files (avtalt) without any", async () => {
      await start();
      const id = await created(avtaltSbd());
      expect((await send(id)).status).to.equal(200);
      expect((await conversation(id))!.nextMove!.queuedAt).to.deep.equal(T0);
    });

    it("answers 404 for a message that is unknown or another organisation's", async () => {
      await start();
      const id = await created(avtaltSbd());
      expectProblem(await send(id, OWN_2), 404, "nextmove-message-not-found");
      expectProblem(await send("0b5e8c1a-1111-4222-8333-944455556666"), 404, "nextmove-message-not-found");
      expect((await conversation(id))!.nextMove!.queuedAt).to.equal(null);
    });
  });

  describe("GET /api/messages/out and /api/messages/out/{messageId}", () => {
    /** Five unsent messages a minute apart (three from OWN, two from OWN_2) and one sent. */
    async function fill(): Promise<{ ids: string[]; conversationIds: string[]; sent: string }> {
      const ids: string[] = [];
      const sbds = [
        arkivmeldingSbd({ receiver: DPO_ORG }),
        arkivmeldingSbd({ receiver: DPF_ORG, sender: `0192:${OWN_2}` }),
        innsynskravSbd(),
        avtaltSbd({ sender: `0192:${OWN_2}` }),
        arkivmeldingSbd({ receiver: DPV_ORG }),
      ];
      for (const [i, sbd] of sbds.entries()) {
        api.now.value = new Date(T0.getTime() + i * 60_000);
        ids.push(await created(sbd));
      }
      api.now.value = new Date(T0.getTime() + 10 * 60_000);
      const sent = await created(avtaltSbd());
      expect((await send(sent)).status).to.equal(200);
      const conversationIds = await Promise.all(ids.map(async (id) => (await conversation(id))!.conversationId));
      return { ids, conversationIds, sent };
    }

    it("pages the unsent messages oldest first as Spring pages them", async () => {
      await start();
      const { ids } = await fill();
      const r = await get("/messages/out?size=2&page=1");
      expect(r.status).to.equal(200);
      expect(r.contentType).to.equal("application/json; charset=utf-8");
      const { content, ...rest } = r.body as Json;
      expect((content as Json[]).map(idOf)).to.deep.equal([ids[2], ids[3]]);
      expect(rest).to.deep.equal({
        pageable: { pageNumber: 1, pageSize: 2, sort: { empty: true, sorted: false, unsorted: true }, offset: 2, paged: true, unpaged: false },
        last: false,
        totalElements: 5,
        totalPages: 3,
        size: 2,
        number: 1,
        sort: { empty: true, sorted: false, unsorted: true },
        first: false,
        numberOfElements: 2,
        empty: false,
      });
      const last = await get("/messages/out?size=2&page=2");
      expect({ ids: last.body.content.map(idOf), last: last.body.last, n: last.body.numberOfElements }).to.deep.equal({ ids: [ids[4]], last: true, n: 1 });
      const all = await get("/messages/out");
      expect({ ids: all.body.content.map(idOf), size: all.body.size, first: all.body.first, last: all.body.last }).to.deep.equal({ ids, size: 10, first: true, last: true });
      // Each element is the stored SBD.
      const one = (await conversation(ids[0]!))!;
      expect(all.body.content[0]).to.deep.equal(JSON.parse(one.nextMove!.sbd));
    });

    it("filters on messageId, conversationId, receiverIdentifier, senderIdentifier, serviceIdentifier and processIdentifier", async () => {
      await start();
      const { ids, conversationIds, sent } = await fill();
      const q = async (query: string) => ((await get(`/messages/out?${query}`)).body.content as Json[]).map(idOf);
      expect(await q(`messageId=${ids[1]}`)).to.deep.equal([ids[1]]);
      expect(await q(`messageId=${ids[1]!.toUpperCase()}`)).to.deep.equal([ids[1]]);
      expect(await q(`messageId=${sent}`)).to.deep.equal([]);
      expect(await q(`conversationId=${conversationIds[3]}`)).to.deep.equal([ids[3]]);
      expect(await q(`receiverIdentifier=${DPO_ORG}`)).to.deep.equal([ids[0], ids[3]]);
      expect(await q(`receiverIdentifier=0192:${DPF_ORG}`)).to.deep.equal([ids[1]]);
      expect(await q(`senderIdentifier=${OWN_2}`)).to.deep.equal([ids[1], ids[3]]);
      expect(await q(`senderIdentifier=0192:${OWN}`)).to.deep.equal([ids[0], ids[2], ids[4]]);
      expect(await q("serviceIdentifier=DPO")).to.deep.equal([ids[0], ids[3]]);
      expect(await q("serviceIdentifier=DPE")).to.deep.equal([ids[2]]);
      expect(await q(`processIdentifier=${encodeURIComponent(ADMIN)}`)).to.deep.equal([ids[0], ids[1], ids[4]]);
      expect(await q(`processIdentifier=${encodeURIComponent(ADMIN)}&serviceIdentifier=DPV`)).to.deep.equal([ids[4]]);
      const page = await get(`/messages/out?senderIdentifier=${OWN}&size=1`);
      expect({ total: page.body.totalElements, pages: page.body.totalPages }).to.deep.equal({ total: 3, pages: 3 });
    });

    it("shows a caller only its organisations' messages", async () => {
      await start();
      const { ids } = await fill();
      const mine = await get("/messages/out", OWN_2);
      expect({ ids: mine.body.content.map(idOf), total: mine.body.totalElements }).to.deep.equal({ ids: [ids[1], ids[3]], total: 2 });
      const filtered = await get(`/messages/out?senderIdentifier=${OWN}`, OWN_2);
      expect(filtered.body.totalElements).to.equal(0);
      expect((await get("/messages/out", UNKNOWN_ORG)).body.content).to.deep.equal([]);
    });

    it("gets one unsent message as stored; 404 for another organisation's or an unknown one", async () => {
      await start();
      const { ids } = await fill();
      const r = await get(`/messages/out/${ids[1]}`, OWN_2);
      expect(r.status).to.equal(200);
      expect(r.contentType).to.equal("application/json; charset=utf-8");
      expect(r.text).to.equal((await conversation(ids[1]!))!.nextMove!.sbd);
      expectProblem(await get(`/messages/out/${ids[0]}`, OWN_2), 404, "nextmove-message-not-found");
      expectProblem(await get("/messages/out/0b5e8c1a-1111-4222-8333-944455556666"), 404, "nextmove-message-not-found");
    });
  });

  describe("the out-queue belongs to the sender", () => {
    it("hides a message from a caller that acts only for its receiver, as the list does", async () => {
      await start();
      const id = await created(avtaltSbd({ receiver: OWN_2 }), OWN);
      expect((await get("/messages/out", OWN_2)).body.totalElements).to.equal(0);
      expectProblem(await get(`/messages/out/${id}`, OWN_2), 404, "nextmove-message-not-found");
      expectProblem(await upload2(id, OWN_2), 404, "nextmove-message-not-found");
      expectProblem(await send(id, OWN_2), 404, "nextmove-message-not-found");
      expectProblem(await del(id, OWN_2), 404, "nextmove-message-not-found");
      const c = (await conversation(id))!;
      expect({ queuedAt: c.nextMove!.queuedAt, files: c.nextMove!.files.length }).to.deep.equal({ queuedAt: null, files: 0 });
      expect((await get(`/messages/out/${id}`, OWN)).status).to.equal(200);
    });
  });

  describe("DELETE /api/messages/out/{messageId}", () => {
    it("removes the conversation, its statuses, its files and their blobs", async () => {
      await start();
      const keep = await created(avtaltSbd());
      await upload(keep, "k.pdf", Buffer.from("keep"));
      const id = await created(arkivmeldingSbd());
      await upload(id, "a.pdf", Buffer.from("a"));
      await upload(id, "b.pdf", Buffer.from("b"));
      const keptBlob = (await conversation(keep))!.nextMove!.files[0]!.blobKey;
      const r = await del(id);
      expect(r.status).to.equal(200);
      expect(r.text).to.equal("");
      expect(await conversation(id)).to.equal(null);
      expect(await store.db.conversationStatus.count({ where: { messageId: id } })).to.equal(0);
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 1, blobs: 1 });
      expect(await api.blobKeys()).to.deep.equal([keptBlob]);
      expectProblem(await del(id), 404, "nextmove-message-not-found");
    });

    it("answers 404 for an unknown message, another organisation's, or one already sent", async () => {
      await start();
      expectProblem(await del("0b5e8c1a-1111-4222-8333-944455556666"), 404, "nextmove-message-not-found");
      const id = await created(avtaltSbd());
      expectProblem(await del(id, OWN_2), 404, "nextmove-message-not-found");
      expect((await send(id)).status).to.equal(200);
      expectProblem(await del(id), 404, "nextmove-message-not-found");
      expect(await store.db.conversation.count()).to.equal(1);
    });
  });

  describe("POST /api/messages/out/multipart", () => {
    const multipart = async (sbd: Json | string, files: { name: string; filename: string; content: Buffer; type?: string }[], orgs?: string): Promise<Answer> => {
      const form = new FormData();
      form.append("sbd", typeof sbd === "string" ? sbd : JSON.stringify(sbd));
      for (const f of files) form.append(f.name, new Blob([new Uint8Array(f.content)], f.type ? { type: f.type } : {}), f.filename);
      return answerOf(await fetch(`${api.url}/messages/out/multipart`, { method: "POST", body: form, headers: orgs !== undefined ? { "x-test-orgs": orgs } : {} }));
    };

    it("creates, adds the files (part name = title) and sends in one request", async () => {
      await start();
      const xml = arkivmeldingXml(["vedtak.pdf"], { number: 3 });
      const pdf = Buffer.from("%PDF-1.4 vedtak");
      const r = await multipart(arkivmeldingSbd(), [
        { name: "Arkivmelding", filename: "arkivmelding.xml", content: xml, type: "application/xml" },
        { name: "Vedtak", filename: "vedtak.pdf", content: pdf, type: "application/pdf" },
      ]);
      expect(r.status, r.text).to.equal(200);
      expect(r.contentType).to.equal("application/json; charset=utf-8");
      const id = idOf(r.body as Json);
      expect(id).to.match(UUID);
      const c = (await conversation(id))!;
      expect(r.text).to.equal(c.nextMove!.sbd);
      expect({ queuedAt: c.nextMove!.queuedAt, nextAttemptAt: c.nextAttemptAt, status: c.status, title: c.messageTitle, reference: c.messageReference }).to.deep.equal({
        queuedAt: T0,
        nextAttemptAt: T0,
        status: "OPPRETTET",
        title: "Vedtak om skoleskyss",
        reference: "sak-2030-17-3",
      });
      expect(c.nextMove!.files.map((f) => ({ filename: f.filename, title: f.title, mimeType: f.mimeType, size: f.size, sha256: f.sha256 }))).to.deep.equal([
        { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", size: xml.length, sha256: sha256(xml) },
        { filename: "vedtak.pdf", title: "Vedtak", mimeType: "application/pdf", size: pdf.length, sha256: sha256(pdf) },
      ]);
      expect((await api.blobKeys()).length).to.equal(2);
      expect(api.queued).to.deep.equal(["DPO"]);
    });

    it("leaves nothing behind when the files together exceed the channel's limit", async () => {
      await start();
      const r = await multipart(innsynskravSbd(), [
        { name: "A", filename: "a.pdf", content: Buffer.alloc(1.5 * MiB, 1) },
        { name: "B", filename: "b.pdf", content: Buffer.alloc(1.5 * MiB, 2) },
      ]);
      expectProblem(r, 400, "nextmove-max-file-size-exceeded");
      expect(r.body.detail).to.equal("The combined file size for all attachments (3MB) exceeds the maximum allowed upload size for the target service (DPE, 2MB)");
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
    });

    it("leaves nothing behind when a file exceeds the per-file limit (5 MiB)", async () => {
      await start();
      const r = await multipart(arkivmeldingSbd(), [
        { name: "Arkivmelding", filename: "arkivmelding.xml", content: arkivmeldingXml(), type: "application/xml" },
        { name: "Vedtak", filename: "vedtak.pdf", content: Buffer.alloc(5 * MiB + 1, 1) },
      ]);
      expectProblem(r, 400, "nextmove-multipart-file-too-large");
      expect(r.body.detail).to.equal(`The attachment named 'vedtak.pdf' is too large. The maximum size for multipart requests is ${5 * MiB} bytes. Please use the non-multipart API to avoid such problems.`);
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
    });

    it("leaves nothing behind for two files of one name", async () => {
      await start();
      const r = await multipart(arkivmeldingSbd(), [
        { name: "A", filename: "vedtak.pdf", content: Buffer.from("1") },
        { name: "B", filename: "vedtak.pdf", content: Buffer.from("2") },
      ]);
      expectProblem(r, 400, "nextmove-duplicate-filename");
      expect(r.body.detail).to.equal("Filename already exists in message: vedtak.pdf, vedtak.pdf.");
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
    });

    it("leaves nothing behind when the message cannot be sent (no arkivmelding.xml) or created (unreadable SBD)", async () => {
      await start();
      const r = await multipart(arkivmeldingSbd(), [{ name: "Vedtak", filename: "vedtak.pdf", content: Buffer.from("%PDF") }]);
      expectProblem(r, 400, "nextmove-missing-arkivmelding");
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
      const bad = await multipart("{not json", [{ name: "Vedtak", filename: "vedtak.pdf", content: Buffer.from("%PDF") }]);
      expectProblem(bad, 400, "nextmove-sbd-unreadable");
      expect(await counts()).to.deep.equal({ conversations: 0, messages: 0, files: 0, blobs: 0 });
      expect(api.queued).to.deep.equal([]);
    });

    it("refuses a message id in use without touching the message that has it", async () => {
      await start();
      const id = "5d6c2d1b-3e8f-4a8e-9b7e-0c2f8e6f1a11";
      await created(avtaltSbd({ messageId: id }));
      await upload(id, "a.pdf", Buffer.from("a"));
      const r = await multipart(avtaltSbd({ messageId: id }), [{ name: "B", filename: "b.pdf", content: Buffer.from("b") }]);
      expectProblem(r, 400, "nextmove-message-already-exists");
      expect(await counts()).to.deep.equal({ conversations: 1, messages: 1, files: 1, blobs: 1 });
    });
  });
});
