/**
 * Real letters for the postbox simulator tests: a signed forretningsmelding and a CMS-encrypted ASiC-E
 * built with the project's own corner-1 code, with a knob for every way a letter can be wrong.
 */
import { createPrivateKey, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { base64url } from "jose";
import { buildAsicE, type BuildAsicEInput } from "../../src/dpi/build/asic-e.js";
import { signForretningsmelding } from "../../src/dpi/build/sign-forretningsmelding.js";
import type { XadesSigner } from "../../src/dpi/build/xades.js";
import type { Clock } from "../../src/clock.js";
import { dokumentpakkefingeravtrykk, encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import type { LetterType } from "../../src/dpi/document-types.js";
import { CERTS } from "../helpers/certs.js";
import { ORGS, samplePayload, type SampleOptions } from "../dpi/samples.js";

export const NOW = "2025-06-01T10:00:00.000Z";

const business = (file: string) => path.join(CERTS, "business", file);
export const BUSINESS_ROOT = new X509Certificate(readFileSync(business("root-ca.pem")));
export const BUSINESS_INTERMEDIATE = new X509Certificate(readFileSync(business("intermediate-ca.pem")));
/** As the access points trust them (README DPI_AP_BUSINESS_TRUST_ANCHORS). */
export const BUSINESS_ANCHORS = [BUSINESS_ROOT, BUSINESS_INTERMEDIATE];

export const DIGIPOST = "984661185";
export const EBOKS = "922020175";
export const PRINT = "974761076";
export const AVSENDER = "910076787";
export const DATABEHANDLER = "810969342";
export const OTHER_SENDER = "991825827";

export interface BusinessKey extends XadesSigner {
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
  readonly chain: readonly X509Certificate[];
}

export function businessKey(orgno: string): BusinessKey {
  return {
    privateKey: createPrivateKey(readFileSync(business(`${orgno}.key.pem`))),
    certificate: new X509Certificate(readFileSync(business(`${orgno}.pem`))),
    chain: [BUSINESS_INTERMEDIATE, BUSINESS_ROOT],
  };
}

/** An access point certificate: a real key, but not a business certificate. */
export function untrustedKey(): { privateKey: KeyObject; certificate: X509Certificate } {
  return {
    privateKey: createPrivateKey(readFileSync(path.join(CERTS, "ap/POP000001.key.pem"))),
    certificate: new X509Certificate(readFileSync(path.join(CERTS, "ap/POP000001.pem"))),
  };
}

/** A JWT carrying Maskinporten's consumer/supplier claims (its signature is not what corner 4 checks). */
export function fakeMaskinportenToken(consumer: string, supplier?: string): string {
  const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
  const actor = (orgno: string) => ({ authority: "iso6523-actorid-upis", ID: `0192:${orgno}` });
  return `${enc({ alg: "RS256", kid: "k" })}.${enc({ scope: "digitalpostinnbygger:send", consumer: actor(consumer), ...(supplier ? { supplier: actor(supplier) } : {}) })}.c2lnbmF0dXJl`;
}

export const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

export interface LetterOptions extends SampleOptions {
  type?: LetterType;
  /** Maskinporten token to embed; default a token for the avsender (and the databehandler when it sends). */
  token?: string;
  /** Signs the forretningsmelding; default the SBDH sender's business certificate. */
  jwsSigner?: { privateKey: KeyObject; certificate: X509Certificate; chain?: X509Certificate[] };
  /** Signs the ASiC-E; default the SBDH sender's business certificate. */
  asicSigner?: XadesSigner;
  /** The CMS is encrypted to this certificate; default the SBDH receiver's. */
  recipientCertificate?: X509Certificate;
  /** Changes to the ASiC-E input (manifest parties, documents) before it is built. */
  asic?: (input: BuildAsicEInput) => BuildAsicEInput;
  /** Replaces the container after it was built (tampering), before encryption. */
  tamperContainer?: (container: Uint8Array) => Uint8Array;
  /** Replaces the encrypted bytes; the fingerprint is of what is sent unless fingerprintOf is given. */
  cms?: Uint8Array;
  fingerprintOf?: Uint8Array;
  /** Changes to the payload before signing. */
  change?: (payload: any) => void;
  clock?: Clock;
  /** Expected response time of the conversation; default a day after the clock's now. */
  expectedResponse?: Date;
}

export interface BuiltLetter {
  jws: string;
  cms: Uint8Array;
  messageId: string;
  conversationId: string;
  payload: any;
}

const orgnrOf = (value: string) => value.split(":")[1]!;

/** A letter as a business system sends it, with a real ASiC-E encrypted to the provider. */
export async function buildLetter(opts: LetterOptions = {}): Promise<BuiltLetter> {
  const type = opts.type ?? "digital";
  const messageId = opts.messageId ?? randomUUID();
  const conversationId = opts.conversationId ?? randomUUID();
  const now = (opts.clock ?? (() => new Date()))();
  const payload: any = samplePayload(type, { createdAt: now.toISOString(), ...opts, messageId, conversationId });
  const sbd = payload.standardBusinessDocument;
  sbd.standardBusinessDocumentHeader.businessScope.scope[0].scopeInformation = [
    { expectedResponseDateTime: (opts.expectedResponse ?? new Date(now.getTime() + 86_400_000)).toISOString() },
  ];
  const body = sbd[type];
  const sender = orgnrOf(sbd.standardBusinessDocumentHeader.sender[0].identifier.value);
  const receiver = orgnrOf(sbd.standardBusinessDocumentHeader.receiver[0].identifier.value);
  const avsender = orgnrOf(body.avsender.virksomhetsidentifikator.value);

  let input: BuildAsicEInput = {
    hoveddokument: { name: "vedtak.pdf", mimeType: "application/pdf", title: "Vedtak om skatt", lang: "no", bytes: PDF },
    vedlegg: [{ name: "vedlegg.pdf", mimeType: "application/pdf", title: "Vedlegg", bytes: PDF }],
    ...(type === "utskrift" ? {} : { mottaker: { postkasseadresse: body.mottaker.postkasseadresse } }),
    avsender: {
      orgnr: avsender,
      ...(body.avsender.avsenderidentifikator ? { avsenderidentifikator: body.avsender.avsenderidentifikator } : {}),
    },
    signer: opts.asicSigner ?? businessKey(sender),
    ...(opts.clock ? { clock: opts.clock } : {}),
  };
  if (opts.asic) input = opts.asic(input);
  let container = buildAsicE(input);
  if (opts.tamperContainer) container = opts.tamperContainer(container);
  const cms = opts.cms ?? (await encryptDokumentpakke(container, opts.recipientCertificate ?? businessKey(receiver).certificate));

  body.maskinportentoken = opts.token ?? fakeMaskinportenToken(avsender, sender !== avsender ? sender : undefined);
  body.dokumentpakkefingeravtrykk = dokumentpakkefingeravtrykk(opts.fingerprintOf ?? cms);
  opts.change?.(payload);
  const jws = await signForretningsmelding(payload, opts.jwsSigner ?? { ...businessKey(sender), chain: [] });
  return { jws, cms, messageId, conversationId, payload };
}

export { ORGS };
