import type { Channel } from "./status/index.js";
import { eformidlingDirection, eformidlingStatusOf } from "./eformidling-view.js";
import { formatOsloDateTime } from "./oslo-time.js";

/**
 * What a webhook subscription receives and which subscriptions receive it, as the integrasjonspunkt has it
 * (felleslosninger/efm-integrasjonspunkt, integrasjonspunkt/…/webhooks/): the event body is its
 * MessageStatusContent (WebhookContentFactory: resource "messages", event "status"), written with null fields
 * left out; a subscription takes it when its resource is "all" or "messages", its event "all" or "status", and
 * every part of its filter that applies matches (WebhookPusher.shouldPush). A filter is `name=value` parts
 * joined by "&", each name one of status, serviceIdentifier, direction, each value a comma-separated list
 * compared without regard to case (WebhookFilterParser, StatusFilter, ServiceIdentifierFilter, DirectionFilter).
 * Pure: no store, no HTTP.
 */

export const SUBSCRIPTION_RESOURCES = ["all", "messages"] as const;
export const SUBSCRIPTION_EVENTS = ["all", "status"] as const;
export const WEBHOOK_FILTER_NAMES = ["status", "serviceIdentifier", "direction"] as const;
export type WebhookFilterName = (typeof WEBHOOK_FILTER_NAMES)[number];

/** The body POSTed for a new status (MessageStatusContent), in the integrasjonspunkt's key order. */
export interface MessageStatusEvent {
  createdTs: string;
  resource: "messages";
  event: "status";
  messageId: string;
  conversationId: string;
  direction: "OUTGOING" | "INCOMING";
  serviceIdentifier: Channel;
  status: string;
  description?: string;
}

/** The body POSTed to a push endpoint when a subscription is created or moved there (PingContent). */
export interface PingEvent {
  createdTs: string;
  event: "ping";
}

/** One status of a conversation with what an event and a subscription's filter need of it. */
export interface StatusFacts {
  /** OUT or IN, as the store keeps it. */
  direction: "OUT" | "IN";
  messageId: string;
  conversationId: string;
  channel: Channel;
  /** The status as the channel names it (the stored name). */
  status: string;
  description: string | null;
  createdAt: Date;
  senderIdentifier: string;
  receiverIdentifier: string;
}

/** The event body for a status; `createdTs` is when the status was registered, the same in every retry. */
export function messageStatusEvent(s: StatusFacts): MessageStatusEvent {
  return {
    createdTs: formatOsloDateTime(s.createdAt),
    resource: "messages",
    event: "status",
    messageId: s.messageId,
    conversationId: s.conversationId,
    direction: eformidlingDirection(s.direction),
    serviceIdentifier: s.channel,
    status: eformidlingStatusOf(s.channel, s.direction, s.status),
    ...(s.description !== null ? { description: s.description } : {}),
  };
}

export function pingEvent(now: Date): PingEvent {
  return { createdTs: formatOsloDateTime(now), event: "ping" };
}

export interface WebhookFilterPart {
  name: WebhookFilterName;
  /** The accepted values (the part's comma-separated list). */
  values: readonly string[];
}

export type WebhookFilterParse = { ok: true; parts: WebhookFilterPart[] } | { ok: false; detail: string };

/** `^(\w+)(=)(.+)$` per "&"-separated part, as WebhookFilterParser reads it; `=` is the only operator it has. */
const PART = /^(\w+)=(.+)$/;

export function parseWebhookFilter(filter: string): WebhookFilterParse {
  const parts: WebhookFilterPart[] = [];
  for (const part of filter.split("&")) {
    const m = PART.exec(part);
    if (!m) return { ok: false, detail: `the filter part "${part}" is not name=value` };
    const name = m[1]!;
    if (!(WEBHOOK_FILTER_NAMES as readonly string[]).includes(name)) {
      return { ok: false, detail: `unknown filter "${name}"; known: ${WEBHOOK_FILTER_NAMES.join(", ")}` };
    }
    parts.push({ name: name as WebhookFilterName, values: m[2]!.split(",") });
  }
  return { ok: true, parts };
}

/** What a subscription says about which statuses it wants, as stored. */
export interface SubscriptionRule {
  resource: string;
  event: string;
  filter: string | null;
  /** Owner organisations (see ownerOrgs); null: every conversation this deployment serves. */
  owner: string | null;
}

/**
 * A subscription's owner as stored: the organisation numbers its creator may act for, comma-separated and
 * sorted, or null when the creator may act for every organisation served here. Only conversations one of
 * whose parties is one of them are pushed to it.
 */
export function ownerOf(orgs: readonly string[] | "*"): string | null {
  return orgs === "*" ? null : [...new Set(orgs)].sort().join(",");
}

export function ownerOrgs(owner: string): string[] {
  return owner === "" ? [] : owner.split(",");
}

/** "0192:910077473", "0192:910077473:<part>" or "910077473" → "910077473"; other identifiers as they are. */
function orgnoOf(identifier: string): string {
  const parts = identifier.split(":");
  return parts.length >= 2 ? parts[1]! : identifier;
}

function ownerSees(owner: string | null, s: StatusFacts): boolean {
  if (owner === null) return true;
  const orgs = ownerOrgs(owner);
  // As the API shows them (nextmove-status-repo visibleConversations): an organisation's own sending or receiving.
  return orgs.includes(orgnoOf(s.direction === "OUT" ? s.senderIdentifier : s.receiverIdentifier));
}

function valueOf(name: WebhookFilterName, e: MessageStatusEvent): string {
  return name === "status" ? e.status : name === "serviceIdentifier" ? e.serviceIdentifier : e.direction;
}

/**
 * Whether the subscription takes this status. A stored filter that does not parse (the API refuses such
 * filters, so only a hand-edited row has one) matches nothing rather than everything.
 */
export function subscriptionWants(rule: SubscriptionRule, s: StatusFacts): boolean {
  if (rule.resource !== "all" && rule.resource !== "messages") return false;
  if (rule.event !== "all" && rule.event !== "status") return false;
  if (!ownerSees(rule.owner, s)) return false;
  if (rule.filter === null || rule.filter.trim() === "") return true;
  const parsed = parseWebhookFilter(rule.filter);
  if (!parsed.ok) return false;
  const event = messageStatusEvent(s);
  return parsed.parts.every((p) => {
    const actual = valueOf(p.name, event).toUpperCase();
    return p.values.some((v) => v.toUpperCase() === actual);
  });
}
