import type { KeyObject, X509Certificate } from "node:crypto";
import type { GrantClient } from "../maskinporten/grant-client.js";
import { buildDokumentpakke, type BuildAsicEInput } from "../dpi/build/asic-e.js";
import { digitalLetter, printLetter, type DigitalLetterInput, type LetterPayload, type PrintLetterInput } from "../dpi/build/forretningsmelding.js";
import { messagesOutForm, postMessage } from "./messages-out-client.js";
import { signForretningsmelding } from "../dpi/build/sign-forretningsmelding.js";
import type { CitizenRoute, KrrClient } from "./krr-client.js";

/**
 * What every business system (corner 1) does to send digital post through a corner-2 access point: get a
 * Maskinporten token, look the citizen up in KRR (digital to the postbox KRR names, or print), build and sign
 * the ASiC-E document package, encrypt it to the recipient, write and sign
 * the forretningsmelding with the same token inside, post both, and follow statuses and receipts.
 */

export interface BusinessSystemOptions {
  /** Base URL of the corner-2 REST API. */
  accessPointUrl: string;
  grant: GrantClient;
  scope?: string;
  /** The SBDH sender's business certificate: signs the package and the forretningsmelding. */
  signer: { privateKey: KeyObject; certificate: X509Certificate; chain: readonly X509Certificate[] };
  /** "0192:<orgno>" of the signer (SBDH sender). */
  sender: string;
  /** "0192:<orgno>" of the behandlingsansvarlig; differs from sender when a databehandler sends. */
  avsender?: string;
  kanal?: string;
}

type Header = "sender" | "receiver" | "avsender" | "maskinportentoken" | "dokumentpakkefingeravtrykk";

export interface Document {
  name: string;
  mimeType: string;
  bytes: Uint8Array;
  title: string;
}

export interface SentLetter {
  messageId: string;
  conversationId: string;
}

/** A letter to a citizen whose channel KRR decides: what a digital letter and what a print letter need. */
export interface CitizenLetter {
  /** The citizen's fødselsnummer or d-nummer. */
  personidentifikator: string;
  /** The digital letter's fields; postkasseadresse, receiver and certificate come from KRR. */
  digital: Omit<DigitalLetterInput, Header | "postkasseadresse">;
  /** The print letter's fields (the postal address is the business system's own, e.g. from Folkeregisteret). */
  print: Omit<PrintLetterInput, Header>;
  document: Document;
  vedlegg?: Document[];
}

export interface TimelineEvent {
  timestamp: string;
  messageId: string;
  kind: "status" | "receipt";
  status: string;
  documentType: string;
  beskrivelse?: string;
}

export class PostError extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(`POST /messages/out answered ${status}: ${JSON.stringify(problem)}`);
    this.name = "PostError";
  }
}

export class BusinessSystem {
  constructor(private readonly o: BusinessSystemOptions) {}

  private async token(): Promise<string> {
    const consumerOrg = this.o.avsender && this.o.avsender !== this.o.sender ? this.o.avsender.replace(/^0192:/, "") : undefined;
    const t = await this.o.grant.getToken({ scope: this.o.scope ?? "digitalpostinnbygger:send", ...(consumerOrg ? { consumerOrg } : {}) });
    return t.access_token;
  }

  /** A digital letter to a citizen's postbox; the package is encrypted to the postbox's certificate. */
  async sendDigital(
    letter: Omit<DigitalLetterInput, Header> & { receiver: string; recipientCertificate: X509Certificate; document: Document; vedlegg?: Document[] },
  ): Promise<SentLetter> {
    return this.send(letter, { postkasseadresse: letter.postkasseadresse }, (fields) => digitalLetter({ ...letter, ...fields }));
  }

  /**
   * Looks the citizen up in KRR first (the DPI message flow's "Forespør innbyggers postkasse") and sends
   * digitally to the postbox provider KRR names, encrypted to the certificate KRR gives, or, when the citizen
   * is reserved, has no postbox or is not active in KRR, as a print letter to KRR's print provider.
   */
  async sendToCitizen(letter: CitizenLetter, krr: KrrClient): Promise<SentLetter & { route: CitizenRoute }> {
    const route = await krr.route(letter.personidentifikator);
    const files = { document: letter.document, ...(letter.vedlegg ? { vedlegg: letter.vedlegg } : {}) };
    if (route.kind === "digital") {
      const sent = await this.sendDigital({
        ...letter.digital,
        ...files,
        receiver: `0192:${route.provider}`,
        recipientCertificate: route.certificate,
        postkasseadresse: route.postkasseadresse,
      });
      return { ...sent, route };
    }
    const printer = await krr.printProvider();
    const sent = await this.sendPrint({ ...letter.print, ...files, receiver: `0192:${printer.provider}`, recipientCertificate: printer.certificate });
    return { ...sent, route };
  }

  /** A letter for the print service; the package is encrypted to the print provider's certificate. */
  async sendPrint(letter: Omit<PrintLetterInput, Header> & { receiver: string; recipientCertificate: X509Certificate; document: Document; vedlegg?: Document[] }): Promise<SentLetter> {
    return this.send(letter, undefined, (fields) => printLetter({ ...letter, ...fields }));
  }

  private async send(
    letter: { receiver: string; recipientCertificate: X509Certificate; document: Document; vedlegg?: Document[]; avsenderidentifikator?: string },
    mottaker: BuildAsicEInput["mottaker"],
    write: (fields: Pick<DigitalLetterInput, Header>) => LetterPayload,
  ): Promise<SentLetter> {
    const token = await this.token();
    const avsender = this.o.avsender ?? this.o.sender;
    const doc = (d: Document) => ({ name: d.name, mimeType: d.mimeType, bytes: d.bytes, title: d.title });
    const pakke = await buildDokumentpakke({
      hoveddokument: doc(letter.document),
      ...(letter.vedlegg ? { vedlegg: letter.vedlegg.map(doc) } : {}),
      ...(mottaker ? { mottaker } : {}),
      avsender: { orgnr: avsender.replace(/^0192:/, ""), ...(letter.avsenderidentifikator ? { avsenderidentifikator: letter.avsenderidentifikator } : {}) },
      signer: { privateKey: this.o.signer.privateKey, certificate: this.o.signer.certificate, chain: [...this.o.signer.chain] },
      recipientCertificate: letter.recipientCertificate,
    });
    const written = write({ sender: this.o.sender, receiver: letter.receiver, avsender, maskinportentoken: token, dokumentpakkefingeravtrykk: pakke.fingerprint });
    const jws = await signForretningsmelding(written.payload, this.o.signer);
    const r = await postMessage(this.o.accessPointUrl, token, messagesOutForm(jws, pakke.cms), this.o.kanal);
    if (r.status !== 201) throw new PostError(r.status, r.body);
    return { messageId: written.messageId, conversationId: written.conversationId };
  }

  /** The conversation's timeline: our access point's statuses and every receipt that came back. */
  async timeline(conversationId: string): Promise<TimelineEvent[]> {
    const res = await fetch(`${this.o.accessPointUrl}/status/${encodeURIComponent(conversationId)}`, { headers: { authorization: `Bearer ${await this.token()}` } });
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`GET /status answered ${res.status}`);
    return ((await res.json()) as { events: TimelineEvent[] }).events;
  }
}
