import { systemClock, type Clock } from "../clock.js";
import { sameParticipant } from "../peppol/identifiers.js";
import { organisationNumberOf } from "../pki/business-certificate.js";
import { AsicMimeTypeNotAllowedError } from "./asic-verify.js";
import type { Varsler } from "./bodies.js";
import { AsicInputError, buildDokumentpakke, type AsicDocument, type AsicFile, type BuiltDokumentpakke } from "./build/asic-e.js";
import { digitalLetter, printLetter, type LetterHeaderInput, type LetterPayload } from "./build/forretningsmelding.js";
import { signForretningsmelding } from "./build/sign-forretningsmelding.js";
import type { XadesSigner } from "./build/xades.js";
import type { StandardSpelling } from "./document-types.js";
import { digitalRecipient, printRecipient, type DigitalRecipient, type DpiServiceRecord, type PrintProvider, type PrintRecipient } from "./dpi-recipient.js";
import {
  NextMoveDocumentRejectedError,
  NextMoveHoveddokumentMissingError,
  NextMoveMetadataFileMissingError,
  SigningCertificateNotSenderError,
} from "./from-nextmove-errors.js";
import { readNextMoveDpiMessage, type NextMoveDigital, type NextMovePrint } from "./nextmove-dpi-message.js";
import { adresseInformasjon, hasText } from "./print-address.js";
import { parseForretningsmelding } from "./sbd.js";
import { startOfDay } from "./start-of-day.js";

/**
 * A NextMove `digital` or `print` message as the DPI letter this access point sends for it as corner 1: the
 * signed forretningsmelding and the encrypted dokumentpakke, written field by field the way Digdir's
 * integrasjonspunkt writes them (MeldingsformidlerRequestFactory, then post-til-private ShipmentFactory and the
 * dpi-client). The result is what a business system would post to POST /messages/out, ready for the DPI outbox.
 */

export type { DpiServiceRecord, PrintProvider } from "./dpi-recipient.js";

/** One uploaded file of the message (the integrasjonspunkt's BusinessMessageFile and its content). */
export interface NextMoveFile {
  readonly filename: string;
  readonly mimetype: string;
  /** Title shown to the recipient; "Missing title" is shown when there is none, as the integrasjonspunkt does. */
  readonly title?: string | undefined;
  readonly bytes: Uint8Array;
}

export interface NextMoveDpiInput {
  /** The NextMove standard business document as JSON: its header and its `digital` or `print` business message. */
  readonly sbd: unknown;
  /** The message's files in upload order; the one named by `hoveddokument` is the main document. */
  readonly files: readonly NextMoveFile[];
  /** The receiving person's DPI record from the Service Registry; a print letter may go without one. */
  readonly record?: DpiServiceRecord | undefined;
  /** KRR's print provider details; for print they win over the record's, as in the integrasjonspunkt. */
  readonly printProvider?: PrintProvider | undefined;
  /** The sending organisation's virksomhetssertifikat (with its chain): signs the ASiC-E and the forretningsmelding. */
  readonly signer: XadesSigner;
  /** A Maskinporten token (scope digitalpostinnbygger:send) for the avsender; travels inside the forretningsmelding. */
  readonly maskinportentoken: string;
  readonly clock?: Clock | undefined;
  /** The zone virkningsdato's midnight is taken in: the integrasjonspunkt's clock zone (default Europe/Oslo). */
  readonly timeZone?: string | undefined;
  /** Language of a print letter's titles when the record names none (difi.move.dpi.language, default "NO"). */
  readonly defaultLanguage?: string | undefined;
  readonly spelling?: StandardSpelling | undefined;
}

export interface NextMoveDpiLetter {
  readonly type: "digital" | "utskrift";
  readonly messageId: string;
  readonly conversationId: string;
  /** "0192:<orgno>": the SBDH sender, whose certificate signed. */
  readonly sender: string;
  /** "0192:<orgno>": the behandlingsansvarlig, the sender or the organisation it sends on behalf of. */
  readonly avsender: string;
  /** "0192:<orgno>" of the postbox or print provider: the SBDH receiver. */
  readonly receiver: string;
  /** The compact JWS over the forretningsmelding. */
  readonly forretningsmelding: string;
  /** The CMS-encrypted ASiC-E. */
  readonly dokumentpakke: Uint8Array;
}

/** The letter and where it goes, together so that one check of `type` tells both. */
type LetterTo =
  | { readonly type: "digital"; readonly message: NextMoveDigital; readonly recipient: DigitalRecipient }
  | { readonly type: "print"; readonly message: NextMovePrint; readonly recipient: PrintRecipient };

const MISSING_TITLE = "Missing title";
/** Days after virkningstidspunkt a notice is repeated; the integrasjonspunkt always asks for these two. */
const REPETISJONER = [0, 7];

/**
 * Throws the errors of from-nextmove-errors.ts, SbdInvalidError when the result would break Digdir's schema
 * (as the integrasjonspunkt validates before it signs), or UnsupportedCmsAlgorithmError for a non-RSA recipient.
 */
export async function dpiLetterFromNextMove(input: NextMoveDpiInput): Promise<NextMoveDpiLetter> {
  const parsed = readNextMoveDpiMessage(input.sbd);
  const { message } = parsed;
  const signerOrg = `0192:${organisationNumberOf(input.signer.certificate)}`;
  if (!sameParticipant(signerOrg, parsed.sender)) throw new SigningCertificateNotSenderError(signerOrg, parsed.sender);
  const avsender = parsed.onBehalfOf ?? parsed.sender;
  const clock = input.clock ?? systemClock;
  const to: LetterTo =
    message.type === "digital"
      ? { type: "digital", message, recipient: digitalRecipient(input.record) }
      : { type: "print", message, recipient: printRecipient(input.record, input.printProvider) };

  const pakke = await dokumentpakke(to, avsender, input, clock);
  const header: LetterHeaderInput = {
    sender: parsed.sender,
    receiver: to.recipient.provider,
    avsender,
    ...(message.avsenderId !== undefined ? { avsenderidentifikator: message.avsenderId } : {}),
    ...(message.fakturaReferanse !== undefined ? { fakturaReferanse: message.fakturaReferanse } : {}),
    maskinportentoken: input.maskinportentoken,
    dokumentpakkefingeravtrykk: pakke.fingerprint,
    messageId: parsed.messageId,
    conversationId: parsed.conversationId,
    ...(parsed.expectedResponseDateTime !== undefined ? { expectedResponse: new Date(parsed.expectedResponseDateTime) } : {}),
    createdAt: clock(),
    ...(input.spelling !== undefined ? { spelling: input.spelling } : {}),
  };
  const letter = to.type === "digital" ? digital(header, to.message, to.recipient, input.timeZone ?? "Europe/Oslo") : print(header, to.message);
  // The integrasjonspunkt validates against Digdir's schema before it signs: a letter the intake would refuse is never signed.
  parseForretningsmelding(letter.payload);
  const { privateKey, certificate } = input.signer;
  return {
    type: to.type === "digital" ? "digital" : "utskrift",
    messageId: parsed.messageId,
    conversationId: parsed.conversationId,
    sender: parsed.sender,
    avsender,
    receiver: to.recipient.provider,
    forretningsmelding: await signForretningsmelding(letter.payload, { privateKey, certificate }),
    dokumentpakke: pakke.cms,
  };
}

/** The signed ASiC-E encrypted to the recipient; a document DPI does not take is the NextMove sender's to fix. */
async function dokumentpakke(to: LetterTo, avsender: string, input: NextMoveDpiInput, clock: Clock): Promise<BuiltDokumentpakke> {
  const { message, recipient } = to;
  const lang = to.type === "digital" ? to.message.spraak : (recipient.spraak ?? input.defaultLanguage ?? "NO");
  const { hoveddokument, vedlegg } = parcel(message, input.files, lang);
  try {
    return await buildDokumentpakke({
      hoveddokument,
      vedlegg,
      ...(to.type === "digital" ? { mottaker: { postkasseadresse: to.recipient.postkasseadresse } } : {}),
      avsender: {
        orgnr: avsender.slice("0192:".length),
        ...(message.avsenderId !== undefined ? { avsenderidentifikator: message.avsenderId } : {}),
        ...(message.fakturaReferanse !== undefined ? { fakturaReferanse: message.fakturaReferanse } : {}),
      },
      signer: input.signer,
      clock,
      recipientCertificate: recipient.certificate,
    });
  } catch (err) {
    if (err instanceof AsicInputError || err instanceof AsicMimeTypeNotAllowedError) throw new NextMoveDocumentRejectedError(err.message, err);
    throw err;
  }
}

function digital(header: LetterHeaderInput, message: NextMoveDigital, recipient: DigitalRecipient, timeZone: string): LetterPayload {
  return digitalLetter({
    ...header,
    postkasseadresse: recipient.postkasseadresse,
    sikkerhetsnivaa: message.sikkerhetsnivaa,
    virkningstidspunkt: startOfDay(message.virkningsdato, timeZone),
    aapningskvittering: message.aapningskvittering,
    ikkesensitivtittel: message.tittel,
    spraak: message.spraak,
    varsler: varsler(message, recipient),
  });
}

/** A notice goes only where KRR knows an address and the sender wrote a text for it; `{}` otherwise. */
function varsler(message: NextMoveDigital, recipient: DigitalRecipient): Varsler {
  const { epostadresse, mobiltelefonnummer } = recipient;
  return {
    ...(epostadresse !== undefined && message.epostTekst
      ? { epostvarsel: { epostadresse, varslingstekst: message.epostTekst, repetisjoner: [...REPETISJONER] } }
      : {}),
    ...(mobiltelefonnummer !== undefined && message.smsTekst
      ? { smsvarsel: { mobiltelefonnummer, varslingstekst: message.smsTekst, repetisjoner: [...REPETISJONER] } }
      : {}),
  };
}

function print(header: LetterHeaderInput, message: NextMovePrint): LetterPayload {
  return printLetter({
    ...header,
    mottaker: adresseInformasjon(message.mottaker),
    utskriftstype: message.utskriftsfarge === "FARGE" ? "FARGE" : "SORT_HVIT",
    retur: { mottaker: adresseInformasjon(message.retur.mottaker), returposthaandtering: message.retur.returhaandtering },
    posttype: message.posttype === "A_PRIORITERT" ? "A" : "B",
  });
}

/**
 * The main document, the attachments, and each document's metadata file: every file but the main document
 * and the metadata files is an attachment, in upload order.
 */
function parcel(
  message: NextMoveDigital | NextMovePrint,
  files: readonly NextMoveFile[],
  lang: string,
): { hoveddokument: AsicDocument & { title: string }; vedlegg: AsicDocument[] } {
  const byName = new Map(files.map((f) => [f.filename, f]));
  const main = byName.get(message.hoveddokument);
  if (!main) throw new NextMoveHoveddokumentMissingError(message.hoveddokument);
  const metadata = message.type === "digital" ? message.metadataFiler : new Map<string, string>();
  const unknown = [...new Set([...metadata.keys(), ...metadata.values()])].filter((name) => !byName.has(name));
  if (unknown.length > 0) throw new NextMoveMetadataFileMissingError(unknown);
  const metadataFiles = new Set(metadata.values());

  const document = (file: NextMoveFile) => {
    const dataName = metadata.get(file.filename);
    const data = dataName === undefined ? undefined : byName.get(dataName);
    return {
      ...asicFile(file),
      title: hasText(file.title) ? file.title : MISSING_TITLE,
      lang,
      ...(data ? { data: asicFile(data) } : {}),
    };
  };
  const vedlegg = files.filter((f) => f !== main && !metadataFiles.has(f.filename)).map(document);
  return { hoveddokument: document(main), vedlegg };
}

function asicFile(file: NextMoveFile): AsicFile {
  return { name: file.filename, mimeType: file.mimetype, bytes: file.bytes };
}
