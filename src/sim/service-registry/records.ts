/**
 * The JSON the Service Registry writes, built the way its classes serialise: Jackson with default settings
 * (every property written, null included, in declaration order). Shapes from [SR]
 * `domain/.../record/ServiceRecord.java`, `SRService.java`, `record/SikkerDigitalPostServiceRecord.java`,
 * `domain/.../OrganizationInfo.java`, `domain/CitizenInfo.java`, `domain/Entity.java`; the null-valued keys are
 * visible in Digdir's published restdocs of the SR (felleslosninger/docs `serviceregistry_api_restdocs.html`).
 */
import type { X509Certificate } from "node:crypto";
import type { SrProcess } from "./processes.js";
import type { KrrPerson, SrOrganisation, SrPostadresse } from "./state.js";

export type ServiceIdentifier = "DPO" | "DPF" | "DPV" | "DPI" | "DPE";

export interface SrServiceJson {
  identifier: ServiceIdentifier;
  endpointUrl: string;
  serviceCode: string | null;
  serviceEditionCode: string | null;
  securityLevel: number | null;
  resource: string | null;
}

export interface ServiceRecordJson {
  organisationNumber: string;
  pemCertificate: string | null;
  process: string;
  documentTypes: string[];
  service: SrServiceJson;
}

/** [SR] `krr/PostAddress.java`. */
export interface PostAddressJson {
  name: string | null;
  street: string | null;
  postalCode: string | null;
  postalArea: string | null;
  country: string | null;
}

export interface DigitalPostRecordJson extends ServiceRecordJson {
  orgnrPostkasse: string | null;
  postkasseAdresse: string | null;
  mobilnummer: string | null;
  kanVarsles: boolean;
  epostAdresse: string | null;
  fysiskPost: boolean;
  postAddress: PostAddressJson | null;
  returnAddress: PostAddressJson | null;
  spraak: string | null;
}

export type InfoRecordJson =
  | { identifier: string; organizationName: string; postadresse: SrPostadresse | null; entityType: { name: string } }
  | { identifier: string; entityType: { name: "citizen" } };

export interface EntityJson {
  infoRecord: InfoRecordJson;
  serviceRecords: ServiceRecordJson[];
}

/** Where the records point: the real SR's `difi.move.{dpo,dpv,dpi}.endpoint-u-r-l` and SvarUt settings. */
export interface RecordSettings {
  dpo: { endpointUrl: string; serviceCode: string; serviceEditionCode: string; resource: string | null };
  dpvEndpointUrl: string;
  dpiEndpointUrl: string;
  svarUt: { serviceRecordUrl: string; certificatePem: string };
  /** The process whose DPV service code, edition and resource person DPV records carry ([SR] `elma.default-process-identifier`). */
  defaultArkivmeldingProcess: SrProcess;
}

/** [SR] `ServiceRecord.getPemCertificate`: text without a PEM header gets one (KRR gives bare base64). */
export function pemCertificate(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  if (text === "" || text.includes("BEGIN CERTIFICATE")) return text;
  return `-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----\n`;
}

/** As VirkSert's certificate comes out of BouncyCastle's JcaPEMWriter: 64-character lines, final newline. */
export function virksertPem(certificate: X509Certificate): string {
  return certificate.toString();
}

export function organisationInfo(org: SrOrganisation): InfoRecordJson {
  return {
    identifier: org.orgnr,
    organizationName: org.name,
    postadresse: org.postadresse === null ? null : { ...org.postadresse },
    entityType: { name: org.entityType },
  };
}

export function citizenInfo(fnr: string): InfoRecordJson {
  return { identifier: fnr, entityType: { name: "citizen" } };
}

function record(service: ServiceIdentifier, identifier: string, process: SrProcess, endpointUrl: string): ServiceRecordJson {
  return {
    organisationNumber: identifier,
    pemCertificate: null,
    process: process.identifier,
    documentTypes: [...process.documentTypes],
    service: { identifier: service, endpointUrl, serviceCode: null, serviceEditionCode: null, securityLevel: null, resource: null },
  };
}

/** [SR] `ServiceRecordFactory.createDpoServiceRecord` (also used for avtalt). */
export function dpoRecord(orgnr: string, process: SrProcess, certificate: X509Certificate, s: RecordSettings): ServiceRecordJson {
  const r = record("DPO", orgnr, process, s.dpo.endpointUrl);
  r.pemCertificate = virksertPem(certificate);
  r.service.serviceCode = s.dpo.serviceCode;
  r.service.serviceEditionCode = s.dpo.serviceEditionCode;
  r.service.resource = s.dpo.resource;
  return r;
}

/** [SR] `ServiceRecordFactory.createDpfServiceRecord`: SvarUt's own certificate, the level SvarUt agreed to. */
export function dpfRecord(orgnr: string, process: SrProcess, securityLevel: number, s: RecordSettings): ServiceRecordJson {
  const r = record("DPF", orgnr, process, s.svarUt.serviceRecordUrl);
  r.pemCertificate = pemCertificate(s.svarUt.certificatePem);
  r.service.securityLevel = securityLevel;
  return r;
}

/** [SR] `ServiceRecordFactory.createDpvServiceRecord`: the process's Altinn service code, edition and resource. */
export function dpvRecord(orgnr: string, process: SrProcess, s: RecordSettings): ServiceRecordJson {
  const r = record("DPV", orgnr, process, s.dpvEndpointUrl);
  r.service.serviceCode = process.serviceCode;
  r.service.serviceEditionCode = process.serviceEditionCode;
  r.service.resource = process.resource;
  return r;
}

/** [SR] `ServiceRecordFactory.createDpeServiceRecord`: `endpointUrl` is the process's queue suffix. */
export function dpeRecord(orgnr: string, process: SrProcess, certificate: X509Certificate): ServiceRecordJson {
  const r = record("DPE", orgnr, process, process.serviceCode ?? "");
  r.pemCertificate = virksertPem(certificate);
  return r;
}

/** [SR] `ServiceRecordFactory.createDigitalDpvServiceRecord`: a person's DPV record (digital_dpv only). */
export function personDpvRecord(fnr: string, process: SrProcess, digitalDpvType: string, s: RecordSettings): ServiceRecordJson {
  const r = record("DPV", fnr, process, s.dpvEndpointUrl);
  r.documentTypes = [digitalDpvType];
  r.service.serviceCode = s.defaultArkivmeldingProcess.serviceCode;
  r.service.serviceEditionCode = s.defaultArkivmeldingProcess.serviceEditionCode;
  r.service.resource = s.defaultArkivmeldingProcess.resource;
  return r;
}

/**
 * [SR] `SikkerDigitalPostServiceRecord`: the digital record carries the person's postbox (provider orgnr,
 * address, the provider's certificate); the print record carries the print provider's orgnr and certificate,
 * no postbox address, and the recipient's and sender's postal addresses.
 */
export function digitalPostRecord(
  fnr: string,
  process: SrProcess,
  person: KrrPerson,
  documentType: string,
  s: RecordSettings,
  print?: { provider: string; certificate: string; postAddress: PostAddressJson; returnAddress: PostAddressJson },
): DigitalPostRecordJson {
  const base = record("DPI", fnr, process, s.dpiEndpointUrl);
  base.documentTypes = [documentType];
  base.pemCertificate = pemCertificate(print ? print.certificate : person.sertifikat);
  return {
    ...base,
    orgnrPostkasse: print ? print.provider : (person.digitalPost?.postkasseleverandoeradresse ?? null),
    postkasseAdresse: print ? null : (person.digitalPost?.postkasseadresse ?? null),
    mobilnummer: person.kontaktinformasjon?.mobiltelefonnummer ?? null,
    kanVarsles: person.varslingsstatus === "KAN_VARSLES",
    epostAdresse: person.kontaktinformasjon?.epostadresse ?? null,
    fysiskPost: print !== undefined,
    postAddress: print ? print.postAddress : null,
    returnAddress: print ? print.returnAddress : null,
    spraak: person.spraak ?? null,
  };
}
