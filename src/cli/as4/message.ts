import { EbmsError } from "../../as4/ebms-errors.js";
import { NS } from "../../as4/namespaces.js";
import { parseSignalMessages } from "../../as4/signal-message.js";
import { messagingKind, type SoapEnvelope } from "../../as4/soap-parse.js";
import { parseXsDateTime, readUserMessage, toPeppolUserMessage } from "../../as4/user-message.js";
import { attr, childElements, trimmedText } from "../../xml/dom.js";
import type { DsReference } from "../../xml/dsig-reference.js";
import { selectElements } from "../../xml/xpath.js";
import type { DsReferenceReport, Finding, MessageReport, PartInfoReport, TypedValue, UserMessageReport } from "./report-types.js";

/**
 * What the eb:Messaging header says. The fields shown come from a tolerant reading (anything missing is
 * simply absent), and the receiver's own readers (user-message.ts, signal-message.ts) decide whether the
 * message is acceptable, so the description never hides why the receiver would refuse it.
 */

export interface MessageDescription {
  report: MessageReport;
  /** The message's own timestamp, when readable: the natural `--at` for old messages. */
  time?: Date;
  findings: Finding[];
}

export function describeMessage(envelope: SoapEnvelope): MessageDescription {
  const messaging = envelope.messaging;
  let kind: "UserMessage" | "SignalMessage";
  try {
    kind = messagingKind(messaging);
  } catch (e) {
    return unreadable(messaging, e);
  }
  return kind === "UserMessage" ? describeUserMessage(messaging) : describeSignals(messaging);
}

function describeUserMessage(messaging: Element): MessageDescription {
  const user = childElements(messaging, NS.eb, "UserMessage")[0]!;
  const text = (path: string): string | undefined => {
    const el = selectElements(path, user)[0];
    const t = el ? trimmedText(el) : "";
    return t === "" ? undefined : t;
  };
  const party = (side: "From" | "To") => {
    const el = selectElements(`eb:PartyInfo/eb:${side}`, user)[0];
    if (!el) return undefined;
    return {
      partyIds: childElements(el, NS.eb, "PartyId").map((p) => typed(trimmedText(p), attr(p, "type"))),
      role: text(`eb:PartyInfo/eb:${side}/eb:Role`) ?? "",
    };
  };
  const properties = selectElements("eb:MessageProperties/eb:Property", user).map(property);
  const identifier = (name: string): TypedValue | undefined => {
    const p = properties.find((x) => x.name === name);
    return p ? typed(p.value, p.type) : undefined;
  };
  const parts = selectElements("eb:PayloadInfo/eb:PartInfo", user).map((el): PartInfoReport => {
    const props = selectElements("eb:PartProperties/eb:Property", el).map(property);
    const prop = (name: string) => props.find((p) => p.name === name)?.value;
    const href = attr(el, "href")?.trim();
    return {
      ...(href !== undefined ? { href } : {}),
      ...optional("mimeType", prop("MimeType")),
      ...optional("compressionType", prop("CompressionType")),
      ...optional("characterSet", prop("CharacterSet")),
      properties: props,
    };
  });
  const service = selectElements("eb:CollaborationInfo/eb:Service", user)[0];
  const timestampText = text("eb:MessageInfo/eb:Timestamp");
  const from = party("From");
  const to = party("To");
  const originalSender = identifier("originalSender");
  const finalRecipient = identifier("finalRecipient");

  const report: UserMessageReport = {
    kind: "UserMessage",
    messageId: text("eb:MessageInfo/eb:MessageId") ?? "",
    ...optional("timestamp", timestampText),
    ...optional("refToMessageId", text("eb:MessageInfo/eb:RefToMessageId")),
    ...optional("mpc", attr(user, "mpc")),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...optional("agreementRef", text("eb:CollaborationInfo/eb:AgreementRef")),
    ...(service ? { service: typed(trimmedText(service), attr(service, "type")) } : {}),
    ...optional("action", text("eb:CollaborationInfo/eb:Action")),
    ...optional("conversationId", text("eb:CollaborationInfo/eb:ConversationId")),
    ...(originalSender ? { originalSender } : {}),
    ...(finalRecipient ? { finalRecipient } : {}),
    properties,
    parts,
    profile: { status: "ok" },
  };

  const findings: Finding[] = [];
  let time: Date | undefined;
  try {
    const raw = readUserMessage(messaging);
    time = raw.timestamp;
    try {
      toPeppolUserMessage(raw);
    } catch (e) {
      if (!(e instanceof EbmsError)) throw e;
      report.profile = { status: "failed", code: e.code, detail: e.detail };
      findings.push({ severity: "error", code: "PEPPOL_PROFILE", message: `not a valid Peppol UserMessage (${e.code}): ${e.detail}` });
    }
  } catch (e) {
    if (!(e instanceof EbmsError)) throw e;
    report.readError = { code: e.code, detail: e.detail };
    report.profile = { status: "failed", code: e.code, detail: e.detail };
    findings.push({ severity: "error", code: "MESSAGE_UNREADABLE", message: `the UserMessage header is malformed (${e.code}): ${e.detail}` });
  }
  return { report, ...(time ? { time } : {}), findings };
}

function describeSignals(messaging: Element): MessageDescription {
  try {
    const signals = parseSignalMessages(messaging);
    const report: MessageReport = {
      kind: "SignalMessage",
      signals: signals.map((s) =>
        s.kind === "receipt"
          ? {
              kind: "Receipt" as const,
              messageId: s.info.messageId,
              timestamp: s.info.timestamp.toISOString(),
              refToMessageId: s.info.refToMessageId,
              nonRepudiation: s.nonRepudiation,
              references: s.references.map(dsReferenceReport),
            }
          : {
              kind: "Error" as const,
              messageId: s.info.messageId,
              timestamp: s.info.timestamp.toISOString(),
              ...optional("refToMessageId", s.info.refToMessageId),
              errors: s.errors.map((e) => ({
                errorCode: e.errorCode,
                severity: e.severity,
                ...optional("category", e.category),
                ...optional("origin", e.origin),
                ...optional("refToMessageInError", e.refToMessageInError),
                ...optional("shortDescription", e.shortDescription),
                ...optional("description", e.description?.text),
                ...optional("errorDetail", e.errorDetail),
              })),
            },
      ),
    };
    const time = signals[0]?.info.timestamp;
    return { report, ...(time ? { time } : {}), findings: [] };
  } catch (e) {
    return unreadable(messaging, e);
  }
}

export function dsReferenceReport(r: DsReference): DsReferenceReport {
  return {
    uri: r.uri,
    transforms: r.transforms.map((t) => ({ algorithm: t.algorithm, ...(t.inclusiveNamespaces ? { prefixList: t.inclusiveNamespaces } : {}) })),
    digestMethod: r.digestMethod,
    digestValue: r.digestValue,
  };
}

function unreadable(messaging: Element, e: unknown): MessageDescription {
  if (!(e instanceof EbmsError)) throw e;
  const idEl = selectElements("*/eb:MessageInfo/eb:MessageId", messaging)[0];
  const messageId = idEl ? trimmedText(idEl) : undefined;
  const tsEl = selectElements("*/eb:MessageInfo/eb:Timestamp", messaging)[0];
  let time: Date | undefined;
  try {
    time = tsEl ? parseXsDateTime(trimmedText(tsEl)) : undefined;
  } catch {
    time = undefined;
  }
  return {
    report: { kind: "unreadable", ...optional("messageId", messageId || undefined), code: e.code, detail: e.detail },
    ...(time ? { time } : {}),
    findings: [{ severity: "error", code: "MESSAGE_UNREADABLE", message: `the eb:Messaging header cannot be read (${e.code}): ${e.detail}` }],
  };
}

function property(el: Element): { name: string; value: string; type?: string } {
  const type = attr(el, "type");
  return { name: (attr(el, "name") ?? "").trim(), value: trimmedText(el), ...(type !== undefined ? { type: type.trim() } : {}) };
}

function typed(value: string, type: string | undefined): TypedValue {
  return { value, ...(type !== undefined ? { type: type.trim() } : {}) };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
