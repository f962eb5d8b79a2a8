/**
 * A conversation's `finished` and `pollable` flags, as the integrasjonspunkt keeps them
 * (DefaultConversationService.registerStatus, spec/eformidling.md §7.1): registering a status that answers the
 * conversation (LEVERT, and every terminal status) sets `finished`, which is never cleared; a terminal status
 * clears `pollable`; the status at which a channel starts polling its far side (DPF and DPV: SENDT) sets it.
 * So on DPI, LEVERT finishes a letter, and LEST, FEIL, FEILET and LEVETID_UTLOPT finish it and end polling
 * (DPI itself never polls). Pure: the store applies the changes, the migration and tests fold whole histories.
 */
import { mapLegacyStatus } from "./legacy.js";
import { endsExpiry, isTerminal, startsPolling } from "./rules.js";
import type { Channel, Direction } from "./vocabulary.js";

export interface ConversationFlags {
  finished: boolean;
  pollable: boolean;
}

/** The flags of a conversation that has no status yet. */
export const INITIAL_FLAGS: ConversationFlags = { finished: false, pollable: false };

/** What registering `status` changes: only the flags it sets, so a store can write them without reading first. */
export function flagChanges(channel: Channel, direction: Direction, status: string): Partial<ConversationFlags> {
  const name = mapLegacyStatus(status, channel);
  const terminal = isTerminal(channel, name, direction);
  const changes: Partial<ConversationFlags> = {};
  if (terminal || endsExpiry(channel, name, direction)) changes.finished = true;
  if (terminal) changes.pollable = false;
  else if (startsPolling(channel, name, direction)) changes.pollable = true;
  return changes;
}

/** The flags after registering `status` on a conversation that had `flags`. */
export function flagsAfter(channel: Channel, direction: Direction, flags: ConversationFlags, status: string): ConversationFlags {
  return { ...flags, ...flagChanges(channel, direction, status) };
}

/** The flags a conversation with this status history has, oldest status first. */
export function flagsOf(channel: Channel, direction: Direction, history: readonly string[]): ConversationFlags {
  return history.reduce((flags, status) => flagsAfter(channel, direction, flags, status), INITIAL_FLAGS);
}
