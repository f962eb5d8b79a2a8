import { z } from "zod";
import { formatOffsetDateTime, parseOffsetDateTime } from "./date-time.js";
import { parseClock } from "./parse-clock.js";
import type { BusinessMessageType } from "./message-types.js";

/**
 * zod schemas of the NextMove SBD JSON, shaped like the IP's Java classes (efm-common `domain/sbdh`,
 * integrasjonspunkt `nextmove/*Message.java`). They do what its Jackson reader does and no more:
 * - JSON types, with Jackson's scalar coercions (`"3"` → 3, `"false"` → false, 3 → `"3"`); enums by their JSON names;
 * - `null` is the same as absent (the IP writes with NON_NULL); unknown fields are kept (the IP would drop them);
 * - keys come out in the order Jackson writes them (a class's fields, superclass first), unknown ones last;
 * - values the IP always writes are filled: empty `sender`/`receiver`/`scope` lists, empty `metadataFiler`
 *   and `printinstruksjoner` maps, while empty `contactInformation`/`scopeInformation` lists are left out;
 * - date-times are rewritten the way Java prints them (see date-time.ts).
 * Required fields and other rules are Bean Validation constraints in the IP, checked in constraints.ts.
 */

// ---- scalars as Jackson reads them --------------------------------------------------------------------

/** `null` and absent are alike; the key is left out. */
function nullable<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((v): z.output<T> | undefined => (v === null ? undefined : (v as z.output<T> | undefined)))
    .optional();
}

const stringValue = z
  .union([z.string(), z.number(), z.boolean()], { error: "expected a string" })
  .transform((v) => (typeof v === "string" ? v : String(v)));

const INT_TEXT = /^[+-]?\d+$/;
const integerValue = z.union([z.number(), z.string()], { error: "expected an integer" }).transform((v, ctx) => {
  const n = typeof v === "number" ? Math.trunc(v) : INT_TEXT.test(v.trim()) ? Number(v.trim()) : v === "" ? undefined : NaN;
  if (n !== undefined && !(Number.isSafeInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1)) {
    ctx.addIssue({ code: "custom", message: "expected a 32-bit integer" });
    return z.NEVER;
  }
  return n;
});

const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };
const booleanValue = z.union([z.boolean(), z.string()], { error: "expected a boolean" }).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  if (v === "") return undefined;
  const b = BOOLEAN_TEXT[v];
  if (b === undefined) {
    ctx.addIssue({ code: "custom", message: "expected a boolean" });
    return z.NEVER;
  }
  return b;
});

/** java.time.OffsetDateTime: written back in Java's form, the sender's offset kept. */
const dateTimeValue = z.union([z.string(), z.number()], { error: "expected a date-time" }).transform((v, ctx) => {
  if (v === "") return undefined;
  const parsed =
    typeof v === "number"
      ? Number.isFinite(v)
        ? { epochMs: Math.trunc(v), fraction: "", offsetSeconds: 0 }
        : undefined
      : parseOffsetDateTime(v, parseClock().now(), parseClock().zone);
  if (!parsed) {
    ctx.addIssue({ code: "custom", message: "expected an ISO 8601 date-time such as 2019-03-25T11:35:00+01:00" });
    return z.NEVER;
  }
  return formatOffsetDateTime(parsed);
});

/** java.time.LocalDate. */
const dateValue = z.string({ error: "expected a date" }).transform((v, ctx) => {
  if (v === "") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    ctx.addIssue({ code: "custom", message: "expected a date such as 2019-05-12" });
    return z.NEVER;
  }
  return v;
});

const opt = {
  string: () => nullable(stringValue),
  int: () => nullable(integerValue),
  bool: () => nullable(booleanValue),
  dateTime: () => nullable(dateTimeValue),
  date: () => nullable(dateValue),
  enum: <const V extends readonly [string, ...string[]]>(values: V) =>
    nullable(z.enum(values, { error: `expected one of ${values.join(", ")}` })),
};

/** A JSON list read into a Java Set of value objects: equal elements collapse (they have equals/hashCode). */
function setOf<T extends z.ZodType>(element: T) {
  return z.array(element).transform((items) => {
    const seen = new Set<string>();
    return items.filter((item) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  });
}

/** A list the IP omits when empty (@JsonInclude NON_EMPTY). */
function nonEmptyOrAbsent<T extends z.ZodType>(list: T) {
  return nullable(list).transform((v) => (Array.isArray(v) && v.length === 0 ? undefined : v)).optional();
}

/** A list whose getter creates it, so the IP always writes it (`[ ]` when empty). */
function alwaysList<T extends z.ZodType>(list: T) {
  return nullable(list).transform((v) => (v ?? []) as z.output<T>);
}

const stringMap = z.record(z.string(), z.union([stringValue, z.null()]).transform((v) => v ?? undefined));

// ---- standardBusinessDocumentHeader ----------------------------------------------------------------------

export const partnerIdentificationSchema = z.looseObject({ value: opt.string(), authority: opt.string() });

export const contactInformationSchema = z.looseObject({
  contact: opt.string(),
  emailAddress: opt.string(),
  faxNumber: opt.string(),
  telephoneNumber: opt.string(),
  contactTypeIdentifier: opt.string(),
});

export const partnerSchema = z.looseObject({
  identifier: nullable(partnerIdentificationSchema),
  contactInformation: nonEmptyOrAbsent(setOf(contactInformationSchema)),
});

export const documentIdentificationSchema = z.looseObject({
  standard: opt.string(),
  typeVersion: opt.string(),
  instanceIdentifier: opt.string(),
  type: opt.string(),
  multipleType: opt.bool(),
  creationDateAndTime: opt.dateTime(),
});

export const correlationInformationSchema = z.looseObject({
  requestingDocumentCreationDateTime: opt.dateTime(),
  requestingDocumentInstanceIdentifier: opt.string(),
  expectedResponseDateTime: opt.dateTime(),
});

export const scopeSchema = z.looseObject({
  type: opt.string(),
  instanceIdentifier: opt.string(),
  identifier: opt.string(),
  scopeInformation: nonEmptyOrAbsent(setOf(correlationInformationSchema)),
});

export const businessScopeSchema = z.looseObject({ scope: alwaysList(z.array(scopeSchema)) });

export const standardBusinessDocumentHeaderSchema = z.looseObject({
  headerVersion: opt.string(),
  sender: alwaysList(setOf(partnerSchema)),
  receiver: alwaysList(setOf(partnerSchema)),
  documentIdentification: nullable(documentIdentificationSchema),
  // The IP has a Manifest class; NextMove clients do not send one. Kept as given.
  manifest: nullable(z.looseObject({})),
  businessScope: nullable(businessScopeSchema),
});

export type PartnerIdentification = z.output<typeof partnerIdentificationSchema>;
export type ContactInformation = z.output<typeof contactInformationSchema>;
export type Partner = z.output<typeof partnerSchema>;
export type DocumentIdentification = z.output<typeof documentIdentificationSchema>;
export type CorrelationInformation = z.output<typeof correlationInformationSchema>;
export type Scope = z.output<typeof scopeSchema>;
export type BusinessScope = z.output<typeof businessScopeSchema>;
export type StandardBusinessDocumentHeader = z.output<typeof standardBusinessDocumentHeaderSchema>;

// ---- business messages (nextmove/*Message.java) ----------------------------------------------------------

// BusinessMessageAsAttachment's field comes first: Jackson writes superclass fields before a class's own.
const attachment = { hoveddokument: opt.string() };

export const DPV_VARSEL_TYPES = ["VarselDPVUtenRevarsel", "VarselDPVMedRevarsel"] as const;
export const DPV_VARSEL_TRANSPORT_TYPES = ["Epost", "SMS", "EpostOgSMS"] as const;

export const dpvSettingsSchema = z.looseObject({
  varselType: opt.enum(DPV_VARSEL_TYPES),
  varselTransportType: opt.enum(DPV_VARSEL_TRANSPORT_TYPES),
  varselTekst: opt.string(),
  taushetsbelagtVarselTekst: opt.string(),
  dagerTilSvarfrist: opt.int(),
});

export const dpfSettingsSchema = z.looseObject({ forsendelseType: opt.string() });

export const arkivmeldingMessageSchema = z.looseObject({
  ...attachment,
  sikkerhetsnivaa: opt.int(),
  dpv: nullable(dpvSettingsSchema),
  dpf: nullable(dpfSettingsSchema),
});

const kvitteringStatusMessageSchema = z.looseObject({ code: opt.string(), text: opt.string() });

export const ARKIVMELDING_KVITTERING_TYPES = ["OK", "WARNING", "ERROR", "NOTSUPPORTED"] as const;

export const arkivmeldingKvitteringMessageSchema = z.looseObject({
  ...attachment,
  // A String in the IP, not its ArkivmeldingKvitteringType enum: any text is taken.
  receiptType: opt.string(),
  relatedToMessageId: opt.string(),
  messages: nullable(z.array(kvitteringStatusMessageSchema)),
});

export const avtaltMessageSchema = z.looseObject({
  ...attachment,
  identifier: opt.string(),
  /** Any JSON value, kept as given. */
  content: z.unknown().optional(),
});

export const digitalPostInfoSchema = z.looseObject({ virkningsdato: opt.date(), aapningskvittering: opt.bool() });
export const dpiNotificationSchema = z.looseObject({ epostTekst: opt.string(), smsTekst: opt.string() });

export const dpiDigitalMessageSchema = z.looseObject({
  ...attachment,
  sikkerhetsnivaa: opt.int(),
  avsenderId: opt.string(),
  fakturaReferanse: opt.string(),
  tittel: opt.string(),
  spraak: opt.string(),
  digitalPostInfo: nullable(digitalPostInfoSchema),
  varsler: nullable(dpiNotificationSchema),
  // Initialised to an empty map in the class, so the IP always writes it.
  metadataFiler: nullable(stringMap).transform((v) => v ?? {}),
});

export const digitalDpvMessageSchema = z.looseObject({
  ...attachment,
  tittel: opt.string(),
  sammendrag: opt.string(),
  innhold: opt.string(),
  dpv: nullable(dpvSettingsSchema),
});

export const postAddressSchema = z.looseObject({
  navn: opt.string(),
  adresselinje1: opt.string(),
  adresselinje2: opt.string(),
  adresselinje3: opt.string(),
  adresselinje4: opt.string(),
  postnummer: opt.string(),
  poststed: opt.string(),
  land: opt.string(),
});

export const PRINT_COLORS = ["SORT_HVIT", "FARGE"] as const;
export const POSTAL_CATEGORIES = ["A_PRIORITERT", "B_OEKONOMI"] as const;
export const RETURN_HANDLINGS = ["DIREKTE_RETUR", "MAKULERING_MED_MELDING"] as const;

export const mailReturnSchema = z.looseObject({
  mottaker: nullable(postAddressSchema),
  returhaandtering: opt.enum(RETURN_HANDLINGS),
});

export const dpiPrintMessageSchema = z.looseObject({
  ...attachment,
  avsenderId: opt.string(),
  fakturaReferanse: opt.string(),
  mottaker: nullable(postAddressSchema),
  utskriftsfarge: opt.enum(PRINT_COLORS),
  posttype: opt.enum(POSTAL_CATEGORIES),
  retur: nullable(mailReturnSchema),
  printinstruksjoner: nullable(stringMap).transform((v) => v ?? {}),
});

export const dialogmeldingMessageSchema = z.looseObject({
  ...attachment,
  pasient: nullable(
    z.looseObject({ fnr: opt.string(), fornavn: opt.string(), mellomnavn: opt.string(), etternavn: opt.string() }),
  ),
  metadataFiler: nullable(
    z.record(z.string(), nullable(z.looseObject({ issueDate: opt.dateTime(), description: opt.string() }))),
  ).transform((v) => v ?? {}),
});

export const DIALOGMELDING_KVITTERING_STATUSES = ["OK", "REJECTED", "OK_ERROR_IN_MESSAGE_PART"] as const;

// Not a BusinessMessageAsAttachment: no hoveddokument.
export const dialogmeldingKvitteringMessageSchema = z.looseObject({
  relatedToMessageId: opt.string(),
  status: opt.enum(DIALOGMELDING_KVITTERING_STATUSES),
  messages: nullable(z.array(kvitteringStatusMessageSchema)),
  rawReceipt: opt.string(),
});

export const innsynskravMessageSchema = z.looseObject({ ...attachment, orgnr: opt.string(), epost: opt.string() });
export const publiseringMessageSchema = z.looseObject({ ...attachment, orgnr: opt.string() });

export const EINNSYN_TYPES = ["innsynskrav", "publisering"] as const;

export const einnsynKvitteringMessageSchema = z.looseObject({
  ...attachment,
  dokumentId: opt.string(),
  // The eInnsyn status travels as text (often JSON written as a string).
  status: opt.string(),
  referanseType: opt.enum(EINNSYN_TYPES),
});

export const RECEIPT_STATUSES = [
  "OPPRETTET",
  "SENDT",
  "MOTTATT",
  "LEVERT",
  "LEST",
  "FEIL",
  "ANNET",
  "INNKOMMENDE_MOTTATT",
  "INNKOMMENDE_LEVERT",
  "LEVETID_UTLOPT",
] as const;

export const statusMessageSchema = z.looseObject({ ...attachment, status: opt.enum(RECEIPT_STATUSES) });

export const BUSINESS_MESSAGE_SCHEMAS = {
  status: statusMessageSchema,
  arkivmelding: arkivmeldingMessageSchema,
  arkivmelding_kvittering: arkivmeldingKvitteringMessageSchema,
  avtalt: avtaltMessageSchema,
  digital: dpiDigitalMessageSchema,
  digital_dpv: digitalDpvMessageSchema,
  print: dpiPrintMessageSchema,
  dialogmelding: dialogmeldingMessageSchema,
  dialogmelding_kvittering: dialogmeldingKvitteringMessageSchema,
  innsynskrav: innsynskravMessageSchema,
  publisering: publiseringMessageSchema,
  einnsyn_kvittering: einnsynKvitteringMessageSchema,
} as const satisfies Record<BusinessMessageType, z.ZodType>;

export type BusinessMessages = { [K in BusinessMessageType]: z.output<(typeof BUSINESS_MESSAGE_SCHEMAS)[K]> };

export type StatusMessage = BusinessMessages["status"];
export type ArkivmeldingMessage = BusinessMessages["arkivmelding"];
export type ArkivmeldingKvitteringMessage = BusinessMessages["arkivmelding_kvittering"];
export type AvtaltMessage = BusinessMessages["avtalt"];
export type DpiDigitalMessage = BusinessMessages["digital"];
export type DigitalDpvMessage = BusinessMessages["digital_dpv"];
export type DpiPrintMessage = BusinessMessages["print"];
export type DialogmeldingMessage = BusinessMessages["dialogmelding"];
export type DialogmeldingKvitteringMessage = BusinessMessages["dialogmelding_kvittering"];
export type InnsynskravMessage = BusinessMessages["innsynskrav"];
export type PubliseringMessage = BusinessMessages["publisering"];
export type EinnsynKvitteringMessage = BusinessMessages["einnsyn_kvittering"];
export type PostAddress = z.output<typeof postAddressSchema>;
export type MailReturn = z.output<typeof mailReturnSchema>;
export type DpvSettings = z.output<typeof dpvSettingsSchema>;
export type DpfSettings = z.output<typeof dpfSettingsSchema>;
