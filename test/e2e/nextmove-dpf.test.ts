import { expect } from "chai";
import { NextMoveClient } from "../../src/client/nextmove-client.js";
import { readZip } from "../../src/dpi/zip.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { SR_SANDBOX } from "../../src/sim/service-registry/index.js";
import type { SvarUtSim } from "../../src/sim/svarut/index.js";
import { DpiNetwork, eventually, SENDERS } from "../helpers/dpi-network.js";

/**
 * An archive system sends arkivmeldinger to a municipality over DPF and receives one from a municipality, through
 * the NextMove API of an access point whose SvarUt and SvarInn are the sandbox's simulator: the Service Registry
 * routes 910075924 to DPF (levels 3 and 4), the access point sends each forsendelse to SvarUt with its documents
 * encrypted to SvarUt's certificate, and polls SvarUt for what the test makes of it; SvarInn's forsendelser for
 * 991825827 are fetched, converted, offered on /api/messages/in and acknowledged.
 */

const ORG = "991825827";
const MUNICIPALITY = SR_SANDBOX.dpf;
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

function arkivmeldingXml(title: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappe xsi:type="saksmappe"><systemID>sak-1</systemID>
    <basisregistrering xsi:type="journalpost"><systemID>jp-1</systemID><tittel>${title}</tittel><offentligTittel>${title}</offentligTittel>
      <korrespondansepart><korrespondanseparttype>Avsender</korrespondanseparttype><korrespondansepartNavn>Digdir arkiv</korrespondansepartNavn>
        <postadresse>Postboks 1382 Vika</postadresse><postnummer>0114</postnummer><poststed>OSLO</poststed><saksbehandler>Sara Saksbehandler</saksbehandler></korrespondansepart>
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Vedlegg</tilknyttetRegistreringSom><dokumentnummer>2</dokumentnummer>
        <dokumentobjekt><referanseDokumentfil>vedlegg.txt</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer>
        <dokumentobjekt><referanseDokumentfil>brev.pdf</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <journalpostnummer>42</journalpostnummer>
    </basisregistrering>
  </mappe>
</arkivmelding>`,
    "utf8",
  );
}

function sbd(receiver: string, level?: 3 | 4) {
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${ORG}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${receiver}` } }],
      documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding", typeVersion: "2.0", type: "arkivmelding" },
      businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0" }] },
    },
    arkivmelding: { ...(level ? { sikkerhetsnivaa: level } : {}), hoveddokument: "brev.pdf" },
  };
}

const files = (title: string) => [
  { filename: "arkivmelding.xml", title: "arkivmelding", mimeType: "application/xml", bytes: arkivmeldingXml(title) },
  { filename: "vedlegg.txt", title: "Vedlegg", mimeType: "text/plain", bytes: Buffer.from("vedlegg") },
  { filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF },
];

function idOf(body: unknown): string {
  return (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
}

describe("e2e: DPF over the NextMove API, with SvarUt and SvarInn", function () {
  this.timeout(90_000);
  let net: DpiNetwork;
  let ap: RunningAccessPoint;
  let svarUt: SvarUtSim;
  let arkiv: NextMoveClient;

  const stored = async (id: string, direction: "OUT" | "IN" = "OUT") => (await ap.repo.conversations.statuses(direction, id)).map((s) => s.status);
  const until = (id: string, status: string, direction: "OUT" | "IN" = "OUT") =>
    eventually(status, async () => {
      const s = await stored(id, direction);
      return s.includes(status) ? s : undefined;
    });
  const forsendelseOf = (id: string) => eventually("the forsendelse at SvarUt", async () => svarUt.byEksternReferanse(id));

  before(async () => {
    net = await DpiNetwork.start();
    svarUt = net.sandbox.svarUt;
    ap = await net.corner({
      name: "c2",
      seat: "POP000001",
      served: SENDERS,
      receives: "receipts",
      env: {
        DPI_AP_NEXTMOVE_USERS: `arkiv:hemmelig:${ORG}`,
        DPI_AP_NEXTMOVE_CHANNELS: "DPI,DPF",
        DPI_AP_DPF_SVARUT_URL: svarUt.url,
        DPI_AP_DPF_SVARINN_URL: svarUt.svarInnUrl,
        DPI_AP_DPF_SVARINN_POLL_MS: "200",
        DPI_AP_STATUS_POLL_MS: "100",
        DPI_AP_STATUS_POLL_MIN_INTERVAL_MS: "200",
      },
    });
    arkiv = new NextMoveClient(ap.url, { user: "arkiv", password: "hemmelig" });
  });
  after(() => net?.close());

  for (const level of [3, 4] as const) {
    it(`sends at level ${level}: SvarUt gets the forsendelse, and its states come back as SENDT, KLAR_FOR_MOTTAK, LEST`, async () => {
      const answer = await arkiv.createAndSend(sbd(MUNICIPALITY, level), files(`Vedtak nivå ${level}`));
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      const id = idOf(answer.body);
      const f = await forsendelseOf(id);
      expect([f.mottaker.orgnr, f.tittel, f.sikkerhetsniva, f.kontoId]).to.deep.equal([MUNICIPALITY, `Vedtak nivå ${level}`, level === 4 ? "HOYESTE" : "BETYDELIG", "00000000-0000-4000-8000-991825827000"]);
      // The Hoveddokument first, opened by SvarUt with its key; arkivmelding.xml is not a document of the forsendelse.
      expect(f.documents.map((d) => [d.filnavn, d.mimeType, d.bytes.length])).to.deep.equal([
        ["brev.pdf", "application/pdf", PDF.length],
        ["vedlegg.txt", "text/plain", 7],
      ]);
      expect(f.svarSendesTil).to.deep.equal({ navn: "Digdir arkiv", orgnr: ORG, fnr: undefined, adresse: { adresselinje1: "Postboks 1382 Vika", postnummer: "0114", poststed: "OSLO", land: undefined } });
      expect(await until(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
      const c = (await arkiv.get(`/api/conversations/messageId/${id}`)).body as { externalSystemReference?: string; finished: boolean };
      expect(c.finished).to.equal(true);
      svarUt.setStatus(f.id, "KLAR_FOR_MOTTAK");
      expect(await until(id, "KLAR_FOR_MOTTAK")).to.deep.equal(["OPPRETTET", "SENDT", "KLAR_FOR_MOTTAK"]);
      svarUt.setStatus(f.id, "LEST");
      expect(await until(id, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "KLAR_FOR_MOTTAK", "LEST"]);
      // The archive system reads them in the integrasjonspunkt's words: KLAR_FOR_MOTTAK is its LEVERT.
      expect(await arkiv.statuses(id)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
    });
  }

  it("a forsendelse SvarUt refuses is FEIL at once, with SvarUt's reason", async () => {
    // The municipality's level-4 mottakersystem is gone at SvarUt, though the Service Registry still names level 4.
    const receiver = svarUt.state.receivers.get(MUNICIPALITY)!;
    const levels = receiver.levels;
    receiver.levels = [3];
    try {
      const answer = await arkiv.createAndSend(sbd(MUNICIPALITY, 4), files("Vedtak"));
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      const id = idOf(answer.body);
      expect(await until(id, "FEIL")).to.deep.equal(["OPPRETTET", "FEIL"]);
      const feil = (await ap.repo.conversations.statuses("OUT", id)).at(-1)!;
      expect(feil.description).to.equal(`SvarUt refused the request (400 MOTTAKER_MANGLER_MOTTAKERSYSTEM): Mottaker ${MUNICIPALITY} har ikke mottakersystem på sikkerhetsnivå 4`);
    } finally {
      receiver.levels = levels;
    }
  });

  it("SvarUt down for a while: the forsendelse is sent when it answers again", async () => {
    svarUt.setDown(true);
    let id: string;
    try {
      const answer = await arkiv.createAndSend(sbd(MUNICIPALITY, 3), files("Sendt etter nedetid"));
      expect(answer.status).to.equal(200);
      id = idOf(answer.body);
      await eventually("a failed attempt", async () => ((await ap.repo.conversations.get("OUT", id))!.attempts >= 1 ? true : undefined));
      expect(await stored(id)).to.deep.equal(["OPPRETTET"]);
    } finally {
      svarUt.setDown(false);
    }
    expect(await until(id, "SENDT")).to.deep.equal(["OPPRETTET", "SENDT"]);
    expect((await forsendelseOf(id)).tittel).to.equal("Sendt etter nedetid");
  });

  it("a municipality's forsendelse reaches the archive system: OPPRETTET, INNKOMMENDE_MOTTATT, INNKOMMENDE_LEVERT, and is acknowledged", async () => {
    const id = svarUt.putInSvarInn({
      mottaker: ORG,
      tittel: "Svar på søknad",
      svarSendesTil: { navn: "Bergen kommune", orgnr: MUNICIPALITY, adresse: { adresselinje1: "Rådhuset", postnummer: "5020", poststed: "BERGEN" } },
      metadataFraAvleverendeSystem: { saksaar: 2026, sakssekvensnummer: 12, journalpostnummer: "3", journalposttype: "U", journalstatus: "E" },
      documents: [
        { filnavn: "svar.pdf", mimeType: "application/pdf", bytes: PDF },
        { filnavn: "kart.png", mimeType: "image/png", bytes: Buffer.from("png") },
      ],
    });
    expect(await until(id, "INNKOMMENDE_MOTTATT", "IN")).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT"]);
    await eventually("kvitterMottak", async () => (svarUt.forsendelse(id)!.svarInn.kvittert ? true : undefined));
    const peek = await arkiv.get("/api/messages/in/peek");
    expect(peek.status).to.equal(200);
    const h = (peek.body as { standardBusinessDocumentHeader: { sender: { identifier: { value: string } }[]; receiver: { identifier: { value: string } }[]; documentIdentification: { instanceIdentifier: string; type: string } } }).standardBusinessDocumentHeader;
    expect([h.sender[0]!.identifier.value, h.receiver[0]!.identifier.value, h.documentIdentification.instanceIdentifier, h.documentIdentification.type]).to.deep.equal([`0192:${MUNICIPALITY}`, `0192:${ORG}`, id, "arkivmelding"]);
    const pop = await fetch(`${ap.url}/api/messages/in/pop/${id}`, { headers: { authorization: `Basic ${Buffer.from("arkiv:hemmelig").toString("base64")}` } });
    expect(pop.status).to.equal(200);
    const asic = readZip(new Uint8Array(await pop.arrayBuffer()));
    const names = asic.entries.map((e) => e.name).filter((n) => !n.startsWith("META-INF/") && n !== "mimetype" && n !== "manifest.xml");
    expect(names).to.deep.equal(["arkivmelding.xml", "svar.pdf", "kart.png"]);
    const xml = Buffer.from(asic.entries.find((e) => e.name === "arkivmelding.xml")!.data).toString("utf8");
    expect(xml).to.contain("<offentligTittel>Svar på søknad</offentligTittel>").and.contain("<journalposttype>Utgående dokument</journalposttype>").and.contain("<korrespondansepartNavn>Bergen kommune</korrespondansepartNavn>");
    expect((await arkiv.delete(`/api/messages/in/${id}`)).status).to.equal(200);
    expect(await stored(id, "IN")).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"]);
  });

  it("a forsendelse that cannot be converted is FEIL, reported to SvarInn with mottakFeilet, and never offered", async () => {
    const id = svarUt.putInSvarInn({
      mottaker: ORG,
      tittel: "Øydelagd forsendelse",
      svarSendesTil: { navn: "Bergen kommune", orgnr: MUNICIPALITY },
      documents: [{ filnavn: "svar.pdf", mimeType: "application/pdf", bytes: PDF }],
      zipOverride: Buffer.from("dette er ikke en zip"),
    });
    expect(await until(id, "FEIL", "IN")).to.deep.equal(["OPPRETTET", "FEIL"]);
    const f = await eventually("mottakFeilet", async () => svarUt.forsendelse(id)!.svarInn.feilet);
    expect(f.permanent).to.equal(true);
    expect(f.feilmelding).to.match(/^the forsendelse cannot be converted: the forsendelse file is not a readable zip: /);
    expect(svarUt.forsendelse(id)!.svarInn.kvittert).to.equal(false);
    const listed = (await arkiv.get(`/api/messages/in?messageId=${id}`)).body as { content: unknown[] };
    expect(listed.content).to.deep.equal([]);
  });

  it("checks a named forsendelseType against the types SvarUt offers the sender's account", async () => {
    const typed = (forsendelseType: string) => ({ ...sbd(MUNICIPALITY, 3), arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf", dpf: { forsendelseType } } });
    const refused = await arkiv.create(typed("ukjent-type"));
    expect([refused.status, (refused.body as { code?: string }).code, (refused.body as { detail?: string }).detail]).to.deep.equal([
      400,
      "nextmove-forsendelse-type-not-found",
      "Found forsendelseType ukjent-type, but valid types are byggesak,politisk-sak",
    ]);
    const answer = await arkiv.createAndSend(typed("byggesak"), files("Byggesak"));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect((await forsendelseOf(idOf(answer.body))).forsendelsestype).to.equal("byggesak");
  });

  it("an arkivmelding_kvittering to a municipality is not sent, and marked so", async () => {
    const kvittering = {
      standardBusinessDocumentHeader: {
        ...sbd(MUNICIPALITY).standardBusinessDocumentHeader,
        documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering", typeVersion: "2.0", type: "arkivmelding_kvittering" },
        businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:arkivmelding:response:ver1.0" }] },
      },
      arkivmelding_kvittering: { receiptType: "OK", relatedToMessageId: "0b0f0e0d-0000-4000-8000-000000000001" },
    };
    const created = await arkiv.create(kvittering);
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    const id = idOf(created.body);
    expect((await arkiv.send(id)).status).to.equal(200);
    expect(await until(id, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
    expect(svarUt.byEksternReferanse(id)).to.equal(undefined);
    const last = (await ap.repo.conversations.statuses("OUT", id)).at(-1)!;
    expect(last.description).to.match(/^not sent: an arkivmelding_kvittering is not sent over DPF/);
  });
});
