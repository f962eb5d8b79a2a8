import { randomBytes, randomUUID } from "node:crypto";
import { signForretningsmelding } from "../../src/dpi/build/sign-forretningsmelding.js";
import { dokumentpakkefingeravtrykk, encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import type { DpiMessageType } from "../../src/dpi/document-types.js";
import { samplePayload, type SampleOptions } from "../dpi/samples.js";
import { businessSigner, certificate, type Signer } from "./certs.js";

export interface BuiltMessage {
  jws: string;
  cms?: Uint8Array;
  messageId: string;
  conversationId: string;
  payload: any;
}

export interface BuildOptions extends SampleOptions {
  type?: DpiMessageType;
  /** Bearer token to embed as maskinportentoken (letters). */
  token?: string;
  /** Signer; default the SBDH sender's certificate from certs-example. */
  signer?: Signer;
  /** Change the payload before signing. */
  change?: (payload: any) => void;
  /** Override the CMS bytes (the fingerprint is computed from what is sent unless fingerprintOf is given). */
  cms?: Uint8Array;
  fingerprintOf?: Uint8Array;
  alg?: "RS256" | "RS512";
  /** expectedResponseDateTime of a letter; default a day from now. */
  expectedResponse?: Date;
}

/** A signed forretningsmelding (and, for letters, an encrypted dokumentpakke) as a business system makes it. */
export async function buildMessage(opts: BuildOptions = {}): Promise<BuiltMessage> {
  const type = opts.type ?? "digital";
  const messageId = opts.messageId ?? randomUUID();
  const conversationId = opts.conversationId ?? randomUUID();
  const payload: any = samplePayload(type, { ...opts, messageId, conversationId });
  const body = payload.standardBusinessDocument[type];
  for (const scope of payload.standardBusinessDocument.standardBusinessDocumentHeader.businessScope.scope) {
    if (scope.scopeInformation?.length) scope.scopeInformation = [{ expectedResponseDateTime: (opts.expectedResponse ?? new Date(Date.now() + 86_400_000)).toISOString() }];
  }
  const letter = "maskinportentoken" in body;
  let cms: Uint8Array | undefined;
  if (letter) {
    cms = opts.cms ?? (await encryptDokumentpakke(randomBytes(2048), certificate("business/984661185.pem")));
    body.maskinportentoken = opts.token ?? "no-token";
    body.dokumentpakkefingeravtrykk = dokumentpakkefingeravtrykk(opts.fingerprintOf ?? cms);
  }
  opts.change?.(payload);
  const senderOrg = payload.standardBusinessDocument.standardBusinessDocumentHeader.sender[0].identifier.value.split(":")[1];
  const jws = await signForretningsmelding(payload, opts.signer ?? businessSigner(senderOrg), opts.alg);
  return { jws, ...(cms ? { cms } : {}), messageId, conversationId, payload };
}
