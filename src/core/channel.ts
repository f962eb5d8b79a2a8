import type { Logger } from "../log.js";
import type { StoreWrites } from "../store/conversations-repo.js";
import type { Conversation } from "../store/generated/client.js";
import type { Channel } from "./status/index.js";

/**
 * What the core asks of a channel (DESIGN.md, "The core is channel-neutral"): an outbound send, optional status
 * polling, and inbound sources that push (an HTTP endpoint such as DPI's AS4 receiver) or are polled (broker,
 * SvarInn, a queue). A channel is a folder under src/channels/ that implements these; the core (outbox, expiry,
 * status polling) knows nothing of AS4, Altinn or SvarUt.
 */

/** What the outbox hands a channel for one attempt. */
export interface SendContext {
  now: Date;
  /** This attempt's number, the first being 1. */
  attempt: number;
  /** A logger bound to the conversation (messageId, conversationId, channel, documentType, receiver). */
  log: Logger;
}

/**
 * The record a route was read from, exactly as fetched: an SMP's SignedServiceMetadata (DPI) or the Service
 * Registry's answer (the NextMove channels). The outbox stores it once per content (by `sha256`) and links each
 * attempt routed by it, so the console and the evidence bundle can show what the route came from.
 */
export interface RouteRecord {
  kind: "smp" | "service-registry";
  sourceUrl: string;
  fetchedAt: Date;
  /** application/xml (SMP), application/jose (a signed Service Registry answer) or application/json. */
  mediaType: string;
  body: Uint8Array;
  /** Hex SHA-256 of `body`, computed once when it was fetched. */
  sha256: string;
}

/** Where an attempt went and what routed it; every outcome may carry them. */
export interface AttemptFacts {
  /**
   * Where the attempt went, when it got that far (DPI: the receiving access point's normalised AS4 endpoint; the
   * other channels the URL of the broker, SvarUt, the correspondence API or the Service Bus queue). Recorded with
   * the attempt; a success there also wakes the conversations waiting in back-off for the same peer.
   */
  peer?: string | undefined;
  /** The routing record the attempt was routed by, when the channel looked one up before it failed or sent. */
  routedBy?: RouteRecord | undefined;
  /** Extra fields for the outbox's log line. */
  log?: Record<string, unknown> | undefined;
}

/** How one attempt ended. */
export type SendOutcome =
  | (AttemptFacts & {
      kind: "delivered";
      externalReference?: string | undefined;
      /** The status description (e.g. why there is no receipt evidence). */
      description?: string | undefined;
      /** The channel's evidence, committed together with SENDT. */
      also?: StoreWrites | undefined;
    })
  | (AttemptFacts & { kind: "retry"; reason: string })
  | (AttemptFacts & {
      kind: "failed";
      reason: string;
      code?: string | undefined;
      /** The channel's writes committed together with FEIL/FEILET (e.g. DPI's feil receipt to corner 1). */
      also?: StoreWrites | undefined;
    });

/** `outcome` with the facts a channel gathered while it tried (those it set; the outcome's own win). */
export function withFacts(outcome: SendOutcome, facts: AttemptFacts): SendOutcome {
  const known: AttemptFacts = {};
  if (facts.peer !== undefined && outcome.peer === undefined) known.peer = facts.peer;
  if (facts.routedBy !== undefined && outcome.routedBy === undefined) known.routedBy = facts.routedBy;
  return { ...outcome, ...known };
}

/**
 * A channel's outbound side. `C` is the conversation with the channel's own data, loaded for a claimed batch by
 * `load` (absent: the bare conversation is enough).
 */
export interface OutboundChannel<C extends Conversation = Conversation> {
  readonly channel: Channel;
  /** The status a failed conversation gets: FEIL (the integrasjonspunkt's), unless the channel's model says otherwise (DPI: FEILET). */
  readonly failedStatus?: string | undefined;
  /** Document types whose conversations expire (get LEVETID_UTLOPT, are not sent any more) past their expiry. */
  readonly expiringDocumentTypes?: readonly string[] | undefined;
  /** The channel's data for a claimed batch; a conversation missing from the answer is not sent this pass. */
  load?(claimed: readonly Conversation[]): Promise<C[]>;
  send(conversation: C, ctx: SendContext): Promise<SendOutcome>;
  /**
   * The channel's writes whenever the core records FEIL/FEILET (a `failed` outcome, or the retry window ran
   * out), committed with it after a `failed` outcome's own `also`; asked after the outbox took the status time,
   * so what it dates (DPI's feil receipt) follows the status. Undefined: none.
   */
  failureWrites?(conversation: C, reason: string): Promise<StoreWrites | undefined>;
}

/** A status the far side reports for a conversation (DPF, DPV). */
export interface StatusUpdate {
  status: string;
  at: Date;
  description?: string | undefined;
  /** The raw receipt or status message, kept on the conversation's timeline. */
  raw?: string | undefined;
  /**
   * The far side will say nothing more (DPV: the correspondence was purged or is gone): polling stops after this
   * update even where the status model does not make the status terminal.
   */
  endsPolling?: boolean | undefined;
}

/** Optional: channels whose far side is asked for status (DPF, DPV) rather than pushing receipts back. */
export interface StatusPoller<C extends Conversation = Conversation> {
  readonly channel: Channel;
  poll(conversation: C): Promise<StatusUpdate[]>;
}

/**
 * Where incoming messages come from. A pushed source is an HTTP endpoint the api layer mounts (DPI's AS4
 * receiver); a polled source runs its own loop (Altinn broker, SvarInn, a queue). Both hand what arrives to the
 * core's inbox.
 */
export interface InboundSource {
  readonly channel: Channel;
  readonly kind: "push" | "poll";
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** What routing is asked: who receives, in which process, which document type (DPI: and the security level). */
export interface RouteQuery {
  receiver: string;
  process: string;
  documentType: string;
  securityLevel?: number | undefined;
  /**
   * The SBD's `documentIdentification.standard` (eFormidling: the receiver's record must list it; when absent,
   * `documentType` is taken as the standard).
   */
  standard?: string | undefined;
  /** Sent to the Service Registry as a correlation id for its logs. */
  conversationId?: string | undefined;
}

/**
 * Where a conversation goes: the channel and the channel's endpoint (DPI: AS4 URL and certificate), and the
 * record it was read from (kept by the lookup's cache with the parsed answer, so no refetch is needed).
 */
export interface Route<E = unknown> {
  channel: Channel;
  endpoint: E;
  record?: RouteRecord | undefined;
}

/** Which channel and endpoint a receiver + process gets (SML/SMP for DPI; the Service Registry for the others). */
export interface Router<E = unknown> {
  route(query: RouteQuery): Promise<Route<E>>;
}

/** One file of an outgoing NextMove message, as stored (its bytes in the blob store under `blobKey`). */
export interface NextMoveOutgoingFile {
  filename: string;
  title: string | null;
  mimeType: string;
  size: number;
  blobKey: string;
}

/** An outgoing NextMove message the archive system asked to send: its conversation, SBD (as stored) and files. */
export interface NextMoveOutgoing {
  conversation: Conversation;
  /** The StandardBusinessDocument JSON with the integrasjonspunkt's defaults filled in. */
  sbd: string;
  files: readonly NextMoveOutgoingFile[];
}

/** What a handover prepared: the writes committed with the message's queueing, and how to undo what it stored if they are not. */
export interface PreparedHandover {
  writes: StoreWrites;
  discard(): Promise<void>;
}

/**
 * A channel's part in sending a NextMove message, where the channel must do work before the outbox can take it
 * (DPI: build, sign and encrypt the letter, and become the DPI conversation the DPI outbox sends). Channels
 * that read the NextMove message when they send need none. `draftStatus` is the status the conversation has
 * while the archive system assembles it.
 */
export interface NextMoveHandover {
  readonly channel: Channel;
  readonly draftStatus: string;
  /** `log`: the logger of the request being served, for what the preparation logs (a soft-fail revocation warning). */
  prepare(message: NextMoveOutgoing, log?: Logger): Promise<PreparedHandover>;
}
