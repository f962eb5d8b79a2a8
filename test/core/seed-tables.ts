/**
 * The status tables of the seed document ../shared/seeds/000_6312f8a693337fb3.txt ("Trafikkflyt, kvitteringer og
 * statuser i eFormidling og eInnsyn"), copied cell for cell: they are acceptance lists. Rows are numbered from 1
 * under each table's header; "DPF statuser" has two tables (utgående, then innkommende). The seed's DPI table
 * says only "*Kommer*" and it has no DPE status table, so neither has rows here.
 * `direction`: the "Logget av" column where the table has one (Avsender = OUTGOING, Mottaker = INCOMING); the DPF
 * tables say in their lead-in which side they show; the DPV lead-in says "Alt … er logget av avsender"; the DPF
 * error table lists states of an outgoing forsendelse.
 */
import type { Channel, Direction } from "../../src/core/status/index.js";

export interface SeedTable {
  /** Heading in the seed, plus "(utgående)"/"(innkommende)" where one heading holds two tables. */
  table: string;
  /** The heading the table sits under in the seed file, and which table under it (0-based). */
  heading: string;
  index: number;
  channel: Channel;
  /** Cells as in the seed: [status, comment] or [status, logged by, comment]. */
  rows: readonly (readonly string[])[];
  direction: (row: readonly string[]) => Direction;
}

const byLoggetAv = (row: readonly string[]): Direction => (row[1] === "Avsender" ? "OUTGOING" : row[1] === "Mottaker" ? "INCOMING" : fail(row));
const fail = (row: readonly string[]): never => {
  throw new Error(`no direction for seed row ${row.join(" | ")}`);
};

export const SEED_TABLES: readonly SeedTable[] = [
  {
    table: "DPO statuser",
    heading: "### DPO statuser",
    index: 0,
    channel: "DPO",
    direction: byLoggetAv,
    rows: [
      ["OPPRETTET", "Avsender", "Integrasjonspunktet mottar BEST/EDU-melding fra sak-arkivsystem og oppretter en DPO-melding"],
      ["SENDT", "Avsender", "Integrasjonspunkt har sendt forsendelsen til meldingsformidler"],
      ["OPPRETTET", "Mottaker", "Integrasjonspunkt laster frå meldingsformidler ned og oppretter meldingen hos seg"],
      ["INNKOMMENDE_MOTTATT", "Mottaker", "Integrasjonspunkt hos mottaker har mottatt melding."],
      ["INNKOMMENDE_LEVERT", "Mottaker", "Har generert to mottakskvitteringer og disse blir sendt til avsender"],
      ["LEVERING", "Avsender", "Avsender mottar bekreftelse på at mottakende integrasjonspunkt har mottatt."],
      ["AAPNING", "Avsender", "Videresending til sak-arkivsystem"],
      [
        "LEST",
        "Avsender",
        "Appreceipter fra mottaker av avsender. Dette er både en kvittering og meldingstype som indikerer at sak-arkivsystemet hos mottaker har fått meldingen. Leveransen er bekreftet fullført.",
      ],
    ],
  },
  {
    table: "DPF statuser (utgående)",
    heading: "### DPF statuser",
    index: 0,
    channel: "DPF",
    direction: () => "OUTGOING",
    rows: [
      ["OPPRETTET", "Integrasjonspunktet mottar bestEdu-melding fra sak-arkivsystem og oppretter en DPF-melding"],
      ["SENDT", "Integrasjonspunkt har sendt forsendelsen til meldingsformidler"],
      ["KLAR_FOR_MOTTAK", "Venter på at forsendelse skal bli lastet ned av mottaker"],
      ["LEST", "En forsendelse er lest når hele forsendelsesfilen er lastet ned av mottaker"],
    ],
  },
  {
    table: "DPF statuser (innkommende)",
    heading: "### DPF statuser",
    index: 1,
    channel: "DPF",
    direction: () => "INCOMING",
    rows: [
      ["OPPRETTET", "Integrasjonspunkt laster frå KS ned og oppretter meldingen hos seg"],
      ["INNKOMMENDE_MOTTATT", "Meldingen blir konvertert til internt format"],
      ["INNKOMMENDE_LEVERT", "Meldingen er levert til sak-arkivsystem"],
    ],
  },
  {
    table: "DPF feilstatuser",
    heading: "### DPF relaterte feilstatuser",
    index: 0,
    channel: "DPF",
    direction: () => "OUTGOING",
    rows: [
      ["FEIL", "Forsendelse har feilet, les logg for mer informasjon"],
      ["MANUELT HÅNDTERT", "Forsendelsen er manuelt avsluttet, f.eks pga en feilsituasjon"],
      ["AVVIST", "Forsendelsen er ikke validert pga. manglende/korrupt metadata, eller fordi forsendelsesfil ikke kunne dannes"],
    ],
  },
  {
    table: "DPV statuser",
    heading: "### DPV statuser",
    index: 0,
    channel: "DPV",
    direction: () => "OUTGOING",
    rows: [
      ["OPPRETTET", "Integrasjonspunktet mottar bestEdu-melding fra sak-arkivsystem og oppretter en DPV-melding"],
      ["SENDT", "Integrasjonspunkt har sendt forsendelsen til Altinn's DPV tjeneste"],
      ["LEVERT", "Når DPV-melding er levert til Altinn sin DPV tjeneste blir en appreceipt sendt tilbake og status i sak-arkivsystem blir oppdatert"],
      ["LEST", "Når mottaker har åpnet og lest meldingen blir status oppdatert til lest (foreløpig ikkje implementert)"],
    ],
  },
];

export const SEED_FILE = new URL("../../../shared/seeds/000_6312f8a693337fb3.txt", import.meta.url);

/** The tables under a heading of the seed file: runs of lines starting with "|", header and separator dropped. */
export function parseSeedTables(text: string, heading: string): string[][][] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return [];
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith("#"); i++) {
    const line = lines[i]!.trim();
    if (line.startsWith("|")) {
      const cells = line.replace(/^\|/, "").replace(/\|\s*$/, "").split("|").map((c) => c.trim());
      (current ??= []).push(cells);
    } else if (current) {
      tables.push(current.slice(2));
      current = undefined;
    }
  }
  if (current) tables.push(current.slice(2));
  return tables;
}
