/**
 * The NextMove message types (the IP's MessageType and BusinessMessageType enums) in one table: the
 * documentIdentification.standard each is usually sent with, the key its business message sits under, the
 * processes and channels it travels on (spec/eformidling.md §1.5), whether it is a receipt and whether it
 * needs attachments (SBDUtil.isFileRequired).
 */

/** The integrasjonspunkt's ServiceIdentifier: the channel a message travels on. */
export const SERVICE_IDENTIFIERS = ["DPO", "DPV", "DPI", "DPF", "DPE", "DPH", "UNKNOWN"] as const;
export type ServiceIdentifier = (typeof SERVICE_IDENTIFIERS)[number];

/** MessageType in the IP's declaration order (UnknownMessageTypeException lists them in this order). */
export const MESSAGE_TYPES = [
  "status",
  "feil",
  "arkivmelding",
  "arkivmelding_kvittering",
  "avtalt",
  "digital",
  "digital_dpv",
  "print",
  "dialogmelding",
  "dialogmelding_kvittering",
  "innsynskrav",
  "publisering",
  "einnsyn_kvittering",
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The types with a business message class (BusinessMessageType): every type but `feil`. */
export type BusinessMessageType = Exclude<MessageType, "feil">;

export interface MessageTypeInfo {
  readonly type: MessageType;
  /** The documentIdentification.standard the IP's configuration and Digdir's docs use; undefined where none is known. */
  readonly standard: string | undefined;
  /** What every standard of this type must end with (MessageType.fitsDocumentIdentifier). */
  readonly standardSuffix: string;
  /** The JSON key of the business message; undefined for `feil`, which the IP cannot read as JSON. */
  readonly businessMessageKey: BusinessMessageType | undefined;
  /** ConversationId scope identifiers (processes) the type is sent on. */
  readonly processes: readonly string[];
  /** Channels that take it. */
  readonly channels: readonly ServiceIdentifier[];
  readonly isReceipt: boolean;
  readonly requiresFiles: boolean;
}

const ARKIVMELDING_PROCESSES = [
  "administrasjon",
  "planByggOgGeodata",
  "helseSosialOgOmsorg",
  "oppvekstOgUtdanning",
  "kulturIdrettOgFritid",
  "trafikkReiserOgSamferdsel",
  "naturOgMiljoe",
  "naeringsutvikling",
  "skatterOgAvgifter",
  "tekniskeTjenester",
  "taushetsbelagt",
].map((area) => `urn:no:difi:profile:arkivmelding:${area}:ver1.0`);

export const PROCESSES = {
  arkivmelding: ARKIVMELDING_PROCESSES,
  arkivmeldingResponse: "urn:no:difi:profile:arkivmelding:response:ver1.0",
  avtalt: "urn:no:difi:profile:avtalt:avtalt:ver1.0",
  avtaltResponse: "urn:no:difi:profile:avtalt:response:ver1.0",
  digitalpost: ["urn:no:difi:profile:digitalpost:info:ver1.0", "urn:no:difi:profile:digitalpost:vedtak:ver1.0"],
  einnsynInnsynskrav: "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0",
  einnsynPublisering: ["urn:no:difi:profile:einnsyn:journalpost:ver1.0", "urn:no:difi:profile:einnsyn:meeting:ver1.0"],
  einnsynResponse: "urn:no:difi:profile:einnsyn:response:ver1.0",
  helse: "urn:no:difi:profile:helse:helse:ver1.0",
  helseResponse: "urn:no:difi:profile:helse:response:ver1.0",
} as const;

/** SBDUtil.isFileRequired: everything but status messages, receipts and avtalt. */
const requiresFiles = (type: MessageType, isReceipt: boolean) => !(type === "status" || isReceipt || type === "avtalt");

function row(
  type: MessageType,
  standard: string | undefined,
  processes: readonly string[],
  channels: readonly ServiceIdentifier[],
  isReceipt = false,
): MessageTypeInfo {
  return Object.freeze({
    type,
    standard,
    standardSuffix: `::${type}`,
    businessMessageKey: type === "feil" ? undefined : type,
    processes: Object.freeze([...processes]),
    channels: Object.freeze([...channels]),
    isReceipt,
    requiresFiles: requiresFiles(type, isReceipt),
  });
}

export const messageTypes: Readonly<Record<MessageType, MessageTypeInfo>> = Object.freeze({
  // Status messages travel back on the response process of the conversation they report on (SBDFactory.createStatusFrom).
  status: row(
    "status",
    "urn:no:difi:eformidling:xsd::status",
    [PROCESSES.arkivmeldingResponse, PROCESSES.einnsynResponse, PROCESSES.avtaltResponse],
    ["DPO", "DPE"],
  ),
  feil: row("feil", undefined, [], []),
  arkivmelding: row("arkivmelding", "urn:no:difi:arkivmelding:xsd::arkivmelding", PROCESSES.arkivmelding, ["DPO", "DPF", "DPV"]),
  // Over DPF and DPV a kvittering is accepted but not sent: it is marked delivered and dropped (spec §4.1, §5).
  arkivmelding_kvittering: row(
    "arkivmelding_kvittering",
    "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering",
    [PROCESSES.arkivmeldingResponse],
    ["DPO", "DPF", "DPV"],
    true,
  ),
  avtalt: row("avtalt", "urn:no:difi:avtalt:xsd::avtalt", [PROCESSES.avtalt], ["DPO"]),
  digital: row("digital", "urn:no:difi:digitalpost:xsd:digital::digital", PROCESSES.digitalpost, ["DPI"]),
  digital_dpv: row("digital_dpv", "urn:no:difi:digitalpost:xsd:digital::digital_dpv", PROCESSES.digitalpost, ["DPV"]),
  print: row("print", "urn:no:difi:digitalpost:xsd:fysisk::print", PROCESSES.digitalpost, ["DPI"]),
  dialogmelding: row("dialogmelding", "urn:no:difi:helse:xsd:schema::dialogmelding", [PROCESSES.helse], ["DPH"]),
  dialogmelding_kvittering: row(
    "dialogmelding_kvittering",
    "urn:no:difi:helse:xsd::dialogmelding_kvittering",
    [PROCESSES.helseResponse],
    ["DPH"],
    true,
  ),
  innsynskrav: row("innsynskrav", "urn:no:difi:einnsyn:xsd::innsynskrav", [PROCESSES.einnsynInnsynskrav], ["DPE"]),
  publisering: row("publisering", "urn:no:difi:einnsyn:xsd::publisering", PROCESSES.einnsynPublisering, ["DPE"]),
  einnsyn_kvittering: row(
    "einnsyn_kvittering",
    "urn:no:difi:einnsyn:xsd::einnsyn_kvittering",
    [PROCESSES.einnsynResponse],
    ["DPE"],
    true,
  ),
});

/** MessageType.valueOfType: the type a documentIdentification.type names, ignoring case; undefined if none. */
export function messageTypeOf(type: string | undefined | null): MessageType | undefined {
  if (type == null) return undefined;
  const lower = type.toLowerCase();
  // Java's equalsIgnoreCase and toLowerCase agree for these ASCII names.
  return MESSAGE_TYPES.find((t) => t === lower);
}

/** MessageType.fitsDocumentIdentifier: the standard ends with `::<type>` (case-sensitive). */
export function fitsStandard(type: MessageType, standard: string): boolean {
  return standard.endsWith(messageTypes[type].standardSuffix);
}

export function isReceiptType(type: MessageType): boolean {
  return messageTypes[type].isReceipt;
}

/** The types UnknownMessageTypeException offers: all but the receipts, in declaration order. */
export function nonReceiptTypes(): MessageType[] {
  return MESSAGE_TYPES.filter((t) => !messageTypes[t].isReceipt);
}

export function isServiceIdentifier(value: string): value is ServiceIdentifier {
  return (SERVICE_IDENTIFIERS as readonly string[]).includes(value);
}
