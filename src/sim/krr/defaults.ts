/**
 * The sandbox's citizens as KRR knows them, shared with the Service Registry simulator (which builds its
 * digital post records from the same KRR entries), so both registers give the same person the same answer:
 *
 * | fnr         | KRR                                                                  |
 * |-------------|----------------------------------------------------------------------|
 * | 09118532322 | active, Digipost (984661185) postbox test.testesen#1234              |
 * | 02018090573 | active, e-Boks (922020175) postbox 0201809057301                     |
 * | 17912099997 | active, no postbox (print, or DPV on the NextMove path)              |
 * | 05068912345 | reserved against digital post (print)                                |
 * | 24078812345 | reserved (the Service Registry knows no postal address for them)     |
 * | anyone else | IKKE_REGISTRERT                                                      |
 *
 * The print provider is 974761076 (PRINTLEVERANDØR). Certificates are those of certs-example/business/.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KrrState, type KrrPersonInput } from "./state.js";

export const DEFAULT_CERTS_DIR = fileURLToPath(new URL("../../../certs-example/", import.meta.url));

export const KRR_SANDBOX = {
  persons: {
    digipost: "09118532322",
    eboks: "02018090573",
    noPostbox: "17912099997",
    reserved: "05068912345",
    reservedSecretAddress: "24078812345",
  },
  postboxProviders: { digipost: "984661185", eboks: "922020175" },
  printProvider: "974761076",
} as const;

/** The sandbox persons, with the providers' certificates read from `certsDir`. */
export async function loadSandboxKrrPersons(certsDir: string = DEFAULT_CERTS_DIR): Promise<KrrPersonInput[]> {
  const pem = (orgno: string) => readFile(join(certsDir, "business", `${orgno}.pem`), "utf8");
  const P = KRR_SANDBOX.persons;
  const B = KRR_SANDBOX.postboxProviders;
  return [
    {
      fnr: P.digipost,
      epost: "digipost-mottaker@example.com",
      mobil: "+4799999999",
      spraak: "nb",
      postbox: { provider: B.digipost, address: "test.testesen#1234", certificate: await pem(B.digipost) },
    },
    {
      fnr: P.eboks,
      epost: "eboks-mottaker@example.com",
      spraak: "nn",
      postbox: { provider: B.eboks, address: "0201809057301", certificate: await pem(B.eboks) },
    },
    { fnr: P.noPostbox, epost: "uten-postkasse@example.com", mobil: "+4798888888", spraak: "nb" },
    { fnr: P.reserved, reservasjon: "JA", varslingsstatus: "KAN_IKKE_VARSLES" },
    { fnr: P.reservedSecretAddress, reservasjon: "JA", varslingsstatus: "KAN_IKKE_VARSLES" },
  ];
}

/** The print provider's certificate (PEM) from `certsDir`. */
export function loadSandboxPrintCertificate(certsDir: string = DEFAULT_CERTS_DIR): Promise<string> {
  return readFile(join(certsDir, "business", `${KRR_SANDBOX.printProvider}.pem`), "utf8");
}

/** Seeds `state` with the sandbox persons and print provider (replacing entries with the same numbers). */
export async function seedKrrSandbox(state: KrrState = new KrrState(), certsDir: string = DEFAULT_CERTS_DIR): Promise<KrrState> {
  for (const person of await loadSandboxKrrPersons(certsDir)) state.addPerson(person);
  state.setPrintProvider(KRR_SANDBOX.printProvider, await loadSandboxPrintCertificate(certsDir));
  return state;
}
