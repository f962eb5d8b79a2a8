import type { NewCorrespondence, NotificationOrder, StoredAttachment } from "./state.js";
import { invalidFields, problem, type AltinnProblem } from "./problem.js";

/**
 * `POST correspondence/upload` read as Altinn reads it: ASP.NET binds the multipart form's dot-notation fields
 * (`Correspondence.Content.MessageTitle`, `Recipients[0]`, `Correspondence.Content.Attachments[0].FileName`;
 * names case-insensitive) onto InitializeCorrespondencesExt, the parts named `attachments` are the files, and
 * the correspondence service's checks refuse with their numbered errors (altinn-correspondence-v1.json, the
 * 400/404/409/422 lists of this operation). What is checked here: required fields and their lengths, booleans,
 * dates and enums; the idempotent key's form; recipients (an organisation or person URN, unique); language;
 * empty title/summary/body; due date against now and the publish time; the notification texts each channel
 * needs; attachment files against their metadata (names, count, empty, size, file name length).
 */

export interface UploadLimits {
  /** Largest attachment (Altinn: 250 MB, error 2004). */
  maxAttachmentBytes: number;
}

export interface UploadedFile {
  name: string;
  type: string;
  bytes: Buffer;
}

export interface ParsedUpload {
  idempotentKey: string | undefined;
  items: Omit<NewCorrespondence, "senderOrg">[];
}

const ORG_URN = /^urn:altinn:organization:identifier-no:(\d{9})$/;
const PERSON_URN = /^urn:altinn:person:identifier-no:(\d{11})$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANNELS = ["Email", "Sms", "EmailPreferred", "SmsPreferred", "EmailAndSms"];
const TEMPLATES = ["CustomMessage", "GenericAltinnMessage"];
const CONTENT_TYPES = ["Plain", "Html"];

export function parseUpload(fields: Map<string, string[]>, files: readonly UploadedFile[], now: Date, limits: UploadLimits): ParsedUpload {
  const errors: Record<string, string[]> = {};
  const refuse = (field: string, message: string) => (errors[field] ??= []).push(message);
  const one = (name: string): string | undefined => fields.get(name.toLowerCase())?.[0];
  const required = (name: string, max?: number): string => {
    const v = one(name);
    if (v === undefined || v === "") refuse(name, `The ${name.split(".").pop()} field is required.`);
    else if (max !== undefined && v.length > max) refuse(name, `The field ${name.split(".").pop()} must be a string with a maximum length of ${max}.`);
    return v ?? "";
  };
  const optional = (name: string, max?: number): string | undefined => {
    const v = one(name);
    if (v !== undefined && max !== undefined && v.length > max) refuse(name, `The field ${name.split(".").pop()} must be a string with a maximum length of ${max}.`);
    return v === "" ? undefined : v;
  };
  const bool = (name: string): boolean | undefined => {
    const v = one(name);
    if (v === undefined || v === "") return undefined;
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
    refuse(name, `The value '${v}' is not valid for ${name.split(".").pop()}.`);
    return undefined;
  };
  const date = (name: string): Date | undefined => {
    const v = one(name);
    if (v === undefined || v === "") return undefined;
    const d = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime())) {
      refuse(name, `The value '${v}' is not valid for ${name.split(".").pop()}.`);
      return undefined;
    }
    return d;
  };
  const enumValue = (name: string, values: readonly string[]): string | undefined => {
    const v = one(name);
    if (v === undefined || v === "") return undefined;
    const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit) refuse(name, `The value '${v}' is not valid for ${name.split(".").pop()}.`);
    return hit;
  };

  const resourceId = required("Correspondence.ResourceId", 255);
  const sendersReference = required("Correspondence.SendersReference", 4096);
  const language = required("Correspondence.Content.Language");
  const messageTitle = required("Correspondence.Content.MessageTitle");
  const messageSummary = required("Correspondence.Content.MessageSummary");
  const messageBody = required("Correspondence.Content.MessageBody");
  const messageSender = optional("Correspondence.MessageSender", 256);
  const sender = optional("Correspondence.Sender");
  const requestedPublishTime = date("Correspondence.RequestedPublishTime");
  const dueDateTime = date("Correspondence.DueDateTime");
  const ignoreReservation = bool("Correspondence.IgnoreReservation");
  const isConfirmationNeeded = bool("Correspondence.IsConfirmationNeeded") ?? false;
  const isConfidential = bool("Correspondence.IsConfidential") ?? false;
  const idempotentKey = optional("IdempotentKey");

  const recipients = indexed(fields, "recipients").map((r) => r.value);
  for (const v of fields.get("recipients") ?? []) recipients.push(v);
  if (recipients.length === 0) refuse("Recipients", "The Recipients field is required.");

  const notificationKeys = [...fields.keys()].filter((k) => k.startsWith("correspondence.notification."));
  const notification = notificationKeys.length > 0 ? readNotification() : undefined;

  const attachmentMeta = indexedObjects(fields, "correspondence.content.attachments").map((a, i) => {
    const prefix = `Correspondence.Content.Attachments[${i}]`;
    const sref = a.get("sendersreference");
    if (!sref) refuse(`${prefix}.SendersReference`, "The SendersReference field is required.");
    const enc = a.get("isencrypted");
    if (enc !== undefined && !/^(true|false)$/i.test(enc)) refuse(`${prefix}.IsEncrypted`, `The value '${enc}' is not valid for IsEncrypted.`);
    return { fileName: a.get("filename"), displayName: a.get("displayname"), isEncrypted: /^true$/i.test(enc ?? ""), sendersReference: sref ?? "" };
  });

  const propertyList: Record<string, string> = {};
  for (const [k, v] of fields) if (k.startsWith("correspondence.propertylist.")) propertyList[k.slice("correspondence.propertylist.".length)] = v[0]!;

  if (Object.keys(errors).length > 0) throw invalidFields(errors);

  // The correspondence service's own checks, in the order of its numbered errors.
  if (idempotentKey !== undefined && (!GUID.test(idempotentKey) || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(idempotentKey))) throw problem(400, 1033, "The idempotency key must be a valid non-empty GUID");
  for (const r of recipients) {
    if (!ORG_URN.test(r) && !PERSON_URN.test(r)) throw invalidFields({ Recipients: [`Recipient '${r}' is neither urn:altinn:organization:identifier-no:<9 digits> nor urn:altinn:person:identifier-no:<11 digits>`] });
  }
  if (new Set(recipients).size !== recipients.length) throw problem(400, 1006, "Recipients must be unique");
  if (!["nb", "nn", "en"].includes(language)) throw problem(400, 1023, "Invalid language chosen. Supported languages is Norsk bokmål (nb), Nynorsk (nn) and English (en)");
  if (messageTitle.trim() === "") throw problem(400, 1020, "Message title cannot be empty");
  if (messageBody.trim() === "") throw problem(400, 1021, "Message body cannot be empty");
  if (messageSummary.trim() === "") throw problem(400, 1022, "Message summary cannot be empty");
  if (dueDateTime && dueDateTime.getTime() < startOfDay(now)) throw problem(400, 1008, "DueDateTime cannot be prior to today");
  if (dueDateTime && requestedPublishTime && dueDateTime < requestedPublishTime) throw problem(400, 1009, "DueDateTime cannot be prior to RequestedPublishTime");
  if (isConfirmationNeeded && !dueDateTime) throw problem(400, 1016, "DueDateTime is required when confirmation is needed");
  const notifications = notification ? checkNotification(notification) : [];
  const attachments = matchAttachments();

  const flat: Record<string, string> = {};
  for (const [k, v] of fields) flat[k] = v.join(",");
  return {
    idempotentKey,
    items: recipients.map((recipient) => ({
      idempotentKey,
      resourceId,
      sender,
      sendersReference,
      messageSender,
      content: { language, messageTitle, messageSummary, messageBody },
      requestedPublishTime,
      dueDateTime,
      propertyList,
      ignoreReservation,
      isConfirmationNeeded,
      isConfidential,
      recipient,
      notification: notification?.raw,
      notifications,
      attachments,
      fields: flat,
    })),
  };

  function readNotification() {
    const n = "Correspondence.Notification.";
    const raw: Record<string, string> = {};
    for (const k of notificationKeys) raw[k.slice(n.length)] = fields.get(k)![0]!;
    const template = enumValue(`${n}NotificationTemplate`, TEMPLATES);
    if (template === undefined && !errors[`${n}NotificationTemplate`]) refuse(`${n}NotificationTemplate`, "The NotificationTemplate field is required.");
    return {
      raw,
      template,
      channel: enumValue(`${n}NotificationChannel`, CHANNELS) ?? "Email",
      reminderChannel: enumValue(`${n}ReminderNotificationChannel`, CHANNELS),
      emailContentType: enumValue(`${n}EmailContentType`, CONTENT_TYPES),
      reminderEmailContentType: enumValue(`${n}ReminderEmailContentType`, CONTENT_TYPES),
      emailSubject: optional(`${n}EmailSubject`, 128),
      emailBody: optional(`${n}EmailBody`, 1024),
      smsBody: optional(`${n}SmsBody`, 160),
      sendReminder: bool(`${n}SendReminder`) ?? false,
      reminderEmailSubject: optional(`${n}ReminderEmailSubject`, 128),
      reminderEmailBody: optional(`${n}ReminderEmailBody`, 1024),
      reminderSmsBody: optional(`${n}ReminderSmsBody`, 160),
      requestedSendTime: date(`${n}RequestedSendTime`),
    };
  }

  function checkNotification(n: NonNullable<ReturnType<typeof readNotification>>): Omit<NotificationOrder, "orderId">[] {
    if (Object.keys(errors).length > 0) throw invalidFields(errors);
    if (n.template === "CustomMessage") {
      const needs = (channel: string, subject?: string, body?: string, sms?: string, reminder = false): AltinnProblem | undefined => {
        const email = subject !== undefined && body !== undefined;
        if (channel === "Email" && !email) return problem(400, reminder ? 3003 : 3002, reminder ? "Reminder email body and subject must be provided when sending reminder email notifications" : "Email body and subject must be provided when sending email notifications");
        if (channel === "Sms" && sms === undefined) return problem(400, reminder ? 3005 : 3004, reminder ? "Reminder SMS body must be provided when sending reminder SMS notifications" : "SMS body must be provided when sending SMS notifications");
        if ((channel === "EmailPreferred" || channel === "SmsPreferred" || channel === "EmailAndSms") && (!email || sms === undefined)) {
          return problem(400, reminder ? 3007 : 3006, reminder ? "Reminder email body, subject and SMS body must be provided when sending reminder preferred notifications" : "Email body, subject and SMS body must be provided when sending preferred notifications");
        }
        return undefined;
      };
      const main = needs(n.channel, n.emailSubject, n.emailBody, n.smsBody);
      if (main) throw main;
      if (n.sendReminder) {
        const r = needs(n.reminderChannel ?? n.channel, n.reminderEmailSubject, n.reminderEmailBody, n.reminderSmsBody, true);
        if (r) throw r;
      }
    }
    const orders: Omit<NotificationOrder, "orderId">[] = [
      { isReminder: false, channel: n.channel, emailSubject: n.emailSubject, emailBody: n.emailBody, smsBody: n.smsBody, requestedSendTime: n.requestedSendTime },
    ];
    if (n.sendReminder) {
      orders.push({ isReminder: true, channel: n.reminderChannel ?? n.channel, emailSubject: n.reminderEmailSubject, emailBody: n.reminderEmailBody, smsBody: n.reminderSmsBody, requestedSendTime: undefined });
    }
    return orders;
  }

  function matchAttachments(): Omit<StoredAttachment, "id">[] {
    const names = attachmentMeta.map((a) => a.fileName);
    for (const f of files) {
      if (f.name === "") throw problem(400, 2010, "Filename is missing");
      if (f.name.length > 255) throw problem(400, 2011, "Filename is too long");
    }
    const fileNames = files.map((f) => f.name);
    if (names.length !== files.length || names.some((n) => n === undefined || !fileNames.includes(n)) || fileNames.some((n) => !names.includes(n))) {
      throw problem(400, 1005, "Mismatch between uploaded files and attachment metadata");
    }
    return attachmentMeta.map((a) => {
      const f = files.find((x) => x.name === a.fileName)!;
      if (f.bytes.length === 0 || f.bytes.length > limits.maxAttachmentBytes) throw problem(400, 2004, "File must have content and has a max file size of 250 MB");
      return { fileName: a.fileName!, displayName: a.displayName, isEncrypted: a.isEncrypted, sendersReference: a.sendersReference, contentType: f.type, bytes: f.bytes };
    });
  }
}

/** `prefix[i]` values in index order (lower-cased names). */
function indexed(fields: Map<string, string[]>, prefix: string): { index: number; value: string }[] {
  const out: { index: number; value: string }[] = [];
  for (const [k, v] of fields) {
    const m = new RegExp(`^${escape(prefix)}\\[(\\d+)\\]$`).exec(k);
    if (m) out.push({ index: Number(m[1]), value: v[0]! });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** `prefix[i].name` fields grouped per index, in index order. */
function indexedObjects(fields: Map<string, string[]>, prefix: string): Map<string, string>[] {
  const groups = new Map<number, Map<string, string>>();
  for (const [k, v] of fields) {
    const m = new RegExp(`^${escape(prefix)}\\[(\\d+)\\]\\.(.+)$`).exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    if (!groups.has(i)) groups.set(i, new Map());
    groups.get(i)!.set(m[2]!, v[0]!);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function startOfDay(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
}
