/**
 * How the Service Registry chooses a receiver's channel: pure functions over the facts the real SR gathers
 * (ELMA/SMP registrations, SvarUt mottakersystemer, the KRR person). Each rule cites the code it follows:
 * [SR] = felleslosninger/efm-service-registry @417e6d9, `serviceregistry-server/.../serviceregistry/`.
 */
import type { SrProcess } from "./processes.js";
import type { KrrPerson, SmpRegistration, SvarUtMottakersystem } from "./state.js";

export interface RoutingFacts {
  /** The receiver's ELMA/SMP registrations. */
  smp: readonly SmpRegistration[];
  /** SvarUt's mottakersystemer for the receiver (empty when it has none). */
  svarUt: readonly SvarUtMottakersystem[];
  /** Feature `enable-dpf-dpv` ([SR] `application.yml`, default true). */
  enableDpfDpv: boolean;
}

/** Which rule decided; tests and logs name it. */
export type RoutingRule =
  | "smp-registered"
  | "svarut"
  | "dpv-fallback"
  | "smp-other-process"
  | "security-level-4-not-in-svarut"
  | "security-level-4-smp-other-process"
  | "dpf-dpv-disabled"
  | "not-registered";

export type ChannelDecision =
  | { kind: "record"; service: "DPO" | "DPE" | "DPV"; rule: RoutingRule }
  | { kind: "record"; service: "DPF"; rule: "svarut"; securityLevel: number }
  /** No record: the controller answers 404 ReceiverProcessNotFoundException for a process lookup. */
  | { kind: "none"; rule: RoutingRule }
  /** SecurityLevelNotFoundException: the controller answers 400. */
  | { kind: "refused"; rule: "security-level-4-not-in-svarut" };

/**
 * The processes ELMA returns for the receiver when asked for the document types of `processes`
 * ([SR] `service/elma/ELMALookupService.lookupRegisteredProcesses`: the ServiceMetadata of every registered
 * document type among them, and the processes in it). A registration for another process that shares a
 * document type therefore shows up too.
 */
export function registeredProcesses(smp: readonly SmpRegistration[], processes: readonly SrProcess[]): Set<string> {
  const wanted = new Set(processes.flatMap((p) => p.documentTypes));
  return new Set(smp.filter((r) => r.documentTypes.some((d) => wanted.has(d))).map((r) => r.process));
}

/**
 * SvarUt's level for the receiver ([SR] `ks-fiks/.../svarut/SvarUtService.hasSvarUtAdressering`): only
 * mottakersystemer without forsendelseType count; with a requested level, that level if some mottakersystem
 * has it exactly; without, the highest level; undefined when none qualifies.
 */
export function svarUtLevel(mottakersystemer: readonly SvarUtMottakersystem[], securityLevel: number | undefined): number | undefined {
  const levels = mottakersystemer.filter((m) => m.forsendelseType === undefined || m.forsendelseType === null || m.forsendelseType === "").map((m) => m.niva);
  if (securityLevel !== undefined) return levels.includes(securityLevel) ? securityLevel : undefined;
  return levels.length === 0 ? undefined : Math.max(...levels);
}

/**
 * An arkivmelding process ([SR] `record/ServiceRecordService.createArkivmeldingServiceRecord`):
 * 1. SMP has this process → DPO, whatever the security level.
 * 2. SMP has none of the process's document types: if `enable-dpf-dpv`, SvarUt's level (rule above) → DPF with
 *    that level; else level 4 → refused (SecurityLevelNotFoundException), else DPV. Without the feature: none.
 * 3. SMP has the document type for other processes only: DPV, or none at level 4 (SvarUt is not asked).
 */
export function decideArkivmelding(process: SrProcess, securityLevel: number | undefined, facts: RoutingFacts): ChannelDecision {
  const registered = registeredProcesses(facts.smp, [process]);
  if (registered.size === 0) {
    if (!facts.enableDpfDpv) return { kind: "none", rule: "dpf-dpv-disabled" };
    const level = svarUtLevel(facts.svarUt, securityLevel);
    if (level !== undefined) return { kind: "record", service: "DPF", rule: "svarut", securityLevel: level };
    if (securityLevel === 4) return { kind: "refused", rule: "security-level-4-not-in-svarut" };
    return { kind: "record", service: "DPV", rule: "dpv-fallback" };
  }
  if (registered.has(process.identifier)) return { kind: "record", service: "DPO", rule: "smp-registered" };
  if (securityLevel === 4) return { kind: "none", rule: "security-level-4-smp-other-process" };
  return { kind: "record", service: "DPV", rule: "smp-other-process" };
}

/**
 * An einnsyn or avtalt process ([SR] `record/ServiceRecordService.createServiceRecord`): only when SMP has
 * exactly this process — DPE for einnsyn, DPO for avtalt; otherwise none. The security level plays no part.
 */
export function decideRegisteredOnly(process: SrProcess, facts: Pick<RoutingFacts, "smp">): ChannelDecision {
  if (process.category !== "EINNSYN" && process.category !== "AVTALT") {
    throw new TypeError(`${process.identifier} is a ${process.category} process`);
  }
  if (!registeredProcesses(facts.smp, [process]).has(process.identifier)) return { kind: "none", rule: "not-registered" };
  return { kind: "record", service: process.category === "EINNSYN" ? "DPE" : "DPO", rule: "smp-registered" };
}

/** What a digitalpost process obliges the sender to ([SR] `domain/.../Notification.java`). */
export type Notification = "OBLIGATED" | "NOT_OBLIGATED";

export type DigitalpostTarget = "DPI" | "PRINT" | "DPV";

/** A KRR person has a postbox: a certificate and a digital_post entry ([SR] `krr/PersonResource.hasMailbox`). */
export function hasMailbox(person: KrrPerson): boolean {
  return (person.sertifikat ?? "") !== "" && person.digitalPost !== undefined;
}

/**
 * [SR] `record/DpiMessageRouter.route`: for vedtak (OBLIGATED) a reserved person gets PRINT, a person who cannot
 * be notified gets PRINT, else as for info; for info (NOT_OBLIGATED) an active person with a postbox gets DPI,
 * anyone else DPV. The SR then writes PRINT as a print record (when `print=true`), and DPV as a print record
 * (when `print=true`) followed by a DPV digital_dpv record.
 */
export function routeDigitalpost(person: KrrPerson, notification: Notification): DigitalpostTarget {
  if (notification === "OBLIGATED") {
    if (person.reservasjon === "JA") return "PRINT";
    if (person.varslingsstatus !== "KAN_VARSLES") return "PRINT";
  }
  return hasMailbox(person) && person.status === "AKTIV" ? "DPI" : "DPV";
}
