/**
 * The sandbox's Service Registry: a few organisations that each reach one channel, and persons whose KRR
 * entries give each digital post outcome. Organisations that need a certificate (DPO and DPE receivers get
 * their VirkSert certificate into the record; the receiver encrypts to it) use the organisation numbers and
 * PEMs of certs-example/business/, so the private keys exist for the receiving side. Organisations that need
 * none (DPF: the record carries SvarUt's certificate; DPV: no certificate) use the numbers of the
 * integrasjonspunkt's own test records (vectors/eformidling/sr/), so traces read alike.
 *
 * | orgnr     | who (certs-example)          | what the SR answers                                                  |
 * |-----------|------------------------------|----------------------------------------------------------------------|
 * | 991825827 | AVSENDER (DIGDIR)            | DPO arkivmelding administrasjon + response, DPE einnsyn response, avtalt response: the sandbox's own organisation, as 910077473 in the IP's tests; has a postadresse, so print records get a return address |
 * | 910076787 | BEHANDLINGSANSVARLIG         | DPO for administrasjon, taushetsbelagt and response, and avtalt (SMP) |
 * | 810969342 | DATABEHANDLER                | DPE innsynskrav (queue suffix "innsyn"), journalpost ("data"), einnsyn response |
 * | 910075924 | (no certificate needed)      | DPF: SvarUt mottakersystemer at levels 3 and 4                       |
 * | 910075927 | (no certificate needed)      | DPF at level 3 only: a level-4 request is refused (400)              |
 * | 910075946 | (no certificate needed)      | DPV fallback: neither SMP nor SvarUt; level 4 refused (400)          |
 *
 * Persons (KRR, the same entries as the KRR simulator's, src/sim/krr/defaults.ts): 09118532322 has a Digipost (984661185) postbox, 02018090573 an e-Boks (922020175) postbox,
 * 17912099997 has none (DPV, plus print records when `print=true`), 05068912345 is reserved (vedtak → print,
 * info → DPV), 24078812345 is reserved with a secret address (no print record can be made). The print provider
 * is 974761076 (PRINTLEVERANDØR).
 *
 * certs-example has no KS certificate: the DPF records carry the certificate of 987654325 (AKSESSPUNKTOPERATØR)
 * in SvarUt's place, so a SvarUt simulator decrypts with certs-example/business/987654325.key.pem, unless the
 * caller passes SvarUt's own certificate. Answers are signed with 991825827's key and certificate, as the real
 * SR signs with Digdir's virksomhetssertifikat (alias 991825827 in its keystore configuration).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROCESSES, arkivmeldingProcess } from "./processes.js";
import type { ServiceRegistrySimOptions } from "./server.js";
import { ServiceRegistryState } from "./state.js";
import type { FregPerson } from "./state.js";
import { KRR_SANDBOX, loadSandboxKrrPersons, loadSandboxPrintCertificate } from "../krr/defaults.js";

export const DEFAULT_CERTS_DIR = fileURLToPath(new URL("../../../certs-example/", import.meta.url));

export const SR_SANDBOX = {
  ownOrg: "991825827",
  dpo: "910076787",
  dpe: "810969342",
  dpf: "910075924",
  dpfLevel3: "910075927",
  dpv: "910075946",
  signer: "991825827",
  svarUtStandIn: "987654325",
  printProvider: KRR_SANDBOX.printProvider,
  persons: KRR_SANDBOX.persons,
  postboxProviders: KRR_SANDBOX.postboxProviders,
} as const;

/** Folkeregisteret's entries that differ from the default "Test Testesen, Testveien 1, 0150 OSLO". */
const FREG: Record<string, FregPerson | null> = {
  [KRR_SANDBOX.persons.reserved]: {
    navn: { fornavn: "Reservert", mellomnavn: "Test", etternavn: "Person" },
    postadresse: { adresselinje: ["Postboks 12", "Sentrum"], postnummer: "0101", poststed: "OSLO", landkode: "NO" },
  },
  [KRR_SANDBOX.persons.reservedSecretAddress]: { navn: { fornavn: "Hemmelig", etternavn: "Adresse" }, postadresse: null },
};

const OSLO = (adresse: string, postnummer: string) => ({ adresse, postnummer, poststed: "OSLO", land: "Norge" });

/** Seeds `state` with the sandbox set above (replacing entries with the same numbers). */
export async function seedSandboxDefaults(state: ServiceRegistryState, certsDir: string = DEFAULT_CERTS_DIR): Promise<ServiceRegistryState> {
  const pem = (orgno: string) => readFile(join(certsDir, "business", `${orgno}.pem`), "utf8");
  const S = SR_SANDBOX;
  state.addOrganisation({
    orgnr: S.ownOrg,
    name: "DPI-AP TEST AVSENDER (DIGDIR)",
    postadresse: OSLO("Postboks 1382 Vika", "0114"),
    certificate: await pem(S.ownOrg),
    smpProcesses: [PROCESSES.arkivmeldingAdministrasjon, PROCESSES.arkivmeldingResponse, PROCESSES.einnsynResponse, PROCESSES.avtaltResponse],
  });
  state.addOrganisation({
    orgnr: S.dpo,
    name: "DPI-AP TEST BEHANDLINGSANSVARLIG",
    postadresse: OSLO("Testgata 2", "0150"),
    certificate: await pem(S.dpo),
    smpProcesses: [
      PROCESSES.arkivmeldingAdministrasjon,
      arkivmeldingProcess("taushetsbelagt"),
      PROCESSES.arkivmeldingResponse,
      PROCESSES.avtalt,
      PROCESSES.avtaltResponse,
    ],
  });
  state.addOrganisation({
    orgnr: S.dpe,
    name: "DPI-AP TEST DATABEHANDLER",
    postadresse: OSLO("Testgata 3", "0150"),
    certificate: await pem(S.dpe),
    smpProcesses: [PROCESSES.innsynskrav, PROCESSES.journalpost, PROCESSES.einnsynResponse],
  });
  state.addOrganisation({
    orgnr: S.dpf,
    name: "DPI-AP TEST DPF-MOTTAKER",
    entityType: "KOMM",
    postadresse: { adresse: "Rådhuset", postnummer: "5020", poststed: "BERGEN", land: "Norge" },
    svarUt: [
      { niva: 3, navn: "Sak/arkiv nivå 3" },
      { niva: 4, navn: "Sak/arkiv nivå 4" },
      { niva: 4, forsendelseType: "byggesak", navn: "Byggesak (ignored by the SR)" },
    ],
  });
  state.addOrganisation({
    orgnr: S.dpfLevel3,
    name: "DPI-AP TEST DPF-MOTTAKER NIVÅ 3",
    entityType: "KOMM",
    postadresse: { adresse: "Rådhuset", postnummer: "7004", poststed: "TRONDHEIM", land: "Norge" },
    svarUt: [{ niva: 3, navn: "Sak/arkiv" }],
  });
  state.addOrganisation({
    orgnr: S.dpv,
    name: "DPI-AP TEST DPV-MOTTAKER",
    postadresse: OSLO("Testgata 6", "0150"),
  });

  // KRR's entries are the KRR simulator's sandbox persons (src/sim/krr/defaults.ts): both registers answer alike.
  state.setPrintProvider(KRR_SANDBOX.printProvider, await loadSandboxPrintCertificate(certsDir));
  for (const person of await loadSandboxKrrPersons(certsDir)) {
    const freg = FREG[person.fnr];
    state.addPerson({ ...person, ...(freg !== undefined ? { freg } : {}) });
  }
  return state;
}

/**
 * Options for {@link startServiceRegistrySim} with the sandbox set, trusting `maskinporten` (e.g. the
 * Maskinporten simulator's `{ issuer, jwksUrl }`). Override any field after.
 */
export async function loadDefaultServiceRegistryOptions(
  maskinporten: ServiceRegistrySimOptions["maskinporten"],
  o: { certsDir?: string; svarUtCertificatePem?: string } = {},
): Promise<ServiceRegistrySimOptions> {
  const certsDir = o.certsDir ?? DEFAULT_CERTS_DIR;
  const business = (file: string) => readFile(join(certsDir, "business", file), "utf8");
  return {
    maskinporten,
    signer: { privateKey: await business(`${SR_SANDBOX.signer}.key.pem`), certificate: await business(`${SR_SANDBOX.signer}.pem`) },
    svarUtCertificatePem: o.svarUtCertificatePem ?? (await business(`${SR_SANDBOX.svarUtStandIn}.pem`)),
    state: await seedSandboxDefaults(new ServiceRegistryState(), certsDir),
    sasToken: "sandbox-dpe-sas-key",
  };
}
