/**
 * The Service Registry's answers as typed values: `{infoRecord, serviceRecords}` of `/identifier/...` and
 * `/info/...`. Field names and defaults follow the integrasjonspunkt's reading of them ([IP]
 * `service-registry-client/.../externalmodel/ServiceRecord.java`, `Service.java`, `InfoRecord.java`,
 * `PostAddress.java`, `EntityType.java`, `BrregPostadresse.java`): Jackson fills an object made by the no-arg
 * constructor, so an absent key keeps the constructor's value (ServiceRecord: "" for organisationNumber,
 * pemCertificate, epostAdresse, mobilnummer; empty postal addresses; Service: endpointUrl "") while an explicit
 * null stays null; unknown keys are ignored, an unknown service identifier reads as UNKNOWN
 * (`READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE`). The real registry writes every key (null included), so the
 * defaults matter mostly for the integrasjonspunkt's own test records (vectors/eformidling/sr/).
 */
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { ServiceRegistryMalformedResponseError } from "./errors.js";

/** [IP] `common/.../ServiceIdentifier.java`. */
export const SERVICE_IDENTIFIERS = ["DPO", "DPV", "DPI", "DPF", "DPE", "DPH", "UNKNOWN"] as const;
export type ServiceIdentifier = (typeof SERVICE_IDENTIFIERS)[number];

/** [IP] `externalmodel/PostAddress.java` (absent fields are "", as its constructor sets them). */
export interface PostAddress {
  name: string | null;
  street: string | null;
  postalCode: string | null;
  postalArea: string | null;
  country: string | null;
}

export interface SrService {
  identifier: ServiceIdentifier;
  /** DPE: the Service Bus queue suffix; DPO/DPV/DPI/DPF: an URL the integrasjonspunkt does not use. */
  endpointUrl: string | null;
  serviceCode: string | null;
  serviceEditionCode: string | null;
  /** DPF: the level SvarUt agreed to. */
  securityLevel: number | null;
  /** DPV (and DPO): the Altinn 3 resource id. */
  resource: string | null;
}

interface RecordCommon {
  /** The receiver: an organisation number, or a person's fødselsnummer. */
  organisationNumber: string;
  process: string;
  documentTypes: readonly string[];
  service: SrService;
  /** The certificate as PEM (armour added to bare base64, as the IP's getPemCertificate); null when none. */
  pemCertificate: string | null;
  certificate: X509Certificate | null;
}

/** With a certificate: the receiver's (DPO, DPE), SvarUt's (DPF), the postbox's or print provider's (DPI). */
interface WithCertificate extends RecordCommon {
  pemCertificate: string;
  certificate: X509Certificate;
}

export interface DpoRecord extends WithCertificate {
  serviceIdentifier: "DPO";
}

export interface DpfRecord extends WithCertificate {
  serviceIdentifier: "DPF";
}

export interface DpvRecord extends RecordCommon {
  serviceIdentifier: "DPV";
}

export interface DpeRecord extends WithCertificate {
  serviceIdentifier: "DPE";
  /** `service.endpointUrl`: what the queue name ends with (e.g. "innsyn", "data"; "" for receipts). */
  queueSuffix: string;
}

/**
 * A person's digital post record ([SR] `SikkerDigitalPostServiceRecord`): for `digital`, the postbox provider's
 * organisation number and the address in it, with the provider's certificate; for `print` (fysiskPost), the
 * print provider's number and certificate and the postal and return addresses. `kanVarsles`, `epostAdresse` and
 * `mobilnummer` say whether and where the person can be notified.
 */
export interface DpiRecord extends WithCertificate {
  serviceIdentifier: "DPI";
  /** Organisation number of the postbox provider (digital) or print provider (print). */
  orgnrPostkasse: string | null;
  postkasseAdresse: string | null;
  epostAdresse: string | null;
  mobilnummer: string | null;
  kanVarsles: boolean;
  fysiskPost: boolean;
  postAddress: PostAddress | null;
  returnAddress: PostAddress | null;
  spraak: string | null;
}

/** Channels this product does not speak (DPH: helse; UNKNOWN: an identifier the registry added later). */
export interface OtherRecord extends RecordCommon {
  serviceIdentifier: "DPH" | "UNKNOWN";
  herId: string | null;
}

export type ServiceRecord = DpoRecord | DpfRecord | DpvRecord | DpeRecord | DpiRecord | OtherRecord;

/** [IP] `externalmodel/BrregPostadresse.java`. */
export interface BrregPostadresse {
  adresse: string | null;
  postnummer: string | null;
  poststed: string | null;
  land: string | null;
}

/** [IP] `externalmodel/InfoRecord.java`. */
export interface InfoRecord {
  identifier: string;
  organizationName: string | null;
  organizationNumber: string | null;
  herId: number | null;
  parentHerId: number | null;
  parentOrganizationName: string | null;
  /** `name` is the organisasjonsform (e.g. "ORGL", "KOMM") or "citizen". */
  entityType: { name: string | null; acronym: string | null } | null;
  postadresse: BrregPostadresse | null;
}

/** [IP] `externalmodel/IdentifierResource.java`. */
export interface IdentifierResource {
  infoRecord: InfoRecord | null;
  serviceRecords: readonly ServiceRecord[];
  /** The answer it was read from, as the client fetched it (absent when parsed from elsewhere). */
  answer?: SrAnswer | undefined;
}

/**
 * A Service Registry answer byte for byte as it arrived (the compact JWS when signed, else the JSON), with its
 * SHA-256: what a sender keeps as the record its route came from. `url` leaves out the conversationId
 * parameter, which names only the conversation that happened to cause the fetch.
 */
export interface SrAnswer {
  url: string;
  mediaType: string;
  body: Uint8Array;
  /** Hex SHA-256 of `body`. */
  sha256: string;
  fetchedAt: Date;
}

// ---- wire schemas -------------------------------------------------------------------------------------

const text = (absent: string | null) => z.string().nullable().default(absent);
/** Java Integer: Jackson also takes a numeric string. */
const integer = z
  .union([z.number().int(), z.string().regex(/^[+-]?\d{1,9}$/).transform(Number)])
  .nullable()
  .default(null);
/** Java boolean (primitive): absent or null is false. */
const flag = z
  .boolean()
  .nullable()
  .default(false)
  .transform((v) => v ?? false);

const postAddressSchema = z.object({
  name: text(""),
  street: text(""),
  postalCode: text(""),
  postalArea: text(""),
  country: text(""),
});
const EMPTY_ADDRESS = { name: "", street: "", postalCode: "", postalArea: "", country: "" } as const;
// A fresh object per record: a shared default would tie the records' addresses together.
const address = postAddressSchema.nullable().default(() => ({ ...EMPTY_ADDRESS }));

const serviceSchema = z.object({
  identifier: z.string().transform((s): ServiceIdentifier => ((SERVICE_IDENTIFIERS as readonly string[]).includes(s) ? (s as ServiceIdentifier) : "UNKNOWN")),
  endpointUrl: text(""),
  serviceCode: text(null),
  serviceEditionCode: text(null),
  securityLevel: integer,
  resource: text(null),
});

const serviceRecordSchema = z.object({
  organisationNumber: text(""),
  pemCertificate: text(""),
  orgnrPostkasse: text(null),
  postkasseAdresse: text(null),
  epostAdresse: text(""),
  mobilnummer: text(""),
  fysiskPost: flag,
  kanVarsles: flag,
  postAddress: address,
  returnAddress: address,
  spraak: text(null),
  process: z.string(),
  documentTypes: z
    .array(z.string())
    .nullable()
    .default(null)
    .transform((v) => v ?? []),
  service: serviceSchema,
  herId: text(null),
});

const infoRecordSchema = z.object({
  identifier: z.string(),
  organizationName: text(null),
  organizationNumber: text(null),
  herId: integer,
  parentHerId: integer,
  parentOrganizationName: text(null),
  entityType: z.object({ name: text(null), acronym: text(null) }).nullable().default(null),
  postadresse: z.object({ adresse: text(null), postnummer: text(null), poststed: text(null), land: text(null) }).nullable().default(null),
});

const identifierResourceSchema = z.object({
  infoRecord: infoRecordSchema.nullable().default(null),
  serviceRecords: z
    .array(serviceRecordSchema)
    .nullable()
    .default(null)
    .transform((v) => v ?? []),
});

type WireRecord = z.infer<typeof serviceRecordSchema>;

// ---- parsing ------------------------------------------------------------------------------------------

/**
 * Reads the JSON text of an `/identifier/...` or `/info/...` answer.
 * @throws ServiceRegistryMalformedResponseError not JSON, not the shape, or a certificate that does not parse
 */
export function parseIdentifierResource(json: string): IdentifierResource {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ServiceRegistryMalformedResponseError(`The Service Registry's answer is not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return identifierResourceOf(value);
}

/** As {@link parseIdentifierResource}, for an already parsed JSON value. */
export function identifierResourceOf(value: unknown): IdentifierResource {
  const parsed = identifierResourceSchema.safeParse(value);
  if (!parsed.success) throw malformed("answer", parsed.error);
  return {
    infoRecord: parsed.data.infoRecord,
    serviceRecords: parsed.data.serviceRecords.map((r, i) => toRecord(r, i)),
  };
}

function toRecord(r: WireRecord, index: number): ServiceRecord {
  const pem = pemCertificate(r.pemCertificate);
  const certificate = pem === null ? null : readCertificate(pem, index);
  const common: RecordCommon = {
    organisationNumber: r.organisationNumber ?? "",
    process: r.process,
    documentTypes: r.documentTypes,
    service: r.service,
    pemCertificate: pem,
    certificate,
  };
  const id = r.service.identifier;
  const certified = () => {
    if (pem === null || certificate === null) {
      throw new ServiceRegistryMalformedResponseError(`serviceRecords[${index}] (${id}, ${r.process}) has no pemCertificate`);
    }
    return { pemCertificate: pem, certificate };
  };
  switch (id) {
    case "DPO":
    case "DPF":
      return { ...common, ...certified(), serviceIdentifier: id };
    case "DPV":
      return { ...common, serviceIdentifier: id };
    case "DPE":
      return { ...common, ...certified(), serviceIdentifier: id, queueSuffix: r.service.endpointUrl ?? "" };
    case "DPI":
      return {
        ...common,
        ...certified(),
        serviceIdentifier: id,
        orgnrPostkasse: r.orgnrPostkasse,
        postkasseAdresse: r.postkasseAdresse,
        epostAdresse: r.epostAdresse,
        mobilnummer: r.mobilnummer,
        kanVarsles: r.kanVarsles,
        fysiskPost: r.fysiskPost,
        postAddress: r.postAddress,
        returnAddress: r.returnAddress,
        spraak: r.spraak,
      };
    case "DPH":
    case "UNKNOWN":
      return { ...common, serviceIdentifier: id, herId: r.herId };
  }
}

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";

/**
 * The record's certificate as PEM: null or "" is none; text without the PEM armour gets it (KRR gives postbox
 * certificates as bare base64, and the IP's `getPemCertificate` adds the armour the same way).
 */
export function pemCertificate(text: string | null | undefined): string | null {
  if (text === null || text === undefined || text.trim() === "") return null;
  return text.includes(BEGIN) ? text : `${BEGIN}\n${text}\n${END}\n`;
}

function readCertificate(pem: string, index: number): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new ServiceRegistryMalformedResponseError(`serviceRecords[${index}].pemCertificate is not an X.509 certificate`, { cause: e });
  }
}

function malformed(what: string, error: z.ZodError): ServiceRegistryMalformedResponseError {
  const issues = error.issues.slice(0, 5).map((i) => `${i.path.length === 0 ? "$" : i.path.join(".")}: ${i.message}`);
  return new ServiceRegistryMalformedResponseError(`The Service Registry's ${what} is not an IdentifierResource (${issues.join("; ")})`, { cause: error });
}
