/**
 * An honest local KS FIKS SvarUt + SvarInn on node:http (spec/eformidling.md §4; paths of fiks-svarut-klient
 * 4.8.0 and the integrasjonspunkt's SvarInnClient):
 *   SvarUt REST, with what fiks-svarut-klient's IntegrasjonAuthenticationStrategy sends: `Authorization: Bearer`
 *   a Maskinporten token (verified against the issuer's JWKS; scope ks:fiks) whose consumer is the organisation
 *   the integration is authorised for, and `IntegrasjonId` + `IntegrasjonPassord` of an integration allowed the
 *   path's konto (the REST API takes no HTTP Basic):
 *     POST {url}/api/v3/kontoer/{kontoId}/forsendelser/organisasjon    multipart forsendelse + filer_<n> → {"id"}
 *     POST {url}/api/v3/kontoer/{kontoId}/forsendelser/status/sok      {"id":[...]} → {"statuser":[{id,status,sisteStatusEndring}]}
 *     GET  {url}/api/v2/forsendelsestyper                              the integration's kontoer's forsendelsestyper
 *     GET  {url}/api/v2/kontoer/{kontoId}/forsendelser/?eksternRef=    {"forsendelseIds":[...]} of the konto (EksternRefKlientV2)
 *   SvarInn, HTTP Basic of the receiving organisation's SvarInn user, under {url}/tjenester/svarinn:
 *     GET  /mottaker/hentNyeForsendelser                                forsendelser ready for it (JSON array)
 *     GET  /forsendelse/{id}                                           the documents as a zip, CMS-encrypted to its certificate (marks LEST)
 *     POST /kvitterMottak/forsendelse/{id}                             received: it leaves the inbox
 *     POST /mottakFeilet/forsendelse/{id}                              {"feilmelding","permanent"}: could not be taken in
 *   Control (the sandbox's hand on SvarUt; not part of KS's API):
 *     POST {url}/sim/forsendelser/{id}/status                          {"status":"LEST"} moves a forsendelse
 * Tests drive the same through the returned object, which also puts forsendelser from other senders into a
 * SvarInn inbox and takes SvarUt down for a while.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock, type Clock } from "../../clock.js";
import { writeZip } from "../../dpi/zip.js";
import { encryptCms } from "../../packaging/index.js";
import { SvarUtError, takeForsendelse, type SvarUtKey } from "./intake.js";
import { isSvarUtStatus, SvarUtState, type ForsendelseRecord, type SvarSendesTil, type SvarUtIntegration, type SvarUtStatus } from "./state.js";
import { TokenError } from "../../maskinporten/errors.js";
import { createTokenVerifier } from "../../maskinporten/token-verifier.js";

export interface SvarUtSimOptions {
  port?: number;
  host?: string;
  /** SvarUt's key: the documents of a kryptert forsendelse are encrypted to its certificate (the SR's DPF records carry it). */
  key: SvarUtKey;
  /** The Maskinporten whose access tokens the REST API takes (issuer and JWKS). */
  maskinporten: { issuer: string; jwksUrl: string };
  state?: SvarUtState;
  /**
   * The sandbox's stand-in for KS's processing: an accepted forsendelse becomes KLAR_FOR_MOTTAK after
   * `klarForMottakMs`, and LEST `lestMs` after that when its receiver fetches nothing from SvarInn (a municipality's
   * own archive). Absent: forsendelser stay MOTTATT until moved.
   */
  autoAdvance?: { klarForMottakMs: number; lestMs: number } | undefined;
  clock?: Clock;
}

/** A forsendelse from someone else (a municipality) for an organisation's SvarInn inbox. */
export interface SvarInnDelivery {
  mottaker: string;
  tittel: string;
  svarSendesTil?: SvarSendesTil | undefined;
  svarPaForsendelse?: string | undefined;
  metadataFraAvleverendeSystem?: Record<string, unknown> | undefined;
  documents: { filnavn: string; mimeType: string; bytes: Uint8Array }[];
  /** The forsendelse's security level (SvarInn's `niva`); default 3. */
  niva?: 3 | 4 | undefined;
  /** What the zip holds instead of the documents (a broken forsendelse file). */
  zipOverride?: Uint8Array | undefined;
}

export interface SvarUtSim {
  /** Base URL of SvarUt's REST API (no trailing slash). */
  readonly url: string;
  /** Base URL of SvarInn (`{url}/tjenester/svarinn`). */
  readonly svarInnUrl: string;
  readonly state: SvarUtState;
  forsendelse(id: string): ForsendelseRecord | undefined;
  /** The forsendelse an integrasjonspunkt sent with this eksternReferanse (its messageId). */
  byEksternReferanse(ref: string): ForsendelseRecord | undefined;
  setStatus(id: string, status: SvarUtStatus): void;
  putInSvarInn(d: SvarInnDelivery): string;
  /** While down, every request is answered 503. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const JSON_TYPE = "application/json";
/** KS Fiks's Maskinporten scope, which every SvarUt REST call needs. */
const KS_FIKS_SCOPE = "ks:fiks";

export async function startSvarUtSim(options: SvarUtSimOptions): Promise<SvarUtSim> {
  const state = options.state ?? new SvarUtState();
  const clock = options.clock ?? systemClock;
  const zipOverrides = new Map<string, Uint8Array>();
  const timers = new Set<NodeJS.Timeout>();
  let down = false;

  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  const advance = (f: ForsendelseRecord) => {
    const a = options.autoAdvance;
    if (!a) return;
    later(a.klarForMottakMs, () => {
      if (state.status(f).status !== "MOTTATT") return;
      state.setStatus(f.id, "KLAR_FOR_MOTTAK", clock());
      if (state.receivers.get(f.mottaker.orgnr)?.svarInn) return;
      later(a.lestMs, () => {
        if (state.status(f).status === "KLAR_FOR_MOTTAK") state.setStatus(f.id, "LEST", clock());
      });
    });
  };

  const tokens = createTokenVerifier({ issuer: options.maskinporten.issuer, jwksUrl: options.maskinporten.jwksUrl, requiredScope: KS_FIKS_SCOPE, clock });
  /** The integration the request authenticates as (token, then integration), and the konto of the path when it names one. */
  const integration = async (req: IncomingMessage): Promise<SvarUtIntegration> => {
    const h = req.headers.authorization ?? "";
    if (!/^Bearer\s+\S+$/i.test(h)) throw new SvarUtError(401, "MANGLER_TOKEN", "Mangler Maskinporten-token (Authorization: Bearer)");
    let consumerOrgno: string;
    try {
      consumerOrgno = (await tokens.verify(h.replace(/^Bearer\s+/i, ""))).consumerOrgno;
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      if (e.kind === "forbidden") throw new SvarUtError(403, "MANGLER_SCOPE", `Maskinporten-tokenet mangler scope ${KS_FIKS_SCOPE}`);
      throw new SvarUtError(401, "UGYLDIG_TOKEN", `Ugyldig Maskinporten-token (${e.code})`);
    }
    const id = req.headers.integrasjonid;
    const passord = req.headers.integrasjonpassord;
    if (typeof id !== "string" || typeof passord !== "string") throw new SvarUtError(401, "MANGLER_INTEGRASJON", "Mangler IntegrasjonId eller IntegrasjonPassord");
    const i = state.integrations.get(id);
    // Unknown integration or wrong password: one answer, so a guess does not learn which ids exist.
    if (!i || i.passord !== passord) throw new SvarUtError(401, "UGYLDIG_INTEGRASJON", "Ukjent integrasjon eller feil passord");
    if (i.orgnr !== consumerOrgno) throw new SvarUtError(403, "INTEGRASJON_IKKE_AUTORISERT", `Integrasjonen er ikke autorisert for organisasjon ${consumerOrgno}`);
    return i;
  };
  const account = async (req: IncomingMessage, kontoId: string) => {
    const i = await integration(req);
    const a = state.accounts.get(kontoId);
    if (!a || !i.kontoer.includes(kontoId)) throw new SvarUtError(403, "INGEN_TILGANG", `Integrasjonen har ikke tilgang til konto ${kontoId}`);
    return a;
  };

  const svarInnReceiver = (req: IncomingMessage) => {
    const basic = basicCredentials(req);
    const r = basic ? state.svarInnOwner(basic.user, basic.password) : undefined;
    if (!r) throw new SvarUtError(401, "UAUTORISERT", "Ugyldig brukernavn eller passord");
    return r;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (down) throw new SvarUtError(503, "UTILGJENGELIG", "SvarUt er utilgjengelig");
    const url = new URL(req.url ?? "/", "http://sim");
    const p = url.pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
    const method = req.method ?? "GET";

    // SvarUt REST
    if (p[0] === "api" && p[1] === "v3" && p[2] === "kontoer" && p[4] === "forsendelser") {
      const a = await account(req, p[3]!);
      if (method === "POST" && p.length === 6 && p[5] === "organisasjon") {
        const form = await formOf(req);
        const f = await takeForsendelse(form, a, state, options.key, clock());
        state.forsendelser.set(f.id, f);
        advance(f);
        return json(res, 200, { id: f.id });
      }
      if (method === "POST" && p.length === 7 && p[5] === "status" && p[6] === "sok") {
        const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { id?: unknown };
        if (!Array.isArray(body.id)) throw new SvarUtError(400, "UGYLDIG_FORESPORSEL", "Mangler id");
        const statuser = (body.id as unknown[]).flatMap((id) => {
          const f = typeof id === "string" ? state.forsendelser.get(id) : undefined;
          if (!f || f.kontoId !== a.kontoId) return [];
          const s = state.status(f);
          return [{ id: f.id, status: s.status, sisteStatusEndring: s.at.toISOString() }];
        });
        return json(res, 200, { statuser });
      }
    }
    if (method === "GET" && p.join("/") === "api/v2/forsendelsestyper") {
      const i = await integration(req);
      return json(res, 200, [...new Set(i.kontoer.flatMap((k) => state.accounts.get(k)?.forsendelsestyper ?? []))]);
    }
    if (method === "GET" && p.length === 5 && p[0] === "api" && p[1] === "v2" && p[2] === "kontoer" && p[4] === "forsendelser") {
      const a = await account(req, p[3]!);
      const ref = url.searchParams.get("eksternRef");
      if (!ref) throw new SvarUtError(400, "MANGLER_EKSTERN_REF", "Mangler eksternRef");
      const ids = [...state.forsendelser.values()].filter((f) => f.kontoId === a.kontoId && f.eksternReferanse === ref).map((f) => f.id);
      return json(res, 200, { forsendelseIds: ids });
    }

    // SvarInn
    if (p[0] === "tjenester" && p[1] === "svarinn") {
      const r = svarInnReceiver(req);
      const rest = p.slice(2);
      if (method === "GET" && rest.join("/") === "mottaker/hentNyeForsendelser") {
        return json(res, 200, state.inbox(r.orgnr).map((f) => svarInnView(f, `${base}/tjenester/svarinn/forsendelse/${f.id}`)));
      }
      const f = rest.length >= 2 ? state.forsendelser.get(rest[rest.length - 1]!) : undefined;
      if (!f || f.mottaker.orgnr !== r.orgnr) throw new SvarUtError(404, "FORSENDELSE_IKKE_FUNNET", `Fant ikke forsendelse ${rest[rest.length - 1]}`);
      if (method === "GET" && rest.length === 2 && rest[0] === "forsendelse") {
        const zip = zipOverrides.get(f.id) ?? writeZip(f.documents.map((d) => ({ name: d.filnavn, data: d.bytes, method: "deflate" as const })));
        const cms = encryptCms(zip, r.svarInn!.certificatePem, "rsaes-oaep");
        f.svarInn.downloads++;
        if (state.status(f).status === "KLAR_FOR_MOTTAK") state.setStatus(f.id, "LEST", clock());
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": cms.length });
        return void res.end(cms);
      }
      if (method === "POST" && rest.length === 3 && rest[0] === "kvitterMottak" && rest[1] === "forsendelse") {
        f.svarInn.kvittert = true;
        return void res.writeHead(200).end();
      }
      if (method === "POST" && rest.length === 3 && rest[0] === "mottakFeilet" && rest[1] === "forsendelse") {
        const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { feilmelding?: unknown; permanent?: unknown };
        f.svarInn.feilet = { feilmelding: typeof body.feilmelding === "string" ? body.feilmelding : "", permanent: body.permanent === true };
        return void res.writeHead(200).end();
      }
    }

    // Control
    if (method === "POST" && p[0] === "sim" && p[1] === "forsendelser" && p[3] === "status" && p.length === 4) {
      const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { status?: unknown };
      if (typeof body.status !== "string" || !isSvarUtStatus(body.status) || !state.forsendelser.has(p[2]!)) throw new SvarUtError(400, "UGYLDIG_STATUS", "Ukjent forsendelse eller status");
      state.setStatus(p[2]!, body.status, clock());
      return void res.writeHead(204).end();
    }
    throw new SvarUtError(404, "IKKE_FUNNET", `Ingen ressurs ${method} ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = error instanceof SvarUtError ? error : new SvarUtError(500, "INTERN_FEIL", error instanceof Error ? error.message : String(error));
      const body = e.body(req.url ?? "/", clock());
      const challenge = e.status !== 401 ? {} : { "www-authenticate": (req.url ?? "").startsWith("/tjenester/svarinn") ? 'Basic realm="SvarInn"' : 'Bearer realm="SvarUt"' };
      res.writeHead(e.status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body), ...challenge });
      res.end(body);
    });
  });
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve(server.address() as AddressInfo));
  });
  const base = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: base,
    svarInnUrl: `${base}/tjenester/svarinn`,
    state,
    forsendelse: (id) => state.forsendelser.get(id),
    byEksternReferanse: (ref) => [...state.forsendelser.values()].find((f) => f.eksternReferanse === ref),
    setStatus: (id, status) => void state.setStatus(id, status, clock()),
    putInSvarInn(d) {
      const receiver = state.receivers.get(d.mottaker);
      if (!receiver?.svarInn) throw new RangeError(`${d.mottaker} has no SvarInn inbox here`);
      const id = state.newId();
      const at = clock();
      state.forsendelser.set(id, {
        id,
        kontoId: undefined,
        mottaker: { orgnr: receiver.orgnr, navn: receiver.navn },
        tittel: d.tittel,
        eksternReferanse: undefined,
        sikkerhetsniva: d.niva === 4 ? "HOYESTE" : "BETYDELIG",
        forsendelsestype: undefined,
        svarSendesTil: d.svarSendesTil,
        svarPaForsendelse: d.svarPaForsendelse,
        metadataFraAvleverendeSystem: d.metadataFraAvleverendeSystem,
        documents: d.documents.map((x) => ({ filnavn: x.filnavn, mimeType: x.mimeType, bytes: Buffer.from(x.bytes) })),
        raw: d,
        history: [
          { status: "MOTTATT", at },
          { status: "KLAR_FOR_MOTTAK", at },
        ],
        svarInn: { kvittert: false, downloads: 0 },
      });
      if (d.zipOverride) zipOverrides.set(id, d.zipOverride);
      return id;
    },
    setDown: (d) => void (down = d),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** SvarInn's Forsendelse JSON (the integrasjonspunkt's fiks/svarinn/Forsendelse.java reads these fields). */
function svarInnView(f: ForsendelseRecord, downloadUrl: string) {
  const sst = f.svarSendesTil;
  return {
    id: f.id,
    tittel: f.tittel,
    downloadUrl,
    svarPaForsendelse: f.svarPaForsendelse ?? null,
    mottaker: { orgnr: f.mottaker.orgnr, navn: f.mottaker.navn },
    svarSendesTil: {
      navn: sst?.navn ?? null,
      adresse1: sst?.adresse?.adresselinje1 ?? null,
      postnr: sst?.adresse?.postnummer ?? null,
      poststed: sst?.adresse?.poststed ?? null,
      land: sst?.adresse?.land ?? null,
      orgnr: sst?.orgnr ?? null,
      fnr: sst?.fnr ?? null,
    },
    filmetadata: f.documents.map((d) => ({ filnavn: d.filnavn, mimetype: d.mimeType, sha256hash: sha256(d.bytes), dokumentType: null, size: d.bytes.length })),
    metadataFraAvleverendeSystem: f.metadataFraAvleverendeSystem ?? null,
    // A string, as SvarInn clients read it (e.g. no.fk.model.Forsendelse's `String niva`).
    niva: f.sikkerhetsniva === "HOYESTE" ? "4" : "3",
  };
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(h.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function formOf(req: IncomingMessage): Promise<FormData> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) throw new SvarUtError(415, "UGYLDIG_INNHOLDSTYPE", "Forventet multipart/form-data");
  try {
    return await new Response(new Uint8Array(await readBody(req)), { headers: { "content-type": type } }).formData();
  } catch {
    throw new SvarUtError(400, "UGYLDIG_MULTIPART", "Kunne ikke lese multipart-innholdet");
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}
