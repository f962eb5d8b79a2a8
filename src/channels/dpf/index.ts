import type { ExclusivePass } from "../../core/worker-lease.js";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config.js";
import type { InboundSource, Router } from "../../core/channel.js";
import type { Logger } from "../../log.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { EformidlingEndpoint } from "../../routing/eformidling.js";
import type { InfoRecord } from "../../routing/service-registry/records.js";
import type { BlobStore } from "../../store/blob-store.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import type { NextMoveRepo } from "../../store/nextmove-repo.js";
import type { RetryPolicy } from "../../core/retry-policy.js";
import type { DpfMailRepo } from "../../store/dpf-mail-repo.js";
import { DpfMailWorker } from "./mail-worker.js";
import { createSmtpTransport, type MailTransport } from "./mail-transport.js";
import { DpfOutboundChannel } from "./outbound.js";
import { DpfStatusPoller } from "./status-poller.js";
import { createSvarInnClient } from "./svarinn-client.js";
import { SvarInnSource } from "./svarinn-source.js";
import { createSvarUtClient, type FiksTokenSource } from "./svarut-client.js";
import { dpfValidationContext } from "./validation-context.js";

/**
 * DPF, KS FIKS SvarUt and SvarInn (README, "DPF"): the outbound side that sends arkivmeldinger to SvarUt, the
 * status poller that asks SvarUt what became of them, and, when any organisation has SvarInn credentials, the
 * SvarInn source that takes in what municipalities send us.
 */

/** difi.move.fiks.inn.process: the process of what arrives from SvarInn. */
export const SVARINN_PROCESS = "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0";
/** difi.move.fiks.inn.fallback-sender-org-nr: the sender of a forsendelse whose svarSendesTil has no organisation number. */
export const SVARINN_FALLBACK_SENDER = "999999999";

export interface DpfChannelDeps {
  config: Config["dpf"];
  /** The organisations this deployment sends and receives for. */
  orgs: readonly string[];
  ttlHours: number;
  repo: NextMoveRepo;
  inRepo: NextMoveInRepo;
  blobs: BlobStore;
  keystores: OrgKeyStores;
  routerFor(orgno: string): Router<EformidlingEndpoint>;
  infoFor(asking: string, identifier: string): Promise<InfoRecord>;
  /** A Maskinporten token (scope ks:fiks) of the organisation's own client, for SvarUt. */
  fiksToken: FiksTokenSource;
  clock: Clock;
  log: Logger;
  /** Mail delivery's store, retry policy and the NextMove API's outside address (used when config.mail is set). */
  mail?: { repo: DpfMailRepo; retry: RetryPolicy; apiBase(): string; transport?: MailTransport | undefined } | undefined;
  /** Several instances on one database: SvarInn polled once per interval across them. */
  exclusive?: ExclusivePass | undefined;
}

/** The SvarUt facts the out-queue's DPF checks need (OutQueueDeps.dpf). */
export function createDpfValidation(d: { config: Config["dpf"]; orgs: readonly string[]; fiksToken: FiksTokenSource }) {
  if (!d.config.svarUtUrl) throw new Error("DPF needs SvarUt (DPI_AP_DPF_SVARUT_URL)");
  return dpfValidationContext({ svarUt: createSvarUtClient({ baseUrl: d.config.svarUtUrl, token: d.fiksToken }), accountOf: (o) => d.config.svarUtAccounts.get(o), orgs: d.orgs });
}

export function createDpfChannel(d: DpfChannelDeps): { outbound: DpfOutboundChannel; poller: DpfStatusPoller; inbound: InboundSource[] } {
  if (!d.config.svarUtUrl) throw new Error("DPF needs SvarUt (DPI_AP_DPF_SVARUT_URL)");
  const svarUt = createSvarUtClient({ baseUrl: d.config.svarUtUrl, token: d.fiksToken });
  const accountOf = (orgno: string) => d.config.svarUtAccounts.get(orgno);
  const outbound = new DpfOutboundChannel({ repo: d.repo, blobs: d.blobs, routerFor: d.routerFor, infoFor: d.infoFor, svarUt, accountOf, peer: d.config.svarUtUrl });
  const poller = new DpfStatusPoller({ svarUt, accountOf, clock: d.clock });
  const accounts = new Map([...d.config.svarInnAccounts].filter(([org]) => d.orgs.includes(org)));
  const inbound: InboundSource[] = [];
  const mail = createMailDelivery(d);
  if (mail) inbound.push(mail.source);
  if (accounts.size > 0) {
    if (!d.config.svarInnUrl) throw new Error("DPF's SvarInn accounts need SvarInn (DPI_AP_DPF_SVARINN_URL)");
    inbound.push(
      new SvarInnSource({
        client: createSvarInnClient({ baseUrl: d.config.svarInnUrl }),
        accounts,
        keystores: d.keystores,
        blobs: d.blobs,
        repo: d.inRepo,
        pollMs: d.config.svarInnPollMs,
        process: SVARINN_PROCESS,
        fallbackSenderOrg: SVARINN_FALLBACK_SENDER,
        ttlHours: d.ttlHours,
        clock: d.clock,
        log: d.log.child({ channel: "DPF", worker: "svarinn" }),
        mail: mail?.forSvarInn,
        exclusive: d.exclusive,
      }),
    );
  }
  return { outbound, poller, inbound };
}

/** Mail delivery (config.mail), when on: its worker as a polled source, and what SvarInnSource needs of it. */
function createMailDelivery(d: DpfChannelDeps) {
  const m = d.config.mail;
  if (!m) return undefined;
  if (!d.mail) throw new Error("DPF's mail delivery needs its store and retry policy");
  const transport = d.mail.transport ?? createSmtpTransport(m.smtp);
  const addressFor = (orgno: string) => m.addresses.get(orgno) ?? m.defaultAddress;
  const worker = new DpfMailWorker({
    repo: d.mail.repo,
    inRepo: d.inRepo,
    blobs: d.blobs,
    keystores: d.keystores,
    transport,
    from: m.smtp.from,
    addressFor,
    deadlineMs: m.deadlineMs,
    linkHours: m.linkHours,
    apiBase: d.mail.apiBase,
    retry: d.mail.retry,
    pollMs: m.pollMs,
    clock: d.clock,
    log: d.log.child({ channel: "DPF", worker: "mail" }),
  });
  const source: InboundSource = {
    channel: "DPF",
    kind: "poll",
    start: () => worker.start(),
    stop: async () => {
      await worker.stop();
      transport.close();
    },
  };
  return { worker, source, forSvarInn: { repo: d.mail.repo, addressFor, onQueued: () => worker.nudge() } };
}
