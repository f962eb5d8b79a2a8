/**
 * What the simulated SMP publishes: participants and, per participant, the services (document type +
 * process → endpoint) or redirects it has registered.
 */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parseDocumentTypeId, parseParticipantId, parseProcessId } from "../../peppol/identifiers.js";
import { parseSmpIdentifier, PEPPOL_AS4_TRANSPORT_PROFILE } from "../../peppol/smp-xml.js";
import type { SmpIdentifier } from "../../peppol/smp-xml.js";

/** One endpoint registration. Identifiers are written `scheme::value`. */
export interface SmpSimService {
  /** e.g. `busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##…::1.0` */
  documentType: string;
  /** e.g. `cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0` */
  process: string;
  endpointUrl: string;
  /** The receiving access point's certificate, PEM. */
  certificatePem: string;
  /** Default `peppol-transport-as4-v2_0`. */
  transportProfile?: string;
  activation?: Date | string;
  expiration?: Date | string;
  serviceDescription?: string;
  technicalContactUrl?: string;
  technicalInformationUrl?: string;
  /** Default false. */
  requireBusinessLevelSignature?: boolean;
  minimumAuthenticationLevel?: string;
  /**
   * Negative tests only: publish these identifiers in the ServiceMetadata instead of the registered ones,
   * as a misconfigured SMP would. An honest registration leaves this out.
   */
  respondAs?: { participant?: string; documentType?: string };
}

/** A document type this SMP hands over to another SMP. */
export interface SmpSimRedirect {
  documentType: string;
  redirect: {
    /** Full URL of the ServiceMetadata at the other SMP. */
    href: string;
    /** Subject DN of the other SMP's signing certificate. */
    certificateUid: string;
  };
}

export type SmpSimEntry = SmpSimService | SmpSimRedirect;

/** Participant (`scheme::value`) → its entries. Several entries may share a document type (one per process or endpoint). */
export type SmpSimRegistrations = Record<string, readonly SmpSimEntry[]>;

export function isRedirectEntry(entry: SmpSimEntry): entry is SmpSimRedirect {
  return "redirect" in entry;
}

const identifierText = z.string().refine((s) => parseSmpIdentifier(s) !== undefined, "must be written scheme::value");
const dateText = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time");

const serviceFile = z.strictObject({
  documentType: identifierText,
  process: identifierText,
  endpointUrl: z.url(),
  certificatePem: z.string().optional(),
  certificateFile: z.string().optional(),
  transportProfile: z.string().min(1).optional(),
  activation: dateText.optional(),
  expiration: dateText.optional(),
  serviceDescription: z.string().optional(),
  technicalContactUrl: z.string().optional(),
  technicalInformationUrl: z.string().optional(),
  requireBusinessLevelSignature: z.boolean().optional(),
  minimumAuthenticationLevel: z.string().optional(),
});

const redirectFile = z.strictObject({
  documentType: identifierText,
  redirect: z.strictObject({ href: z.url(), certificateUid: z.string().min(1) }),
});

const registrationsFile = z.strictObject({
  participants: z.record(identifierText, z.array(z.union([redirectFile, serviceFile]))),
});

/**
 * Reads a registration file. Format (JSON):
 *
 * ```json
 * {
 *   "participants": {
 *     "iso6523-actorid-upis::0192:984661185": [
 *       {
 *         "documentType": "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
 *         "process": "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
 *         "endpointUrl": "https://ap.example/as4",
 *         "certificateFile": "../certs-example/ap/POP000002.pem",
 *         "transportProfile": "peppol-transport-as4-v2_0",
 *         "activation": "2025-01-01T00:00:00Z",
 *         "expiration": "2045-01-01T00:00:00Z",
 *         "serviceDescription": "DPI C3",
 *         "technicalContactUrl": "mailto:ap@example"
 *       },
 *       {
 *         "documentType": "busdox-docid-qns::…",
 *         "redirect": { "href": "https://other-smp.example/iso6523-actorid-upis%3A%3A0192%3A984661185/services/busdox-docid-qns%3A%3A…",
 *                       "certificateUid": "CN=SMP000002,OU=PEPPOL TEST SMP,O=Other,C=NO" }
 *       }
 *     ]
 *   }
 * }
 * ```
 *
 * Each service entry needs exactly one of `certificatePem` (PEM text) and `certificateFile` (a path relative
 * to the registration file). `transportProfile` defaults to `peppol-transport-as4-v2_0`; `activation` and
 * `expiration` are optional ISO 8601 date-times. Entries with the same document type are published as one
 * ServiceMetadata (one Process per process identifier, endpoints in file order); a redirect entry makes
 * its document type a Redirect.
 */
export async function loadRegistrations(file: string): Promise<SmpSimRegistrations> {
  const json: unknown = JSON.parse(await readFile(file, "utf8"));
  const parsed = registrationsFile.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  const base = dirname(resolve(file));
  const out: Record<string, SmpSimEntry[]> = {};
  for (const [participant, entries] of Object.entries(parsed.data.participants)) {
    out[participant] = [];
    for (const entry of entries) {
      if ("redirect" in entry) {
        out[participant].push(entry);
        continue;
      }
      const { certificateFile, certificatePem, ...rest } = entry;
      if ((certificateFile === undefined) === (certificatePem === undefined)) {
        throw new Error(`${file}: ${participant} ${entry.documentType}: give exactly one of certificatePem and certificateFile`);
      }
      const pem = certificatePem ?? (await readFile(resolve(base, certificateFile!), "utf8"));
      out[participant].push({ ...rest, certificatePem: pem });
    }
  }
  checkRegistrations(out);
  return out;
}

/**
 * Throws when an entry cannot be published: an identifier outside the Peppol identifier policy
 * (IdentifierInvalidError), an unreadable certificate, a bad date.
 */
export function checkRegistrations(registrations: SmpSimRegistrations): void {
  for (const [participant, entries] of Object.entries(registrations)) {
    parseParticipantId(participant);
    for (const entry of entries) {
      parseDocumentTypeId(entry.documentType);
      if (isRedirectEntry(entry)) continue;
      parseProcessId(entry.process);
      certificateOf(entry);
      for (const d of [entry.activation, entry.expiration]) {
        if (d !== undefined && Number.isNaN(new Date(d).getTime())) throw new Error(`${participant}: bad date ${String(d)}`);
      }
    }
  }
}

export function identifierOf(text: string, what: string): SmpIdentifier {
  const id = parseSmpIdentifier(text);
  if (!id) throw new Error(`${what} ${JSON.stringify(text)} must be written scheme::value`);
  return id;
}

export function certificateOf(entry: SmpSimService): X509Certificate {
  try {
    return new X509Certificate(entry.certificatePem);
  } catch (cause) {
    throw new Error(`the certificate of ${entry.documentType} is not a PEM certificate`, { cause });
  }
}

export function transportProfileOf(entry: SmpSimService): string {
  return entry.transportProfile ?? PEPPOL_AS4_TRANSPORT_PROFILE;
}
