import type { StatusPoller, StatusUpdate } from "../../core/channel.js";
import type { Clock } from "../../clock.js";
import { parseIso6523, partOrPrimaryIdentifier } from "../../sbd/index.js";
import type { Conversation } from "../../store/generated/client.js";
import type { SvarUtAccountCredentials, SvarUtClient } from "./svarut-client.js";

/**
 * DPF status polling (spec/eformidling.md §4.2): SvarUt is asked for the state of the conversation's
 * forsendelse (its externalReference) with the sending organisation's account, and the state becomes a status
 * of the DPF model (src/core/status/models/dpf.ts). The integrasjonspunkt today maps only LEST; this keeps the
 * seed's KLAR_FOR_MOTTAK, AVVIST and MANUELT_HÅNDTERT under their own names, as the IP did until 2019:
 *
 * | SvarUt state                                         | status            |
 * |------------------------------------------------------|-------------------|
 * | MOTTATT                                              | (none: SENDT)     |
 * | AKSEPTERT, VARSLET                                   | LEVERT            |
 * | KLAR_FOR_MOTTAK                                      | KLAR_FOR_MOTTAK   |
 * | LEST                                                 | LEST              |
 * | SENDT_DIGITALT, SENDT_SDP, LEVERT_SDP, SENDT_PRINT, PRINTET, SENDT_NHN | LEST (delivered by another route; the description names it) |
 * | AVVIST                                               | AVVIST            |
 * | MANUELT_HANDTERT                                     | MANUELT_HÅNDTERT  |
 * | IKKE_LEVERT, SLETTET                                 | FEIL              |
 * | the forsendelse is unknown to SvarUt                 | FEIL "forsendelseId finnes ikke i SvarUt." |
 *
 * A status the conversation has already is refused quietly by the store's rules, so every poll may report
 * what SvarUt says now.
 */

export const SVARUT_STATUS_MAPPING: Readonly<Record<string, { status: string; description?: string } | null>> = {
  MOTTATT: null,
  AKSEPTERT: { status: "LEVERT", description: "Akseptert" },
  VARSLET: { status: "LEVERT", description: "Varslet" },
  KLAR_FOR_MOTTAK: { status: "KLAR_FOR_MOTTAK" },
  LEST: { status: "LEST" },
  SENDT_DIGITALT: { status: "LEST", description: "Sendt digitalt" },
  SENDT_SDP: { status: "LEST", description: "Sendt SDP" },
  LEVERT_SDP: { status: "LEST", description: "Levert SDP" },
  SENDT_PRINT: { status: "LEST", description: "Sendt print" },
  PRINTET: { status: "LEST", description: "Printet" },
  SENDT_NHN: { status: "LEST", description: "Sendt NHN" },
  AVVIST: { status: "AVVIST", description: "Avvist" },
  MANUELT_HANDTERT: { status: "MANUELT_HÅNDTERT", description: "Manuelt håndtert" },
  IKKE_LEVERT: { status: "FEIL", description: "Ikke levert" },
  SLETTET: { status: "FEIL", description: "Slettet i SvarUt" },
};

export const UNKNOWN_FORSENDELSE = "forsendelseId finnes ikke i SvarUt.";

export class DpfStatusPoller implements StatusPoller {
  readonly channel = "DPF" as const;

  constructor(private readonly deps: { svarUt: SvarUtClient; accountOf(orgno: string): SvarUtAccountCredentials | undefined; clock: Clock }) {}

  async poll(c: Conversation): Promise<StatusUpdate[]> {
    const now = this.deps.clock();
    const id = c.externalReference;
    if (!id) return [{ status: "FEIL", at: now, description: UNKNOWN_FORSENDELSE }];
    const account = this.deps.accountOf(sendingOrganisation(c.senderIdentifier));
    if (!account) throw new Error(`no SvarUt account for the sender ${c.senderIdentifier}`);
    const [found] = (await this.deps.svarUt.statuses(account, [id])).filter((s) => s.id === id);
    if (!found) return [{ status: "FEIL", at: now, description: UNKNOWN_FORSENDELSE }];
    const mapped = SVARUT_STATUS_MAPPING[found.status];
    if (!mapped) return [];
    const at = found.sisteStatusEndring ? new Date(found.sisteStatusEndring) : now;
    return [{ status: mapped.status, at: Number.isNaN(at.getTime()) ? now : at, description: mapped.description, raw: JSON.stringify(found) }];
  }
}

/** The organisation the SvarUt account belongs to: the on-behalf-of part of `0192:<orgno>:<part>`, else the organisation. */
function sendingOrganisation(senderIdentifier: string): string {
  const id = parseIso6523(senderIdentifier);
  return id ? partOrPrimaryIdentifier(id) : senderIdentifier;
}
