import { randomUUID, type KeyObject, type X509Certificate } from "node:crypto";
import { signForretningsmelding } from "../../dpi/build/sign-forretningsmelding.js";
import { systemClock, type Clock } from "../../clock.js";
import type { AdresseInformasjon, DigitalBody, FlyttetBody } from "../../dpi/bodies.js";
import { MAX_PACKAGE_SIZE } from "../../dpi/asic-verify.js";
import type { LetterType, ReceiptType } from "../../dpi/document-types.js";
import type { Forretningsmelding } from "../../dpi/sbd.js";
import { silentLogger, type Logger } from "../../log.js";
import { createGrantClient, type GrantClient, type GrantClientOptions } from "../../maskinporten/grant-client.js";
import { DPI_SEND_SCOPE } from "../../maskinporten/token.js";
import { organisationNumberOf } from "../../pki/business-certificate.js";
import { createAccessPointClient, type InboxItem } from "./access-point-client.js";
import { checkLetter, readForretningsmeldingUnverified, type CheckedLetter, type CheckStage } from "./check-letter.js";
import { buildReceipt, type ReceiptDetails } from "./receipt-builder.js";
import { receiptsFor, type ReceiptPolicy } from "./receipts-for.js";
import { eachAtMost } from "../../each-at-most.js";

/**
 * A postbox or print provider (corner 4) that talks to a corner-3 access point the way a real one would:
 * it polls GET /messages/in with its own Maskinporten token, checks each letter end to end
 * (check-letter.ts), "delivers" it (remembers it), hands its signed receipts to POST /messages/out and
 * confirms the letter read only once the receipts due at delivery were accepted. A letter seen again
 * (because a confirmation never arrived) is recognised by its message id and not delivered twice; the
 * receipts still owed are sent again with their original message ids and bytes.
 */

/** Returns a Maskinporten access token for the provider. */
export type TokenSource = () => Promise<string>;

export interface PostboxBehaviour extends ReceiptPolicy {
  /**
   * Simulates a crash right after a letter was delivered, before any receipt or read confirmation went out
   * (asked once per delivered letter). The access point then offers the letter again.
   */
  readonly crashAfterDelivery?: (messageId: string) => boolean;
  /** Check the embedded maskinportentoken's consumer/supplier against the letter (default true). */
  readonly checkMaskinportentoken?: boolean;
  /** JWS algorithm of the receipts (default RS512, as Digipost signs). */
  readonly receiptAlgorithm?: "RS256" | "RS512";
}

export interface PostboxSimOptions {
  /** Base URL of the corner-3 REST API. */
  readonly accessPointUrl: string;
  /** The provider's organisation number, "984661185" or "0192:984661185". */
  readonly orgno: string;
  /** The provider's business certificate: signs receipts and is the key the dokumentpakke is encrypted to. */
  readonly signer: { readonly privateKey: KeyObject; readonly certificate: X509Certificate; readonly chain?: readonly X509Certificate[] };
  /** How to get Maskinporten tokens: grant client options, a grant client, or a function returning a token. */
  readonly grant: GrantClientOptions | GrantClient | TokenSource;
  /** Scope to request (default digitalpostinnbygger:send). */
  readonly scope?: string;
  /** CAs trusted to issue business certificates. */
  readonly businessAnchors: readonly X509Certificate[];
  readonly clock?: Clock;
  /** Poll interval; 0 = no polling of its own, call pollOnce() (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Only letters of this kanal (GET /messages/in?kanal=). */
  readonly kanal?: string;
  /** page_size of each poll (default 100). */
  readonly pageSize?: number;
  /**
   * Letters of one page handled at the same time (default 1: one after the other, in the page's order). A
   * provider's real service works on many letters at once; each letter still goes download → check → receipts
   * → read in its own order.
   */
  readonly concurrency?: number;
  readonly maxDokumentpakkeBytes?: number;
  readonly behaviour?: PostboxBehaviour;
  readonly log?: Logger;
  /** Receipt message ids (default random uuids). */
  readonly newId?: () => string;
}

/** A letter the provider accepted and put in the citizen's postbox (or the print queue). */
export interface DeliveredLetter {
  readonly messageId: string;
  readonly conversationId: string;
  readonly type: LetterType;
  /** SBDH sender, "0192:<orgno>" (avsender or databehandler). */
  readonly sender: string;
  /** "0192:<orgno>" of the behandlingsansvarlig. */
  readonly avsender: string;
  readonly avsenderidentifikator?: string;
  /** The main document's title from the manifest, else ikkesensitivtittel, else its file name. */
  readonly title: string;
  readonly ikkesensitivtittel?: string;
  readonly postkasseadresse?: string;
  readonly printAddress?: AdresseInformasjon;
  /** Document file names: the main document first, then attachments (each followed by its data file). */
  readonly files: readonly string[];
  readonly deliveredAt: Date;
}

/** A letter the provider refused; it got a `feil` receipt when it could be addressed. */
export interface RejectedLetter {
  readonly messageId: string;
  readonly conversationId?: string;
  readonly stage: CheckStage;
  readonly code: string;
  readonly detail: string;
  readonly rejectedAt: Date;
}

export type ReceiptStatus = "pending" | "accepted" | "refused";

export interface SentReceipt {
  readonly messageId: string;
  readonly type: ReceiptType;
  readonly letterMessageId: string;
  readonly conversationId: string;
  readonly dueAt: Date;
  readonly status: ReceiptStatus;
  readonly attempts: number;
  readonly jws?: string;
  /** The access point's answer when it refused the receipt. */
  readonly problem?: string;
}

export interface PostboxStats {
  polls: number;
  /** Inbox entries seen, redeliveries included. */
  listed: number;
  delivered: number;
  rejected: number;
  /** Letters offered again after they had been handled. */
  redeliveries: number;
  receiptsAccepted: number;
  receiptsRefused: number;
  /** Failed polls and letters that will be tried again. */
  errors: number;
}

export interface PollResult {
  readonly listed: number;
  readonly delivered: number;
  readonly rejected: number;
  readonly redelivered: number;
  /** Entries left for a later poll (download or access point failures, simulated crashes). */
  readonly failed: number;
}

export interface PostboxSim {
  /** "0192:<orgno>" */
  readonly provider: string;
  /** One poll: due delayed receipts, then the inbox. Polls never overlap; this waits for a running one. */
  pollOnce(): Promise<PollResult>;
  delivered(): DeliveredLetter[];
  rejected(): RejectedLetter[];
  receipts(): SentReceipt[];
  stats(): PostboxStats;
  /** Stops polling and timers and waits for the running poll. */
  stop(): Promise<void>;
}

/** Thrown (and counted as a failed entry) by behaviour.crashAfterDelivery. */
export class SimulatedCrashError extends Error {
  readonly code = "simulated-crash";
  constructor(readonly messageId: string) {
    super(`simulated crash after delivering ${messageId}`);
    this.name = "SimulatedCrashError";
  }
}

interface ReceiptState {
  readonly messageId: string;
  readonly details: ReceiptDetails;
  readonly letter: Forretningsmelding;
  readonly dueAt: Date;
  /** Due when the letter is handled: it is confirmed read only after these are settled. */
  readonly immediate: boolean;
  status: ReceiptStatus;
  attempts: number;
  jws?: string;
  problem?: string;
}

interface LetterState {
  readonly messageId: string;
  readonly receipts: ReceiptState[];
  read: boolean;
  scheduled: boolean;
}

const NORWEGIAN_ORGNO = /^(?:0192:)?(\d{9})$/;

export async function startPostboxSim(options: PostboxSimOptions): Promise<PostboxSim> {
  const match = NORWEGIAN_ORGNO.exec(options.orgno);
  if (!match) throw new TypeError(`orgno ${JSON.stringify(options.orgno)} is not a nine-digit organisation number`);
  const orgnr = match[1]!;
  const provider = `0192:${orgnr}`;
  const certOrg = organisationNumberOf(options.signer.certificate);
  if (certOrg !== orgnr) throw new TypeError(`the signer certificate belongs to ${certOrg}, not to ${orgnr}`);

  const clock = options.clock ?? systemClock;
  const log = (options.log ?? silentLogger).child({ postbox: provider });
  const behaviour = options.behaviour ?? {};
  const newId = options.newId ?? randomUUID;
  const maxBytes = options.maxDokumentpakkeBytes ?? MAX_PACKAGE_SIZE;
  const token = tokenSourceOf(options.grant, options.scope ?? DPI_SEND_SCOPE);
  const ap = createAccessPointClient({
    baseUrl: options.accessPointUrl,
    ...(options.kanal !== undefined ? { kanal: options.kanal } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
  });
  const pageSize = options.pageSize ?? 100;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, not ${concurrency}`);
  const checkContext = {
    provider,
    recipient: { privateKey: options.signer.privateKey, certificate: options.signer.certificate },
    businessAnchors: options.businessAnchors,
    clock,
    maxDokumentpakkeBytes: maxBytes,
    ...(behaviour.checkMaskinportentoken !== undefined ? { checkMaskinportentoken: behaviour.checkMaskinportentoken } : {}),
  };

  const letters = new Map<string, LetterState>();
  const deliveredLetters: DeliveredLetter[] = [];
  const rejectedLetters: RejectedLetter[] = [];
  const stats: PostboxStats = { polls: 0, listed: 0, delivered: 0, rejected: 0, redeliveries: 0, receiptsAccepted: 0, receiptsRefused: 0, errors: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job queued before it, so polls and timer wake-ups never overlap. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  };

  const later = (ms: number, job: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) job();
    }, ms);
    t.unref();
    timers.add(t);
  };

  // ---- receipts -----------------------------------------------------------------------------------

  const post = async (r: ReceiptState, bearer: string): Promise<void> => {
    if (r.jws === undefined) {
      const built = buildReceipt({ letter: r.letter, provider, messageId: r.messageId, at: clock(), details: r.details });
      r.jws = await signForretningsmelding(built.payload, { privateKey: options.signer.privateKey, certificate: options.signer.certificate }, behaviour.receiptAlgorithm ?? "RS512");
    }
    r.attempts++;
    const ids = { messageId: r.messageId, conversationId: r.letter.conversationId, letterMessageId: r.letter.messageId, documentType: r.details.type };
    const result = await ap.postReceipt(r.jws, bearer);
    if (result.outcome === "accepted") {
      r.status = "accepted";
      stats.receiptsAccepted++;
      log.info(ids, "receipt accepted");
    } else if (result.outcome === "refused") {
      r.status = "refused";
      r.problem = `HTTP ${result.status}: ${result.problem}`;
      stats.receiptsRefused++;
      log.error({ ...ids, status: result.status, problem: result.problem }, "receipt refused by the access point");
    } else {
      r.problem = `HTTP ${result.status}: ${result.problem}`;
      log.warn({ ...ids, status: result.status, problem: result.problem }, "receipt not accepted yet; will retry");
    }
  };

  /** Sends the receipts owed at delivery, then confirms the letter read; schedules the later ones. */
  const finish = async (state: LetterState, bearer: string): Promise<boolean> => {
    for (const r of state.receipts) if (r.immediate && r.status === "pending") await post(r, bearer);
    if (state.receipts.some((r) => r.immediate && r.status === "pending")) return false;
    if (!state.read) {
      await ap.markRead(state.messageId, bearer);
      state.read = true;
      log.info({ messageId: state.messageId }, "letter confirmed read");
    }
    if (!state.scheduled) {
      state.scheduled = true;
      for (const r of state.receipts) {
        if (!r.immediate && options.pollIntervalMs !== 0) later(Math.max(0, r.dueAt.getTime() - clock().getTime()), () => void serial(() => flushDue()).catch(() => undefined));
      }
    }
    return true;
  };

  /** Posts later receipts that are due, of letters whose delivery receipts went out. */
  const flushDue = async (): Promise<void> => {
    const now = clock().getTime();
    const due = [...letters.values()].flatMap((s) =>
      s.read ? s.receipts.filter((r) => !r.immediate && r.status === "pending" && r.dueAt.getTime() <= now) : [],
    );
    if (due.length === 0) return;
    const bearer = await token();
    for (const r of due) await post(r, bearer);
  };

  // ---- letters ------------------------------------------------------------------------------------

  type Handled = "delivered" | "rejected" | "redelivered";

  const handle = async (item: InboxItem, bearer: string): Promise<Handled> => {
    const claimed = readForretningsmeldingUnverified(item.forretningsmelding);
    const messageId = claimed?.messageId ?? idFromDownloadUrl(item.downloadurl);
    if (messageId === undefined) throw new Error("an inbox entry has neither a readable forretningsmelding nor a downloadurl");

    const known = letters.get(messageId);
    if (known) {
      stats.redeliveries++;
      log.warn({ messageId, conversationId: claimed?.conversationId }, "letter offered again; not delivering it twice");
      // Already confirmed, but the confirmation did not take (or its answer was lost): confirm again.
      if (known.read) await ap.markRead(messageId, bearer);
      await finish(known, bearer);
      return "redelivered";
    }

    const check = await checkLetter(
      item.forretningsmelding,
      item.downloadurl === undefined ? undefined : () => ap.download(item.downloadurl!, bearer, maxBytes),
      checkContext,
    );
    const now = clock();
    const plan = receiptsFor(check, behaviour, now);
    const letter = check.ok ? check.letter.message : check.message;
    const state: LetterState = {
      messageId,
      read: false,
      scheduled: false,
      receipts: letter
        ? plan.map((p) => ({
            messageId: newId(),
            details: p.details,
            letter,
            dueAt: new Date(now.getTime() + p.delayMs),
            immediate: p.delayMs === 0,
            status: "pending" as const,
            attempts: 0,
          }))
        : [],
    };
    letters.set(messageId, state);

    if (check.ok) {
      deliveredLetters.push(deliveryOf(check.letter, now));
      stats.delivered++;
      log.info({ messageId, conversationId: check.letter.message.conversationId, documentType: check.letter.type }, "letter delivered");
      if (behaviour.crashAfterDelivery?.(messageId)) throw new SimulatedCrashError(messageId);
    } else {
      rejectedLetters.push({
        messageId,
        ...(letter ? { conversationId: letter.conversationId } : {}),
        ...check.rejection,
        rejectedAt: now,
      });
      stats.rejected++;
      log.warn({ messageId, conversationId: letter?.conversationId, ...check.rejection, trusted: check.trusted }, "letter refused");
    }
    await finish(state, bearer);
    return check.ok ? "delivered" : "rejected";
  };

  const poll = async (): Promise<PollResult> => {
    stats.polls++;
    const result = { listed: 0, delivered: 0, rejected: 0, redelivered: 0, failed: 0 };
    const bearer = await token();
    await flushDue();
    // A full page that was entirely handled may hide more letters behind it; a page with stuck letters waits.
    for (let round = 0; round < 10; round++) {
      const items = await ap.listInbox(bearer);
      result.listed += items.length;
      stats.listed += items.length;
      let stuck = 0;
      const handleOne = async (item: InboxItem): Promise<void> => {
        try {
          const outcome = await handle(item, bearer);
          result[outcome]++;
          if (!letters.get(claimedId(item) ?? "")?.read) stuck++;
        } catch (err) {
          stuck++;
          result.failed++;
          stats.errors++;
          log.warn({ err, downloadurl: item.downloadurl }, "letter left for a later poll");
        }
      };
      await eachAtMost(items, concurrency, handleOne);
      if (items.length < pageSize || stuck > 0 || stopped) break;
    }
    // Polls every second find nothing most of the time: at info they drowned the sandbox's log.
    if (result.listed === 0) log.debug("poll: no letters");
    return result;
  };

  const pollOnce = () => serial(poll);

  const loop = () => {
    if (stopped) return;
    pollOnce()
      .catch((err: unknown) => {
        stats.errors++;
        log.warn({ err }, "poll failed");
      })
      .finally(() => {
        if (!stopped) later(options.pollIntervalMs ?? 1000, loop);
      });
  };
  if (options.pollIntervalMs !== 0) loop();

  return {
    provider,
    pollOnce,
    delivered: () => [...deliveredLetters],
    rejected: () => [...rejectedLetters],
    receipts: () =>
      [...letters.values()].flatMap((s) =>
        s.receipts.map((r) => ({
          messageId: r.messageId,
          type: r.details.type,
          letterMessageId: s.messageId,
          conversationId: r.letter.conversationId,
          dueAt: r.dueAt,
          status: r.status,
          attempts: r.attempts,
          ...(r.jws !== undefined ? { jws: r.jws } : {}),
          ...(r.problem !== undefined && r.status === "refused" ? { problem: r.problem } : {}),
        })),
      ),
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await queue;
    },
  };
}

function tokenSourceOf(grant: PostboxSimOptions["grant"], scope: string): TokenSource {
  if (typeof grant === "function") return grant;
  const client = "getToken" in grant ? grant : createGrantClient(grant);
  return async () => (await client.getToken({ scope })).access_token;
}

function claimedId(item: InboxItem): string | undefined {
  return readForretningsmeldingUnverified(item.forretningsmelding)?.messageId ?? idFromDownloadUrl(item.downloadurl);
}

const UUID_AT_END = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

function idFromDownloadUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return UUID_AT_END.exec(new URL(url, "http://x/").pathname)?.[1];
  } catch {
    return undefined;
  }
}

function deliveryOf(letter: CheckedLetter, at: Date): DeliveredLetter {
  const m = letter.message;
  const manifest = letter.asic.manifest;
  const body = m.document.body as Partial<DigitalBody & FlyttetBody>;
  const files = [manifest.hoveddokument, ...manifest.vedlegg].flatMap((d) => (d.data ? [d.href, d.data.href] : [d.href]));
  return {
    messageId: m.messageId,
    conversationId: m.conversationId,
    type: letter.type,
    sender: m.sender.value,
    avsender: m.avsender.value,
    ...(m.avsenderidentifikator !== undefined ? { avsenderidentifikator: m.avsenderidentifikator } : {}),
    title: manifest.hoveddokument.tittel?.text ?? body.ikkesensitivtittel ?? manifest.hoveddokument.href,
    ...(body.ikkesensitivtittel !== undefined ? { ikkesensitivtittel: body.ikkesensitivtittel } : {}),
    ...(letter.postkasseadresse !== undefined ? { postkasseadresse: letter.postkasseadresse } : {}),
    ...(letter.printAddress !== undefined ? { printAddress: letter.printAddress } : {}),
    files,
    deliveredAt: at,
  };
}

