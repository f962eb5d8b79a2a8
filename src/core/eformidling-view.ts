import { CHANNELS, LEGACY_STATUS_NAMES, mapLegacyStatus, STATUS_MODELS, toEformidling, type Channel } from "./status/index.js";

/**
 * The conversation store seen in the integrasjonspunkt's words, for its API and its webhooks: directions
 * OUTGOING and INCOMING, and each status as the integrasjonspunkt would have recorded it (the channel tables'
 * `eformidling` column: DPI's FEILET is FEIL, an outgoing DPI letter's OPPRETTET is SENDT). Pure.
 */

export type StoredDirection = "OUT" | "IN";
export type EformidlingDirection = "OUTGOING" | "INCOMING";

export function eformidlingDirection(direction: StoredDirection): EformidlingDirection {
  return direction === "OUT" ? "OUTGOING" : "INCOMING";
}

export function storedDirection(direction: EformidlingDirection): StoredDirection {
  return direction === "OUTGOING" ? "OUT" : "IN";
}

/** The integrasjonspunkt's name for a stored status; a name no channel table knows is passed on as it is. */
export function eformidlingStatusOf(channel: Channel, direction: StoredDirection, stored: string): string {
  return toEformidling(channel, eformidlingDirection(direction), mapLegacyStatus(stored, channel)) ?? stored;
}

/** The stored names, per channel and direction, that the integrasjonspunkt would call `status`. */
export interface StoredStatusNames {
  channel: Channel;
  direction: StoredDirection;
  names: string[];
}

/**
 * Every stored spelling of the integrasjonspunkt status `status` (today's names and the older ones that map to
 * them), grouped by channel and direction; empty when no channel reports it.
 */
export function storedNamesOf(status: string): StoredStatusNames[] {
  const out: StoredStatusNames[] = [];
  for (const channel of CHANNELS) {
    for (const direction of ["OUT", "IN"] as const) {
      const names = STATUS_MODELS[channel].statuses.filter((d) => d.direction === eformidlingDirection(direction) && d.eformidling === status).map((d) => d.status as string);
      if (names.length === 0) continue;
      const legacy = LEGACY_STATUS_NAMES.filter((l) => l.channels.includes(channel) && names.includes(l.status)).map((l) => l.name);
      out.push({ channel, direction, names: [...names, ...legacy] });
    }
  }
  return out;
}
