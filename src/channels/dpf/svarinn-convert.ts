import type { Clock } from "../../clock.js";
import { readZip, ZipError } from "../../dpi/zip.js";
import { buildEformidlingAsic, decryptCms, encryptCms } from "../../packaging/index.js";
import type { KeyStore } from "../../pki/keystore.js";
import { ARKIVMELDING_FILE, parseSbd, type StandardBusinessDocument } from "../../sbd/index.js";
import { incomingArkivmelding, UnconvertibleForsendelseError } from "./incoming-arkivmelding.js";
import type { SvarInnForsendelse } from "./svarinn-client.js";

/**
 * A forsendelse from SvarInn made into an incoming NextMove message, as the integrasjonspunkt's
 * SvarInnNextMoveConverter does (spec/eformidling.md §4.3): the download is decrypted with the receiving
 * organisation's key and unzipped; the SBD goes from svarSendesTil's organisation (or the fallback sender) to
 * the receiver, with the forsendelse id as message and conversation id, the configured process, and the
 * ReceiverRef scope when the forsendelse answers another; the ASiC-E holds the synthesised arkivmelding.xml and
 * the documents, signed with the receiver's own certificate and CMS-encrypted to it, so the NextMove inbox
 * opens it as it opens any other channel's. What cannot be read is {@link UnconvertibleForsendelseError}.
 */

export const ARKIVMELDING_STANDARD = "urn:no:difi:arkivmelding:xsd::arkivmelding";

export interface ConvertOptions {
  /** The receiving organisation's keystore (decrypts the download, signs and receives the ASiC-E). */
  keystore: KeyStore;
  /** difi.move.fiks.inn.process. */
  process: string;
  /** difi.move.fiks.inn.fallback-sender-org-nr: the sender when svarSendesTil has no organisation number. */
  fallbackSenderOrg: string;
  /** Lifetime of the message in the inbox (its expectedResponseDateTime). */
  ttlHours: number;
  clock: Clock;
  newId: () => string;
}

export interface ConvertedForsendelse {
  sbd: StandardBusinessDocument;
  /** The CMS envelope (to the receiver) around the ASiC-E. */
  package: Uint8Array;
  documents: string[];
}

export function convertForsendelse(f: SvarInnForsendelse, download: Uint8Array, o: ConvertOptions): ConvertedForsendelse {
  const now = o.clock();
  let zip: Uint8Array;
  try {
    zip = decryptCms(download, o.keystore.privateKey, o.keystore.certificate).content;
  } catch (e) {
    throw new UnconvertibleForsendelseError(`the forsendelse file cannot be decrypted: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let entries: { name: string; data: Uint8Array }[];
  try {
    entries = readZip(zip).entries.filter((e) => !e.isDirectory);
  } catch (e) {
    if (e instanceof ZipError) throw new UnconvertibleForsendelseError(`the forsendelse file is not a readable zip: ${e.message}`, { cause: e });
    throw e;
  }
  if (entries.length === 0) throw new UnconvertibleForsendelseError("the forsendelse file holds no documents");
  const mimeTypes = new Map(f.filmetadata.map((m) => [m.filnavn, m.mimetype]));
  for (const m of f.filmetadata) if (!entries.some((e) => e.name === m.filnavn)) throw new UnconvertibleForsendelseError(`${m.filnavn} is listed in filmetadata but missing from the forsendelse file`);
  if (entries.some((e) => e.name === ARKIVMELDING_FILE)) throw new UnconvertibleForsendelseError(`the forsendelse has a document named ${ARKIVMELDING_FILE}`);

  const names = entries.map((e) => e.name);
  const arkivmelding = Buffer.from(incomingArkivmelding(f, names, { now, newId: o.newId }), "utf8");
  const sbd = incomingSbd(f, { ...o, hoveddokument: names[0] });
  const sender = senderOf(f, o.fallbackSenderOrg);
  const receiver = f.mottaker.orgnr;
  const ks = o.keystore;
  const asic = buildEformidlingAsic({
    sender: `0192:${sender}`,
    receiver: `0192:${receiver}`,
    documents: [
      { name: ARKIVMELDING_FILE, mimeType: "application/xml", bytes: arkivmelding },
      ...entries.map((e) => ({ name: e.name, mimeType: mimeTypes.get(e.name) ?? "application/octet-stream", bytes: e.data })),
    ],
    signer: { privateKey: ks.privateKey, certificate: ks.certificate, chain: ks.chain },
    clock: o.clock,
  });
  return { sbd, package: encryptCms(asic, ks.certificate, "rsaes-oaep"), documents: names };
}

/** svarSendesTil's organisation, else the fallback sender. */
function senderOf(f: SvarInnForsendelse, fallback: string): string {
  return f.svarSendesTil.orgnr && /^\d{9}$/.test(f.svarSendesTil.orgnr) ? f.svarSendesTil.orgnr : fallback;
}

/** The SBD of a forsendelse (also filed for one that cannot be converted, without a hoveddokument). */
export function incomingSbd(f: SvarInnForsendelse, o: Omit<ConvertOptions, "keystore" | "newId"> & { hoveddokument?: string | undefined }): StandardBusinessDocument {
  const now = o.clock();
  return parseSbd(
    {
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${senderOf(f, o.fallbackSenderOrg)}` } }],
        receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${f.mottaker.orgnr}` } }],
        documentIdentification: { standard: ARKIVMELDING_STANDARD, typeVersion: "2.0", type: "arkivmelding", instanceIdentifier: f.id, creationDateAndTime: now.toISOString() },
        businessScope: {
          scope: [
            {
              type: "ConversationId",
              instanceIdentifier: f.id,
              identifier: o.process,
              scopeInformation: [{ expectedResponseDateTime: new Date(now.getTime() + o.ttlHours * 3_600_000).toISOString() }],
            },
            ...(f.svarPaForsendelse ? [{ type: "ReceiverRef", instanceIdentifier: f.svarPaForsendelse, identifier: o.process }] : []),
          ],
        },
      },
      // The forsendelse's level travels on, so that what handles the message later (mail delivery) knows it.
      arkivmelding: { ...(o.hoveddokument ? { hoveddokument: o.hoveddokument } : {}), ...(f.niva ? { sikkerhetsnivaa: f.niva } : {}) },
    },
    { clock: o.clock },
  );
}
