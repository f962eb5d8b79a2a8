/**
 * The Service Registry's lookups, free of HTTP: what `ServiceRecordController`, `VirksertController` and
 * `SasTokenController` answer for a caller, as JSON-ready values or {@link SrError}s. Sources:
 * [SR] `serviceregistry-server/.../controller/*.java`, `record/ServiceRecordService.java`,
 * `record/ServiceRecordFactory.java`.
 */
import {
  accessDenied,
  certificateNotFound,
  consumerNotIso6523,
  entityNotFound,
  infoNotFound,
  noRecordForCitizen,
  nonMatchingCertificates,
  receiverProcessNotFound,
  sasTokenNotConfigured,
  securityLevelNotFound,
  senderNotInBrreg,
  springError,
} from "./errors.js";
import { DOCUMENT_TYPES } from "./processes.js";
import type { SrProcess } from "./processes.js";
import {
  citizenInfo,
  digitalPostRecord,
  dpeRecord,
  dpfRecord,
  dpoRecord,
  dpvRecord,
  organisationInfo,
  personDpvRecord,
  virksertPem,
} from "./records.js";
import type { EntityJson, PostAddressJson, RecordSettings, ServiceRecordJson } from "./records.js";
import { decideArkivmelding, decideRegisteredOnly, registeredProcesses, routeDigitalpost } from "./routing.js";
import type { ChannelDecision, Notification, RoutingFacts } from "./routing.js";
import type { FregPerson, KrrPerson, ServiceRegistryState, SrOrganisation } from "./state.js";

/** A parsed `{identifier}` path variable ([EC] `PartnerIdentifier.parse`: ISO 6523 organisation, or a person). */
export type PartyId = { kind: "organisation"; orgnr: string; text: string } | { kind: "person"; fnr: string; text: string };

/** Who is asking: from the verified Maskinporten token. */
export interface Caller {
  /** `consumer.ID` of the token, if it is a string. */
  consumerId: string | undefined;
  scopes: readonly string[];
  /** The `scope` claim as given (VirksertController searches it as text). */
  scopeText: string;
  remoteAddress: string;
}

export interface LookupParams {
  securityLevel?: number;
  /** Default true, as the SR's `print` request parameter. */
  print: boolean;
}

export interface LookupSettings extends RecordSettings {
  enableDpfDpv: boolean;
  infoProcess: string;
  vedtakProcess: string;
  /** `difi.move.auth.sas-token`: the DPE Service Bus key `/sastoken` hands out; undefined = not configured. */
  sasToken: string | undefined;
}

/** The method-security scopes ([SR] `ServiceRecordService` and `SasTokenController` `@PreAuthorize`). */
export const DPI_SCOPES = ["eformidling:dpi", "move/dpi.read"] as const;
export const DPE_SCOPES = ["move/dpe.read", "eformidling:dpe"] as const;

/** How KRR answers for a person it has no entry for (inference: KRR lists unknown persons as IKKE_REGISTRERT). */
const UNREGISTERED: KrrPerson = { reservasjon: "NEI", status: "IKKE_REGISTRERT", varslingsstatus: "KAN_IKKE_VARSLES" };

const ISO6523 = /^(\d{4}):([^:]{1,35})(?::([^\s:]{1,35}))?(?::(\d))?$/;

export function parsePartyId(text: string): PartyId | undefined {
  if (/^\d{9}$/.test(text)) return { kind: "organisation", orgnr: text, text };
  const iso = /^0192:(\d{9})$/.exec(text);
  if (iso) return { kind: "organisation", orgnr: iso[1]!, text };
  if (/^\d{11}$/.test(text)) return { kind: "person", fnr: text, text };
  return undefined;
}

export class ServiceRegistryLookups {
  constructor(
    private readonly state: ServiceRegistryState,
    private readonly settings: LookupSettings,
  ) {}

  /** `GET /identifier/{id}`: every record of an organisation, or a person's digital post records. */
  identifier(id: PartyId, params: LookupParams, caller: Caller): EntityJson {
    const consumer = this.#consumer(caller);
    if (id.kind === "person") {
      if (!hasAny(caller.scopes, DPI_SCOPES)) throw accessDenied();
      const records = (() => {
        try {
          return this.#digitalpostRecords(id.fnr, this.state.processes("DIGITALPOST"), params.print, consumer);
        } catch (error) {
          if (error instanceof FregMissing) throw noRecordForCitizen(id.fnr);
          throw error;
        }
      })();
      return { infoRecord: citizenInfo(id.fnr), serviceRecords: records };
    }
    const org = this.#organisation(id);
    const facts = this.#facts(org.orgnr);
    const records: ServiceRecordJson[] = [];
    for (const process of this.state.processes("ARKIVMELDING")) {
      const record = this.#arkivmeldingRecord(org, process, params.securityLevel, facts);
      if (record) records.push(record);
    }
    const einnsyn = this.state.processes("EINNSYN");
    const einnsynRegistered = registeredProcesses(facts.smp, einnsyn);
    for (const p of einnsyn) if (einnsynRegistered.has(p.identifier)) records.push(dpeRecord(org.orgnr, p, this.#virksert(org.orgnr, "DPE")));
    const avtalt = this.state.processes("AVTALT");
    const avtaltRegistered = registeredProcesses(facts.smp, avtalt);
    for (const p of avtalt) if (avtaltRegistered.has(p.identifier)) records.push(dpoRecord(org.orgnr, p, this.#virksert(org.orgnr, "DPO"), this.settings));
    return { infoRecord: organisationInfo(org), serviceRecords: records };
  }

  /** `GET /identifier/{id}/process/{process}`: the record(s) for one process. */
  identifierProcess(id: PartyId, processId: string, params: LookupParams, caller: Caller): EntityJson {
    const consumer = this.#consumer(caller);
    const org = id.kind === "organisation" ? this.#organisation(id) : undefined;
    const infoRecord = org ? organisationInfo(org) : citizenInfo(id.text);
    const identifier = org ? org.orgnr : id.text;
    const process = this.state.process(processId);
    if (!process) throw receiverProcessNotFound(id.text, processId);
    const records: ServiceRecordJson[] = [];
    if (process.category === "DIGITALPOST" && id.kind === "person") {
      if (!hasAny(caller.scopes, DPI_SCOPES)) throw accessDenied();
      try {
        records.push(...this.#digitalpostRecords(id.fnr, [process], params.print, consumer));
      } catch (error) {
        // FregGatewayException has no handler on this endpoint: Spring answers 500.
        if (error instanceof FregMissing) throw springError(500, "freg_gateway");
        throw error;
      }
    }
    if (process.category === "ARKIVMELDING") {
      const record = this.#arkivmeldingRecord(org ?? id.text, process, params.securityLevel, this.#facts(identifier));
      if (!record) throw receiverProcessNotFound(id.text, processId);
      records.push(record);
    }
    if (process.category === "EINNSYN" || process.category === "AVTALT") {
      const decision = decideRegisteredOnly(process, this.#facts(identifier));
      if (decision.kind !== "record") throw receiverProcessNotFound(id.text, processId);
      records.push(
        decision.service === "DPE"
          ? dpeRecord(identifier, process, this.#virksert(identifier, "DPE"))
          : dpoRecord(identifier, process, this.#virksert(identifier, "DPO"), this.settings),
      );
    }
    if (records.length === 0) throw receiverProcessNotFound(id.text, processId);
    return { infoRecord, serviceRecords: records };
  }

  /** `GET /info/{id}`: the info record only (no consumer check in the real controller). */
  info(id: PartyId): EntityJson {
    if (id.kind === "person") return { infoRecord: citizenInfo(id.fnr), serviceRecords: [] };
    const org = this.state.organisation(id.orgnr);
    if (!org) throw infoNotFound();
    return { infoRecord: organisationInfo(org), serviceRecords: [] };
  }

  /**
   * `GET /virksert/{id}` ([SR] `VirksertController`): the scope text decides which certificate — DPO and DPE
   * scopes together need both to be the same certificate; DPE alone gives the DPE certificate; else DPO.
   */
  virksert(identifier: string, caller: Caller): string {
    const scope = caller.scopeText;
    const dpo = scope.includes("move/dpo.read") || scope.includes("eformidling:dpo");
    const dpe = scope.includes("move/dpe.read") || scope.includes("eformidling:dpe");
    if (dpo && dpe) {
      const dpoCert = virksertPem(this.#virksert(identifier, "DPO"));
      if (dpoCert !== virksertPem(this.#virksert(identifier, "DPE"))) throw nonMatchingCertificates(identifier);
      return dpoCert;
    }
    return virksertPem(this.#virksert(identifier, dpe ? "DPE" : "DPO"));
  }

  /** `GET /sastoken` ([SR] `SasTokenController`): the DPE Service Bus key, for DPE scopes only. */
  sasToken(caller: Caller): string {
    if (!hasAny(caller.scopes, DPE_SCOPES)) throw accessDenied();
    if (this.settings.sasToken === undefined || this.settings.sasToken === "") throw sasTokenNotConfigured();
    return this.settings.sasToken;
  }

  /** [SR] `AuthenticationService.getAuthorizedClientIdentifier`. */
  #consumer(caller: Caller): string {
    if (caller.consumerId === undefined || !ISO6523.test(caller.consumerId)) throw consumerNotIso6523(caller.remoteAddress);
    return caller.consumerId;
  }

  #organisation(id: Extract<PartyId, { kind: "organisation" }>): SrOrganisation {
    const org = this.state.organisation(id.orgnr);
    if (!org) throw entityNotFound(id.text);
    return org;
  }

  #facts(identifier: string): RoutingFacts {
    const org = this.state.organisation(identifier);
    return { smp: org?.smp ?? [], svarUt: org?.svarUt ?? [], enableDpfDpv: this.settings.enableDpfDpv };
  }

  /** A record per the arkivmelding decision; undefined when the decision is "none"; 400 when refused. */
  #arkivmeldingRecord(entity: SrOrganisation | string, process: SrProcess, securityLevel: number | undefined, facts: RoutingFacts) {
    const identifier = typeof entity === "string" ? entity : entity.orgnr;
    const decision: ChannelDecision = decideArkivmelding(process, securityLevel, facts);
    switch (decision.kind) {
      case "refused":
        throw securityLevelNotFound(entityToString(entity), securityLevel!);
      case "none":
        return undefined;
      case "record":
        switch (decision.service) {
          case "DPO":
            return dpoRecord(identifier, process, this.#virksert(identifier, "DPO"), this.settings);
          case "DPF":
            return dpfRecord(identifier, process, decision.securityLevel, this.settings);
          case "DPV":
            return dpvRecord(identifier, process, this.settings);
          default:
            throw new Error(`unexpected ${decision.service} for an arkivmelding process`);
        }
    }
  }

  #virksert(orgnr: string, service: "DPO" | "DPE") {
    const org = this.state.organisation(orgnr);
    const certificate = service === "DPE" ? (org?.dpeCertificate ?? org?.certificate) : org?.certificate;
    if (!certificate) throw certificateNotFound(service, orgnr);
    return certificate;
  }

  /** [SR] `ServiceRecordService.createDigitalpostServiceRecords` for the given digitalpost processes. */
  #digitalpostRecords(fnr: string, processes: readonly SrProcess[], print: boolean, consumer: string): ServiceRecordJson[] {
    const person = this.state.person(fnr);
    const krr = person?.krr ?? UNREGISTERED;
    const records: ServiceRecordJson[] = [];
    for (const p of processes) {
      let notification: Notification;
      if (p.identifier === this.settings.infoProcess) notification = "NOT_OBLIGATED";
      else if (p.identifier === this.settings.vedtakProcess) notification = "OBLIGATED";
      else throw springError(500, "unknown_digitalpost_process");
      const target = routeDigitalpost(krr, notification);
      if (target === "DPI") {
        records.push(digitalPostRecord(fnr, p, krr, DOCUMENT_TYPES.digital, this.settings));
        continue;
      }
      const printRecord = this.#printRecord(fnr, p, krr, print, consumer, person === undefined ? null : person.freg);
      if (printRecord) records.push(printRecord);
      if (target === "DPV") records.push(personDpvRecord(fnr, p, DOCUMENT_TYPES.digitalDpv, this.settings));
    }
    return records;
  }

  /** [SR] `ServiceRecordFactory.createPrintServiceRecord`. */
  #printRecord(fnr: string, p: SrProcess, krr: KrrPerson, print: boolean, consumer: string, freg: FregPerson | null) {
    if (!print) return undefined;
    const provider = this.state.printProvider();
    // KRR's printSertifikat call fails without one: no handler, Spring answers 500.
    if (!provider) throw springError(500, "print_provider_unavailable");
    if (freg === null) throw new FregMissing();
    if (freg.postadresse === null) return undefined; // secret address: no print record
    const { fornavn, mellomnavn, etternavn } = freg.navn;
    const postAddress: PostAddressJson = {
      name: `${fornavn} ${mellomnavn ? `${mellomnavn} ` : ""}${etternavn}`,
      street: freg.postadresse.adresselinje.join(" "),
      postalCode: freg.postadresse.postnummer,
      postalArea: freg.postadresse.poststed,
      country: freg.postadresse.landkode,
    };
    const senderOrgnr = /^0192:(\d{9})$/.exec(consumer)?.[1];
    const sender = senderOrgnr === undefined ? undefined : this.state.organisation(senderOrgnr);
    if (!sender) throw senderNotInBrreg(consumer);
    // The real factory dereferences the sender's postadresse without a check: a NullPointerException, 500.
    if (sender.postadresse === null) throw springError(500, "sender_without_postadresse");
    const returnAddress: PostAddressJson = {
      name: sender.name,
      street: sender.postadresse.adresse,
      postalCode: sender.postadresse.postnummer,
      postalArea: sender.postadresse.poststed,
      country: sender.postadresse.land,
    };
    return digitalPostRecord(fnr, p, krr, DOCUMENT_TYPES.print, this.settings, {
      provider: provider.postkasseleverandoerAdresse,
      certificate: provider.x509Sertifikat,
      postAddress,
      returnAddress,
    });
  }
}

/** FregGatewayException: KRR knows the person, Folkeregisteret does not. Mapped per endpoint. */
class FregMissing extends Error {}

function hasAny(scopes: readonly string[], wanted: readonly string[]): boolean {
  return wanted.some((s) => scopes.includes(s));
}

/** Lombok's toString of the SR's OrganizationInfo (or Object.toString of a CitizenInfo), as in its messages. */
function entityToString(entity: SrOrganisation | string): string {
  if (typeof entity === "string") return "no.difi.meldingsutveksling.serviceregistry.domain.CitizenInfo@1b6d3586";
  const a = entity.postadresse;
  const adresse = a === null ? "null" : `Postadresse(adresse=${a.adresse}, postnummer=${a.postnummer}, poststed=${a.poststed}, land=${a.land})`;
  return `OrganizationInfo(identifier=${entity.orgnr}, organizationName=${entity.name}, organizationType=OrganizationType(name=${entity.entityType}), postadresse=${adresse})`;
}
