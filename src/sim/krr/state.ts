/**
 * What the simulated Kontakt- og reservasjonsregister (KRR) knows: each person's reservation, status, contact
 * details and digital postbox, and the print provider. Stored in the shape the oppslagstjeneste answers with
 * (docs.digdir.no "Attributter i KRR"; `digital_post` and the snake_case names as in its REST examples), so the
 * server only filters by scope. Plain in-memory data with an admin API for tests and the sandbox.
 */
import { X509Certificate } from "node:crypto";

export type Reservasjon = "JA" | "NEI";
export type KrrStatus = "AKTIV" | "SLETTET" | "IKKE_REGISTRERT";
export type Varslingsstatus = "KAN_VARSLES" | "KAN_IKKE_VARSLES";

/** A person as `POST /rest/v1/personer` returns it when the token has both KRR scopes. */
export interface KrrPersonJson {
  personidentifikator: string;
  reservasjon: Reservasjon;
  status: KrrStatus;
  varslingsstatus?: Varslingsstatus;
  kontaktinformasjon?: { epostadresse?: string; mobiltelefonnummer?: string };
  digital_post?: { postkasseadresse: string; postkasseleverandoeradresse: string };
  /** The certificate to encrypt digital post to: base64 DER, no PEM armour. */
  sertifikat?: string;
  spraak?: string;
}

/** A person to register; the same input the Service Registry simulator's `addPerson` takes (without Folkeregisteret). */
export interface KrrPersonInput {
  /** Eleven digits. */
  fnr: string;
  reservasjon?: Reservasjon;
  status?: KrrStatus;
  varslingsstatus?: Varslingsstatus;
  epost?: string;
  mobil?: string;
  /** The person's postbox: provider organisation number, address in it and the provider's certificate. */
  postbox?: { provider: string; address: string; certificate: X509Certificate | string };
  spraak?: string;
}

/** `GET /rest/v2/printSertifikat`: the print provider and the certificate letters for print are encrypted to. */
export interface KrrPrintProviderJson {
  postkasseleverandoerAdresse: string;
  /** base64 DER. */
  x509Sertifikat: string;
}

const FNR = /^\d{11}$/;
const ORGNR = /^\d{9}$/;

export class KrrState {
  readonly #persons = new Map<string, KrrPersonJson>();
  #printProvider: KrrPrintProviderJson | null = null;

  /** Adds or replaces a person. */
  addPerson(input: KrrPersonInput): KrrPersonJson {
    if (!FNR.test(input.fnr)) throw new TypeError(`fnr ${JSON.stringify(input.fnr)} must be eleven digits`);
    const person: KrrPersonJson = {
      personidentifikator: input.fnr,
      reservasjon: input.reservasjon ?? "NEI",
      status: input.status ?? "AKTIV",
      varslingsstatus: input.varslingsstatus ?? "KAN_VARSLES",
    };
    if (input.epost !== undefined || input.mobil !== undefined) {
      person.kontaktinformasjon = {
        ...(input.epost !== undefined ? { epostadresse: input.epost } : {}),
        ...(input.mobil !== undefined ? { mobiltelefonnummer: input.mobil } : {}),
      };
    }
    if (input.postbox) {
      if (!ORGNR.test(input.postbox.provider)) throw new TypeError(`postbox provider ${JSON.stringify(input.postbox.provider)} must be nine digits`);
      person.digital_post = { postkasseadresse: input.postbox.address, postkasseleverandoeradresse: input.postbox.provider };
      person.sertifikat = base64Der(input.postbox.certificate);
    }
    if (input.spraak !== undefined) person.spraak = input.spraak;
    this.#persons.set(person.personidentifikator, person);
    return structuredClone(person);
  }

  removePerson(fnr: string): boolean {
    return this.#persons.delete(fnr);
  }

  person(fnr: string): KrrPersonJson | undefined {
    const p = this.#persons.get(fnr);
    return p && structuredClone(p);
  }

  setPrintProvider(orgnr: string, certificate: X509Certificate | string): void {
    if (!ORGNR.test(orgnr)) throw new TypeError(`print provider ${JSON.stringify(orgnr)} must be nine digits`);
    this.#printProvider = { postkasseleverandoerAdresse: orgnr, x509Sertifikat: base64Der(certificate) };
  }

  printProvider(): KrrPrintProviderJson | null {
    return this.#printProvider && { ...this.#printProvider };
  }
}

function base64Der(certificate: X509Certificate | string): string {
  return (typeof certificate === "string" ? new X509Certificate(certificate) : certificate).raw.toString("base64");
}
