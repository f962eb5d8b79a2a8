/**
 * The business system's lookup in Kontakt- og reservasjonsregisteret before it posts (the DPI message flow's
 * "Forespør innbyggers postkasse": KRR answers with the postbox provider's organisation number and the
 * encryption certificate, or shows that the citizen must get the letter on paper). Digdir's oppslagstjeneste
 * REST API: `POST {url}/rest/v1/personer` with a Maskinporten token carrying the KRR scopes, and
 * `GET {url}/rest/v2/printSertifikat` for the print provider.
 */
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import type { GrantClient } from "../maskinporten/grant-client.js";

export const KRR_CONTACT_SCOPE = "krr:global/kontaktinformasjon.read";
export const KRR_DIGITALPOST_SCOPE = "krr:global/digitalpost.read";

const personSchema = z.object({
  personidentifikator: z.string(),
  reservasjon: z.enum(["JA", "NEI"]),
  status: z.enum(["AKTIV", "SLETTET", "IKKE_REGISTRERT"]),
  varslingsstatus: z.enum(["KAN_VARSLES", "KAN_IKKE_VARSLES"]).optional(),
  kontaktinformasjon: z.object({ epostadresse: z.string().optional(), mobiltelefonnummer: z.string().optional() }).optional(),
  digital_post: z.object({ postkasseadresse: z.string(), postkasseleverandoeradresse: z.string().regex(/^\d{9}$/) }).optional(),
  sertifikat: z.string().optional(),
  spraak: z.string().optional(),
});
const personerSchema = z.object({ personer: z.array(personSchema) });
const printSchema = z.object({ postkasseleverandoerAdresse: z.string().regex(/^\d{9}$/), x509Sertifikat: z.string() });

export type KrrPerson = z.infer<typeof personSchema>;

/** Where a letter to the citizen goes, decided from KRR's answer. */
export type CitizenRoute =
  | { kind: "digital"; personidentifikator: string; postkasseadresse: string; provider: string; certificate: X509Certificate }
  | { kind: "print"; personidentifikator: string; reason: "not-active" | "reserved" | "no-postbox"; status: KrrPerson["status"] };

export interface PrintProvider {
  /** Organisation number of the print provider (the letter's receiver). */
  provider: string;
  certificate: X509Certificate;
}

/** KRR refused or failed the lookup (status 0: not reached), or answered with something that is not KRR's shape. */
export class KrrLookupError extends Error {
  readonly code = "krr-lookup-failed";
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = "KrrLookupError";
  }
}

export interface KrrClientOptions {
  /** Base URL of the oppslagstjeneste (https://kontaktregisteret.no, test https://test.kontaktregisteret.no). */
  url: string;
  grant: GrantClient;
  /** Default both KRR scopes; digital post needs krr:global/digitalpost.read. */
  scopes?: readonly string[];
  /** A databehandler looking up for its avsender: the token's consumer_org. */
  consumerOrg?: string;
  timeoutMs?: number;
}

export class KrrClient {
  constructor(private readonly o: KrrClientOptions) {}

  /** KRR's entries for 1..1000 persons, in the order asked (unknown persons come back IKKE_REGISTRERT). */
  async persons(personidentifikatorer: readonly string[]): Promise<KrrPerson[]> {
    const body = await this.call("POST", "/rest/v1/personer", { personidentifikatorer });
    const parsed = personerSchema.safeParse(body);
    if (!parsed.success) throw new KrrLookupError(200, body, `KRR answered with an unexpected body: ${parsed.error.message}`);
    return parsed.data.personer;
  }

  async person(personidentifikator: string): Promise<KrrPerson> {
    const found = (await this.persons([personidentifikator])).find((p) => p.personidentifikator === personidentifikator);
    if (!found) throw new KrrLookupError(200, undefined, `KRR's answer does not name ${personidentifikator}`);
    return found;
  }

  /** Looks the citizen up and decides digital or print (see {@link citizenRoute}). */
  async route(personidentifikator: string): Promise<CitizenRoute> {
    return citizenRoute(await this.person(personidentifikator));
  }

  /** The print provider and its certificate, for letters that go on paper. */
  async printProvider(): Promise<PrintProvider> {
    const body = await this.call("GET", "/rest/v2/printSertifikat");
    const parsed = printSchema.safeParse(body);
    if (!parsed.success) throw new KrrLookupError(200, body, `KRR answered printSertifikat with an unexpected body: ${parsed.error.message}`);
    return { provider: parsed.data.postkasseleverandoerAdresse, certificate: certificateOf(parsed.data.x509Sertifikat) };
  }

  private async call(method: "GET" | "POST", path: string, json?: unknown): Promise<unknown> {
    const token = await this.o.grant.getToken({
      scope: this.o.scopes ?? [KRR_CONTACT_SCOPE, KRR_DIGITALPOST_SCOPE],
      ...(this.o.consumerOrg ? { consumerOrg: this.o.consumerOrg } : {}),
    });
    let res: Response;
    try {
      res = await fetch(`${this.o.url.replace(/\/+$/, "")}${path}`, {
        method,
        headers: { authorization: `Bearer ${token.access_token}`, accept: "application/json", ...(json !== undefined ? { "content-type": "application/json" } : {}) },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new KrrLookupError(0, undefined, `KRR at ${this.o.url} could not be reached: ${(error as Error).message}`);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the error
    }
    if (res.status !== 200) throw new KrrLookupError(res.status, body, `KRR answered ${method} ${path} with ${res.status}`);
    return body;
  }
}

/**
 * Digital post when the person is active in KRR, has not reserved against digital post, and has a postbox with
 * a certificate; else print. Reservation and status come with every answer; the postbox needs the token to have
 * carried krr:global/digitalpost.read.
 */
export function citizenRoute(p: KrrPerson): CitizenRoute {
  const print = (reason: "not-active" | "reserved" | "no-postbox"): CitizenRoute => ({ kind: "print", personidentifikator: p.personidentifikator, reason, status: p.status });
  if (p.status !== "AKTIV") return print("not-active");
  if (p.reservasjon === "JA") return print("reserved");
  if (!p.digital_post || !p.sertifikat) return print("no-postbox");
  return {
    kind: "digital",
    personidentifikator: p.personidentifikator,
    postkasseadresse: p.digital_post.postkasseadresse,
    provider: p.digital_post.postkasseleverandoeradresse,
    certificate: certificateOf(p.sertifikat),
  };
}

/** KRR gives certificates as base64 DER; PEM text is accepted too. */
function certificateOf(text: string): X509Certificate {
  const trimmed = text.trim();
  try {
    return new X509Certificate(trimmed.startsWith("-----BEGIN") ? trimmed : Buffer.from(trimmed, "base64"));
  } catch (error) {
    throw new KrrLookupError(200, text, `KRR's certificate cannot be read: ${(error as Error).message}`);
  }
}
