import { z } from "zod";
import type { DpiMessageType } from "./document-types.js";

/**
 * The nine DPI bodies as zod schemas, written by hand from Digdir's JSON Schemas
 * (`schemas/dpi/commons.schema.json` and `innbyggerpost_dpi_<type>_1_0.schema.json`, draft-07).
 * Objects are closed exactly where the schema says `additionalProperties: false`; `virksomhetmottaker` and
 * `varsler` are open there, so they are open here too.
 */

// ---- formats (draft-07 semantics) ----------------------------------------------------------------------

/*
 * JSON Schema counts string length in code points; String.length counts UTF-16 units, which would make
 * a title with emoji look longer than it is.
 */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function text(limits: { min?: number; max?: number } = {}) {
  const { min, max } = limits;
  return z.string().refine(
    (s) => {
      const n = codePointLength(s);
      return (min === undefined || n >= min) && (max === undefined || n <= max);
    },
    {
      message:
        min !== undefined && max !== undefined
          ? min === max
            ? `must be exactly ${min} characters`
            : `must be ${min} to ${max} characters`
          : min !== undefined
            ? `must be at least ${min} characters`
            : `must be at most ${max} characters`,
    },
  );
}

function pattern(re: RegExp) {
  return z.string().regex(re, { message: `must match ${re.source}` });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Permissive on purpose: the schema's "email" format is looser than any practical address check.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

/** RFC 3339 full-date (`format: date`). */
export function isFullDate(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && isValidDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** RFC 3339 date-time (`format: date-time`): seconds and a zone offset (Z or ±hh:mm) are required. */
export function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (m === null || !isValidDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 60) return false; // 60: leap second
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

/** RFC 4122 textual form, any version or variant (real DPI ids are v4, but nothing requires that). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

export const dateTimeString = z
  .string()
  .refine(isDateTime, { message: "must be an RFC 3339 date-time with offset (e.g. 2022-03-16T14:16:08+01:00)" });
export const dateString = z.string().refine(isFullDate, { message: "must be an RFC 3339 date (YYYY-MM-DD)" });
export const uuidString = z.string().refine(isUuid, { message: "must be a UUID" });

// ---- commons.schema.json ------------------------------------------------------------------------------

export const PARTICIPANT_AUTHORITY = "iso6523-actorid-upis";
/*
 * The schema's pattern is unanchored (JSON Schema semantics), which would admit "x0192:1 !". We anchor it;
 * every real identifier is of the form 0192:<orgno>.
 */
export const PARTICIPANT_VALUE = /^[0-9]{4}:\w{1,35}$/;

export const virksomhetsidentifikatorSchema = z.strictObject({
  authority: z.literal(PARTICIPANT_AUTHORITY),
  value: pattern(PARTICIPANT_VALUE),
});

export const avsenderSchema = z.strictObject({
  virksomhetsidentifikator: virksomhetsidentifikatorSchema,
  avsenderidentifikator: text({ max: 100 }).optional(),
  fakturaReferanse: text({ max: 40 }).optional(),
});

export const personmottakerSchema = z.strictObject({
  postkasseadresse: z.string(),
});

// Open in the schema (no additionalProperties: false).
export const virksomhetmottakerSchema = z.looseObject({
  virksomhetsidentifikator: virksomhetsidentifikatorSchema,
  motakeridentifikator: text({ max: 100 }).optional(),
});

export const dokumentpakkefingeravtrykkSchema = z.strictObject({
  digestMethod: z.string(),
  digestValue: z.string(),
});

const sikkerhetsnivaa = z.literal([3, 4]);
const ikkesensitivtittel = text({ min: 1, max: 255 });
const spraak = text({ min: 2, max: 2 });
const repetisjoner = z.array(z.int().min(0).max(25)).min(1).max(10);

export const epostvarselSchema = z.strictObject({
  epostadresse: z.string().regex(EMAIL, { message: "must be an email address" }),
  varslingstekst: text({ min: 1, max: 500 }),
  repetisjoner,
});

const MOBILE_NUMBER = /^\+?[- _0-9]+$/;

export const smsvarselSchema = z.strictObject({
  mobiltelefonnummer: text({ min: 8, max: 20 }).regex(MOBILE_NUMBER, { message: `must match ${MOBILE_NUMBER.source}` }),
  varslingstekst: text({ min: 1, max: 160 }),
  repetisjoner,
});

/*
 * Open in the schema, which also omits `type: object`; we still require an object, as every producer
 * sends one (often `{}`).
 */
export const varslerSchema = z.looseObject({
  epostvarsel: epostvarselSchema.optional(),
  smsvarsel: smsvarselSchema.optional(),
});

/** The `kvittering` definition shared by leverings-, aapnings-, mottaks- and returpostkvittering. */
export const kvitteringSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: virksomhetmottakerSchema,
  tidspunkt: dateTimeString,
});

// ---- letters ------------------------------------------------------------------------------------------

export const digitalSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: personmottakerSchema,
  dokumentpakkefingeravtrykk: dokumentpakkefingeravtrykkSchema,
  maskinportentoken: z.string(),
  sikkerhetsnivaa,
  virkningsdato: dateString.optional(),
  virkningstidspunkt: dateTimeString.optional(),
  aapningskvittering: z.boolean().optional(),
  ikkesensitivtittel,
  spraak,
  varsler: varslerSchema.optional(),
});

const ADDRESS_NORWAY = ["navn", "adresselinje1", "postnummer", "poststed"] as const;
const ADDRESS_ABROAD_LAND = ["navn", "adresselinje1", "land"] as const;
const ADDRESS_ABROAD_LANDKODE = ["navn", "adresselinje1", "landkode"] as const;

/*
 * The schema's oneOf: exactly one of (Norwegian address) and (foreign address), where a foreign address
 * is itself a oneOf of "has land" and "has landkode". Evaluated literally, so an address with both
 * land and landkode is not a foreign address.
 */
function satisfiesAddressOneOf(address: Record<string, unknown>): boolean {
  const has = (keys: readonly string[]) => keys.every((k) => address[k] !== undefined);
  const norway = has(ADDRESS_NORWAY);
  const abroad = has(ADDRESS_ABROAD_LAND) !== has(ADDRESS_ABROAD_LANDKODE);
  return norway !== abroad;
}

export const adresseInformasjonSchema = z
  .strictObject({
    navn: z.string().optional(),
    adresselinje1: text({ max: 100 }).optional(),
    adresselinje2: text({ max: 100 }).optional(),
    adresselinje3: text({ max: 100 }).optional(),
    adresselinje4: text({ max: 100 }).optional(),
    postnummer: pattern(/^\d{4}$/).optional(),
    poststed: text({ max: 80 }).optional(),
    land: text({ max: 80 }).optional(),
    landkode: pattern(/^[a-zA-Z]{2}$/).optional(),
  })
  .refine(satisfiesAddressOneOf, {
    message:
      "must match exactly one of: navn+adresselinje1+postnummer+poststed, or navn+adresselinje1 with exactly one of land and landkode",
  });

export const returSchema = z.strictObject({
  mottaker: adresseInformasjonSchema,
  returposthaandtering: z.enum(["DIREKTE_RETUR", "MAKULERING_MED_MELDING"]),
});

export const utskriftSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: adresseInformasjonSchema,
  dokumentpakkefingeravtrykk: dokumentpakkefingeravtrykkSchema,
  maskinportentoken: z.string(),
  utskriftstype: z.enum(["SORT_HVIT", "FARGE"]),
  retur: returSchema,
  posttype: z.enum(["A", "B"]).optional(),
});

export const flyttetSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: personmottakerSchema,
  maskinportentoken: z.string(),
  tidspunkt: dateTimeString,
  dokumentpakkefingeravtrykk: dokumentpakkefingeravtrykkSchema,
  mottakstidspunkt: dateString,
  aapnet: z.boolean().optional(),
  sikkerhetsnivaa,
  virkningsdato: dateString.optional(),
  virkningstidspunkt: dateTimeString.optional(),
  aapningskvittering: z.boolean().optional(),
  ikkesensitivtittel,
  spraak,
  varsler: varslerSchema.optional(),
});

// ---- receipts -----------------------------------------------------------------------------------------

export const feilSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: virksomhetmottakerSchema,
  tidspunkt: dateTimeString,
  feiltype: z.enum(["KLIENT", "SERVER"]),
  detaljer: z.string().optional(),
});

export const varslingfeiletkvitteringSchema = z.strictObject({
  avsender: avsenderSchema,
  mottaker: virksomhetmottakerSchema,
  tidspunkt: dateTimeString,
  beskrivelse: z.string().optional(),
  varslingskanal: z.enum(["epost", "sms"]),
});

/** The body schema for each message type (the value under the body key of the SBD). */
export const BODY_SCHEMAS = {
  digital: digitalSchema,
  utskrift: utskriftSchema,
  flyttet: flyttetSchema,
  feil: feilSchema,
  leveringskvittering: kvitteringSchema,
  aapningskvittering: kvitteringSchema,
  varslingfeiletkvittering: varslingfeiletkvitteringSchema,
  mottakskvittering: kvitteringSchema,
  returpostkvittering: kvitteringSchema,
} as const satisfies Record<DpiMessageType, z.ZodType>;

export type BodyByType = { [K in DpiMessageType]: z.output<(typeof BODY_SCHEMAS)[K]> };

export type Virksomhetsidentifikator = z.output<typeof virksomhetsidentifikatorSchema>;
export type Avsender = z.output<typeof avsenderSchema>;
export type Personmottaker = z.output<typeof personmottakerSchema>;
export type Virksomhetmottaker = z.output<typeof virksomhetmottakerSchema>;
export type Dokumentpakkefingeravtrykk = z.output<typeof dokumentpakkefingeravtrykkSchema>;
export type Varsler = z.output<typeof varslerSchema>;
export type AdresseInformasjon = z.output<typeof adresseInformasjonSchema>;
export type DigitalBody = BodyByType["digital"];
export type UtskriftBody = BodyByType["utskrift"];
export type FlyttetBody = BodyByType["flyttet"];
export type FeilBody = BodyByType["feil"];
export type KvitteringBody = z.output<typeof kvitteringSchema>;
export type VarslingfeiletkvitteringBody = BodyByType["varslingfeiletkvittering"];
export type LetterBody = DigitalBody | UtskriftBody | FlyttetBody;
export type DpiBody = BodyByType[DpiMessageType];
