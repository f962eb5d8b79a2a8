import { expect } from "chai";
import type { NextMoveClient } from "../../src/client/nextmove-client.js";

/** The two organisations of the DPO e2e tests and the arkivmelding A sends B: SBDs as an archive system writes them. */

export const A = "991825827";
export const B = "910076787";
export const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
export const VEDLEGG = Buffer.from("Vedlegg: æøå\n", "utf8");
export const ARKIVMELDING_XML = Buffer.from(
  `<?xml version="1.0" encoding="UTF-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappe xsi:type="saksmappe">
    <systemID>sak-2026-1</systemID>
    <basisregistrering xsi:type="journalpost">
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer><dokumentobjekt><referanseDokumentfil>brev.pdf</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Vedlegg</tilknyttetRegistreringSom><dokumentnummer>2</dokumentnummer><dokumentobjekt><referanseDokumentfil>vedlegg.txt</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <tittel>Brev om tilskudd</tittel>
      <offentligTittel>Brev om tilskudd</offentligTittel>
      <journalpostnummer>7</journalpostnummer>
    </basisregistrering>
  </mappe>
</arkivmelding>`,
  "utf8",
);

export function sbd(o: { sender: string; receiver: string; type: "arkivmelding" | "arkivmelding_kvittering"; conversationId?: string; body: unknown }) {
  const kvittering = o.type === "arkivmelding_kvittering";
  return {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${o.sender}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${o.receiver}` } }],
      documentIdentification: { standard: `urn:no:difi:arkivmelding:xsd::${o.type}`, typeVersion: "2.0", type: o.type },
      businessScope: {
        scope: [
          {
            type: "ConversationId",
            identifier: kvittering ? "urn:no:difi:profile:arkivmelding:response:ver1.0" : "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0",
            ...(o.conversationId ? { instanceIdentifier: o.conversationId } : {}),
          },
        ],
      },
    },
    [o.type]: o.body,
  };
}

export const idOf = (body: unknown) => (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
export const conversationOf = (body: unknown) =>
  (body as { standardBusinessDocumentHeader: { businessScope: { scope: { instanceIdentifier: string }[] } } }).standardBusinessDocumentHeader.businessScope.scope[0]!.instanceIdentifier;

/** A creates, fills and sends the arkivmelding with its two documents; its message id. */
export async function sendArkivmelding(arkivA: NextMoveClient): Promise<string> {
  const created = await arkivA.create(sbd({ sender: A, receiver: B, type: "arkivmelding", body: { sikkerhetsnivaa: 3, hoveddokument: "brev.pdf" } }));
  expect(created.status, JSON.stringify(created.body)).to.equal(200);
  const id = idOf(created.body);
  expect((await arkivA.upload(id, { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: ARKIVMELDING_XML })).status).to.equal(200);
  expect((await arkivA.upload(id, { filename: "brev.pdf", title: "Brev", mimeType: "application/pdf", bytes: PDF })).status).to.equal(200);
  expect((await arkivA.upload(id, { filename: "vedlegg.txt", title: "Vedlegg", mimeType: "text/plain", bytes: VEDLEGG })).status).to.equal(200);
  const sent = await arkivA.send(id);
  expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
  return id;
}
