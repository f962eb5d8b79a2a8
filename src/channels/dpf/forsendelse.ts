import type { InfoRecord } from "../../routing/service-registry/records.js";
import type { ArkivmeldingInfo, Korrespondansepart } from "../../sbd/index.js";

/**
 * The SvarUt forsendelse of an outgoing arkivmelding, as the integrasjonspunkt's FiksRestMapper makes it
 * (spec/eformidling.md §4.1): eksternReferanse = messageId; tittel = the journalpost's offentligTittel;
 * mottaker from the receiver's Service Registry info record; svarSendesTil from the arkivmelding's Avsender
 * korrespondansepart (else the sender's info record); svarPaForsendelseId = the ReceiverRef scope when it is a
 * UUID; the documents are the arkivmelding's dokumentobjekter, Hoveddokument first; security level 4 asks for
 * SvarUt's highest (HOYESTE), anything else BETYDELIG. The JSON field names follow fiks-svarut-klient's v3
 * OrganisasjonForsendelse builder (its model classes come from a spec repository we have not seen:
 * the names of the nested objects' fields are our reading, see README "DPF").
 */

export interface Adresse {
  adresselinje1: string | null;
  postnummer: string | null;
  poststed: string | null;
}

export type Sikkerhetsniva = "BETYDELIG" | "HOYESTE";

export interface OrganisasjonForsendelse {
  tittel: string | null;
  eksternReferanse: string;
  forsendelsestype: string | null;
  kunDigitalLevering: boolean;
  kryptert: boolean;
  konteringskode: string | null;
  sikkerhetsniva: Sikkerhetsniva;
  svarPaForsendelseId: string | null;
  mottaker: { navn: string | null; organisasjonsnummer: string; adresse: Adresse };
  svarSendesTil: { navn: string | null; type: "ORGANISASJON"; identifikator: string; adresse: Adresse };
  utskriftskonfigurasjon: { tosidig: boolean };
  metadataFraAvleverendeSystem: { tittel: string | null; journalpostnummer: number | null; saksbehandler: string | null };
  dokumenter: { filnavn: string; mimeType: string; skalEkskluderesFraUtskrift: boolean | null }[];
}

export interface ForsendelseInput {
  messageId: string;
  /** The sending organisation (the on-behalf-of organisation where the SBD names one). */
  senderOrg: string;
  receiverOrg: string;
  arkivmelding: ArkivmeldingInfo;
  /** The uploaded files: name → MIME type. */
  files: ReadonlyMap<string, string>;
  receiverInfo: InfoRecord;
  /** Asked only when the arkivmelding has no Avsender. */
  senderInfo: () => Promise<InfoRecord>;
  level: number;
  receiverRef?: string | undefined;
  forsendelsestype?: string | undefined;
  kunDigitalLevering: boolean;
  konteringskode?: string | undefined;
}

/** An arkivmelding dokumentobjekt names a file the message does not have. */
export class ForsendelseFileMissingError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function sikkerhetsnivaOf(level: number): Sikkerhetsniva {
  return level === 4 ? "HOYESTE" : "BETYDELIG";
}

export async function organisasjonForsendelse(i: ForsendelseInput): Promise<OrganisasjonForsendelse> {
  const dokumenter = i.arkivmelding.documentFiles.map((filnavn) => {
    const mimeType = i.files.get(filnavn);
    if (mimeType === undefined) throw new ForsendelseFileMissingError(`File '${filnavn}' referenced in '${i.messageId}' not found`);
    // PDFs are printed; other files are left to SvarUt's choice (the IP's ekskluderesFraPrint list is empty by default).
    return { filnavn, mimeType, skalEkskluderesFraUtskrift: /\.pdf$/i.test(filnavn) ? false : null };
  });
  const avsender = i.arkivmelding.avsender;
  const svarSendesTil = avsender ? fromKorrespondansepart(avsender, i.senderOrg) : fromInfo(await i.senderInfo(), i.senderOrg);
  return {
    tittel: i.arkivmelding.offentligTittel ?? null,
    eksternReferanse: i.messageId,
    forsendelsestype: i.forsendelsestype ?? null,
    kunDigitalLevering: i.kunDigitalLevering,
    kryptert: true,
    konteringskode: i.konteringskode ?? null,
    sikkerhetsniva: sikkerhetsnivaOf(i.level),
    svarPaForsendelseId: i.receiverRef !== undefined && UUID.test(i.receiverRef) ? i.receiverRef : null,
    mottaker: { navn: i.receiverInfo.organizationName, organisasjonsnummer: i.receiverOrg, adresse: addressOf(i.receiverInfo) },
    svarSendesTil,
    utskriftskonfigurasjon: { tosidig: true },
    metadataFraAvleverendeSystem: {
      tittel: i.arkivmelding.offentligTittel ?? null,
      journalpostnummer: i.arkivmelding.journalpostnummer !== undefined ? Number(i.arkivmelding.journalpostnummer) : null,
      saksbehandler: avsender?.saksbehandler ?? null,
    },
    dokumenter,
  };
}

function fromKorrespondansepart(k: Korrespondansepart, orgnr: string): OrganisasjonForsendelse["svarSendesTil"] {
  return {
    navn: k.korrespondansepartNavn ?? null,
    type: "ORGANISASJON",
    identifikator: orgnr,
    adresse: { adresselinje1: k.postadresse.join(" "), postnummer: k.postnummer ?? null, poststed: k.poststed ?? null },
  };
}

function fromInfo(info: InfoRecord, orgnr: string): OrganisasjonForsendelse["svarSendesTil"] {
  return { navn: info.organizationName, type: "ORGANISASJON", identifikator: orgnr, adresse: addressOf(info) };
}

function addressOf(info: InfoRecord): Adresse {
  const a = info.postadresse;
  return { adresselinje1: a?.adresse ?? null, postnummer: a?.postnummer ?? null, poststed: a?.poststed ?? null };
}
