/**
 * The channel-neutral status vocabulary: which channels and directions exist, every status name any channel
 * can reach, and the shape of one channel's status table. No protocol code and no I/O: the tables themselves
 * live in ./models/, the rules that read them in ./rules.ts.
 */
import type { SourceKey } from "./sources.js";

export const CHANNELS = ["DPI", "DPO", "DPF", "DPV", "DPE"] as const;
export type Channel = (typeof CHANNELS)[number];

/** A conversation's direction, as the integrasjonspunkt spells it (ConversationDirection). */
export const DIRECTIONS = ["OUTGOING", "INCOMING"] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The integrasjonspunkt's status enum, in its order (nextmove/…/receipt/ReceiptStatus.java). */
export const EFORMIDLING_STATUSES = [
  "OPPRETTET",
  "SENDT",
  "MOTTATT",
  "LEVERT",
  "LEST",
  "FEIL",
  "ANNET",
  "INNKOMMENDE_MOTTATT",
  "INNKOMMENDE_LEVERT",
  "LEVETID_UTLOPT",
] as const;
export type EformidlingStatus = (typeof EFORMIDLING_STATUSES)[number];

/**
 * Statuses a channel reaches that the integrasjonspunkt's enum lacks. DPF: three states of KS SvarUt the seed
 * document lists (MANUELT_HÅNDTERT in the seed's spelling, space made an underscore). DPI: the Digdir DPI
 * API's FEILET (corner 2 gave up), distinct from FEIL (a receipt saying the letter failed), and UTKAST, a letter
 * an archive system is still assembling over the NextMove API (its OPPRETTET: DPI's OPPRETTET is already SENDT).
 */
export const CHANNEL_STATUSES = ["KLAR_FOR_MOTTAK", "MANUELT_HÅNDTERT", "AVVIST", "FEILET", "UTKAST"] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

export type StatusName = EformidlingStatus | ChannelStatus;

export const STATUS_NAMES: readonly StatusName[] = [...EFORMIDLING_STATUSES, ...CHANNEL_STATUSES];

export function isStatusName(s: string): s is StatusName {
  return (STATUS_NAMES as readonly string[]).includes(s);
}

export function isEformidlingStatus(s: string): s is EformidlingStatus {
  return (EFORMIDLING_STATUSES as readonly string[]).includes(s);
}

/**
 * A row of the seed document's status tables: "<table> #<row>", rows counted from 1 under the header, e.g.
 * "DPO statuser #6" is the DPO table's LEVERING row. The tables are acceptance lists (test/core/seed-tables.ts).
 */
export type SeedRow = `${string} #${number}`;

/** One status one channel can reach in one direction. */
export interface StatusDefinition {
  status: StatusName;
  direction: Direction;
  /** Nothing further is expected: ends expiry supervision and status polling. */
  terminal: boolean;
  /** A failure the sender should act on (the seed's "feilstatus"). */
  error: boolean;
  /** The conversation counts as answered: no LEVETID_UTLOPT any more (the integrasjonspunkt's `finished`). */
  endsExpiry: boolean;
  /** One line, English. */
  meaning: string;
  /** The seed rows this status answers (empty where the seed has no row for it). */
  seedRows: readonly SeedRow[];
  /** The seed's name where it differs from `status`. */
  seedName?: string;
  /**
   * The integrasjonspunkt status this one is reported as: itself for the IP's own statuses; for DPF's kept SvarUt
   * states the IP's former mapping; for DPI what an integrasjonspunkt using this access point as corner 2 records.
   */
  eformidling: EformidlingStatus;
  /** Only for terminal statuses: the statuses still accepted after it (late news of an earlier step). */
  mayFollow: readonly StatusName[];
  sources: readonly SourceKey[];
}

export interface ChannelStatusModel {
  channel: Channel;
  /** One line: what the channel is and where its statuses come from. */
  summary: string;
  /** Status polling of the channel's far side, when the channel has it: starts at `startsAt`, ends at a terminal status. */
  polling?: { direction: Direction; startsAt: StatusName; sources: readonly SourceKey[] };
  statuses: readonly StatusDefinition[];
}
