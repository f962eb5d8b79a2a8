/**
 * npm run demo: a business system looks two citizens up in KRR (the sandbox's KRR simulator) and, as KRR's
 * answers decide, sends one a digital letter (with aapningskvittering requested) to the postbox provider KRR
 * names, encrypted to the certificate KRR gives, and the other, reserved against digital post, a print letter
 * to KRR's print provider, through the running sandbox (`npm start`); it prints each conversation's timeline as it arrives:
 * OPPRETTET → SENDT → LEVERT → LEST for the digital letter, OPPRETTET → SENDT → LEVERT (mottakskvittering) for the print letter.
 * Then an archive system sends a digital letter over the NextMove API (user arkiv/sandbox) and prints its
 * statuses as the integrasjonspunkt would report them: OPPRETTET → SENDT → MOTTATT → LEVERT; and a digital_dpv
 * to a person without a postbox, which goes over DPV to the Altinn correspondence simulator (it publishes the
 * correspondence after 2 s and the recipient reads it 5 s later): OPPRETTET → SENDT → LEVERT → LEST.
 *
 *   npm run demo [-- --ap http://127.0.0.1:8080 --maskinporten http://127.0.0.1:8090 --krr http://127.0.0.1:8099 --timeout 180]
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BusinessSystem, type CitizenLetter, type TimelineEvent } from "../src/client/business-system.js";
import { KrrClient } from "../src/client/krr-client.js";
import { createGrantClient } from "../src/maskinporten/grant-client.js";
import { keyStoreFromPem } from "../src/pki/keystore.js";
import { loadExampleSigner } from "../src/sim/maskinporten/defaults.js";
import { NextMoveClient } from "../src/client/nextmove-client.js";
import { tinyPdf } from "./lib/tiny-pdf.js";

const { values } = parseArgs({
  options: {
    ap: { type: "string", default: process.env.DPI_AP_DEMO_URL ?? "http://127.0.0.1:8080" },
    maskinporten: { type: "string", default: process.env.DPI_AP_DEMO_MASKINPORTEN ?? "http://127.0.0.1:8090" },
    krr: { type: "string", default: process.env.DPI_AP_DEMO_KRR ?? "http://127.0.0.1:8099" },
    timeout: { type: "string", default: "180" },
  },
});
const CERTS = path.resolve(import.meta.dirname, "../certs-example");
const AVSENDER = "991825827";
/** The sandbox's KRR: a citizen with a Digipost postbox, and one reserved against digital post. */
const CITIZEN_DIGITAL = "09118532322";
const CITIZEN_RESERVED = "05068912345";

const metadata = (await (await fetch(`${values.maskinporten}/.well-known/oauth-authorization-server`).catch(() => {
  console.error(`No Maskinporten at ${values.maskinporten}: start the sandbox first with \`npm start\`.`);
  process.exit(2);
})).json()) as { issuer: string; token_endpoint: string };

const grantSigner = await loadExampleSigner(AVSENDER);
const business = keyStoreFromPem({
  key: await readFile(path.join(CERTS, `business/${AVSENDER}.key.pem`)),
  certificate: await readFile(path.join(CERTS, `business/${AVSENDER}.pem`)),
  chain: Buffer.concat([await readFile(path.join(CERTS, "business/intermediate-ca.pem")), await readFile(path.join(CERTS, "business/root-ca.pem"))]),
});
const grant = createGrantClient({ ...grantSigner, audience: metadata.issuer, tokenEndpoint: metadata.token_endpoint });
const system = new BusinessSystem({
  accessPointUrl: values.ap!,
  grant,
  signer: { privateKey: business.privateKey, certificate: business.certificate, chain: business.chain },
  sender: `0192:${AVSENDER}`,
  kanal: "dpi_ap_demo",
});
const krr = new KrrClient({ url: values.krr!, grant });

/** One letter, written once: KRR decides whether it goes to the citizen's postbox or to print. */
const letter = (personidentifikator: string, text: string): CitizenLetter => ({
  personidentifikator,
  digital: { ikkesensitivtittel: "Vedtak om skatt", spraak: "no", sikkerhetsnivaa: 4, aapningskvittering: true, avsenderidentifikator: "demo" },
  print: {
    mottaker: { navn: "Kari Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" },
    retur: { mottaker: { navn: "Demoetaten", adresselinje1: "Postboks 1", postnummer: "0101", poststed: "Oslo" }, returposthaandtering: "MAKULERING_MED_MELDING" },
    utskriftstype: "SORT_HVIT",
    posttype: "B",
  },
  document: { name: "vedtak.pdf", mimeType: "application/pdf", bytes: tinyPdf(text), title: "Vedtak om skatt" },
});
const describeRoute = (r: Awaited<ReturnType<BusinessSystem["sendToCitizen"]>>["route"]) =>
  r.kind === "digital" ? `digital to ${r.provider}, postbox ${r.postkasseadresse}` : `print (${r.reason}, KRR status ${r.status})`;

console.log(`Looking two citizens up in KRR (${values.krr}) and sending each a letter as ${AVSENDER} through ${values.ap} ...`);
const sendTo = async (fnr: string, text: string) => {
  try {
    return await system.sendToCitizen(letter(fnr, text), krr);
  } catch (error) {
    console.error(`Sending to ${fnr} failed: ${(error as Error).message} (is the sandbox's KRR at ${values.krr}?)`);
    process.exit(1);
  }
};
const digital = await sendTo(CITIZEN_DIGITAL, "Hei! Dette er et digitalt brev fra dpi-ap.");
console.log(`  ${CITIZEN_DIGITAL}: KRR says ${describeRoute(digital.route)}\n    letter ${digital.messageId}  conversation ${digital.conversationId}`);
const print = await sendTo(CITIZEN_RESERVED, "Hei! Dette brevet skrives ut og sendes i posten.");
console.log(`  ${CITIZEN_RESERVED}: KRR says ${describeRoute(print.route)}\n    letter ${print.messageId}  conversation ${print.conversationId}\n`);

const wanted = new Map([
  [digital.conversationId, { name: "digital", until: ["LEVERT", "LEST"], seen: 0 }],
  [print.conversationId, { name: "print  ", until: ["LEVERT"], seen: 0 }],
]);
const deadline = Date.now() + Number(values.timeout) * 1000;
const done = (events: TimelineEvent[], until: string[]) => until.every((s) => events.some((e) => e.status === s));
let finished = false;
while (!finished && Date.now() < deadline) {
  finished = true;
  for (const [conversationId, w] of wanted) {
    const events = await system.timeline(conversationId);
    for (const e of events.slice(w.seen)) {
      console.log(`  ${w.name}  ${e.timestamp}  ${e.status.padEnd(15)} ${e.kind === "receipt" ? `(${e.documentType})` : e.beskrivelse ?? ""}`);
    }
    w.seen = events.length;
    if (!done(events, w.until)) finished = false;
  }
  if (!finished) await new Promise((r) => setTimeout(r, 500));
}
if (!finished) {
  console.error("\nThe timelines did not complete in time; see the sandbox's log.");
  process.exit(1);
}
console.log("\nBoth letters delivered; receipts are on GET /messages/in for kanal dpi_ap_demo.");

// An archive system, as it talks to an integrasjonspunkt: the SBD, one file, send, then the statuses.
const arkiv = new NextMoveClient(values.ap!, { user: "arkiv", password: "sandbox" });
const sbd = {
  standardBusinessDocumentHeader: {
    headerVersion: "1.0",
    sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${AVSENDER}` } }],
    receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: "09118532322" } }],
    documentIdentification: { standard: "urn:no:difi:digitalpost:xsd:digital::digital", typeVersion: "1.0", type: "digital" },
    businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:digitalpost:vedtak:ver1.0" }] },
  },
  digital: { sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf", tittel: "Vedtak om bostøtte", spraak: "NO", digitalPostInfo: { virkningsdato: new Date().toISOString().slice(0, 10), aapningskvittering: false }, metadataFiler: {} },
};
const created = await arkiv.create(sbd);
if (created.status !== 200) {
  console.error(`\nPOST /api/messages/out answered ${created.status}: ${JSON.stringify(created.body)} (is DPI_AP_NEXTMOVE on?)`);
  process.exit(1);
}
const nmId = (created.body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
console.log(`\nSending a digital letter over the NextMove API as an archive system: ${nmId}`);
await arkiv.upload(nmId, { filename: "vedtak.pdf", title: "Vedtak om bostøtte", mimeType: "application/pdf", bytes: tinyPdf("Hei! Dette brevet kom fra et arkivsystem.") });
await arkiv.send(nmId);
let shown = 0;
while (Date.now() < deadline) {
  const statuses = await arkiv.statuses(nmId);
  for (const s of statuses.slice(shown)) console.log(`  nextmove ${s}`);
  shown = statuses.length;
  if (statuses.includes("LEVERT") || statuses.includes("FEIL")) break;
  await new Promise((r) => setTimeout(r, 500));
}
if (!(await arkiv.statuses(nmId)).includes("LEVERT")) {
  console.error("\nThe NextMove letter did not reach LEVERT in time; see the sandbox's log.");
  process.exit(1);
}

// DPV: a digital_dpv to a person without a postbox becomes an Altinn 3 correspondence (the sandbox has DPV on).
const dpv = await arkiv.createAndSend(
  {
    standardBusinessDocumentHeader: {
      headerVersion: "1.0",
      sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${AVSENDER}` } }],
      receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: "17912099997" } }],
      documentIdentification: { standard: "urn:no:difi:digitalpost:xsd:digital::digital_dpv", typeVersion: "2.0", type: "digital_dpv" },
      businessScope: { scope: [{ type: "ConversationId", identifier: "urn:no:difi:profile:digitalpost:info:ver1.0" }] },
    },
    digital_dpv: { tittel: "Informasjon om tømming", sammendrag: "Avfallet tømmes tirsdag", innhold: "Husk å sette dunken ut kvelden før." },
  },
  [{ filename: "info.pdf", title: "Informasjon", mimeType: "application/pdf", bytes: tinyPdf("Hei! Dette kom i Altinn-innboksen din.") }],
);
if (dpv.status !== 200) {
  console.error(`\nPOST /api/messages/out/multipart (digital_dpv) answered ${dpv.status}: ${JSON.stringify(dpv.body)} (is DPV in DPI_AP_NEXTMOVE_CHANNELS?)`);
  process.exit(1);
}
const dpvId = (dpv.body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
console.log(`\nSending a digital_dpv over the NextMove API to Altinn (DPV): ${dpvId}`);
let dpvShown = 0;
while (Date.now() < deadline) {
  const statuses = await arkiv.statuses(dpvId);
  for (const s of statuses.slice(dpvShown)) console.log(`  dpv      ${s}`);
  dpvShown = statuses.length;
  if (statuses.includes("LEST") || statuses.includes("FEIL") || statuses.includes("ANNET")) break;
  await new Promise((r) => setTimeout(r, 500));
}
if (!(await arkiv.statuses(dpvId)).includes("LEST")) {
  console.error("\nThe DPV message did not reach LEST in time; see the sandbox's log.");
  process.exit(1);
}

// The other eFormidling channels, between the sandbox's own organisations (all served here) and its simulators.
const idOf = (body: unknown) => (body as { standardBusinessDocumentHeader: { documentIdentification: { instanceIdentifier: string } } }).standardBusinessDocumentHeader.documentIdentification.instanceIdentifier;
const header = (receiver: string, standard: string, type: string, process: string) => ({
  headerVersion: "1.0",
  sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${AVSENDER}` } }],
  receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${receiver}` } }],
  documentIdentification: { standard, typeVersion: "2.0", type },
  businessScope: { scope: [{ type: "ConversationId", identifier: process }] },
});
const arkivmeldingXml = (file: string, title: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappe xsi:type="saksmappe"><systemID>demo-2026-1</systemID>
    <basisregistrering xsi:type="journalpost">
      <dokumentbeskrivelse><tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom><dokumentnummer>1</dokumentnummer><dokumentobjekt><referanseDokumentfil>${file}</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>
      <tittel>${title}</tittel><offentligTittel>${title}</offentligTittel><journalpostnummer>1</journalpostnummer>
    </basisregistrering>
  </mappe>
</arkivmelding>`);

/** Prints the message's statuses as they come until one of `until` (or FEIL); the receiving archive system may act in between. */
async function follow(label: string, id: string, until: string[], onStatus?: (status: string) => Promise<void>): Promise<void> {
  let seen = 0;
  while (Date.now() < deadline) {
    const statuses = await arkiv.statuses(id);
    for (const s of statuses.slice(seen)) {
      console.log(`  ${label.padEnd(8)} ${s}`);
      await onStatus?.(s);
    }
    seen = statuses.length;
    if (until.some((u) => statuses.includes(u)) || statuses.includes("FEIL")) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`\nThe ${label} message did not reach ${until.join(" or ")} in time; see the sandbox's log.`);
  process.exit(1);
}

/** The receiving archive system takes the message: peek (which locks it), pop the decrypted ASiC-E, delete. */
async function takeIncoming(id: string): Promise<void> {
  const peeked = await arkiv.get("/api/messages/in/peek");
  if (peeked.status !== 200 || idOf(peeked.body) !== id) return;
  const pop = await arkiv.get(`/api/messages/in/pop/${id}`);
  console.log(`           (the receiver's archive system pops ${typeof pop.body === "string" ? pop.body.length : 0} bytes of ASiC-E and deletes it)`);
  await arkiv.delete(`/api/messages/in/${id}`);
}

// DPO: an arkivmelding to 910076787 over the Altinn 3 broker; its archive system takes it, so MOTTATT then LEVERT come back.
const dpo = await arkiv.createAndSend({ standardBusinessDocumentHeader: header("910076787", "urn:no:difi:arkivmelding:xsd::arkivmelding", "arkivmelding", "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0"), arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "vedtak.pdf" } }, [
  { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: arkivmeldingXml("vedtak.pdf", "Vedtak om byggesak") },
  { filename: "vedtak.pdf", title: "Vedtak om byggesak", mimeType: "application/pdf", bytes: tinyPdf("Hei! Dette gikk over Altinn-formidlingstjenesten.") },
]);
if (dpo.status !== 200) {
  console.error(`\nDPO: ${dpo.status} ${JSON.stringify(dpo.body)}`);
  process.exit(1);
}
console.log(`\nSending an arkivmelding to 910076787 over the Altinn 3 broker (DPO): ${idOf(dpo.body)}`);
await follow("dpo", idOf(dpo.body), ["LEVERT"], async (s) => (s === "MOTTATT" ? takeIncoming(idOf(dpo.body)) : undefined));

// DPF: an arkivmelding to the municipality 910075924 through KS SvarUt; the sandbox's SvarUt moves it on by itself.
const dpf = await arkiv.createAndSend({ standardBusinessDocumentHeader: header("910075924", "urn:no:difi:arkivmelding:xsd::arkivmelding", "arkivmelding", "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0"), arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "soknad.pdf" } }, [
  { filename: "arkivmelding.xml", title: "Arkivmelding", mimeType: "application/xml", bytes: arkivmeldingXml("soknad.pdf", "Søknad om tilskudd") },
  { filename: "soknad.pdf", title: "Søknad om tilskudd", mimeType: "application/pdf", bytes: tinyPdf("Hei! Dette gikk gjennom SvarUt.") },
]);
if (dpf.status !== 200) {
  console.error(`\nDPF: ${dpf.status} ${JSON.stringify(dpf.body)}`);
  process.exit(1);
}
console.log(`\nSending an arkivmelding to 910075924 through KS SvarUt (DPF): ${idOf(dpf.body)}`);
await follow("dpf", idOf(dpf.body), ["LEST"]);

// DPE: a journal entry published to eInnsyn's organisation 810969342 over the Service Bus; its archive system takes it.
const dpe = await arkiv.createAndSend({ standardBusinessDocumentHeader: header("810969342", "urn:no:difi:einnsyn:xsd::publisering", "publisering", "urn:no:difi:profile:einnsyn:journalpost:ver1.0"), publisering: { orgnr: AVSENDER } }, [
  { filename: "journalpost.xml", title: "Journalpost", mimeType: "application/xml", bytes: Buffer.from("<journalpost><tittel>Vedtak om byggesak</tittel></journalpost>") },
]);
if (dpe.status !== 200) {
  console.error(`\nDPE: ${dpe.status} ${JSON.stringify(dpe.body)}`);
  process.exit(1);
}
console.log(`\nPublishing a journal entry to eInnsyn (810969342) over the Service Bus (DPE): ${idOf(dpe.body)}`);
await follow("dpe", idOf(dpe.body), ["LEVERT"], async (s) => (s === "MOTTATT" ? takeIncoming(idOf(dpe.body)) : undefined));
console.log("\nEvery channel delivered.");
