/**
 * An outgoing `arkivmelding` or `digital_dpv` as the Altinn 3 correspondence the integrasjonspunkt makes of it
 * ([IP] `altinnv3/dpv/CorrespondenceFactory.java`, `CorrespondenceCreatorService.java`, `NotificationFactory.java`,
 * `FileRetriever.java`, `DpvHelper.java`; the fields asserted in `cucumber/nextmove_send_dpv.feature`), already
 * flattened to the dot-notation form fields the upload takes (`DotNotationFlattener`: absent values are left out).
 * Pure: the caller brings the Service Registry's resource and the sender's name, the files and the time.
 */
import { formatOsloDateTime } from "../../core/oslo-time.js";
import type { ArkivmeldingInfo } from "../../sbd/arkivmelding.js";
import { processOf, type StandardBusinessDocument } from "../../sbd/index.js";
import type { DpvSettings as SbdDpvSettings } from "../../sbd/schema.js";
import type { FormField } from "./client.js";

/** The integrasjonspunkt's `difi.move.dpv.*` settings this channel uses. */
export interface DpvSettings {
  /** notifyEmail / notifySms: the notification channel when the message does not choose one. */
  notifyEmail: boolean;
  notifySms: boolean;
  /** notification-text / sensitive-notification-text; `$reporterName$` becomes the sender's name. */
  notificationText: string;
  sensitiveNotificationText: string;
  /** email-subject. */
  emailSubject: string;
  /** daysToReply and enableDueDate: the due date when the message gives no dagerTilSvarfrist. */
  daysToReply: number;
  enableDueDate: boolean;
  /** sensitiveResource: the resource whose correspondences are confidential. */
  sensitiveResource: string;
}

/** The integrasjonspunkt's defaults (application.properties). */
export const DEFAULT_DPV_SETTINGS: DpvSettings = {
  notifyEmail: true,
  notifySms: true,
  notificationText: "$correspondenceRecipientName$: Du har mottatt en melding fra $reporterName$.",
  sensitiveNotificationText:
    "$correspondenceRecipientName$, har mottatt en taushetsbelagt melding fra $reporterName$. For å få tilgang til meldingen, er det nødvendig at noen i $correspondenceRecipientName$ har fått tildelt tilgang til tjenesten «eformidling-dpv-taushetsbelagt» i Altinn. Dersom dere er usikre på om noen har slik tilgang, anbefaler vi sterkt at dette sjekkes. Les mer om å gi tilgang til tjenester på Altinns nettsider.",
  emailSubject: "Melding mottatt i Altinn",
  daysToReply: 7,
  enableDueDate: true,
  sensitiveResource: "eformidling-dpv-taushetsbelagt",
};

/** A file of the message, in upload order. */
export interface DpvDocument {
  filename: string;
  title: string | undefined;
  mimeType: string;
  bytes: Uint8Array;
}

export interface CorrespondenceInput {
  sbd: StandardBusinessDocument;
  messageId: string;
  /** The receiver: an organisation number, or an 11-digit person id. */
  receiver: string;
  /** The SBD's sender identifier as the conversation has it ("0192:<orgno>", or "0192:<orgno>:<on behalf of>"). */
  senderIdentifier: string;
  /** The sending organisation: the on-behalf-of organisation when there is one, else the primary. */
  senderOrg: string;
  /** Its name in the Service Registry's info record (messageSender, `$reporterName$`). */
  senderName: string;
  /** The receiver's DPV record's Altinn resource. */
  resource: string;
  documents: readonly DpvDocument[];
  /** arkivmelding.xml, read (arkivmelding only). */
  arkivmelding?: ArkivmeldingInfo | undefined;
  now: Date;
}

export interface BuiltCorrespondence {
  fields: FormField[];
  /** The files to upload, in the order of `correspondence.content.attachments[i]`. */
  files: DpvDocument[];
}

export const DIGITAL_DPV_INFO_PROCESS = "urn:no:difi:profile:digitalpost:info:ver1.0";
/** Every attachment gets this senders reference in the integrasjonspunkt (a constant there); kept for parity. */
export const ATTACHMENT_SENDERS_REFERENCE = "AttachmentReference_as123452";
const DAY_MS = 86_400_000;

const CHANNEL_OF: Record<string, string> = { Epost: "Email", SMS: "Sms", EpostOgSMS: "EmailAndSms" };

export function buildCorrespondence(input: CorrespondenceInput, settings: DpvSettings): BuiltCorrespondence {
  const { sbd, now } = input;
  const body = sbd.businessMessage as { dpv?: SbdDpvSettings | null };
  const dpv = body.dpv ?? undefined;
  const content = contentOf(input);
  const files = filesOf(input);
  const confidential = input.resource === settings.sensitiveResource;
  const fields: FormField[] = [];
  const put = (name: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) fields.push([name, String(value)]);
  };

  put("recipients[0]", /^\d{11}$/.test(input.receiver) ? `urn:altinn:person:identifier-no:${input.receiver}` : `urn:altinn:organization:identifier-no:${input.receiver}`);
  put("correspondence.resourceId", input.resource);
  put("correspondence.sender", input.senderIdentifier);
  put("correspondence.sendersReference", input.messageId);
  put("correspondence.messageSender", input.senderName);
  put("correspondence.requestedPublishTime", formatOsloDateTime(now));
  const due = dueDate(dpv, settings, now);
  if (due) put("correspondence.dueDateTime", formatOsloDateTime(due));
  put("correspondence.isConfirmationNeeded", false);
  put("correspondence.isConfidential", confidential);
  put("correspondence.ignoreReservation", sbd.type === "digital_dpv" && processOf(sbd) === DIGITAL_DPV_INFO_PROCESS);
  put("correspondence.propertyList.senderOrgNumber", input.senderOrg);
  put("correspondence.content.language", "nb");
  put("correspondence.content.messageTitle", content.title);
  put("correspondence.content.messageSummary", content.summary);
  put("correspondence.content.messageBody", content.body);
  files.forEach((f, i) => {
    const p = `correspondence.content.attachments[${i}]`;
    put(`${p}.fileName`, f.filename);
    put(`${p}.displayName`, f.title);
    put(`${p}.isEncrypted`, false);
    put(`${p}.sendersReference`, ATTACHMENT_SENDERS_REFERENCE);
  });

  const channel = (dpv?.varselTransportType && CHANNEL_OF[dpv.varselTransportType]) || defaultChannel(settings);
  const ownText = confidential ? dpv?.taushetsbelagtVarselTekst : dpv?.varselTekst;
  const text = (ownText || (confidential ? settings.sensitiveNotificationText : settings.notificationText)).replaceAll("$reporterName$", input.senderName);
  const reminder = dpv?.varselType === undefined || dpv.varselType === "VarselDPVMedRevarsel";
  const n = "correspondence.notification";
  put(`${n}.notificationTemplate`, "CustomMessage");
  put(`${n}.emailSubject`, settings.emailSubject);
  put(`${n}.emailBody`, text);
  put(`${n}.emailContentType`, "Plain");
  put(`${n}.smsBody`, text);
  put(`${n}.sendReminder`, reminder);
  if (reminder) {
    put(`${n}.reminderEmailSubject`, settings.emailSubject);
    put(`${n}.reminderEmailBody`, text);
    put(`${n}.reminderEmailContentType`, "Plain");
    put(`${n}.reminderSmsBody`, text);
    put(`${n}.reminderNotificationChannel`, channel);
  }
  put(`${n}.notificationChannel`, channel);
  put(`${n}.requestedSendTime`, formatOsloDateTime(new Date(now.getTime() + 5 * 60_000)));
  put("idempotentKey", input.messageId);
  return { fields, files };
}

function contentOf(input: CorrespondenceInput): { title: string | undefined; summary: string | undefined; body: string | undefined } {
  const { sbd } = input;
  if (sbd.type === "digital_dpv") {
    const m = sbd.businessMessage;
    return { title: m.tittel, summary: m.sammendrag, body: m.innhold !== undefined && m.innhold.trim() !== "" ? m.innhold : "Ingen innhold" };
  }
  const a = input.arkivmelding;
  return { title: a?.title, summary: a?.title, body: a?.tittel };
}

/** arkivmelding: only the files its dokumentobjekter reference; digital_dpv: every file. Upload order either way. */
function filesOf(input: CorrespondenceInput): DpvDocument[] {
  if (input.sbd.type !== "arkivmelding") return [...input.documents];
  const referenced = new Set(input.arkivmelding?.filenames ?? []);
  return input.documents.filter((d) => referenced.has(d.filename));
}

function dueDate(dpv: SbdDpvSettings | undefined, settings: DpvSettings, now: Date): Date | undefined {
  const days = dpv?.dagerTilSvarfrist;
  if (days !== undefined && days !== null) return days > 0 ? new Date(now.getTime() + days * DAY_MS) : undefined;
  return settings.enableDueDate ? new Date(now.getTime() + settings.daysToReply * DAY_MS) : undefined;
}

function defaultChannel(s: DpvSettings): string {
  if (s.notifyEmail && s.notifySms) return "EmailAndSms";
  if (s.notifySms) return "Sms";
  if (s.notifyEmail) return "Email";
  return "EmailAndSms";
}
