import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createSvarUtClient, basic, SvarUtRefusedError, SvarUtUnavailableError, type SvarUtClient } from "../../src/channels/dpf/svarut-client.js";
import type { OrganisasjonForsendelse } from "../../src/channels/dpf/forsendelse.js";
import { readZip } from "../../src/dpi/zip.js";
import { decryptCms, encryptCms } from "../../src/packaging/index.js";
import { loadDefaultSvarUtOptions, startSvarUtSim, SVARUT_SANDBOX, type SvarUtSim } from "../../src/sim/svarut/index.js";
import { CERTS } from "../helpers/certs.js";
import { sandboxAccount, startFiksTokens, type FiksTokens } from "../helpers/fiks-tokens.js";

const SVARUT_CERT = readFileSync(path.join(CERTS, "business/987654325.pem"), "utf8");
const A = "991825827";
const B = "810969342";
const account = sandboxAccount(A);
const PDF = Buffer.from("%PDF-1.4 brev\n");

function forsendelse(o: Partial<OrganisasjonForsendelse> = {}): OrganisasjonForsendelse {
  return {
    tittel: "Vedtak om byggeløyve",
    eksternReferanse: "11111111-1111-4111-8111-111111111111",
    forsendelsestype: null,
    kunDigitalLevering: false,
    kryptert: true,
    konteringskode: null,
    sikkerhetsniva: "BETYDELIG",
    svarPaForsendelseId: null,
    mottaker: { navn: "Bergen", organisasjonsnummer: "910075924", adresse: { adresselinje1: "Rådhuset", postnummer: "5020", poststed: "BERGEN" } },
    svarSendesTil: { navn: "Avsender", type: "ORGANISASJON", identifikator: A, adresse: { adresselinje1: "Postboks 1", postnummer: "0114", poststed: "OSLO" } },
    utskriftskonfigurasjon: { tosidig: true },
    metadataFraAvleverendeSystem: { tittel: "Vedtak", journalpostnummer: 7, saksbehandler: null },
    dokumenter: [
      { filnavn: "vedtak.pdf", mimeType: "application/pdf", skalEkskluderesFraUtskrift: false },
      { filnavn: "vedlegg.txt", mimeType: "text/plain", skalEkskluderesFraUtskrift: null },
    ],
    ...o,
  };
}

const parts = () => [
  { filnavn: "vedtak.pdf", mimeType: "application/pdf", bytes: encryptCms(PDF, SVARUT_CERT, "rsaes-oaep") },
  { filnavn: "vedlegg.txt", mimeType: "text/plain", bytes: encryptCms(Buffer.from("vedlegg"), SVARUT_CERT, "rsaes-oaep") },
];

describe("SvarUt + SvarInn simulator, through our SvarUt client", () => {
  let sim: SvarUtSim;
  let client: SvarUtClient;
  let fiks: FiksTokens;
  before(async () => {
    fiks = await startFiksTokens();
    sim = await startSvarUtSim(await loadDefaultSvarUtOptions({ maskinporten: fiks.issuer }));
    client = createSvarUtClient({ baseUrl: sim.url, token: fiks.token });
  });
  after(async () => {
    await sim.close();
    await fiks.close();
  });
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return "accepted";
    } catch (e) {
      return e instanceof SvarUtRefusedError ? `${e.status} ${e.errorCode}` : String(e);
    }
  };

  it("takes a forsendelse, opens its documents with SvarUt's key, and reports its state as it moves", async () => {
    const id = await client.send(account, forsendelse(), parts());
    const f = sim.forsendelse(id)!;
    expect([f.mottaker.orgnr, f.tittel, f.eksternReferanse, f.sikkerhetsniva, f.kontoId]).to.deep.equal(["910075924", "Vedtak om byggeløyve", "11111111-1111-4111-8111-111111111111", "BETYDELIG", account.kontoId]);
    expect(f.documents.map((d) => [d.filnavn, d.mimeType, d.bytes.toString("utf8")])).to.deep.equal([
      ["vedtak.pdf", "application/pdf", PDF.toString("utf8")],
      ["vedlegg.txt", "text/plain", "vedlegg"],
    ]);
    expect((await client.statuses(account, [id])).map((s) => [s.id, s.status])).to.deep.equal([[id, "MOTTATT"]]);
    sim.setStatus(id, "KLAR_FOR_MOTTAK");
    sim.setStatus(id, "LEST");
    expect((await client.statuses(account, [id, "00000000-0000-4000-8000-000000000000"])).map((s) => s.status)).to.deep.equal(["LEST"]);
    // Another organisation's account does not see it.
    const other = sandboxAccount(B);
    expect(await client.statuses(other, [id])).to.deep.equal([]);
  });

  it("refuses what SvarUt refuses, with its error codes", async () => {
    expect(await code(client.send(account, forsendelse({ sikkerhetsniva: "HOYESTE", mottaker: { navn: null, organisasjonsnummer: "910075927", adresse: { adresselinje1: null, postnummer: null, poststed: null } } }), parts()))).to.equal(
      "400 MOTTAKER_MANGLER_MOTTAKERSYSTEM",
    );
    expect(await code(client.send(account, forsendelse({ tittel: null }), parts()))).to.equal("400 MANGLER_TITTEL");
    expect(await code(client.send(account, forsendelse({ forsendelsestype: "ukjent" }), parts()))).to.equal("400 UGYLDIG_FORSENDELSESTYPE");
    const plain = [{ filnavn: "vedtak.pdf", mimeType: "application/pdf", bytes: PDF }, parts()[1]!];
    expect(await code(client.send(account, forsendelse(), plain))).to.equal("400 KAN_IKKE_DEKRYPTERE");
    expect(await code(client.send(account, forsendelse({ sikkerhetsniva: "HOYESTE" }), parts()))).to.equal("accepted");
    expect(await client.forsendelsestyper(account)).to.deep.equal(["byggesak", "politisk-sak"]);
  });

  it("authenticates as SvarUt's REST API does: a Maskinporten token with ks:fiks of the integration's organisation, and the integration allowed the konto", async () => {
    // Each refusal below changes one thing of a request that is otherwise accepted.
    expect(await code(client.statuses(account, []))).to.equal("accepted");
    const withToken = (token: (orgnr: string) => Promise<string>) => createSvarUtClient({ baseUrl: sim.url, token });
    expect(await code(withToken(async () => "not-a-jwt").statuses(account, []))).to.equal("401 UGYLDIG_TOKEN");
    const wrongScope = async () => (await (await fiks.grants(A)).getToken({ scope: "digitalpostinnbygger:send" })).access_token;
    expect(await code(withToken(wrongScope).statuses(account, []))).to.equal("403 MANGLER_SCOPE");
    expect(await code(withToken(() => fiks.token(B)).statuses(account, []))).to.equal("403 INTEGRASJON_IKKE_AUTORISERT");
    expect(await code(client.statuses({ ...account, integrasjonId: "00000000-0000-4000-9000-000000000000" }, []))).to.equal("401 UGYLDIG_INTEGRASJON");
    expect(await code(client.statuses({ ...account, integrasjonPassord: "feil" }, []))).to.equal("401 UGYLDIG_INTEGRASJON");
    expect(await code(client.send({ ...account, kontoId: SVARUT_SANDBOX.kontoId(B) }, forsendelse(), parts()))).to.equal("403 INGEN_TILGANG");
    expect(await code(client.forsendelsestyper({ ...account, integrasjonPassord: "feil" }))).to.equal("401 UGYLDIG_INTEGRASJON");
    // The REST API takes no Basic, and names Bearer in its challenge; nor a token without the integration headers.
    const path = `/api/v3/kontoer/${account.kontoId}/forsendelser/status/sok`;
    const basicAnswer = await fetch(`${sim.url}${path}`, { method: "POST", headers: { authorization: basic(account.kontoId, "sandbox"), "content-type": "application/json" }, body: '{"id":[]}' });
    expect([basicAnswer.status, ((await basicAnswer.json()) as { errorCode: string }).errorCode, basicAnswer.headers.get("www-authenticate")]).to.deep.equal([401, "MANGLER_TOKEN", 'Bearer realm="SvarUt"']);
    const tokenOnly = await fetch(`${sim.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${await fiks.token(A)}`, "content-type": "application/json" }, body: '{"id":[]}' });
    expect([tokenOnly.status, ((await tokenOnly.json()) as { errorCode: string }).errorCode]).to.deep.equal([401, "MANGLER_INTEGRASJON"]);
  });

  it("refuses an expired token (checked against the Maskinporten simulator's JWKS at /jwk)", async () => {
    const later = await startSvarUtSim({ ...(await loadDefaultSvarUtOptions({ maskinporten: fiks.issuer })), clock: () => new Date(Date.now() + 3 * 3_600_000) });
    try {
      const e = await createSvarUtClient({ baseUrl: later.url, token: fiks.token }).statuses(account, []).then(() => undefined, (err: unknown) => err as SvarUtRefusedError);
      expect([e?.status, e?.errorCode]).to.deep.equal([401, "UGYLDIG_TOKEN"]);
      expect(e!.message).to.contain("(token-expired)");
    } finally {
      await later.close();
    }
  });

  it("finds the forsendelser of an eksternReferanse in the konto (EksternRefKlientV2), not another's", async () => {
    const ref = "22222222-2222-4222-8222-222222222222";
    expect(await client.forsendelserMedEksternRef(account, ref)).to.deep.equal([]);
    const id = await client.send(account, forsendelse({ eksternReferanse: ref }), parts());
    expect(await client.forsendelserMedEksternRef(account, ref)).to.deep.equal([id]);
    expect(await client.forsendelserMedEksternRef(sandboxAccount(B), ref)).to.deep.equal([]);
  });

  it("is unavailable while down, and a connection that fails is unavailable too", async () => {
    sim.setDown(true);
    try {
      const e = await client.statuses(account, []).then(() => undefined, (err: unknown) => err);
      expect(e).to.be.instanceOf(SvarUtUnavailableError);
    } finally {
      sim.setDown(false);
    }
    const gone = createSvarUtClient({ baseUrl: "http://127.0.0.1:1", token: fiks.token });
    expect(await gone.statuses(account, []).then(() => undefined, (err: unknown) => (err as Error).constructor.name)).to.equal("SvarUtUnavailableError");
  });

  it("SvarInn: offers a forsendelse to its receiver, encrypted to the receiver's certificate; LEST on download, gone after kvitterMottak", async () => {
    const id = sim.putInSvarInn({
      mottaker: A,
      tittel: "Svar frå kommunen",
      svarSendesTil: { navn: "Bergen kommune", orgnr: "910075924", adresse: { adresselinje1: "Rådhuset", postnummer: "5020", poststed: "BERGEN" } },
      documents: [{ filnavn: "svar.pdf", mimeType: "application/pdf", bytes: PDF }],
    });
    const auth = { authorization: basic(SVARUT_SANDBOX.svarInnUser(A), "sandbox") };
    const list = (await (await fetch(`${sim.svarInnUrl}/mottaker/hentNyeForsendelser`, { headers: auth })).json()) as { id: string; downloadUrl: string; svarSendesTil: { orgnr: string }; filmetadata: { filnavn: string; size: number }[] }[];
    expect(list.map((f) => [f.id, f.svarSendesTil.orgnr, f.filmetadata.map((m) => [m.filnavn, m.size])])).to.deep.equal([[id, "910075924", [["svar.pdf", PDF.length]]]]);
    expect((await fetch(`${sim.svarInnUrl}/mottaker/hentNyeForsendelser`, { headers: { authorization: basic("svarinn-810969342", "sandbox") } }).then((r) => r.json()))).to.deep.equal([]);
    const cms = new Uint8Array(await (await fetch(list[0]!.downloadUrl, { headers: auth })).arrayBuffer());
    const key = readFileSync(path.join(CERTS, `business/${A}.key.pem`), "utf8");
    const zip = readZip(decryptCms(cms, key, readFileSync(path.join(CERTS, `business/${A}.pem`), "utf8")).content);
    expect(zip.entries.map((e) => [e.name, Buffer.from(e.data).toString("utf8")])).to.deep.equal([["svar.pdf", PDF.toString("utf8")]]);
    expect(sim.state.status(sim.forsendelse(id)!).status).to.equal("LEST");
    expect((await fetch(`${sim.svarInnUrl}/kvitterMottak/forsendelse/${id}`, { method: "POST", headers: auth })).status).to.equal(200);
    sim.setStatus(id, "KLAR_FOR_MOTTAK");
    expect(await (await fetch(`${sim.svarInnUrl}/mottaker/hentNyeForsendelser`, { headers: auth })).json()).to.deep.equal([]);
    expect((await fetch(`${sim.svarInnUrl}/mottaker/hentNyeForsendelser`, { headers: { authorization: basic(SVARUT_SANDBOX.svarInnUser(A), "feil") } })).status).to.equal(401);
  });

  it("SvarInn: mottakFeilet keeps the reason, and a permanent failure leaves the inbox", async () => {
    const id = sim.putInSvarInn({ mottaker: A, tittel: "Øydelagd", documents: [{ filnavn: "a.pdf", mimeType: "application/pdf", bytes: PDF }] });
    const auth = { authorization: basic(SVARUT_SANDBOX.svarInnUser(A), "sandbox"), "content-type": "application/json" };
    const r = await fetch(`${sim.svarInnUrl}/mottakFeilet/forsendelse/${id}`, { method: "POST", headers: auth, body: JSON.stringify({ feilmelding: "kan ikke konverteres", permanent: true }) });
    expect(r.status).to.equal(200);
    expect(sim.forsendelse(id)!.svarInn.feilet).to.deep.equal({ feilmelding: "kan ikke konverteres", permanent: true });
    expect(sim.state.inbox(A).map((f) => f.id)).to.not.include(id);
  });
});
