/**
 * DPV's status polling ([IP] `receipt/strategy/DpvStatusStrategy.java`, `altinnv3/dpv/AltinnDPVService.getStatus`;
 * spec/eformidling.md §5): the correspondence's overview (`GET correspondence/{id}`, the cheap call) is read with
 * the sending organisation's token, and its `published`, `read` and `status` become statuses at Altinn's times:
 * published → LEVERT, read → LEST, PurgedByRecipient/PurgedByAltinn → ANNET and polling stops; a correspondence
 * Altinn no longer has (404/410) → ANNET "Melding slettet i Altinn, stopper polling." and polling stops. The other
 * Altinn states (Initialized, ReadyForPublish, Fetched, AttachmentsDownloaded, …) are not reported: the overview
 * only carries the latest state, and the integrasjonspunkt derives its events from these fields alone. Statuses
 * the conversation already has are refused by the core's rules, so each is registered once.
 */
import { systemClock, type Clock } from "../../clock.js";
import type { StatusPoller, StatusUpdate } from "../../core/channel.js";
import type { Conversation } from "../../store/generated/client.js";
import { AltinnCorrespondenceError, type CorrespondenceClient } from "./client.js";

export const GONE_DESCRIPTION = "Melding slettet i Altinn, stopper polling.";
const PURGED = ["PurgedByRecipient", "PurgedByAltinn"];

export class DpvStatusPoller implements StatusPoller<Conversation> {
  readonly channel = "DPV" as const;

  constructor(
    private readonly client: Pick<CorrespondenceClient, "overview">,
    private readonly clock: Clock = systemClock,
  ) {}

  async poll(c: Conversation): Promise<StatusUpdate[]> {
    const id = c.externalReference;
    // The integrasjonspunkt stops polling a conversation without a correspondence id (sent by an older version).
    if (!id) return [{ status: "ANNET", at: this.clock(), description: "No Altinn correspondence id: status polling stops", endsPolling: true }];
    const orgno = sendingOrganisation(c.senderIdentifier);
    let overview;
    try {
      overview = await this.client.overview(orgno, id);
    } catch (err) {
      if (err instanceof AltinnCorrespondenceError && (err.status === 404 || err.status === 410)) {
        return [{ status: "ANNET", at: this.clock(), description: GONE_DESCRIPTION, raw: err.reason, endsPolling: true }];
      }
      throw err;
    }
    const updates: StatusUpdate[] = [];
    const fallback = overview.statusChanged ?? this.clock();
    if (overview.published) updates.push({ status: "LEVERT", at: overview.published, description: "Published", raw: overview.raw });
    if (overview.read) updates.push({ status: "LEST", at: overview.read, description: "Read", raw: overview.raw });
    if (PURGED.includes(overview.status)) {
      updates.push({ status: "ANNET", at: fallback, description: `${overview.status}: stopper polling.`, raw: overview.raw, endsPolling: true });
    }
    return updates;
  }
}

/** The organisation whose integrasjonspunkt sent it ("0192:<orgno>" or "0192:<orgno>:<on behalf of>"). */
function sendingOrganisation(senderIdentifier: string): string {
  return /^(?:0192:)?(\d{9})/.exec(senderIdentifier)?.[1] ?? senderIdentifier;
}
