import type { ExclusivePass } from "../../core/worker-lease.js";
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { InboundSource } from "../../core/channel.js";
import { PollingLoop } from "../../core/polling-loop.js";
import type { Logger } from "../../log.js";
import type { OrgKeyStores } from "../../pki/org-keystores.js";
import type { BlobStore } from "../../store/blob-store.js";
import { DuplicateMessageIdError } from "../../store/conversations-repo.js";
import type { DpfMailRepo } from "../../store/dpf-mail-repo.js";
import type { NextMoveInRepo } from "../../store/nextmove-in-repo.js";
import { UnconvertibleForsendelseError } from "./incoming-arkivmelding.js";
import type { SvarInnClient, SvarInnCredentials, SvarInnForsendelse } from "./svarinn-client.js";
import { convertForsendelse, incomingSbd } from "./svarinn-convert.js";

/**
 * DPF's receiving side (spec/eformidling.md §4.3): every `pollMs` (the integrasjonspunkt's
 * difi.move.fiks.pollingrate, 15 minutes) each organisation with SvarInn credentials asks SvarInn for its new
 * forsendelser; each is downloaded, converted (svarinn-convert.ts) and filed in the NextMove inbox (OPPRETTET,
 * INNKOMMENDE_MOTTATT), and acknowledged with kvitterMottak only after that committed. A forsendelse that
 * cannot be converted is filed as FEIL (never in the inbox) and reported with mottakFeilet (permanent). A
 * forsendelse already filed (kvitterMottak failed last time) is acknowledged again, as its state says.
 * Anything else that fails (SvarInn down, a store error) leaves the forsendelse in SvarInn for the next pass.
 */

export interface SvarInnSourceDeps {
  client: SvarInnClient;
  /** The organisations we fetch for, with their SvarInn credentials. */
  accounts: ReadonlyMap<string, SvarInnCredentials>;
  keystores: OrgKeyStores;
  blobs: BlobStore;
  repo: NextMoveInRepo;
  pollMs: number;
  process: string;
  fallbackSenderOrg: string;
  ttlHours: number;
  clock: Clock;
  log: Logger;
  newId?: (() => string) | undefined;
  /**
   * Mail delivery (README, "DPF"): a forsendelse that cannot be converted is taken in and mailed to the
   * organisation's address instead of being refused with mottakFeilet, as the integrasjonspunkt's mailOnError did.
   */
  mail?: { repo: DpfMailRepo; addressFor(orgno: string): string | undefined; onQueued(): void } | undefined;
  /** Several instances on one database: SvarInn is polled once per interval across them. */
  exclusive?: ExclusivePass | undefined;
}

export type TakeOutcome = "received" | "failed" | "mailed" | "acknowledged-again" | "left";

export class SvarInnSource implements InboundSource {
  readonly channel = "DPF" as const;
  readonly kind = "poll" as const;
  private readonly loop: PollingLoop;

  constructor(private readonly deps: SvarInnSourceDeps) {
    this.loop = new PollingLoop({
      pollMs: deps.pollMs,
      pass: async () => {
        const { exclusive } = deps;
        await (exclusive ? exclusive.run("dpf-svarinn", { holdMs: 30_000, quietMs: deps.pollMs }, () => this.runOnce()) : this.runOnce());
        return false;
      },
      onError: (err) => deps.log.error({ err }, "SvarInn pass failed"),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass over every organisation; returns what became of each forsendelse. */
  async runOnce(): Promise<Map<string, TakeOutcome>> {
    const outcomes = new Map<string, TakeOutcome>();
    for (const [orgnr, credentials] of this.deps.accounts) {
      let listed: Awaited<ReturnType<SvarInnClient["hentNyeForsendelser"]>>;
      try {
        listed = await this.deps.client.hentNyeForsendelser(credentials);
      } catch (err) {
        this.deps.log.warn({ err, orgnr }, "SvarInn: could not list new forsendelser; trying again next pass");
        continue;
      }
      if (listed.unreadable > 0) this.deps.log.error({ orgnr, unreadable: listed.unreadable }, "SvarInn listed forsendelser we cannot read; they stay in SvarInn");
      for (const f of listed.forsendelser) outcomes.set(f.id, await this.take(orgnr, credentials, f));
    }
    return outcomes;
  }

  private async take(orgnr: string, credentials: SvarInnCredentials, f: SvarInnForsendelse): Promise<TakeOutcome> {
    const { deps } = this;
    const log = deps.log.child({ messageId: f.id, conversationId: f.id, channel: "DPF", forsendelseId: f.id, receiver: orgnr });
    try {
      const known = await deps.repo.conversations.get("IN", f.id);
      if (known) {
        // Filed before; SvarInn did not hear about it. Say again what became of it.
        if (known.status === "FEIL") {
          const feil = (await deps.repo.conversations.statuses("IN", f.id)).find((s) => s.status === "FEIL");
          await deps.client.mottakFeilet(credentials, f.id, feil?.description ?? "the forsendelse cannot be converted", true);
        }
        else await deps.client.kvitterMottak(credentials, f.id);
        return "acknowledged-again";
      }
      const download = await deps.client.download(credentials, f);
      const keystore = await deps.keystores.get(orgnr);
      const base = { channel: "DPF" as const, externalReference: f.id, messageTitle: f.tittel, senderName: f.svarSendesTil.navn, receiverName: f.mottaker.navn, registerCreated: true };
      let converted;
      try {
        if (f.mottaker.orgnr !== orgnr) throw new UnconvertibleForsendelseError(`the forsendelse is for ${f.mottaker.orgnr}, not ${orgnr}`);
        converted = convertForsendelse(f, download, { keystore, process: deps.process, fallbackSenderOrg: deps.fallbackSenderOrg, ttlHours: deps.ttlHours, clock: deps.clock, newId: deps.newId ?? randomUUID });
      } catch (err) {
        if (!(err instanceof UnconvertibleForsendelseError)) throw err;
        const reason = `the forsendelse cannot be converted: ${err.message}`;
        const address = deps.mail?.addressFor(orgnr);
        if (deps.mail && address) return await this.takeForMail(orgnr, credentials, f, download, err.message, address, base);
        await deps.repo.refuse({ ...base, sbd: incomingSbd(f, deps) }, reason, deps.clock()).catch((e: unknown) => {
          if (!(e instanceof DuplicateMessageIdError)) throw e;
        });
        await deps.client.mottakFeilet(credentials, f.id, reason, true);
        log.error({ reason }, "SvarInn forsendelse cannot be converted: FEIL, mottakFeilet");
        return "failed";
      }
      const blob = await deps.blobs.write((async function* () {
        yield converted.package;
      })());
      try {
        await deps.repo.receive({ ...base, sbd: converted.sbd, package: { key: blob.key, size: blob.size } }, deps.clock());
      } catch (err) {
        await deps.blobs.delete(blob.key);
        if (!(err instanceof DuplicateMessageIdError)) throw err;
      }
      await deps.client.kvitterMottak(credentials, f.id);
      log.info({ documents: converted.documents.length, sender: f.svarSendesTil.orgnr }, "SvarInn forsendelse received");
      return "received";
    } catch (err) {
      log.warn({ err }, "SvarInn forsendelse not taken in this pass; it stays in SvarInn");
      return "left";
    }
  }

  /**
   * Takes in a forsendelse that cannot be converted for mail delivery: its file as SvarInn gave it (still encrypted
   * to the organisation) goes to the blob store, the conversation (OPPRETTET, INNKOMMENDE_MOTTATT, never in the
   * inbox) and its mail are committed together, and only then is SvarInn told kvitterMottak.
   */
  private async takeForMail(
    orgnr: string,
    credentials: SvarInnCredentials,
    f: SvarInnForsendelse,
    download: Uint8Array,
    problem: string,
    address: string,
    base: Omit<Parameters<NextMoveInRepo["receive"]>[0], "sbd" | "package">,
  ): Promise<TakeOutcome> {
    const { deps } = this;
    const mail = deps.mail!;
    const blob = await deps.blobs.write((async function* () {
      yield download;
    })());
    const detail = `the forsendelse cannot be converted: ${problem}`;
    const at = deps.clock();
    try {
      await deps.repo.receiveOutsideInbox({ ...base, sbd: incomingSbd(f, deps) }, `${detail}; to be delivered by e-mail to ${address}`, at, async (tx) => {
        await mail.repo.queue({ messageId: f.id, receiverOrg: orgnr, reason: "unconvertible", detail, level: f.niva === 3 ? 3 : 4, blobKey: blob.key, blobKind: "svarinn", address }, at, tx);
      });
    } catch (err) {
      await deps.blobs.delete(blob.key);
      if (!(err instanceof DuplicateMessageIdError)) throw err;
    }
    mail.onQueued();
    await deps.client.kvitterMottak(credentials, f.id);
    deps.log.warn({ messageId: f.id, conversationId: f.id, channel: "DPF", reason: detail, to: address }, "SvarInn forsendelse cannot be converted: taken in for mail delivery");
    return "mailed";
  }
}
