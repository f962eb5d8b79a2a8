/**
 * The rules the core applies to a conversation's status history, read from the channel tables. Pure: a
 * history is the list of status names the conversation has, in the order they were registered.
 */
import { mapLegacyStatus } from "./legacy.js";
import { STATUS_MODELS } from "./models/index.js";
import type { Channel, ChannelStatusModel, Direction, EformidlingStatus, StatusDefinition, StatusName } from "./vocabulary.js";

export function statusModel(channel: Channel): ChannelStatusModel {
  return STATUS_MODELS[channel];
}

/** The channel's row for a status in one direction; undefined when the channel cannot reach it there. */
export function definitionOf(channel: Channel, direction: Direction, status: string): StatusDefinition | undefined {
  return STATUS_MODELS[channel].statuses.find((d) => d.direction === direction && d.status === status);
}

/** The directions in which the channel can reach the status. */
export function directionsOf(channel: Channel, status: string): Direction[] {
  return STATUS_MODELS[channel].statuses.filter((d) => d.status === status).map((d) => d.direction);
}

function rows(channel: Channel, status: string, direction?: Direction): StatusDefinition[] {
  return STATUS_MODELS[channel].statuses.filter((d) => d.status === status && (direction === undefined || d.direction === direction));
}

/**
 * Whether nothing further is expected after the status: it ends expiry supervision and polling. A status the
 * channel does not know is not terminal. Where a channel has a status in both directions, both agree on this.
 */
export function isTerminal(channel: Channel, status: string, direction?: Direction): boolean {
  return rows(channel, status, direction).some((d) => d.terminal);
}

/**
 * Whether the status answers the conversation, so it can no longer get LEVETID_UTLOPT. The direction is needed:
 * DPI's MOTTATT is an arrived message when incoming, and not a status of outgoing letters at all.
 */
export function endsExpiry(channel: Channel, status: string, direction: Direction): boolean {
  return rows(channel, status, direction).some((d) => d.endsExpiry);
}

/** Whether the status starts status polling (DPF and DPV: SENDT on an outgoing conversation). */
export function startsPolling(channel: Channel, status: string, direction: Direction = "OUTGOING"): boolean {
  const p = STATUS_MODELS[channel].polling;
  return p !== undefined && p.direction === direction && p.startsAt === status;
}

/** Whether the status stops status polling: a terminal status on a channel that polls in that direction. */
export function endsPolling(channel: Channel, status: string, direction: Direction = "OUTGOING"): boolean {
  const p = STATUS_MODELS[channel].polling;
  return p !== undefined && p.direction === direction && isTerminal(channel, status, direction);
}

/**
 * Whether the conversation still waits for an answer before its expiry: the channel can expire conversations
 * in this direction (it has LEVETID_UTLOPT there) and no status in the history ends expiry.
 */
export function underExpirySupervision(channel: Channel, direction: Direction, history: readonly string[]): boolean {
  if (!definitionOf(channel, direction, "LEVETID_UTLOPT")) return false;
  return !history.some((h) => endsExpiry(channel, mapLegacyStatus(h, channel), direction));
}

/** Whether the conversation is to be polled now: polling started and no status ended it. */
export function isPolled(channel: Channel, direction: Direction, history: readonly string[]): boolean {
  const names = history.map((h) => mapLegacyStatus(h, channel));
  return names.some((h) => startsPolling(channel, h, direction)) && !names.some((h) => endsPolling(channel, h, direction));
}

/** The integrasjonspunkt status the channel's status is reported as (see StatusDefinition.eformidling). */
export function toEformidling(channel: Channel, direction: Direction, status: string): EformidlingStatus | undefined {
  return definitionOf(channel, direction, status)?.eformidling;
}

export type RegisterRefusalCode = "status-not-in-model" | "status-duplicate" | "status-after-terminal";

export type RegisterDecision =
  | { ok: true; status: StatusName }
  | { ok: false; code: "status-not-in-model"; status: string; detail: string }
  | { ok: false; code: "status-duplicate"; status: StatusName; detail: string }
  | { ok: false; code: "status-after-terminal"; status: StatusName; terminal: StatusName; detail: string };

/**
 * May `next` be added to a conversation with this history? Names are first brought to today's names
 * (mapLegacyStatus); on `ok` the caller stores `status`, the name as it should be stored.
 * - The channel must reach the status in the conversation's direction (the channel tables).
 * - A status the conversation already has is not registered again (the integrasjonspunkt ignores it too:
 *   DefaultConversationService.registerStatus → hasStatus).
 * - After a terminal status only what that status's `mayFollow` lists is accepted: late news of an earlier step
 *   that the channel's sources show can arrive out of order. With several terminal statuses, each must allow it.
 */
export function canRegister(history: readonly string[], next: string, channel: Channel, direction: Direction): RegisterDecision {
  const status = mapLegacyStatus(next, channel);
  const def = definitionOf(channel, direction, status);
  if (!def) return { ok: false, code: "status-not-in-model", status, detail: `${channel} has no ${direction} status ${status}` };
  const had = history.map((h) => mapLegacyStatus(h, channel));
  if (had.includes(def.status)) return { ok: false, code: "status-duplicate", status: def.status, detail: `the conversation already has ${def.status}` };
  for (const h of had) {
    const t = definitionOf(channel, direction, h);
    if (t?.terminal && !t.mayFollow.includes(def.status)) {
      return { ok: false, code: "status-after-terminal", status: def.status, terminal: t.status, detail: `${def.status} cannot follow the terminal status ${t.status} on ${channel}` };
    }
  }
  return { ok: true, status: def.status };
}
