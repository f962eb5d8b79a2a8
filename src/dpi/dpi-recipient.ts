import { X509Certificate } from "node:crypto";
import { RecipientHasNoPostboxError, RecipientHasNoPrintError, RecipientRecordInvalidError } from "./from-nextmove-errors.js";

/**
 * Who a DPI letter to a person goes to, read from what the integrasjonspunkt reads: the person's DPI record in
 * the Service Registry (built there from KRR) for digital post, and KRR's print provider details for print
 * (the integrasjonspunkt's DpiConversationStrategyImpl puts those over whatever the record says).
 */

/**
 * The fields of a Service Registry record (`GET /identifier/{id}`, `serviceRecords[]`) that DPI needs, under
 * the names the Service Registry writes, so a record as received can be passed as it is.
 */
export interface DpiServiceRecord {
  readonly service?: { readonly identifier: string } | undefined;
  /** The citizen's address in the postbox, e.g. "ola.nordmann#9YDT"; absent for print. */
  readonly postkasseAdresse?: string | null | undefined;
  /** Organisation number of the postbox provider (or, for print, of the print provider). */
  readonly orgnrPostkasse?: string | null | undefined;
  /** The certificate the dokumentpakke is encrypted to (PEM, or its base64 body alone). */
  readonly pemCertificate?: string | null | undefined;
  /** The person's e-mail address and mobile number from KRR; a notice goes only where one is known. */
  readonly epostAdresse?: string | null | undefined;
  readonly mobilnummer?: string | null | undefined;
  /** True when KRR routes this person to print. */
  readonly fysiskPost?: boolean | undefined;
  /** The person's preferred language from KRR. */
  readonly spraak?: string | null | undefined;
}

/** KRR's print provider details (`GET …/rest/v2/printSertifikat`). */
export interface PrintProvider {
  readonly postkasseleverandoerAdresse: string;
  readonly x509Sertifikat: string;
}

export interface DigitalRecipient {
  /** "0192:<orgno>" of the postbox provider: the SBDH receiver. */
  readonly provider: string;
  readonly postkasseadresse: string;
  readonly certificate: X509Certificate;
  readonly epostadresse?: string;
  readonly mobiltelefonnummer?: string;
  readonly spraak?: string;
}

export interface PrintRecipient {
  /** "0192:<orgno>" of the print provider: the SBDH receiver. */
  readonly provider: string;
  readonly certificate: X509Certificate;
  readonly spraak?: string;
}

/** Throws RecipientHasNoPostboxError or RecipientRecordInvalidError. */
export function digitalRecipient(record: DpiServiceRecord | undefined): DigitalRecipient {
  if (!record) throw new RecipientHasNoPostboxError("there is no DPI record for the person, so no postbox to deliver to");
  if (record.service && record.service.identifier !== "DPI") {
    throw new RecipientHasNoPostboxError(`the person is reached through ${record.service.identifier}, not DPI: there is no postbox`);
  }
  if (record.fysiskPost === true) throw new RecipientHasNoPostboxError("the person's DPI record is for print: send a print message");
  const postkasseadresse = text(record.postkasseAdresse);
  const orgnr = text(record.orgnrPostkasse);
  const pem = text(record.pemCertificate);
  if (postkasseadresse === undefined || orgnr === undefined || pem === undefined) {
    throw new RecipientHasNoPostboxError("the person's DPI record lacks the postbox address, its provider or the encryption certificate");
  }
  const epostadresse = text(record.epostAdresse);
  const mobiltelefonnummer = text(record.mobilnummer);
  const spraak = text(record.spraak);
  return {
    provider: providerId(orgnr),
    postkasseadresse,
    certificate: certificateOf(pem),
    ...(epostadresse !== undefined ? { epostadresse } : {}),
    ...(mobiltelefonnummer !== undefined ? { mobiltelefonnummer } : {}),
    ...(spraak !== undefined ? { spraak } : {}),
  };
}

/**
 * KRR's print provider when given, else the person's print record (the Service Registry fills it from the same
 * KRR details). Throws RecipientHasNoPrintError or RecipientRecordInvalidError.
 */
export function printRecipient(record: DpiServiceRecord | undefined, printProvider: PrintProvider | undefined): PrintRecipient {
  if (record?.service && record.service.identifier !== "DPI") {
    throw new RecipientHasNoPrintError(`the person is reached through ${record.service.identifier}, not DPI: DPI cannot print for them`);
  }
  const spraak = text(record?.spraak);
  const language = spraak !== undefined ? { spraak } : {};
  if (printProvider) {
    const orgnr = text(printProvider.postkasseleverandoerAdresse);
    const pem = text(printProvider.x509Sertifikat);
    if (orgnr === undefined || pem === undefined) throw new RecipientRecordInvalidError("KRR's print details lack the print provider or its certificate");
    return { provider: providerId(orgnr), certificate: certificateOf(pem), ...language };
  }
  const orgnr = text(record?.orgnrPostkasse);
  const pem = text(record?.pemCertificate);
  if (record?.fysiskPost !== true || orgnr === undefined || pem === undefined) {
    throw new RecipientHasNoPrintError("no print provider is known: neither KRR's print details nor a DPI print record for the person were given");
  }
  return { provider: providerId(orgnr), certificate: certificateOf(pem), ...language };
}

/** A field with text in it, trimmed; blank is as good as absent. */
function text(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function providerId(orgnr: string): string {
  if (!/^[0-9]{9}$/.test(orgnr)) throw new RecipientRecordInvalidError(`provider ${JSON.stringify(orgnr)} is not a nine-digit organisation number`);
  return `0192:${orgnr}`;
}

const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";

/** The integrasjonspunkt accepts the base64 body without its PEM armour, and so do we. */
function certificateOf(pem: string): X509Certificate {
  const armoured = pem.includes(PEM_BEGIN) ? pem : `${PEM_BEGIN}\n${pem}\n-----END CERTIFICATE-----\n`;
  try {
    return new X509Certificate(armoured);
  } catch (cause) {
    throw new RecipientRecordInvalidError("the encryption certificate in the record does not parse", { cause });
  }
}
