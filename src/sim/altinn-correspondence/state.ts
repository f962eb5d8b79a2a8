import { randomUUID } from "node:crypto";

/**
 * The correspondences an Altinn 3 correspondence service holds, with their status history
 * (altinn-correspondence-v1.json, `CorrespondenceStatusExt`). Altinn moves a correspondence from Initialized
 * through ReadyForPublish to Published (at its requested publish time, once its attachments are in); the
 * recipient opening it gives Fetched and Read; a purge (by the recipient, or Altinn's clean-up) ends it, and a
 * correspondence removed from Altinn's database is gone (404). Notifications are orders recorded here, never sent.
 */

export const CORRESPONDENCE_STATUSES = [
  "Initialized",
  "ReadyForPublish",
  "Published",
  "Fetched",
  "Read",
  "Replied",
  "Confirmed",
  "PurgedByRecipient",
  "PurgedByAltinn",
  "Archived",
  "Reserved",
  "Failed",
  "AttachmentsDownloaded",
] as const;
export type CorrespondenceStatus = (typeof CORRESPONDENCE_STATUSES)[number];

export interface StatusEvent {
  status: CorrespondenceStatus;
  statusText: string;
  statusChanged: Date;
}

export interface StoredAttachment {
  id: string;
  fileName: string;
  displayName: string | undefined;
  isEncrypted: boolean;
  sendersReference: string;
  contentType: string;
  bytes: Buffer;
}

/** A notification order as Altinn Notifications would get it; recorded, not sent. */
export interface NotificationOrder {
  orderId: string;
  isReminder: boolean;
  channel: string;
  emailSubject: string | undefined;
  emailBody: string | undefined;
  smsBody: string | undefined;
  requestedSendTime: Date | undefined;
}

export interface NewCorrespondence {
  /** The organisation the Altinn token was issued to. */
  senderOrg: string;
  idempotentKey: string | undefined;
  resourceId: string;
  sender: string | undefined;
  sendersReference: string;
  messageSender: string | undefined;
  content: { language: string; messageTitle: string; messageSummary: string; messageBody: string };
  requestedPublishTime: Date | undefined;
  dueDateTime: Date | undefined;
  propertyList: Record<string, string>;
  ignoreReservation: boolean | undefined;
  isConfirmationNeeded: boolean;
  isConfidential: boolean;
  recipient: string;
  notification: Record<string, string> | undefined;
  notifications: Omit<NotificationOrder, "orderId">[];
  attachments: Omit<StoredAttachment, "id">[];
  /** Every form field as received (lower-cased names), for tests that check what a client sent. */
  fields: Record<string, string>;
}

export interface Correspondence extends Omit<NewCorrespondence, "notifications" | "attachments"> {
  id: string;
  created: Date;
  notifications: NotificationOrder[];
  attachments: StoredAttachment[];
  history: StatusEvent[];
  published: Date | undefined;
  read: Date | undefined;
}

export class CorrespondenceNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no correspondence ${id}`);
  }
}

export class CorrespondenceStateError extends Error {}

const TEXTS: Record<CorrespondenceStatus, string> = {
  Initialized: "Initialized",
  ReadyForPublish: "Ready for publish",
  Published: "Published",
  Fetched: "Fetched",
  Read: "Read",
  Replied: "Replied",
  Confirmed: "Confirmed",
  PurgedByRecipient: "Purged by recipient",
  PurgedByAltinn: "Purged by Altinn",
  Archived: "Archived",
  Reserved: "Reserved",
  Failed: "Failed",
  AttachmentsDownloaded: "Attachments downloaded",
};

const PURGED: readonly CorrespondenceStatus[] = ["PurgedByRecipient", "PurgedByAltinn"];

export class CorrespondenceState {
  private readonly byId = new Map<string, Correspondence>();
  private readonly idempotentKeys = new Set<string>();
  /** Altinn resources that are correspondence services; a request for another is refused. */
  readonly resources: Set<string>;

  constructor(resources: Iterable<string> = ["eformidling-dpv-administrasjon", "eformidling-dpv-taushetsbelagt"]) {
    this.resources = new Set(resources);
  }

  hasIdempotentKey(key: string): boolean {
    return this.idempotentKeys.has(key.toLowerCase());
  }

  /** Creates one correspondence per recipient (Altinn's behaviour), all under one idempotent key. */
  create(items: readonly NewCorrespondence[], now: Date): Correspondence[] {
    const made = items.map((n) => {
      const c: Correspondence = {
        ...n,
        id: randomUUID(),
        created: now,
        notifications: n.notifications.map((o) => ({ ...o, orderId: randomUUID() })),
        attachments: n.attachments.map((a) => ({ ...a, id: randomUUID() })),
        history: [],
        published: undefined,
        read: undefined,
      };
      push(c, "Initialized", now);
      push(c, "ReadyForPublish", now);
      this.byId.set(c.id, c);
      return c;
    });
    for (const n of items) if (n.idempotentKey) this.idempotentKeys.add(n.idempotentKey.toLowerCase());
    return made;
  }

  get(id: string): Correspondence | undefined {
    return this.byId.get(id.toLowerCase());
  }

  all(): Correspondence[] {
    return [...this.byId.values()];
  }

  /** The sender's correspondences with this reference, oldest first. */
  bySendersReference(senderOrg: string, reference: string): Correspondence[] {
    return this.all().filter((c) => c.senderOrg === senderOrg && c.sendersReference === reference);
  }

  /** Published in the recipient's inbox (Altinn does this at the requested publish time). */
  publish(id: string, at: Date): Correspondence {
    const c = this.must(id);
    if (statusOf(c) !== "ReadyForPublish" && statusOf(c) !== "Initialized") throw new CorrespondenceStateError(`correspondence ${id} is ${statusOf(c)}, not ready for publish`);
    c.published = at;
    push(c, "Published", at);
    return c;
  }

  /** The recipient opened it: Fetched, then Read. */
  read(id: string, at: Date): Correspondence {
    const c = this.must(id);
    if (!c.published || PURGED.includes(statusOf(c))) throw new CorrespondenceStateError(`correspondence ${id} is ${statusOf(c)}, it cannot be read`);
    if (!c.read) {
      push(c, "Fetched", at);
      c.read = at;
      push(c, "Read", at);
    }
    return c;
  }

  purge(id: string, by: "recipient" | "altinn", at: Date): Correspondence {
    const c = this.must(id);
    if (PURGED.includes(statusOf(c))) throw new CorrespondenceStateError(`correspondence ${id} has already been purged`);
    push(c, by === "recipient" ? "PurgedByRecipient" : "PurgedByAltinn", at);
    return c;
  }

  /** Removed from Altinn's database: asking for it answers 404. */
  remove(id: string): void {
    this.must(id);
    this.byId.delete(id.toLowerCase());
  }

  private must(id: string): Correspondence {
    const c = this.get(id);
    if (!c) throw new CorrespondenceNotFoundError(id);
    return c;
  }
}

export function statusOf(c: Correspondence): CorrespondenceStatus {
  return c.history[c.history.length - 1]!.status;
}

function push(c: Correspondence, status: CorrespondenceStatus, at: Date): void {
  c.history.push({ status, statusText: TEXTS[status], statusChanged: at });
}
