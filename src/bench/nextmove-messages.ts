import { randomUUID } from "node:crypto";
import type { NextMoveFileUpload } from "../client/nextmove-client.js";
import { SENDER_ORG, type ChannelPlan } from "./channels.js";

/**
 * The messages of a channel run as an archive system writes them: the SBD (with ids of its own, so the bench
 * knows each message before the access point answers) and the files it uploads one by one. Every message of a
 * run carries the same files (the access point packs, signs and encrypts each message on its own anyway). Pure
 * apart from the default id source.
 */

export interface ChannelMessage {
  messageId: string;
  conversationId: string;
  sbd: unknown;
  files: readonly NextMoveFileUpload[];
}

/** The main document's name in every message. */
export const DOCUMENT_FILE = "dokument.pdf";

const actor = (value: string) => ({ identifier: { authority: "iso6523-actorid-upis", value } });

/** The SBD of one message from the sender to the plan's receiver. */
export function channelSbd(plan: ChannelPlan, ids: { messageId: string; conversationId: string }): unknown {
  const arkivmelding = plan.documentType === "arkivmelding";
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [actor(`0192:${SENDER_ORG}`)],
      receiver: [actor(`0192:${plan.receiver}`)],
      documentIdentification: arkivmelding
        ? { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding", typeVersion: "2.0", type: "arkivmelding", instanceIdentifier: ids.messageId }
        : { standard: "urn:no:difi:einnsyn:xsd::publisering", typeVersion: "1.0", type: "publisering", instanceIdentifier: ids.messageId },
      businessScope: {
        scope: [
          {
            type: "ConversationId",
            identifier: arkivmelding ? "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0" : "urn:no:difi:profile:einnsyn:journalpost:ver1.0",
            instanceIdentifier: ids.conversationId,
          },
        ],
      },
    },
    ...(arkivmelding ? { arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: DOCUMENT_FILE } } : { publisering: { orgnr: SENDER_ORG } }),
  };
}

/**
 * arkivmelding.xml as a case system writes it: a saksmappe with one journalpost whose Hoveddokument is the
 * document, a public title (DPV's and DPF's title) and the sender as Avsender (DPF's svarSendesTil).
 */
export const ARKIVMELDING_XML = `<?xml version="1.0" encoding="UTF-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>dpi-ap bench</system><meldingId>bench</meldingId><tidspunkt>2026-12-03T10:00:00</tidspunkt><antallFiler>1</antallFiler>
  <mappe xsi:type="saksmappe"><systemID>bench-sak-1</systemID><tittel>Benchmark</tittel>
    <basisregistrering xsi:type="journalpost"><systemID>bench-jp-1</systemID><journalpostnummer>1</journalpostnummer>
      <korrespondansepart><korrespondanseparttype>Avsender</korrespondanseparttype><korrespondansepartNavn>Benchmark arkiv</korrespondansepartNavn>
        <postadresse>Postboks 1</postadresse><postnummer>0101</postnummer><poststed>OSLO</poststed></korrespondansepart>
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer><tittel>Vedtak</tittel>
        <dokumentobjekt><referanseDokumentfil>${DOCUMENT_FILE}</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <tittel>Vedtak fra benchmark</tittel><offentligTittel>Vedtak fra benchmark</offentligTittel>
    </basisregistrering>
  </mappe>
</arkivmelding>`;

/** An eInnsyn journal entry (the publisering's metadata file). */
export const JOURNALPOST_XML = `<?xml version="1.0" encoding="UTF-8"?>
<journalpost><tittel>Vedtak fra benchmark</tittel><journalpostnummer>1</journalpostnummer></journalpost>`;

/** The files each message carries: its metadata file, then the document (`document`, e.g. documentBytes(size)). */
export function channelFiles(plan: ChannelPlan, document: Uint8Array): NextMoveFileUpload[] {
  const meta: NextMoveFileUpload =
    plan.documentType === "arkivmelding"
      ? { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: new TextEncoder().encode(ARKIVMELDING_XML) }
      : { filename: "journalpost.xml", title: "Journalpost", mimeType: "application/xml", bytes: new TextEncoder().encode(JOURNALPOST_XML) };
  return [meta, { filename: DOCUMENT_FILE, title: "Vedtak", mimeType: "application/pdf", bytes: document }];
}

/** `count` messages with fresh ids, all carrying `files`. */
export function channelMessages(plan: ChannelPlan, count: number, files: readonly NextMoveFileUpload[], newId: () => string = randomUUID): ChannelMessage[] {
  return Array.from({ length: count }, () => {
    const ids = { messageId: newId(), conversationId: newId() };
    return { ...ids, sbd: channelSbd(plan, ids), files };
  });
}

/** The bytes of a message's files together. */
export function filesBytes(files: readonly NextMoveFileUpload[]): number {
  return files.reduce((n, f) => n + f.bytes.byteLength, 0);
}
