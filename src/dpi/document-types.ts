/**
 * The nine DPI forretningsmelding types, the three DPI processes, and the PEPPOL document type identifiers
 * ("standard") that name them (dpi.md §3.2, §5).
 */

export const LETTER_TYPES = ["digital", "utskrift", "flyttet"] as const;
export const RECEIPT_TYPES = [
  "feil",
  "leveringskvittering",
  "aapningskvittering",
  "varslingfeiletkvittering",
  "mottakskvittering",
  "returpostkvittering",
] as const;
export const DPI_MESSAGE_TYPES = [...LETTER_TYPES, ...RECEIPT_TYPES] as const;

/** A letter travels from the business sender to a postbox or print provider. */
export type LetterType = (typeof LETTER_TYPES)[number];
/** A receipt (including `feil`) travels from the provider back to the business sender. */
export type ReceiptType = (typeof RECEIPT_TYPES)[number];
export type DpiMessageType = LetterType | ReceiptType;
export type MessageKind = "letter" | "receipt";

export const DPI_PROCESS_IDS = {
  digital: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
  utskrift: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:utskrift:ver1.0",
  flyttet: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:flyttet:ver1.0",
} as const satisfies Record<LetterType, string>;

export type DpiProcessId = (typeof DPI_PROCESS_IDS)[LetterType];

/** PEPPOL identifier schemes for the process and document type ids below. */
export const DPI_PROCESS_SCHEME = "cenbii-procid-ubl";
export const DPI_DOCUMENT_TYPE_SCHEME = "busdox-docid-qns";

/*
 * Which message types travel on which process (identifiers.md). The eGovernment overview page lists
 * mottakskvittering instead of leveringskvittering for flyttet; we follow identifiers.md and the Peppol
 * meldingsformat README, which agree.
 */
const PROCESS_MESSAGE_TYPES: Readonly<Record<DpiProcessId, readonly DpiMessageType[]>> = {
  [DPI_PROCESS_IDS.digital]: [
    "digital",
    "feil",
    "leveringskvittering",
    "aapningskvittering",
    "varslingfeiletkvittering",
  ],
  [DPI_PROCESS_IDS.utskrift]: ["utskrift", "feil", "leveringskvittering", "mottakskvittering", "returpostkvittering"],
  [DPI_PROCESS_IDS.flyttet]: ["flyttet", "feil", "leveringskvittering"],
};

const MESSAGE_TYPE_SET: ReadonlySet<string> = new Set(DPI_MESSAGE_TYPES);
const LETTER_TYPE_SET: ReadonlySet<string> = new Set(LETTER_TYPES);
const PROCESS_ID_SET: ReadonlySet<string> = new Set(Object.values(DPI_PROCESS_IDS));

export function isDpiMessageType(value: string): value is DpiMessageType {
  return MESSAGE_TYPE_SET.has(value);
}

export function isLetterType(type: DpiMessageType): type is LetterType {
  return LETTER_TYPE_SET.has(type);
}

export function isReceiptType(type: DpiMessageType): type is ReceiptType {
  return !LETTER_TYPE_SET.has(type);
}

export function messageKind(type: DpiMessageType): MessageKind {
  return isLetterType(type) ? "letter" : "receipt";
}

export function isDpiProcessId(value: string): value is DpiProcessId {
  return PROCESS_ID_SET.has(value);
}

/** The process a letter is sent on: digital→digital, utskrift→utskrift, flyttet→flyttet. */
export function processForLetter(type: LetterType): DpiProcessId {
  return DPI_PROCESS_IDS[type];
}

export function messageTypesOfProcess(process: DpiProcessId): readonly DpiMessageType[] {
  return PROCESS_MESSAGE_TYPES[process];
}

/** Every process on which this message type may travel (receipts belong to several). */
export function processesForMessageType(type: DpiMessageType): readonly DpiProcessId[] {
  return (Object.keys(PROCESS_MESSAGE_TYPES) as DpiProcessId[]).filter((p) => PROCESS_MESSAGE_TYPES[p].includes(type));
}

export function processAllowsMessageType(process: DpiProcessId, type: DpiMessageType): boolean {
  return PROCESS_MESSAGE_TYPES[process].includes(type);
}

/*
 * Digdir's documentation and integrasjonspunkt write `xsd::innbyggerpost`, while the PEPPOL-level examples
 * and Digipost's real receipts write `xsd::Innbyggerpost`. Both are in use, so both are accepted; any other
 * spelling is not.
 */
export const STANDARD_SPELLINGS = ["innbyggerpost", "Innbyggerpost"] as const;
export type StandardSpelling = (typeof STANDARD_SPELLINGS)[number];

const STANDARD_PREFIX = "urn:fdc:digdir.no:2020:innbyggerpost:xsd::";
const STANDARD_SCHEMA_PREFIX = "##urn:fdc:digdir.no:2020:innbyggerpost:schema:";
const STANDARD_SUFFIX = "::1.0";

/** The document type id (`documentIdentification.standard`) of a message type. */
export function documentTypeId(type: DpiMessageType, spelling: StandardSpelling = "innbyggerpost"): string {
  return `${STANDARD_PREFIX}${spelling}${STANDARD_SCHEMA_PREFIX}${type}${STANDARD_SUFFIX}`;
}

/** Which spelling a `standard` uses, if it is exactly the document type id of `type`; otherwise undefined. */
export function standardSpelling(standard: string, type: DpiMessageType): StandardSpelling | undefined {
  return STANDARD_SPELLINGS.find((spelling) => standard === documentTypeId(type, spelling));
}

export function standardMatchesType(standard: string, type: DpiMessageType): boolean {
  return standardSpelling(standard, type) !== undefined;
}

/** Reads a document type id back into its message type and spelling; undefined if it is no DPI document type. */
export function parseDocumentTypeId(standard: string): { type: DpiMessageType; spelling: StandardSpelling } | undefined {
  for (const type of DPI_MESSAGE_TYPES) {
    const spelling = standardSpelling(standard, type);
    if (spelling) return { type, spelling };
  }
  return undefined;
}
