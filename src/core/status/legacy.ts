import type { SourceKey } from "./sources.js";
import type { Channel, StatusName } from "./vocabulary.js";

/** A name a status had before (or has in another system's spelling), and the name it has here. */
export interface LegacyStatusName {
  name: string;
  status: StatusName;
  /** The channels the old name was used on; elsewhere it is left alone. */
  channels: readonly Channel[];
  why: string;
  sources: readonly SourceKey[];
}

/**
 * Older names, oldest source first. The seed's LEVERING and AAPNING are *not* LEVERT and LEST: the same page
 * renamed them MOTTATT and LEVERT (their comments stayed word for word), and the integrasjonspunkt's 2019
 * DpoReceiptMapper turned levering into MOTTATT and aapning into LEVERT.
 */
export const LEGACY_STATUS_NAMES: readonly LegacyStatusName[] = [
  {
    name: "LEVERING",
    status: "MOTTATT",
    channels: ["DPO"],
    why: "seed DPO row 6: the receiving integrasjonspunkt has the message",
    sources: ["seed", "D:traffic-flow", "IP:DpoReceipts@2019"],
  },
  {
    name: "AAPNING",
    status: "LEVERT",
    channels: ["DPO"],
    why: "seed DPO row 7: passed on to the archive system",
    sources: ["seed", "D:traffic-flow", "IP:DpoReceipts@2019"],
  },
  {
    name: "MOTTAK",
    status: "MOTTATT",
    channels: ["DPO"],
    why: "the mottak kvittering before 2019",
    sources: ["IP:DpoReceipts@2019"],
  },
  {
    name: "MANUELT HÅNDTERT",
    status: "MANUELT_HÅNDTERT",
    channels: ["DPF"],
    why: "the seed's spelling (DPF error row 2), a space where a name needs an underscore",
    sources: ["seed"],
  },
  {
    name: "MANUELT_HANDTERT",
    status: "MANUELT_HÅNDTERT",
    channels: ["DPF"],
    why: "SvarUt's own spelling of the state",
    sources: ["KS:SvarUt", "IP:FiksStatusMapper@2019"],
  },
  {
    name: "VARSLINGFEILET",
    status: "FEIL",
    channels: ["DPI"],
    why: "the varslingfeilet kvittering in the receipt enum before 2019 (DpoReceiptStatus); today's MessageStatusMapper records it as FEIL",
    sources: ["IP:DpoReceipts@2019"],
  },
  {
    name: "KLAR_FOR_PRINT",
    status: "LEVERT",
    channels: ["DPI"],
    why: "the mottakskvittering (print accepted) before 2019; today's MessageStatusMapper records it as LEVERT",
    sources: ["IP:DpoReceipts@2019", "ap:status-model"],
  },
  {
    name: "POST_RETURNERT",
    status: "FEIL",
    channels: ["DPI"],
    why: "the returpostkvittering before 2019; today's MessageStatusMapper records it as FEIL",
    sources: ["IP:DpoReceipts@2019", "ap:status-model"],
  },
];

/**
 * Today's name for an older status name (or another system's spelling of it); any other name comes back as
 * it is. With a channel, only that channel's old names are translated.
 */
export function mapLegacyStatus(name: string, channel?: Channel): string {
  const hit = LEGACY_STATUS_NAMES.find((l) => l.name === name && (channel === undefined || l.channels.includes(channel)));
  return hit ? hit.status : name;
}
