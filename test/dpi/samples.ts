/**
 * Schema-valid DPI forretningsmelding payloads for every message type, built in code. Each builder returns
 * a fresh object, so tests may mutate it. The organisation numbers are those of Digdir's public examples.
 */
import type { BodyByType } from "../../src/dpi/bodies.js";
import {
  documentTypeId,
  isLetterType,
  processForLetter,
  DPI_PROCESS_IDS,
  type DpiMessageType,
  type DpiProcessId,
  type StandardSpelling,
} from "../../src/dpi/document-types.js";
import type {
  SbdOf,
  StandardBusinessDocumentHeader,
  StandardBusinessDocumentJson,
} from "../../src/dpi/sbd.js";

export const ORGS = {
  /** behandlingsansvarlig (avsender) in the delegated example */
  avsender: "0192:910076787",
  /** databehandler in the delegated example */
  databehandler: "0192:810969342",
  digipost: "0192:984661185",
  eboks: "0192:922020175",
  /** utskriftsleverandør */
  print: "0192:974761076",
} as const;

export const SAMPLE_IDS = {
  messageId: "4c96fb25-54b0-4560-a954-afdeed10077b",
  conversationId: "b63b72a3-ec7a-4d70-94f1-699ef899864f",
} as const;

/** A well-formed placeholder (base64 of 32 "f" bytes); the dokumentpakke tests compute real ones. */
export const SAMPLE_FINGERPRINT = {
  digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256",
  digestValue: "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=",
};

export const SAMPLE_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImRpZ2l0YWxwb3N0aW5uYnlnZ2VyOnNlbmQifQ.c2lnbmF0dXJl";

export interface SampleOptions {
  messageId?: string;
  conversationId?: string;
  /** SBDH sender; default: the avsender for letters (no databehandler), the provider for receipts */
  sender?: string;
  /** SBDH receiver; default: the provider for letters, the avsender for receipts */
  receiver?: string;
  /** body avsender; default ORGS.avsender for letters, the provider for receipts */
  avsender?: string;
  createdAt?: string;
  spelling?: StandardSpelling;
  /** ConversationId scope identifier; default: the letter's process (digital or utskrift for receipts) */
  processId?: string;
}

/** The process a receipt sample travels on: the process of the letter it would answer. */
export function sampleReceiptProcess(type: DpiMessageType): DpiProcessId {
  return type === "mottakskvittering" || type === "returpostkvittering" ? DPI_PROCESS_IDS.utskrift : DPI_PROCESS_IDS.digital;
}

function providerFor(type: DpiMessageType): string {
  return type === "utskrift" || type === "mottakskvittering" || type === "returpostkvittering" ? ORGS.print : ORGS.digipost;
}

export function sampleHeader(type: DpiMessageType, opts: SampleOptions = {}): StandardBusinessDocumentHeader {
  const letter = isLetterType(type);
  const provider = providerFor(type);
  return {
    headerVersion: "1.0",
    sender: [
      { identifier: { authority: "iso6523-actorid-upis", value: opts.sender ?? (letter ? ORGS.avsender : provider) } },
    ],
    receiver: [
      { identifier: { authority: "iso6523-actorid-upis", value: opts.receiver ?? (letter ? provider : ORGS.avsender) } },
    ],
    documentIdentification: {
      standard: documentTypeId(type, opts.spelling),
      typeVersion: "1.0",
      instanceIdentifier: opts.messageId ?? SAMPLE_IDS.messageId,
      type,
      creationDateAndTime: opts.createdAt ?? "2022-03-16T14:16:08.903+01:00",
    },
    businessScope: {
      scope: [
        {
          type: "ConversationId",
          instanceIdentifier: opts.conversationId ?? SAMPLE_IDS.conversationId,
          identifier: opts.processId ?? (letter ? processForLetter(type) : sampleReceiptProcess(type)),
          scopeInformation: letter ? [{ expectedResponseDateTime: "2022-03-17T14:16:08.729+01:00" }] : [],
        },
      ],
    },
  };
}

function virksomhet(value: string) {
  return { authority: "iso6523-actorid-upis" as const, value };
}

export function sampleBody<K extends DpiMessageType>(type: K, opts: SampleOptions = {}): BodyByType[K] {
  const provider = providerFor(type);
  const letterAvsender = { virksomhetsidentifikator: virksomhet(opts.avsender ?? ORGS.avsender) };
  const receiptAvsender = { virksomhetsidentifikator: virksomhet(opts.avsender ?? provider) };
  const receiptMottaker = {
    virksomhetsidentifikator: virksomhet(ORGS.avsender),
    motakeridentifikator: "skatt-innkreving",
  };
  const tidspunkt = "2022-03-16T14:20:00.123+01:00";
  const bodies: BodyByType = {
    digital: {
      avsender: { ...letterAvsender, avsenderidentifikator: "skatt-innkreving", fakturaReferanse: "faktura-42" },
      mottaker: { postkasseadresse: "ola.nordmann#9YDT" },
      dokumentpakkefingeravtrykk: { ...SAMPLE_FINGERPRINT },
      maskinportentoken: SAMPLE_TOKEN,
      sikkerhetsnivaa: 4,
      virkningsdato: "2022-03-17",
      virkningstidspunkt: "2022-03-17T08:00:00+01:00",
      aapningskvittering: true,
      ikkesensitivtittel: "Vedtak om skatt",
      spraak: "no",
      varsler: {
        epostvarsel: { epostadresse: "ola@example.no", varslingstekst: "Du har fått post", repetisjoner: [0, 7] },
        smsvarsel: { mobiltelefonnummer: "+47 900 00 000", varslingstekst: "Du har fått post", repetisjoner: [0] },
      },
    },
    utskrift: {
      avsender: letterAvsender,
      mottaker: { navn: "Ola Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" },
      dokumentpakkefingeravtrykk: { ...SAMPLE_FINGERPRINT },
      maskinportentoken: SAMPLE_TOKEN,
      utskriftstype: "SORT_HVIT",
      retur: {
        mottaker: { navn: "Skatteetaten", adresselinje1: "Postboks 9200 Grønland", landkode: "NO" },
        returposthaandtering: "MAKULERING_MED_MELDING",
      },
      posttype: "B",
    },
    flyttet: {
      avsender: letterAvsender,
      mottaker: { postkasseadresse: "0000487204" },
      maskinportentoken: SAMPLE_TOKEN,
      tidspunkt,
      dokumentpakkefingeravtrykk: { ...SAMPLE_FINGERPRINT },
      mottakstidspunkt: "2022-01-02",
      aapnet: false,
      sikkerhetsnivaa: 3,
      ikkesensitivtittel: "Brev",
      spraak: "nn",
      varsler: {},
    },
    feil: {
      avsender: receiptAvsender,
      mottaker: receiptMottaker,
      tidspunkt,
      feiltype: "KLIENT",
      detaljer: "Kunne ikke dekryptere dokumentpakken",
    },
    leveringskvittering: { avsender: receiptAvsender, mottaker: receiptMottaker, tidspunkt },
    aapningskvittering: { avsender: receiptAvsender, mottaker: receiptMottaker, tidspunkt },
    varslingfeiletkvittering: {
      avsender: receiptAvsender,
      mottaker: receiptMottaker,
      tidspunkt,
      beskrivelse: "Ugyldig e-postadresse",
      varslingskanal: "epost",
    },
    mottakskvittering: { avsender: receiptAvsender, mottaker: receiptMottaker, tidspunkt },
    returpostkvittering: { avsender: receiptAvsender, mottaker: receiptMottaker, tidspunkt },
  };
  return structuredClone(bodies[type]);
}

/** The typed document, as parseStandardBusinessDocument would return it. */
export function sampleDocument<K extends DpiMessageType>(type: K, opts: SampleOptions = {}): SbdOf<K> {
  return { type, header: sampleHeader(type, opts), body: sampleBody(type, opts) };
}

/** The JSON payload (`{"standardBusinessDocument": {...}}`), as a JWS would carry it. */
export function samplePayload(type: DpiMessageType, opts: SampleOptions = {}): StandardBusinessDocumentJson {
  return {
    standardBusinessDocument: {
      standardBusinessDocumentHeader: sampleHeader(type, opts),
      [type]: sampleBody(type, opts),
    },
  };
}

/** A deep copy of a payload changed by `change`, for negative tests. */
export function mutated<T>(value: T, change: (copy: any) => void): T {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}
