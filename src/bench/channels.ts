import path from "node:path";

/**
 * What `npm run bench -- --channel dpo|dpf|dpv|dpe` sends and when it counts a message as delivered. One
 * organisation's case/archive system (corner 1, in the bench process) posts arkivmeldinger or eInnsyn journal
 * entries over the NextMove API to corner 2, which serves only that organisation; the channel's simulator (in
 * the bench process, over real HTTP) carries them. For DPO and DPE, corner 3 serves the receiving organisation
 * and the bench plays its archive system too (peek, pop, delete), so the status messages come back as they do
 * between two integrasjonspunkter; for DPV and DPF the simulator (Altinn, SvarUt) is the far end and corner 2's
 * status polling reads what it says. Pure: the run and the tests use the same rules.
 */

export const BENCH_CHANNELS = ["dpi", "dpo", "dpf", "dpv", "dpe"] as const;
export type BenchChannel = (typeof BENCH_CHANNELS)[number];
export type EformidlingBenchChannel = Exclude<BenchChannel, "dpi">;

/** The sending organisation (certs-example AVSENDER), served alone by corner 2 in a channel run. */
export const SENDER_ORG = "991825827";
/** The archive systems' NextMove user at each corner (HTTP Basic), acting for that corner's organisation only. */
export const ARCHIVE_USER = { user: "arkiv", password: "bench" } as const;

/** The eFormidling statuses (as the NextMove API and its webhooks name them) that settle a message. */
export interface CompletionRule {
  /** The first of these seen at the sender is when the far side had the message. */
  delivered: readonly string[];
  /** Seen one of these, nothing more happens for the message on either side (polling ended, replies sent). */
  final: readonly string[];
  /** Any of these and the message failed, whatever else it saw. */
  failed: readonly string[];
}

export interface ChannelPlan {
  channel: EformidlingBenchChannel;
  /** The service identifier: DPO, DPF, DPV, DPE. */
  serviceIdentifier: "DPO" | "DPF" | "DPV" | "DPE";
  /** The receiving organisation, as the Service Registry simulator routes it to this channel. */
  receiver: string;
  /** Corner 3 serves the receiver and the bench's receiving archive system takes every message from it. */
  receivingCorner: boolean;
  /** Where the message ends up, for the report. */
  farSide: string;
  /** What "delivered" means here, for the report. */
  deliveredMeaning: string;
  rule: CompletionRule;
  /** The message type: arkivmelding for DPO, DPF, DPV; an eInnsyn journal entry (publisering) for DPE. */
  documentType: "arkivmelding" | "publisering";
}

const FAILED = ["FEIL", "LEVETID_UTLOPT"] as const;

export const CHANNEL_PLANS: Readonly<Record<EformidlingBenchChannel, ChannelPlan>> = {
  dpo: {
    channel: "dpo",
    serviceIdentifier: "DPO",
    receiver: "910076787",
    receivingCorner: true,
    farSide: "corner 3 (910076787) over the Altinn 3 broker simulator; the bench as its archive system peeks, pops and deletes each message",
    deliveredMeaning: "MOTTATT at the sender: corner 3 downloaded it from the broker, put it in its archive system's inbox and its MOTTATT status message came back over the broker",
    rule: { delivered: ["MOTTATT", "LEVERT", "LEST"], final: ["LEVERT", "LEST"], failed: FAILED },
    documentType: "arkivmelding",
  },
  dpe: {
    channel: "dpe",
    serviceIdentifier: "DPE",
    receiver: "810969342",
    receivingCorner: true,
    farSide: "corner 3 (810969342, eInnsyn, reading its data queue) over the Service Bus simulator; the bench as its archive system peeks, pops and deletes each message",
    deliveredMeaning: "MOTTATT at the sender: corner 3 took it off its queue into its archive system's inbox and its MOTTATT status message came back over the bus",
    rule: { delivered: ["MOTTATT", "LEVERT"], final: ["LEVERT"], failed: FAILED },
    documentType: "publisering",
  },
  dpv: {
    channel: "dpv",
    serviceIdentifier: "DPV",
    receiver: "910075946",
    receivingCorner: false,
    farSide: "the Altinn 3 correspondence simulator (910075946's Altinn inbox), which publishes each correspondence at once and has its recipient read it at once",
    deliveredMeaning: "LEVERT at the sender: corner 2's status polling read the correspondence as published in Altinn",
    rule: { delivered: ["LEVERT", "LEST"], final: ["LEST"], failed: [...FAILED, "ANNET"] },
    documentType: "arkivmelding",
  },
  dpf: {
    channel: "dpf",
    serviceIdentifier: "DPF",
    receiver: "910075924",
    receivingCorner: false,
    farSide: "the KS SvarUt simulator (municipality 910075924, which has no SvarInn inbox an access point serves), which moves each forsendelse to KLAR_FOR_MOTTAK and LEST at once",
    deliveredMeaning:
      "LEVERT (SvarUt's KLAR_FOR_MOTTAK) or LEST at the sender, whichever corner 2's status polling read first: the forsendelse was in the municipality's SvarInn inbox",
    rule: { delivered: ["LEVERT", "LEST"], final: ["LEST"], failed: FAILED },
    documentType: "arkivmelding",
  },
};

export function channelPlan(channel: EformidlingBenchChannel): ChannelPlan {
  return CHANNEL_PLANS[channel];
}

/** The webhook filter of the sending archive system's subscription: the statuses the rule looks at, outgoing. */
export function webhookFilter(plan: ChannelPlan): string {
  const statuses = [...new Set([...plan.rule.delivered, ...plan.rule.final, ...plan.rule.failed])];
  return `status=${statuses.join(",")}&direction=OUTGOING&serviceIdentifier=${plan.serviceIdentifier}`;
}

/** Where one message stands, from the statuses the sender saw and when (first time each). */
export interface MessageProgress {
  deliveredAt?: number;
  finalAt?: number;
  failed?: { status: string; at: number };
}

/** Applies the rule to a message's statuses (status → when first seen). Pure. */
export function messageProgress(rule: CompletionRule, seen: ReadonlyMap<string, number>): MessageProgress {
  const first = (names: readonly string[]) => {
    let at: number | undefined;
    for (const n of names) {
      const t = seen.get(n);
      if (t !== undefined && (at === undefined || t < at)) at = t;
    }
    return at;
  };
  const out: MessageProgress = {};
  const deliveredAt = first(rule.delivered);
  const finalAt = first(rule.final);
  if (deliveredAt !== undefined) out.deliveredAt = deliveredAt;
  if (finalAt !== undefined) out.finalAt = finalAt;
  for (const status of rule.failed) {
    const at = seen.get(status);
    if (at !== undefined && (out.failed === undefined || at < out.failed.at)) out.failed = { status, at };
  }
  return out;
}

/** Settled: nothing more will happen to it (final or failed). */
export function isSettled(p: MessageProgress): boolean {
  return p.finalAt !== undefined || p.failed !== undefined;
}

/** Where the simulators listen, as the access points are told. */
export interface ChannelEndpoints {
  serviceRegistryUrl: string;
  maskinportenTokenUrl: string;
  altinnTokenExchangeUrl: string;
  brokerUrl: string;
  correspondenceUrl: string;
  svarUtUrl: string;
  serviceBusUrl: string;
}

/** The sandbox's Service Bus key name (the Service Registry simulator hands out its key on /sastoken). */
const SAS_KEY_NAME = "MoveDPE-pilotPolicy";
/** How often the receiving loops poll their simulator, and status polling runs: short, so a run is not mostly waiting. */
export const CHANNEL_POLL_MS = 200;
export const STATUS_POLL_MS = 100;

/**
 * The NextMove settings of one corner in a channel run, on top of its access point settings. `orgno`: the
 * organisation the corner serves (the sender at corner 2, the receiver at corner 3). Pure.
 */
export function channelAccessPointEnv(plan: ChannelPlan, corner: "corner 2" | "corner 3", orgno: string, e: ChannelEndpoints, certsDir: string): Record<string, string> {
  const env: Record<string, string> = {
    DPI_AP_NEXTMOVE: "true",
    DPI_AP_NEXTMOVE_CHANNELS: plan.serviceIdentifier,
    DPI_AP_NEXTMOVE_USERS: `${ARCHIVE_USER.user}:${ARCHIVE_USER.password}:${orgno}`,
    DPI_AP_NEXTMOVE_KEYSTORE_DIR: path.join(certsDir, "business"),
    DPI_AP_NEXTMOVE_KEYSTORE_PASSWORD: "changeit",
    DPI_AP_NEXTMOVE_CLIENT_IDS: `${orgno}=dpi-ap-test-${orgno}`,
    DPI_AP_SERVICE_REGISTRY_URL: e.serviceRegistryUrl,
    DPI_AP_MASKINPORTEN_TOKEN_URL: e.maskinportenTokenUrl,
  };
  switch (plan.channel) {
    case "dpo":
      return { ...env, DPI_AP_DPO_BROKER_URL: e.brokerUrl, DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: e.altinnTokenExchangeUrl, DPI_AP_DPO_POLL_MS: String(CHANNEL_POLL_MS) };
    case "dpe":
      // eInnsyn's organisation reads its data queue, where journal entries go; its status messages then go to
      // the sender's innsyn queue, which the sender reads in its default mode.
      return {
        ...env,
        DPI_AP_DPE_SERVICEBUS_URL: e.serviceBusUrl,
        DPI_AP_DPE_SAS_KEY_NAME: SAS_KEY_NAME,
        DPI_AP_DPE_POLL_MS: String(CHANNEL_POLL_MS),
        DPI_AP_DPE_MODE: corner === "corner 3" ? "data" : "innsyn",
      };
    case "dpv":
      return { ...env, DPI_AP_DPV_CORRESPONDENCE_URL: e.correspondenceUrl, DPI_AP_ALTINN_TOKEN_EXCHANGE_URL: e.altinnTokenExchangeUrl, ...statusPolling() };
    case "dpf":
      return {
        ...env,
        DPI_AP_DPF_SVARUT_URL: e.svarUtUrl,
        // The sandbox SvarUt's account and integration of the sender (src/sim/svarut/defaults.ts).
        DPI_AP_DPF_SVARUT_ACCOUNTS: `${orgno}=00000000-0000-4000-8000-${orgno}000:00000000-0000-4000-9000-${orgno}000:sandbox`,
        ...statusPolling(),
      };
  }
}

function statusPolling(): Record<string, string> {
  return { DPI_AP_STATUS_POLL_MS: String(STATUS_POLL_MS), DPI_AP_STATUS_POLL_MIN_INTERVAL_MS: String(CHANNEL_POLL_MS) };
}
