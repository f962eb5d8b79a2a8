/**
 * The Service Registry's process table: what the real SR keeps in its database tables `process` and
 * `document_type` ([SR] `domain/.../domain/Process.java`, `DocumentType.java`). The table's rows are not in the
 * repository; the rows below come from the processes and document types the integrasjonspunkt uses
 * (spec/eformidling.md §1.5) and from the records in vectors/eformidling/sr/. Where a value is a guess the
 * comment says so.
 */

/** [SR] `domain/.../domain/ProcessCategory.java` (DIALOGMELDING/DPH is not simulated). */
export type ProcessCategory = "ARKIVMELDING" | "AVTALT" | "EINNSYN" | "DIGITALPOST";

export interface SrProcess {
  identifier: string;
  category: ProcessCategory;
  /** The document types of the process; the SR copies them into the records it builds from the process. */
  documentTypes: readonly string[];
  /**
   * DPV: Altinn service code. DPE: the Service Bus queue suffix, which the SR writes into the DPE record's
   * `endpointUrl` ([SR] `ServiceRecordFactory.createDpeServiceRecord`).
   */
  serviceCode: string | null;
  serviceEditionCode: string | null;
  /** DPV: the Altinn 3 resource id ([SR] `ServiceRecordFactory.createDpvServiceRecord`). */
  resource: string | null;
}

export const DOCUMENT_TYPES = {
  arkivmelding: "urn:no:difi:arkivmelding:xsd::arkivmelding",
  arkivmeldingKvittering: "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering",
  arkivmeldingStatus: "urn:no:difi:arkivmelding:xsd::status",
  arkivmeldingFeil: "urn:no:difi:arkivmelding:xsd::feil",
  avtalt: "urn:no:difi:avtalt:xsd::avtalt",
  innsynskrav: "urn:no:difi:einnsyn:xsd::innsynskrav",
  publisering: "urn:no:difi:einnsyn:xsd::publisering",
  einnsynKvittering: "urn:no:difi:einnsyn:xsd::einnsyn_kvittering",
  status: "urn:no:difi:eformidling:xsd::status",
  feil: "urn:no:difi:eformidling:xsd::feil",
  digital: "urn:no:difi:digitalpost:xsd:digital::digital",
  digitalDpv: "urn:no:difi:digitalpost:xsd:digital::digital_dpv",
  print: "urn:no:difi:digitalpost:xsd:fysisk::print",
} as const;

const ARKIVMELDING_AREAS = [
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
] as const;

export function arkivmeldingProcess(area: (typeof ARKIVMELDING_AREAS)[number]): string {
  return `urn:no:difi:profile:arkivmelding:${area}:ver1.0`;
}

export const PROCESSES = {
  arkivmeldingAdministrasjon: arkivmeldingProcess("administrasjon"),
  arkivmeldingTaushetsbelagt: arkivmeldingProcess("taushetsbelagt"),
  arkivmeldingResponse: "urn:no:difi:profile:arkivmelding:response:ver1.0",
  avtalt: "urn:no:difi:profile:avtalt:avtalt:ver1.0",
  avtaltResponse: "urn:no:difi:profile:avtalt:response:ver1.0",
  innsynskrav: "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0",
  journalpost: "urn:no:difi:profile:einnsyn:journalpost:ver1.0",
  meeting: "urn:no:difi:profile:einnsyn:meeting:ver1.0",
  einnsynResponse: "urn:no:difi:profile:einnsyn:response:ver1.0",
  digitalpostInfo: "urn:no:difi:profile:digitalpost:info:ver1.0",
  digitalpostVedtak: "urn:no:difi:profile:digitalpost:vedtak:ver1.0",
} as const;

/** DPV's Altinn 2 service code and edition as the real records show them (vectors/eformidling/sr/identifier/910075946.json). */
const DPV_SERVICE_CODE = "4255";
const DPV_SERVICE_EDITION = "10";
/** The DPV resources seen in [IP]: everything but taushetsbelagt uses the administrasjon resource (a guess for the other areas). */
export const DPV_RESOURCE = "eformidling-dpv-administrasjon";
export const DPV_SENSITIVE_RESOURCE = "eformidling-dpv-taushetsbelagt";

function arkivmelding(identifier: string, documentTypes: readonly string[], resource = DPV_RESOURCE): SrProcess {
  return { identifier, category: "ARKIVMELDING", documentTypes, serviceCode: DPV_SERVICE_CODE, serviceEditionCode: DPV_SERVICE_EDITION, resource };
}

function einnsyn(identifier: string, documentTypes: readonly string[], queueSuffix: string): SrProcess {
  return { identifier, category: "EINNSYN", documentTypes, serviceCode: queueSuffix, serviceEditionCode: null, resource: null };
}

function plain(identifier: string, category: ProcessCategory, documentTypes: readonly string[]): SrProcess {
  return { identifier, category, documentTypes, serviceCode: null, serviceEditionCode: null, resource: null };
}

const D = DOCUMENT_TYPES;

/**
 * The default table. Choices that are not confirmed by a source:
 * - `arkivmelding:response` is in category ARKIVMELDING (the integrasjonspunkt looks it up for DPV/DPF receivers
 *   and then drops the receipt, so the SR must answer with a DPV/DPF record for it).
 * - the DPE queue suffix of `einnsyn:meeting` is "meeting" (innsynskrav "innsyn" and journalpost "data" are seen
 *   in [IP]/[MK] records; `einnsyn:response` has "" as in vectors/eformidling/sr/identifier/910077473.json).
 * - `avtalt:response` carries the eFormidling status and feil document types.
 */
export const DEFAULT_PROCESSES: readonly SrProcess[] = [
  ...ARKIVMELDING_AREAS.map((area) =>
    arkivmelding(arkivmeldingProcess(area), [D.arkivmelding], area === "taushetsbelagt" ? DPV_SENSITIVE_RESOURCE : DPV_RESOURCE),
  ),
  arkivmelding(PROCESSES.arkivmeldingResponse, [D.arkivmeldingKvittering, D.arkivmeldingStatus, D.arkivmeldingFeil]),
  plain(PROCESSES.avtalt, "AVTALT", [D.avtalt]),
  plain(PROCESSES.avtaltResponse, "AVTALT", [D.status, D.feil]),
  einnsyn(PROCESSES.innsynskrav, [D.innsynskrav], "innsyn"),
  einnsyn(PROCESSES.journalpost, [D.publisering], "data"),
  einnsyn(PROCESSES.meeting, [D.publisering], "meeting"),
  einnsyn(PROCESSES.einnsynResponse, [D.einnsynKvittering, D.status, D.feil], ""),
  plain(PROCESSES.digitalpostInfo, "DIGITALPOST", [D.digital, D.print, D.digitalDpv]),
  plain(PROCESSES.digitalpostVedtak, "DIGITALPOST", [D.digital, D.print, D.digitalDpv]),
];
