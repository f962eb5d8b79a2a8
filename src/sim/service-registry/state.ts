/**
 * What the simulated Service Registry knows, in the shape of the registers the real one asks:
 * Enhetsregisteret (organisations), ELMA/SMP (which processes an organisation has registered), VirkSert
 * (certificates), KS SvarUt (mottakersystemer and their levels), KRR (persons' digital post data, the print
 * provider) and Folkeregisteret (persons' postal addresses). It is plain in-memory data with an admin API for
 * tests and the sandbox; nothing here decides a channel (see routing.ts).
 */
import { X509Certificate } from "node:crypto";
import { DEFAULT_PROCESSES } from "./processes.js";
import type { SrProcess } from "./processes.js";

/** Enhetsregisteret's postadresse as the SR writes it ([SR] `domain/.../domain/Postadresse.java`). */
export interface SrPostadresse {
  adresse: string | null;
  postnummer: string | null;
  poststed: string | null;
  land: string | null;
}

/** One registration in ELMA/SMP: the process and the document types it is registered with. */
export interface SmpRegistration {
  process: string;
  documentTypes: readonly string[];
}

/** One of KS SvarUt's mottakersystemer for an organisation ([SR] `ks-fiks/.../mottakersystem-api-v2.json`). */
export interface SvarUtMottakersystem {
  /** Sikkerhetsnivå of the registration (3 or 4 in practice). */
  niva: number;
  /** Registrations with a forsendelseType are for special consignments; the SR ignores them. */
  forsendelseType?: string | null;
  navn?: string;
}

export interface SrOrganisation {
  orgnr: string;
  name: string;
  /** Enhetsregisteret's organisasjonsform, e.g. "ORGL", "KOMM", "AS". */
  entityType: string;
  postadresse: SrPostadresse | null;
  /** VirkSert certificate for DPO (and DPE unless {@link dpeCertificate} is set). */
  certificate: X509Certificate | null;
  dpeCertificate: X509Certificate | null;
  smp: SmpRegistration[];
  /** SvarUt's answer for the organisation; empty when it has no mottakersystem. */
  svarUt: SvarUtMottakersystem[];
}

export interface OrganisationInput {
  /** Nine digits. */
  orgnr: string;
  name: string;
  entityType?: string;
  postadresse?: SrPostadresse | null;
  certificate?: X509Certificate | string | null;
  dpeCertificate?: X509Certificate | string | null;
  /**
   * Processes registered in ELMA/SMP, each with the document types of the process table (DPO for arkivmelding
   * and avtalt processes, DPE for einnsyn processes). Use {@link smp} to register other document types.
   */
  smpProcesses?: readonly string[];
  smp?: readonly SmpRegistration[];
  svarUt?: readonly SvarUtMottakersystem[];
}

/** A person as KRR's `/rest/v1/personer` returns it ([SR] `kontakt-reservasjonsregister-client/.../PersonResource.java`). */
export interface KrrPerson {
  reservasjon: "JA" | "NEI";
  status: "AKTIV" | "SLETTET" | "IKKE_REGISTRERT";
  varslingsstatus?: "KAN_VARSLES" | "KAN_IKKE_VARSLES";
  kontaktinformasjon?: { epostadresse?: string; mobiltelefonnummer?: string };
  /** The person's postbox: address in the postbox and the postbox provider's organisation number. */
  digitalPost?: { postkasseadresse: string; postkasseleverandoeradresse: string };
  /** The postbox provider's certificate as KRR gives it: base64 DER without PEM armour. */
  sertifikat?: string;
  spraak?: string;
}

/** What Folkeregisteret (through the FREG gateway) gives for a person. `postadresse: null` = secret address. */
export interface FregPerson {
  navn: { fornavn: string; mellomnavn?: string | null; etternavn: string };
  postadresse: { adresselinje: readonly string[]; postnummer: string; poststed: string; landkode: string } | null;
}

export interface SrPerson {
  fnr: string;
  krr: KrrPerson;
  /** null: KRR knows the person, Folkeregisteret does not. */
  freg: FregPerson | null;
}

export interface PersonInput {
  /** Eleven digits. */
  fnr: string;
  reservasjon?: KrrPerson["reservasjon"];
  status?: KrrPerson["status"];
  varslingsstatus?: KrrPerson["varslingsstatus"];
  epost?: string;
  mobil?: string;
  /** The person's postbox: provider organisation number, address in it and the provider's certificate. */
  postbox?: { provider: string; address: string; certificate: X509Certificate | string };
  spraak?: string;
  /** Folkeregisteret's entry; absent = "Test Testesen, Testveien 1, 0150 OSLO"; null = not in Folkeregisteret. */
  freg?: FregPerson | null;
}

/** KRR's print provider (`/rest/v2/printSertifikat`): used for every print record. */
export interface PrintProvider {
  postkasseleverandoerAdresse: string;
  /** base64 DER, as KRR gives it. */
  x509Sertifikat: string;
}

const ORGNR = /^\d{9}$/;
const FNR = /^\d{11}$/;

/** Plain state plus the admin API. The server reads it per request, so changes apply at once. */
export class ServiceRegistryState {
  readonly #organisations = new Map<string, SrOrganisation>();
  readonly #persons = new Map<string, SrPerson>();
  readonly #processes = new Map<string, SrProcess>();
  #printProvider: PrintProvider | null = null;

  constructor(processes: readonly SrProcess[] = DEFAULT_PROCESSES) {
    for (const p of processes) this.addProcess(p);
  }

  addProcess(process: SrProcess): void {
    this.#processes.set(process.identifier, { ...process, documentTypes: [...process.documentTypes] });
  }

  process(identifier: string): SrProcess | undefined {
    return this.#processes.get(identifier);
  }

  processes(category?: SrProcess["category"]): SrProcess[] {
    return [...this.#processes.values()].filter((p) => category === undefined || p.category === category);
  }

  /** Adds or replaces an organisation. */
  addOrganisation(input: OrganisationInput): SrOrganisation {
    if (!ORGNR.test(input.orgnr)) throw new TypeError(`orgnr ${JSON.stringify(input.orgnr)} must be nine digits`);
    const org: SrOrganisation = {
      orgnr: input.orgnr,
      name: input.name,
      entityType: input.entityType ?? "ORGL",
      postadresse: input.postadresse ?? null,
      certificate: toCertificate(input.certificate),
      dpeCertificate: toCertificate(input.dpeCertificate),
      smp: [],
      svarUt: [...(input.svarUt ?? [])],
    };
    this.#organisations.set(org.orgnr, org);
    this.registerSmp(org.orgnr, input.smpProcesses ?? []);
    for (const r of input.smp ?? []) org.smp.push({ process: r.process, documentTypes: [...r.documentTypes] });
    return org;
  }

  removeOrganisation(orgnr: string): boolean {
    return this.#organisations.delete(orgnr);
  }

  organisation(orgnr: string): SrOrganisation | undefined {
    return this.#organisations.get(orgnr);
  }

  organisations(): SrOrganisation[] {
    return [...this.#organisations.values()];
  }

  /** Registers processes in SMP for an organisation, with the process table's document types. */
  registerSmp(orgnr: string, processes: readonly string[]): void {
    const org = this.#require(orgnr);
    for (const identifier of processes) {
      const process = this.#processes.get(identifier);
      if (!process) throw new TypeError(`unknown process ${identifier}; add it with addProcess first`);
      org.smp.push({ process: identifier, documentTypes: [...process.documentTypes] });
    }
  }

  /** Removes SMP registrations (all, or those of one process). */
  unregisterSmp(orgnr: string, process?: string): void {
    const org = this.#require(orgnr);
    org.smp = process === undefined ? [] : org.smp.filter((r) => r.process !== process);
  }

  /** Replaces SvarUt's mottakersystemer for an organisation ([] = not a SvarUt receiver). */
  setSvarUt(orgnr: string, mottakersystemer: readonly SvarUtMottakersystem[]): void {
    this.#require(orgnr).svarUt = [...mottakersystemer];
  }

  /** Adds or replaces a person in KRR (and Folkeregisteret unless `freg` is null). */
  addPerson(input: PersonInput): SrPerson {
    if (!FNR.test(input.fnr)) throw new TypeError(`fnr ${JSON.stringify(input.fnr)} must be eleven digits`);
    const krr: KrrPerson = {
      reservasjon: input.reservasjon ?? "NEI",
      status: input.status ?? "AKTIV",
      varslingsstatus: input.varslingsstatus ?? "KAN_VARSLES",
    };
    if (input.epost !== undefined || input.mobil !== undefined) {
      krr.kontaktinformasjon = {
        ...(input.epost !== undefined ? { epostadresse: input.epost } : {}),
        ...(input.mobil !== undefined ? { mobiltelefonnummer: input.mobil } : {}),
      };
    }
    if (input.postbox) {
      krr.digitalPost = { postkasseadresse: input.postbox.address, postkasseleverandoeradresse: input.postbox.provider };
      krr.sertifikat = toCertificate(input.postbox.certificate)!.raw.toString("base64");
    }
    if (input.spraak !== undefined) krr.spraak = input.spraak;
    const person: SrPerson = { fnr: input.fnr, krr, freg: input.freg === undefined ? defaultFreg() : input.freg };
    this.#persons.set(person.fnr, person);
    return person;
  }

  /** Adds or replaces a person with KRR data given exactly (tests of odd KRR answers). */
  putPerson(person: SrPerson): void {
    if (!FNR.test(person.fnr)) throw new TypeError(`fnr ${JSON.stringify(person.fnr)} must be eleven digits`);
    this.#persons.set(person.fnr, structuredClone(person));
  }

  removePerson(fnr: string): boolean {
    return this.#persons.delete(fnr);
  }

  person(fnr: string): SrPerson | undefined {
    return this.#persons.get(fnr);
  }

  setPrintProvider(orgnr: string, certificate: X509Certificate | string): void {
    if (!ORGNR.test(orgnr)) throw new TypeError(`print provider ${JSON.stringify(orgnr)} must be nine digits`);
    this.#printProvider = { postkasseleverandoerAdresse: orgnr, x509Sertifikat: toCertificate(certificate)!.raw.toString("base64") };
  }

  printProvider(): PrintProvider | null {
    return this.#printProvider;
  }

  #require(orgnr: string): SrOrganisation {
    const org = this.#organisations.get(orgnr);
    if (!org) throw new TypeError(`unknown organisation ${orgnr}; add it with addOrganisation first`);
    return org;
  }
}

function toCertificate(value: X509Certificate | string | null | undefined): X509Certificate | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? new X509Certificate(value) : value;
}

function defaultFreg(): FregPerson {
  return {
    navn: { fornavn: "Test", mellomnavn: null, etternavn: "Testesen" },
    postadresse: { adresselinje: ["Testveien 1"], postnummer: "0150", poststed: "OSLO", landkode: "NO" },
  };
}
