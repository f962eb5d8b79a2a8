/**
 * The Altinn 3 broker's file transfers and their per-recipient state, as the broker API (v1) shows them
 * ([IP] altinn-v3-client/src/main/resources/openapi/altinn-broker-v1.json): a transfer is Initialized, then
 * UploadStarted while its bytes arrive, Published when they are stored, AllConfirmedDownloaded when every
 * recipient confirmed; each recipient goes Initialized → DownloadStarted → DownloadConfirmed. Every refusal is a
 * BrokerSimError with the status and problem text the real broker answers.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";

export const FILE_TRANSFER_STATUSES = ["Initialized", "UploadStarted", "UploadProcessing", "Published", "Cancelled", "AllConfirmedDownloaded", "Purged", "Failed"] as const;
export type FileTransferStatus = (typeof FILE_TRANSFER_STATUSES)[number];
export const RECIPIENT_STATUSES = ["Initialized", "DownloadStarted", "DownloadConfirmed"] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/** A broker resource: who may use it and how large a file may be. */
export interface BrokerResource {
  id: string;
  /** Organisation numbers with access (the system users' access packages, reduced to organisations). */
  organisations: readonly string[];
  maxFileTransferSize: number;
}

export interface RecipientState {
  recipient: string;
  status: RecipientStatus;
  changed: Date;
  history: { status: RecipientStatus; at: Date }[];
}

export interface FileTransfer {
  fileTransferId: string;
  resourceId: string;
  fileName: string;
  sendersFileTransferReference: string | null;
  sender: string;
  propertyList: Record<string, string>;
  status: FileTransferStatus;
  statusChanged: Date;
  created: Date;
  expirationTime: Date;
  history: { status: FileTransferStatus; at: Date }[];
  recipients: RecipientState[];
  bytes?: Uint8Array;
  checksum?: string;
  /** The checksum the sender declared at initialisation. */
  declaredChecksum?: string;
}

export class BrokerSimError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${status} ${title}: ${detail}`);
  }
}

export interface InitialiseRequest {
  fileName: string;
  resourceId: string;
  sendersFileTransferReference?: string | null;
  sender: string;
  recipients: string[];
  propertyList?: Record<string, string> | null;
  /** The file's MD5 as 32 hex digits: when given, the upload must match it. */
  checksum?: string | null;
}

const PARTY = /^\d{4}:\d{9}$/;
const orgOf = (party: string) => party.slice(party.indexOf(":") + 1);
const FILE_TTL_MS = 30 * 24 * 3600_000;

export class BrokerState {
  private readonly resources = new Map<string, BrokerResource>();
  private readonly transfers = new Map<string, FileTransfer>();

  constructor(private readonly clock: Clock, resources: readonly BrokerResource[]) {
    for (const r of resources) this.resources.set(r.id, r);
  }

  /** Changes a resource's settings, as the resource owner does (PUT /resource/{id}: e.g. its size limit). */
  configureResource(id: string, changes: Partial<Omit<BrokerResource, "id">>): void {
    const r = this.resources.get(id);
    if (!r) throw new BrokerSimError(404, "Not Found", `no resource ${id}`);
    this.resources.set(id, { ...r, ...changes });
  }

  /** Every transfer, oldest first (for tests and the sandbox). */
  all(): FileTransfer[] {
    return [...this.transfers.values()];
  }

  initialise(caller: string, r: InitialiseRequest): FileTransfer {
    const resource = this.resource(r.resourceId, caller);
    if (!PARTY.test(r.sender)) throw new BrokerSimError(400, "Validation error", "sender must be <icd>:<organisation number>");
    if (orgOf(r.sender) !== caller) throw new BrokerSimError(403, "Forbidden", `the token's organisation ${caller} may not send as ${r.sender}`);
    if (!Array.isArray(r.recipients) || r.recipients.length === 0) throw new BrokerSimError(400, "Validation error", "at least one recipient is required");
    for (const recipient of r.recipients) {
      if (typeof recipient !== "string" || !PARTY.test(recipient)) throw new BrokerSimError(400, "Validation error", `recipient ${String(recipient)} is not <icd>:<organisation number>`);
      if (!resource.organisations.includes(orgOf(recipient))) throw new BrokerSimError(400, "Recipient has no access", `the recipient ${recipient} has no access to the resource ${resource.id}`);
    }
    if (!r.fileName || r.fileName.length > 255) throw new BrokerSimError(400, "Validation error", "fileName must be 1 to 255 characters");
    const props = r.propertyList ?? {};
    if (Object.keys(props).length > 10 || Object.entries(props).some(([k, v]) => k.length > 50 || typeof v !== "string" || v.length > 300)) {
      throw new BrokerSimError(400, "Validation error", "propertyList holds at most ten string pairs (keys up to 50, values up to 300 characters)");
    }
    if (r.checksum != null && !/^[0-9a-fA-F]{32}$/.test(r.checksum)) throw new BrokerSimError(400, "Validation error", "checksum must be an MD5 hash of 32 hexadecimal digits");
    const now = this.clock();
    const t: FileTransfer = {
      fileTransferId: randomUUID(),
      resourceId: resource.id,
      fileName: r.fileName,
      sendersFileTransferReference: r.sendersFileTransferReference ?? null,
      sender: r.sender,
      propertyList: { ...props },
      ...(r.checksum != null ? { declaredChecksum: r.checksum.toLowerCase() } : {}),
      status: "Initialized",
      statusChanged: now,
      created: now,
      expirationTime: new Date(now.getTime() + FILE_TTL_MS),
      history: [{ status: "Initialized", at: now }],
      recipients: r.recipients.map((recipient) => ({ recipient, status: "Initialized", changed: now, history: [{ status: "Initialized", at: now }] })),
    };
    this.transfers.set(t.fileTransferId, t);
    return t;
  }

  /** Before the bytes arrive: the caller must be the sender and the transfer not uploaded before. */
  startUpload(caller: string, id: string): { transfer: FileTransfer; maxBytes: number } {
    const t = this.visible(caller, id);
    if (orgOf(t.sender) !== caller) throw new BrokerSimError(403, "Forbidden", "only the sender may upload");
    if (t.status !== "Initialized") throw new BrokerSimError(409, "Conflict", "A file transfer has already been, or attempted to be, created. Create a new file transfer resource to try again");
    this.setStatus(t, "UploadStarted");
    return { transfer: t, maxBytes: this.resources.get(t.resourceId)!.maxFileTransferSize };
  }

  finishUpload(t: FileTransfer, bytes: Uint8Array): void {
    const checksum = createHash("md5").update(bytes).digest("hex");
    if (t.declaredChecksum !== undefined && t.declaredChecksum !== checksum) {
      this.failUpload(t);
      throw new BrokerSimError(400, "Checksum mismatch", `the uploaded file's MD5 is ${checksum}; the file transfer was initialised with ${t.declaredChecksum}`);
    }
    t.bytes = bytes;
    t.checksum = checksum;
    this.setStatus(t, "UploadProcessing");
    this.setStatus(t, "Published");
  }

  failUpload(t: FileTransfer): void {
    this.setStatus(t, "Failed");
  }

  /** GET /filetransfer: ids the caller sends or receives, matching the filters, the 100 newest. */
  list(caller: string, q: { resourceId?: string | undefined; status?: string | undefined; recipientStatus?: string | undefined; from?: Date | undefined; to?: Date | undefined }): string[] {
    if (q.resourceId) this.resource(q.resourceId, caller);
    if (q.status !== undefined && !(FILE_TRANSFER_STATUSES as readonly string[]).includes(q.status)) throw new BrokerSimError(400, "Validation error", `status ${q.status} is not a file transfer status`);
    if (q.recipientStatus !== undefined && !(RECIPIENT_STATUSES as readonly string[]).includes(q.recipientStatus)) throw new BrokerSimError(400, "Validation error", `recipientStatus ${q.recipientStatus} is not a recipient status`);
    const hits = this.all().filter((t) => {
      const mine = t.recipients.find((r) => orgOf(r.recipient) === caller);
      if (!mine && orgOf(t.sender) !== caller) return false;
      if (q.resourceId && t.resourceId !== q.resourceId) return false;
      if (q.status && t.status !== q.status) return false;
      if (q.recipientStatus && mine?.status !== q.recipientStatus) return false;
      if (q.from && t.created < q.from) return false;
      if (q.to && t.created > q.to) return false;
      return true;
    });
    return hits.slice(-100).map((t) => t.fileTransferId);
  }

  /** A transfer the caller sends or receives; 404 otherwise, as the broker hides others' transfers. */
  visible(caller: string, id: string): FileTransfer {
    const t = this.transfers.get(id.toLowerCase());
    if (!t || (orgOf(t.sender) !== caller && !t.recipients.some((r) => orgOf(r.recipient) === caller))) throw new BrokerSimError(404, "Not Found", "The requested file transfer was not found");
    return t;
  }

  download(caller: string, id: string): Uint8Array {
    const t = this.visible(caller, id);
    const r = this.recipient(t, caller);
    if (t.status !== "Published" && t.status !== "AllConfirmedDownloaded") throw new BrokerSimError(400, "File transfer not available", `the file transfer is ${t.status}, not Published`);
    if (r.status === "Initialized") this.setRecipient(r, "DownloadStarted");
    return t.bytes!;
  }

  confirm(caller: string, id: string): void {
    const t = this.visible(caller, id);
    const r = this.recipient(t, caller);
    if (r.status === "Initialized") throw new BrokerSimError(400, "Not downloaded", "the file transfer must be downloaded before its download is confirmed");
    if (r.status === "DownloadConfirmed") return;
    this.setRecipient(r, "DownloadConfirmed");
    if (t.recipients.every((x) => x.status === "DownloadConfirmed")) this.setStatus(t, "AllConfirmedDownloaded");
  }

  private recipient(t: FileTransfer, caller: string): RecipientState {
    const r = t.recipients.find((x) => orgOf(x.recipient) === caller);
    if (!r) throw new BrokerSimError(403, "Forbidden", `${caller} is not a recipient of the file transfer`);
    return r;
  }

  private resource(id: string, caller: string): BrokerResource {
    const r = this.resources.get(id);
    if (!r) throw new BrokerSimError(403, "Forbidden", `The resource ${id} needs to be registered as an Altinn 3 resource and it has to be associated with a service owner`);
    if (!r.organisations.includes(caller)) throw new BrokerSimError(403, "Forbidden", `the system user of ${caller} has no access to the resource ${id}`);
    return r;
  }

  private setStatus(t: FileTransfer, status: FileTransferStatus): void {
    const at = this.clock();
    t.status = status;
    t.statusChanged = at;
    t.history.push({ status, at });
  }

  private setRecipient(r: RecipientState, status: RecipientStatus): void {
    const at = this.clock();
    r.status = status;
    r.changed = at;
    r.history.push({ status, at });
  }
}
