import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { DpfOutboundChannel } from "../../../src/channels/dpf/outbound.js";
import { DpfStatusPoller, UNKNOWN_FORSENDELSE } from "../../../src/channels/dpf/status-poller.js";
import { createSvarUtClient } from "../../../src/channels/dpf/svarut-client.js";
import { fixedClock } from "../../../src/clock.js";
import type { RouteRecord, Router } from "../../../src/core/channel.js";
import { silentLogger } from "../../../src/log.js";
import type { EformidlingEndpoint } from "../../../src/routing/eformidling.js";
import type { DpfRecord, InfoRecord } from "../../../src/routing/service-registry/records.js";
import { FolderBlobStore } from "../../../src/store/blob-store.js";
import type { Conversation } from "../../../src/store/generated/client.js";
import type { NextMoveConversation, NextMoveRepo } from "../../../src/store/nextmove-repo.js";
import { loadDefaultSvarUtOptions, startSvarUtSim, type SvarUtSim, type SvarUtStatus } from "../../../src/sim/svarut/index.js";
import { CERTS } from "../../helpers/certs.js";
import { sandboxAccount, startFiksTokens, type FiksTokens } from "../../helpers/fiks-tokens.js";

/** DPF's outbound side and status poller against the SvarUt simulator over HTTP. */

const A = "991825827";
const KOMMUNE = "910075924";
const PDF = Buffer.from("%PDF-1.4 brev\n");
const SVARUT_PEM = readFileSync(path.join(CERTS, "business/987654325.pem"), "utf8");
const ARKIVMELDING = `<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<mappe xsi:type="saksmappe"><basisregistrering xsi:type="journalpost"><offentligTittel>Tittel</offentligTittel>
<dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentobjekt><referanseDokumentfil>brev.pdf</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
</basisregistrering></mappe></arkivmelding>`;

function record(level: number | null): DpfRecord {
  return {
    serviceIdentifier: "DPF",
    organisationNumber: KOMMUNE,
    process: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
    documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding"],
    service: { identifier: "DPF", endpointUrl: "", serviceCode: null, serviceEditionCode: null, securityLevel: level, resource: null },
    pemCertificate: SVARUT_PEM,
    certificate: new X509Certificate(SVARUT_PEM),
  };
}

const info = (identifier: string, name: string): InfoRecord => ({
  identifier,
  organizationName: name,
  organizationNumber: identifier,
  herId: null,
  parentHerId: null,
  parentOrganizationName: null,
  entityType: null,
  postadresse: { adresse: "Gate 1", postnummer: "0150", poststed: "OSLO", land: "Norge" },
});

function sbd(o: { level?: number; receiverRef?: string; type?: string } = {}): string {
  const type = o.type ?? "arkivmelding";
  return JSON.stringify({
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${A}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${KOMMUNE}` } }],
      documentIdentification: { standard: `urn:no:difi:arkivmelding:xsd::${type}`, typeVersion: "2.0", type, instanceIdentifier: "m-1", creationDateAndTime: "2026-12-03T10:00:00+01:00" },
      businessScope: {
        scope: [
          { type: "ConversationId", instanceIdentifier: "c-1", identifier: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", scopeInformation: [{ expectedResponseDateTime: "2026-12-04T10:00:00+01:00" }] },
          ...(o.receiverRef ? [{ type: "ReceiverRef", instanceIdentifier: o.receiverRef, identifier: "x" }] : []),
        ],
      },
    },
    [type]: type === "arkivmelding" ? { hoveddokument: "brev.pdf", ...(o.level ? { sikkerhetsnivaa: o.level } : {}) } : { receiptType: "OK", relatedToMessageId: "r-1" },
  });
}

describe("DPF outbound channel and status poller, against the SvarUt simulator", () => {
  let sim: SvarUtSim;
  let fiks: FiksTokens;
  let dir: string;
  let blobs: FolderBlobStore;
  let files: NextMoveConversation["nextMove"]["files"];
  let level: number | null = 4;
  const asked: { asking: string; identifier: string }[] = [];

  const conversation = (json: string, messageId = `m-${Math.random().toString(16).slice(2)}`): NextMoveConversation =>
    ({ messageId, direction: "OUT", senderIdentifier: `0192:${A}`, nextMove: { sbd: json, files } }) as unknown as NextMoveConversation;
  /** The Service Registry answer the route came from, as the router hands it on. */
  const routedBy: RouteRecord = { kind: "service-registry", sourceUrl: "https://sr.example/identifier/x", fetchedAt: new Date(0), mediaType: "application/jose", body: new Uint8Array([1]), sha256: "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a" };
  const router: Router<EformidlingEndpoint> = { route: async () => ({ channel: "DPF", endpoint: record(level), record: routedBy }) };
  const channel = (accountOf = (o: string) => (o === A ? sandboxAccount(A) : undefined), url?: string) =>
    new DpfOutboundChannel({
      repo: {} as NextMoveRepo,
      blobs,
      routerFor: () => router,
      infoFor: async (asking, identifier) => {
        asked.push({ asking, identifier });
        return info(identifier, identifier === KOMMUNE ? "Bergen kommune" : "Avsender");
      },
      svarUt: createSvarUtClient({ baseUrl: url ?? sim.url, token: fiks.token }),
      accountOf,
      peer: "svarut",
    });
  const ctx = { now: new Date("2026-12-03T09:00:00Z"), attempt: 1, log: silentLogger };

  before(async () => {
    fiks = await startFiksTokens();
    sim = await startSvarUtSim(await loadDefaultSvarUtOptions({ maskinporten: fiks.issuer }));
    dir = await mkdtemp(path.join(os.tmpdir(), "dpf-out-"));
    blobs = new FolderBlobStore(dir);
    await blobs.init();
    const put = async (filename: string, mimeType: string, bytes: Buffer, id: number) => {
      const b = await blobs.write(Readable.from([bytes]));
      return { id, direction: "OUT", messageId: "x", filename, title: null, mimeType, size: b.size, sha256: "", blobKey: b.key, createdAt: new Date() };
    };
    files = [await put("arkivmelding.xml", "application/xml", Buffer.from(ARKIVMELDING), 1), await put("brev.pdf", "application/pdf", PDF, 2)] as never;
  });
  after(async () => {
    await sim.close();
    await fiks.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends the forsendelse with SvarUt's id as externalReference; without sikkerhetsnivaa the record's level decides (4: HOYESTE)", async () => {
    const out = await channel().send(conversation(sbd({ receiverRef: "5f0e7a2c-1b3d-4e5f-8a9b-0c1d2e3f4a5b" }), "m-level"), ctx);
    expect([out.kind, out.kind === "delivered" && typeof out.externalReference]).to.deep.equal(["delivered", "string"]);
    expect([out.peer, out.routedBy]).to.deep.equal(["svarut", routedBy]);
    const f = sim.forsendelse((out as { externalReference: string }).externalReference)!;
    expect([f.eksternReferanse, f.sikkerhetsniva, f.tittel, f.svarPaForsendelse, f.mottaker]).to.deep.equal(["m-level", "HOYESTE", "Tittel", "5f0e7a2c-1b3d-4e5f-8a9b-0c1d2e3f4a5b", { orgnr: KOMMUNE, navn: "Bergen kommune" }]);
    // No Avsender in the arkivmelding: svarSendesTil is the sender's own info record.
    expect(f.svarSendesTil).to.deep.equal({ navn: "Avsender", orgnr: A, fnr: undefined, adresse: { adresselinje1: "Gate 1", postnummer: "0150", poststed: "OSLO", land: undefined } });
    expect(asked.map((a) => [a.asking, a.identifier])).to.deep.equal([
      [A, KOMMUNE],
      [A, A],
    ]);
  });

  it("does not send a forsendelse twice: a retry after an answer that was lost finds SvarUt's forsendelse by eksternReferanse", async () => {
    const first = await channel().send(conversation(sbd({ level: 3 }), "m-lost-answer"), ctx);
    const id = (first as { externalReference: string }).externalReference;
    // The outbox never heard `first` (a timeout, a crash before it was stored) and tries again.
    const again = await channel().send(conversation(sbd({ level: 3 }), "m-lost-answer"), { ...ctx, attempt: 2 });
    expect([again.kind, (again as { externalReference?: string }).externalReference]).to.deep.equal(["delivered", id]);
    expect([...sim.state.forsendelser.values()].filter((f) => f.eksternReferanse === "m-lost-answer").map((f) => f.id)).to.deep.equal([id]);
  });

  it("the message's sikkerhetsnivaa 3 wins over the record's 4; a ReceiverRef that is no UUID is left out", async () => {
    const out = await channel().send(conversation(sbd({ level: 3, receiverRef: "not-a-uuid" })), ctx);
    const f = sim.forsendelse((out as { externalReference: string }).externalReference)!;
    expect([f.sikkerhetsniva, f.svarPaForsendelse]).to.deep.equal(["BETYDELIG", undefined]);
  });

  it("fails without a SvarUt account, fails with SvarUt's reason when it refuses, and retries when SvarUt cannot be reached", async () => {
    expect(await channel(() => undefined).send(conversation(sbd({ level: 3 })), ctx)).to.deep.equal({ kind: "failed", reason: `SvarUt credentials not configured for orgnr ${A}` });
    sim.state.receivers.get(KOMMUNE)!.levels = [3];
    try {
      const refused = await channel().send(conversation(sbd({ level: 4 })), ctx);
      expect(refused).to.deep.include({ kind: "failed", code: "MOTTAKER_MANGLER_MOTTAKERSYSTEM", peer: "svarut", routedBy });
    } finally {
      sim.state.receivers.get(KOMMUNE)!.levels = [3, 4];
    }
    const down = await channel(undefined, "http://127.0.0.1:1").send(conversation(sbd({ level: 3 })), ctx);
    expect([down.kind, down.kind === "retry" && down.peer, down.kind === "retry" && /^SvarUt cannot be reached/.test(down.reason)]).to.deep.equal(["retry", "svarut", true]);
  });

  it("does not send an arkivmelding_kvittering: delivered with the reason, nothing at SvarUt", async () => {
    const before = sim.state.forsendelser.size;
    const out = await channel().send(conversation(sbd({ type: "arkivmelding_kvittering" })), ctx);
    expect([out.kind, out.kind === "delivered" && out.description, sim.state.forsendelser.size]).to.deep.equal(["delivered", "not sent: an arkivmelding_kvittering is not sent over DPF (a municipality's archive cannot process it)", before]);
  });

  it("polls SvarUt's state into the DPF model's statuses", async () => {
    const out = await channel().send(conversation(sbd({ level: 3 })), ctx);
    const id = (out as { externalReference: string }).externalReference;
    const poller = new DpfStatusPoller({ svarUt: createSvarUtClient({ baseUrl: sim.url, token: fiks.token }), accountOf: () => sandboxAccount(A), clock: fixedClock("2026-12-03T12:00:00Z") });
    const c = { externalReference: id, senderIdentifier: `0192:${A}` } as Conversation;
    const seen: [string, string[]][] = [];
    for (const s of ["MOTTATT", "AKSEPTERT", "KLAR_FOR_MOTTAK", "LEST", "SENDT_PRINT", "AVVIST", "MANUELT_HANDTERT", "IKKE_LEVERT"] as SvarUtStatus[]) {
      sim.setStatus(id, s);
      seen.push([s, (await poller.poll(c)).map((u) => `${u.status}${u.description ? ` (${u.description})` : ""}`)]);
    }
    expect(seen).to.deep.equal([
      ["MOTTATT", []],
      ["AKSEPTERT", ["LEVERT (Akseptert)"]],
      ["KLAR_FOR_MOTTAK", ["KLAR_FOR_MOTTAK"]],
      ["LEST", ["LEST"]],
      ["SENDT_PRINT", ["LEST (Sendt print)"]],
      ["AVVIST", ["AVVIST (Avvist)"]],
      ["MANUELT_HANDTERT", ["MANUELT_HÅNDTERT (Manuelt håndtert)"]],
      ["IKKE_LEVERT", ["FEIL (Ikke levert)"]],
    ]);
    const unknown = await poller.poll({ externalReference: "00000000-0000-4000-8000-000000000000", senderIdentifier: `0192:${A}` } as Conversation);
    expect(unknown.map((u) => [u.status, u.description, u.at.toISOString()])).to.deep.equal([["FEIL", UNKNOWN_FORSENDELSE, "2026-12-03T12:00:00.000Z"]]);
  });
});
