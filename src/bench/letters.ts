import { randomBytes, randomUUID, type KeyObject, type X509Certificate } from "node:crypto";
import { buildDokumentpakke } from "../dpi/build/asic-e.js";
import { signForretningsmelding } from "../dpi/build/sign-forretningsmelding.js";
import type { Dokumentpakkefingeravtrykk } from "../dpi/bodies.js";
import { documentTypeId, processForLetter } from "../dpi/document-types.js";
import type { StandardBusinessDocumentJson } from "../dpi/sbd.js";

/**
 * The letters a benchmark sends, built before the clock starts: signing and CMS encryption are corner 1's
 * cost, not the access point's. Every letter has its own message and conversation id and its own signed
 * forretningsmelding; letters of one size share one dokumentpakke (a real ASiC-E, CMS-encrypted to the
 * postbox provider), since the access point treats every upload on its own anyway and encrypting 2 000
 * identical documents would only measure the bench.
 */

/** Who sends to whom: an avsender sending for itself to a digital postbox provider. */
export interface LetterParties {
  /** "0192:<orgno>": SBDH sender and body avsender. */
  avsender: string;
  /** "0192:<orgno>": SBDH receiver, the postbox provider. */
  provider: string;
  postkasseadresse: string;
  avsenderidentifikator?: string;
}

export interface LetterFields {
  messageId: string;
  conversationId: string;
  createdAt: Date;
  /** expectedResponseDateTime: the leveringskvittering is due by then. */
  expectedResponse: Date;
  /** The bearer token the letter is posted with (dpi.md: maskinportentoken = bearer). */
  token: string;
  fingerprint: Dokumentpakkefingeravtrykk;
  title: string;
}

/** The forretningsmelding payload of a digital letter that asks for no aapningskvittering and no notifications. Pure. */
export function digitalLetterPayload(parties: LetterParties, f: LetterFields): StandardBusinessDocumentJson {
  const actor = (value: string) => ({ identifier: { authority: "iso6523-actorid-upis", value } });
  return {
    standardBusinessDocument: {
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [actor(parties.avsender)],
        receiver: [actor(parties.provider)],
        documentIdentification: {
          standard: documentTypeId("digital"),
          typeVersion: "1.0",
          instanceIdentifier: f.messageId,
          type: "digital",
          creationDateAndTime: f.createdAt.toISOString(),
        },
        businessScope: {
          scope: [
            {
              type: "ConversationId",
              instanceIdentifier: f.conversationId,
              identifier: processForLetter("digital"),
              scopeInformation: [{ expectedResponseDateTime: f.expectedResponse.toISOString() }],
            },
          ],
        },
      },
      digital: {
        avsender: {
          virksomhetsidentifikator: { authority: "iso6523-actorid-upis", value: parties.avsender },
          ...(parties.avsenderidentifikator !== undefined ? { avsenderidentifikator: parties.avsenderidentifikator } : {}),
        },
        mottaker: { postkasseadresse: parties.postkasseadresse },
        dokumentpakkefingeravtrykk: f.fingerprint,
        maskinportentoken: f.token,
        sikkerhetsnivaa: 4,
        aapningskvittering: false,
        ikkesensitivtittel: f.title,
        spraak: "no",
      },
    },
  } as StandardBusinessDocumentJson;
}

/**
 * A document of exactly `size` bytes that looks like a PDF and, like a real one full of compressed streams,
 * does not compress: a PDF header, random filler, an EOF marker.
 */
export function documentBytes(size: number, random: (n: number) => Uint8Array = randomBytes): Uint8Array {
  const head = new TextEncoder().encode("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
  const tail = new TextEncoder().encode("\n%%EOF\n");
  const out = new Uint8Array(size);
  if (size < head.length + tail.length) {
    out.set(random(size));
    return out;
  }
  out.set(head, 0);
  out.set(random(size - head.length - tail.length), head.length);
  out.set(tail, size - tail.length);
  return out;
}

export interface BusinessSigner {
  privateKey: KeyObject;
  certificate: X509Certificate;
  /** Issuing CA(s) up to the root, for the XAdES signature. */
  chain: X509Certificate[];
}

export interface SharedDokumentpakke {
  documentBytes: number;
  cms: Uint8Array;
  fingerprint: Dokumentpakkefingeravtrykk;
}

/** One real ASiC-E (one main document of `size` bytes, signed by the avsender) encrypted to the provider. */
export async function buildSharedDokumentpakke(
  size: number,
  parties: LetterParties,
  signer: BusinessSigner,
  providerCertificate: X509Certificate,
): Promise<SharedDokumentpakke> {
  const built = await buildDokumentpakke({
    hoveddokument: { name: "brev.pdf", mimeType: "application/pdf", title: "Brev fra benchmark", lang: "no", bytes: documentBytes(size) },
    mottaker: { postkasseadresse: parties.postkasseadresse },
    avsender: {
      orgnr: parties.avsender.replace(/^0192:/, ""),
      ...(parties.avsenderidentifikator !== undefined ? { avsenderidentifikator: parties.avsenderidentifikator } : {}),
    },
    signer: { privateKey: signer.privateKey, certificate: signer.certificate, chain: signer.chain },
    recipientCertificate: providerCertificate,
  });
  return { documentBytes: size, cms: built.cms, fingerprint: built.fingerprint };
}

/** A letter ready to post. */
export interface PreparedLetter {
  messageId: string;
  conversationId: string;
  jws: string;
  cms: Uint8Array;
}

export interface PrepareOptions {
  count: number;
  parties: LetterParties;
  signer: BusinessSigner;
  token: string;
  dokumentpakke: SharedDokumentpakke;
  now: Date;
  /** How long the provider has to answer (expectedResponseDateTime); default a day. */
  expectedResponseMs?: number;
  title?: string;
  newId?: () => string;
}

/** `count` letters with fresh ids, each forretningsmelding signed by the avsender. */
export async function prepareLetters(o: PrepareOptions): Promise<PreparedLetter[]> {
  const newId = o.newId ?? randomUUID;
  const expectedResponse = new Date(o.now.getTime() + (o.expectedResponseMs ?? 86_400_000));
  const out: PreparedLetter[] = [];
  for (let i = 0; i < o.count; i++) {
    const messageId = newId();
    const conversationId = newId();
    const payload = digitalLetterPayload(o.parties, {
      messageId,
      conversationId,
      createdAt: o.now,
      expectedResponse,
      token: o.token,
      fingerprint: o.dokumentpakke.fingerprint,
      title: o.title ?? "Brev fra benchmark",
    });
    const jws = await signForretningsmelding(payload, { privateKey: o.signer.privateKey, certificate: o.signer.certificate });
    out.push({ messageId, conversationId, jws, cms: o.dokumentpakke.cms });
  }
  return out;
}
