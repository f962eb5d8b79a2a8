/**
 * What the SvarUt/SvarInn simulator keeps: the sending accounts (kontoer, one per sending organisation), the Fiks
 * integrations that may use them (id, password, the organisation that made it, the kontoer it is allowed), the receivers SvarUt knows (their mottakersystemer' security levels and, for
 * those with a SvarInn inbox, its credentials and the certificate downloads are encrypted to), and every
 * forsendelse with its SvarUt status history and its SvarInn state. Pure data and rules, no I/O.
 */
import { randomUUID } from "node:crypto";

/** SvarUt's forsendelse states (WSDL v9 ForsendelseStatus; REST v3 adds SLETTET and SENDT_NHN). */
export const SVARUT_STATUSES = [
  "MOTTATT",
  "AKSEPTERT",
  "AVVIST",
  "VARSLET",
  "LEST",
  "SENDT_PRINT",
  "PRINTET",
  "MANUELT_HANDTERT",
  "SENDT_DIGITALT",
  "SENDT_SDP",
  "LEVERT_SDP",
  "KLAR_FOR_MOTTAK",
  "IKKE_LEVERT",
  "SLETTET",
  "SENDT_NHN",
] as const;
export type SvarUtStatus = (typeof SVARUT_STATUSES)[number];

export function isSvarUtStatus(s: string): s is SvarUtStatus {
  return (SVARUT_STATUSES as readonly string[]).includes(s);
}

export interface SvarUtAccount {
  /** The konto id (a UUID): the `{kontoId}` of the REST paths. */
  kontoId: string;
  /** The organisation that sends with this account. */
  orgnr: string;
  /** The forsendelsestyper SvarUt offers this account. */
  forsendelsestyper: string[];
}

/** A Fiks integration (Fiks-konfigurasjon): what the IntegrasjonId and IntegrasjonPassord headers name. */
export interface SvarUtIntegration {
  integrasjonId: string;
  passord: string;
  /** The organisation it is authorised for: the Maskinporten token's consumer must be this organisation. */
  orgnr: string;
  /** The kontoer the integration may use. */
  kontoer: string[];
}

export interface SvarInnInbox {
  username: string;
  password: string;
  /** PEM: downloads are CMS-encrypted to it (the receiver's SvarInn certificate). */
  certificatePem: string;
}

export interface SvarUtReceiver {
  orgnr: string;
  navn: string;
  /** Security levels of its mottakersystemer (3, 4). Empty: SvarUt knows the organisation but it has no mottakersystem. */
  levels: number[];
  /** Its SvarInn inbox, when it fetches forsendelser from SvarInn (an integrasjonspunkt). */
  svarInn?: SvarInnInbox | undefined;
}

export interface Adresse {
  adresselinje1?: string | undefined;
  adresselinje2?: string | undefined;
  postnummer?: string | undefined;
  poststed?: string | undefined;
  land?: string | undefined;
}

export interface SvarSendesTil {
  navn?: string | undefined;
  orgnr?: string | undefined;
  fnr?: string | undefined;
  adresse?: Adresse | undefined;
}

export interface StoredDocument {
  filnavn: string;
  mimeType: string;
  /** Plaintext, as SvarUt holds it after decrypting the part. */
  bytes: Buffer;
}

export interface ForsendelseRecord {
  id: string;
  /** The sending account; none for a forsendelse put into a SvarInn inbox directly. */
  kontoId: string | undefined;
  mottaker: { orgnr: string; navn: string };
  tittel: string;
  eksternReferanse: string | undefined;
  sikkerhetsniva: "BETYDELIG" | "HOYESTE";
  forsendelsestype: string | undefined;
  svarSendesTil: SvarSendesTil | undefined;
  svarPaForsendelse: string | undefined;
  metadataFraAvleverendeSystem: Record<string, unknown> | undefined;
  documents: StoredDocument[];
  /** The forsendelse as the sender's JSON gave it (for tests that check the mapping). */
  raw: unknown;
  history: { status: SvarUtStatus; at: Date }[];
  svarInn: { kvittert: boolean; feilet?: { feilmelding: string; permanent: boolean } | undefined; downloads: number };
}

export class SvarUtState {
  readonly accounts = new Map<string, SvarUtAccount>();
  readonly integrations = new Map<string, SvarUtIntegration>();
  readonly receivers = new Map<string, SvarUtReceiver>();
  readonly forsendelser = new Map<string, ForsendelseRecord>();

  addAccount(a: Omit<SvarUtAccount, "forsendelsestyper"> & { forsendelsestyper?: string[] }): SvarUtAccount {
    const account = { ...a, forsendelsestyper: a.forsendelsestyper ?? [] };
    this.accounts.set(a.kontoId, account);
    return account;
  }

  addIntegration(i: SvarUtIntegration): SvarUtIntegration {
    this.integrations.set(i.integrasjonId, i);
    return i;
  }

  addReceiver(r: SvarUtReceiver): void {
    this.receivers.set(r.orgnr, r);
  }

  /** The receiver whose SvarInn credentials these are. */
  svarInnOwner(username: string, password: string): SvarUtReceiver | undefined {
    return [...this.receivers.values()].find((r) => r.svarInn?.username === username && r.svarInn.password === password);
  }

  status(f: ForsendelseRecord): { status: SvarUtStatus; at: Date } {
    return f.history[f.history.length - 1]!;
  }

  setStatus(id: string, status: SvarUtStatus, at: Date): ForsendelseRecord {
    const f = this.forsendelser.get(id);
    if (!f) throw new RangeError(`no forsendelse ${id}`);
    f.history.push({ status, at });
    return f;
  }

  /**
   * What the receiver's SvarInn offers: its forsendelser ready for it (downloaded ones too: a download is LEST,
   * but only kvitterMottak takes a forsendelse out), neither acknowledged nor given up.
   */
  inbox(orgnr: string): ForsendelseRecord[] {
    return [...this.forsendelser.values()].filter((f) => {
      const status = this.status(f).status;
      return f.mottaker.orgnr === orgnr && (status === "KLAR_FOR_MOTTAK" || status === "LEST") && !f.svarInn.kvittert && !f.svarInn.feilet?.permanent;
    });
  }

  newId(): string {
    return randomUUID();
  }
}
