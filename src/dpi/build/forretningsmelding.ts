import { randomUUID } from "node:crypto";
import type { AdresseInformasjon, Dokumentpakkefingeravtrykk, Varsler } from "../bodies.js";
import { documentTypeId, processForLetter, type LetterType, type StandardSpelling } from "../document-types.js";

/**
 * The forretningsmelding (Standard Business Document as JSON) corner 1 writes for a letter, as
 * Digdir's integrasjonspunkt writes it: SBDH sender = the technical sender (avsender or databehandler),
 * receiver = the postbox or print provider, one ConversationId scope with the letter's process.
 */

export interface LetterHeaderInput {
  /** SBDH sender, "0192:<orgno>": the avsender, or the databehandler sending on its behalf. */
  sender: string;
  /** "0192:<orgno>" of the postbox or print provider. */
  receiver: string;
  /** <body>.avsender: the behandlingsansvarlig. */
  avsender: string;
  avsenderidentifikator?: string;
  fakturaReferanse?: string;
  /** The bearer token of the call that will post it (Digdir: must be identical). */
  maskinportentoken: string;
  dokumentpakkefingeravtrykk: Dokumentpakkefingeravtrykk;
  messageId?: string;
  conversationId?: string;
  /** When receipts are due (default: in 7 days). */
  expectedResponse?: Date;
  createdAt?: Date;
  spelling?: StandardSpelling;
}

export interface DigitalLetterInput extends LetterHeaderInput {
  postkasseadresse: string;
  ikkesensitivtittel: string;
  spraak: string;
  sikkerhetsnivaa: 3 | 4;
  aapningskvittering?: boolean;
  virkningsdato?: string;
  /** RFC 3339 date-time with offset; Digdir's integrasjonspunkt writes this rather than virkningsdato. */
  virkningstidspunkt?: string;
  varsler?: Varsler;
}

export interface PrintLetterInput extends LetterHeaderInput {
  mottaker: AdresseInformasjon;
  retur: { mottaker: AdresseInformasjon; returposthaandtering: "DIREKTE_RETUR" | "MAKULERING_MED_MELDING" };
  utskriftstype: "SORT_HVIT" | "FARGE";
  posttype?: "A" | "B";
}

export interface LetterPayload {
  messageId: string;
  conversationId: string;
  payload: { standardBusinessDocument: Record<string, unknown> };
}

function header(type: LetterType, o: LetterHeaderInput) {
  const messageId = o.messageId ?? randomUUID();
  const conversationId = o.conversationId ?? randomUUID();
  const now = o.createdAt ?? new Date();
  const actor = (value: string) => [{ identifier: { authority: "iso6523-actorid-upis", value } }];
  return {
    messageId,
    conversationId,
    sbdh: {
      headerVersion: "1.0",
      sender: actor(o.sender),
      receiver: actor(o.receiver),
      documentIdentification: {
        standard: documentTypeId(type, o.spelling),
        typeVersion: "1.0",
        instanceIdentifier: messageId,
        type,
        creationDateAndTime: now.toISOString(),
      },
      businessScope: {
        scope: [
          {
            type: "ConversationId",
            instanceIdentifier: conversationId,
            identifier: processForLetter(type),
            scopeInformation: [{ expectedResponseDateTime: (o.expectedResponse ?? new Date(now.getTime() + 7 * 86_400_000)).toISOString() }],
          },
        ],
      },
    },
  };
}

function avsender(o: LetterHeaderInput) {
  return {
    virksomhetsidentifikator: { authority: "iso6523-actorid-upis", value: o.avsender },
    ...(o.avsenderidentifikator ? { avsenderidentifikator: o.avsenderidentifikator } : {}),
    ...(o.fakturaReferanse ? { fakturaReferanse: o.fakturaReferanse } : {}),
  };
}

export function digitalLetter(o: DigitalLetterInput): LetterPayload {
  const h = header("digital", o);
  const body = {
    avsender: avsender(o),
    mottaker: { postkasseadresse: o.postkasseadresse },
    dokumentpakkefingeravtrykk: o.dokumentpakkefingeravtrykk,
    maskinportentoken: o.maskinportentoken,
    sikkerhetsnivaa: o.sikkerhetsnivaa,
    ...(o.virkningsdato ? { virkningsdato: o.virkningsdato } : {}),
    ...(o.virkningstidspunkt ? { virkningstidspunkt: o.virkningstidspunkt } : {}),
    aapningskvittering: o.aapningskvittering ?? false,
    ikkesensitivtittel: o.ikkesensitivtittel,
    spraak: o.spraak,
    ...(o.varsler ? { varsler: o.varsler } : {}),
  };
  return { messageId: h.messageId, conversationId: h.conversationId, payload: { standardBusinessDocument: { standardBusinessDocumentHeader: h.sbdh, digital: body } } };
}

export function printLetter(o: PrintLetterInput): LetterPayload {
  const h = header("utskrift", o);
  const body = {
    avsender: avsender(o),
    mottaker: o.mottaker,
    dokumentpakkefingeravtrykk: o.dokumentpakkefingeravtrykk,
    maskinportentoken: o.maskinportentoken,
    utskriftstype: o.utskriftstype,
    retur: o.retur,
    ...(o.posttype ? { posttype: o.posttype } : {}),
  };
  return { messageId: h.messageId, conversationId: h.conversationId, payload: { standardBusinessDocument: { standardBusinessDocumentHeader: h.sbdh, utskrift: body } } };
}
