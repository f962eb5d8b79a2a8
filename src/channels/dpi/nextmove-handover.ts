import type { Logger } from "../../log.js";
import { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { NextMoveHandover, NextMoveOutgoing, PreparedHandover, Router } from "../../core/channel.js";
import { dpiLetterFromNextMove } from "../../dpi/from-nextmove.js";
import { messageRecord } from "../../dpi/message-record.js";
import type { VerifiedForretningsmelding } from "../../dpi/signed-forretningsmelding.js";
import type { StandardSpelling } from "../../dpi/document-types.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import { ReceiverDoesNotAcceptProcessError, conversationId, parseSbdJson, parties, processOf, securityLevelOf, type StandardBusinessDocument } from "../../sbd/index.js";
import type { DpiRecord } from "../../routing/service-registry/records.js";
import type { BlobStore } from "../../store/blob-store.js";
import { registerStatusIn } from "../../store/conversations-repo.js";
import type { DpiMessagesRepo } from "../../store/dpi-messages-repo.js";
import { revocationRecords } from "../../store/revocation-answers-repo.js";

/**
 * DPI's part in sending a NextMove `digital` or `print` message: this access point is then the archive system's
 * integrasjonspunkt and its corner 2 at once. The letter is built as the integrasjonspunkt builds it (the
 * receiver's DPI record from the Service Registry, the sending organisation's business certificate, a
 * Maskinporten token for the avsender), checked by the same verifier the DPI API's intake uses, and committed as
 * the conversation's DPI letter with OPPRETTET when the message is queued, so the DPI outbox sends it like any
 * other letter. Until then the conversation is UTKAST.
 */

export interface DpiHandoverDeps {
  /** Routing as the sending organisation asks it (its own Service Registry token). */
  routerFor(orgno: string): Router<EformidlingEndpoint>;
  keystores: OrgKeyStores;
  /** A Maskinporten token with scope digitalpostinnbygger:send for `avsender`, asked for by `sender` (both nine digits). */
  token(sender: string, avsender: string): Promise<string>;
  verify(jws: string, log?: Logger): Promise<VerifiedForretningsmelding>;
  repo: DpiMessagesRepo;
  blobs: BlobStore;
  clock: Clock;
  spelling?: StandardSpelling | undefined;
}

export const DPI_DRAFT_STATUS = "UTKAST";
const ACCEPTED_STATUS = "OPPRETTET";

export function createDpiHandover(deps: DpiHandoverDeps): NextMoveHandover {
  return {
    channel: "DPI",
    draftStatus: DPI_DRAFT_STATUS,
    prepare: (message, log) => prepare(message, deps, log),
  };
}

async function prepare(message: NextMoveOutgoing, deps: DpiHandoverDeps, log?: Logger): Promise<PreparedHandover> {
  const sbd = parseSbdJson(message.sbd);
  const { senderPrimary, sender } = parties(sbd);
  const record = await dpiRecordOf(sbd, deps.routerFor(senderPrimary!));
  const senderOrg = senderPrimary!;
  const avsenderOrg = sender!;
  const [signer, maskinportentoken, files] = await Promise.all([
    deps.keystores.get(senderOrg),
    deps.token(senderOrg, avsenderOrg),
    Promise.all(message.files.map(async (f) => ({ filename: f.filename, mimetype: f.mimeType, title: f.title ?? undefined, bytes: await deps.blobs.read(f.blobKey) }))),
  ]);
  const letter = await dpiLetterFromNextMove({
    sbd: JSON.parse(message.sbd),
    files,
    record,
    signer,
    maskinportentoken,
    clock: deps.clock,
    spelling: deps.spelling,
  });
  // What a business system posts to the DPI API passes this check before it is taken; a letter we signed
  // ourselves is held to the same.
  const verified = await deps.verify(letter.forretningsmelding, log);
  const pakke = await deps.blobs.write(Readable.from([Buffer.from(letter.dokumentpakke)]));
  const dpiMessage = messageRecord(verified.message, { direction: "OUT", jws: verified.jws, dokumentpakke: pakke, revocation: revocationRecords(verified.revocation, "forretningsmelding") });
  return {
    writes: async (tx) => {
      await deps.repo.attachIn(tx, dpiMessage);
      await registerStatusIn(tx, "OUT", message.conversation.messageId, ACCEPTED_STATUS, deps.clock());
    },
    discard: () => deps.blobs.delete(pakke.key),
  };
}

/**
 * The receiver's DPI record, looked up again when the letter is built, as the integrasjonspunkt's DPI strategy
 * does: the person may have changed postbox since the message was created. A print letter may have no receiver
 * (the integrasjonspunkt allows it): it goes with the addresses it carries and no record.
 */
async function dpiRecordOf(sbd: StandardBusinessDocument, router: Router<EformidlingEndpoint>): Promise<DpiRecord | undefined> {
  const { receiver } = parties(sbd);
  if (receiver === undefined) return undefined;
  const process = processOf(sbd)!;
  const route = await router.route({
    receiver,
    process,
    documentType: sbd.type,
    standard: sbd.header.documentIdentification?.standard,
    securityLevel: securityLevelOf(sbd),
    conversationId: conversationId(sbd),
  });
  if (route.endpoint.serviceIdentifier !== "DPI") throw new ReceiverDoesNotAcceptProcessError(process, `the receiver is now reached over ${route.endpoint.serviceIdentifier}, not DPI`);
  return route.endpoint;
}
