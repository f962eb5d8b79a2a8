import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import {
  CHANNELS,
  CHANNEL_STATUSES,
  DIRECTIONS,
  EFORMIDLING_STATUSES,
  SOURCES,
  STATUS_MODELS,
  definitionOf,
  isEformidlingStatus,
  mapLegacyStatus,
  type Channel,
  type Direction,
  type StatusDefinition,
} from "../../src/core/status/index.js";
import { INCOMING_STATUS, OUTGOING_STATUSES, statusOfReceipt } from "../../src/dpi/status-model.js";
import { parseSeedTables, SEED_FILE, SEED_TABLES } from "./seed-tables.js";

const all = (): { channel: Channel; d: StatusDefinition }[] => CHANNELS.flatMap((channel) => STATUS_MODELS[channel].statuses.map((d) => ({ channel, d })));
const names = (channel: Channel, direction: Direction) => STATUS_MODELS[channel].statuses.filter((d) => d.direction === direction).map((d) => d.status);

describe("core/status: the channel tables", () => {
  it("use the integrasjonspunkt's ReceiptStatus enum, in its order (nextmove/…/receipt/ReceiptStatus.java)", () => {
    expect(EFORMIDLING_STATUSES).to.deep.equal([
      "OPPRETTET",
      "SENDT",
      "MOTTATT",
      "LEVERT",
      "LEST",
      "FEIL",
      "ANNET",
      "INNKOMMENDE_MOTTATT",
      "INNKOMMENDE_LEVERT",
      "LEVETID_UTLOPT",
    ]);
    expect(CHANNEL_STATUSES).to.deep.equal(["KLAR_FOR_MOTTAK", "MANUELT_HÅNDTERT", "AVVIST", "FEILET", "UTKAST"]);
  });

  it("hold exactly these statuses, per channel and direction", () => {
    expect(names("DPO", "OUTGOING")).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "LEST", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPO", "INCOMING")).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPF", "OUTGOING")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "KLAR_FOR_MOTTAK", "LEST", "FEIL", "MANUELT_HÅNDTERT", "AVVIST", "LEVETID_UTLOPT"]);
    expect(names("DPF", "INCOMING")).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPV", "OUTGOING")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST", "ANNET", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPV", "INCOMING")).to.deep.equal([]);
    expect(names("DPE", "OUTGOING")).to.deep.equal(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPE", "INCOMING")).to.deep.equal(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT", "FEIL", "LEVETID_UTLOPT"]);
    expect(names("DPI", "OUTGOING")).to.deep.equal(["UTKAST", "OPPRETTET", "SENDT", "FEILET", "LEVETID_UTLOPT", "LEVERT", "LEST", "FEIL"]);
    expect(names("DPI", "INCOMING")).to.deep.equal(["MOTTATT"]);
  });

  it("have one row per status and direction, filed under their own channel", () => {
    for (const c of CHANNELS) {
      const keys = STATUS_MODELS[c].statuses.map((d) => `${d.status}/${d.direction}`);
      expect(new Set(keys).size, c).to.equal(keys.length);
      expect(STATUS_MODELS[c].channel).to.equal(c);
    }
  });

  it("on DPO, DPV and DPE use only the integrasjonspunkt's statuses, reported as themselves", () => {
    for (const c of ["DPO", "DPV", "DPE"] as const) {
      for (const d of STATUS_MODELS[c].statuses) {
        expect(isEformidlingStatus(d.status), `${c} ${d.status}`).to.equal(true);
        expect(d.eformidling, `${c} ${d.status}`).to.equal(d.status);
      }
    }
  });

  it("keep DPF's SvarUt states the integrasjonspunkt lacks, with the mapping it used until 2022 (FiksStatusMapper)", () => {
    const kept = STATUS_MODELS.DPF.statuses.filter((d) => !isEformidlingStatus(d.status));
    expect(kept.map((d) => [d.status, d.eformidling, d.terminal, d.error, d.endsExpiry])).to.deep.equal([
      ["KLAR_FOR_MOTTAK", "LEVERT", false, false, true],
      ["MANUELT_HÅNDTERT", "LEST", true, true, true],
      ["AVVIST", "FEIL", true, true, true],
    ]);
    for (const d of kept) expect(d.sources).to.include.members(["seed", "KS:SvarUt", "IP:FiksStatusMapper@2019"]);
  });

  it("keep a DPF status's flags equal to those of the integrasjonspunkt status it maps to", () => {
    for (const d of STATUS_MODELS.DPF.statuses) {
      const e = definitionOf("DPF", d.direction, d.eformidling)!;
      expect([d.terminal, d.endsExpiry], d.status).to.deep.equal([e.terminal, e.endsExpiry]);
    }
  });

  it("agree on whether a status is terminal in both directions of a channel (so isTerminal needs no direction)", () => {
    const both: string[] = [];
    for (const c of CHANNELS) {
      for (const d of STATUS_MODELS[c].statuses.filter((x) => x.direction === "OUTGOING")) {
        const other = definitionOf(c, "INCOMING", d.status);
        if (!other) continue;
        both.push(`${c} ${d.status}`);
        expect(other.terminal, `${c} ${d.status}`).to.equal(d.terminal);
        expect(other.endsExpiry, `${c} ${d.status}`).to.equal(d.endsExpiry);
      }
    }
    expect(both).to.deep.equal(["DPO OPPRETTET", "DPO FEIL", "DPO LEVETID_UTLOPT", "DPF OPPRETTET", "DPF FEIL", "DPF LEVETID_UTLOPT", "DPE OPPRETTET", "DPE FEIL", "DPE LEVETID_UTLOPT"]);
    // DPI's MOTTATT is only an arrived message; a print service's mottakskvittering is LEVERT (MessageStatusMapper).
    expect(definitionOf("DPI", "OUTGOING", "MOTTATT")).to.equal(undefined);
    expect(definitionOf("DPI", "INCOMING", "MOTTATT")!.endsExpiry).to.equal(false);
  });

  it("end expiry with every terminal status; list late statuses only for terminal ones, from the same table", () => {
    for (const { channel, d } of all()) {
      if (d.terminal) expect(d.endsExpiry, `${channel} ${d.status}`).to.equal(true);
      if (!d.terminal) expect(d.mayFollow, `${channel} ${d.status}`).to.deep.equal([]);
      for (const f of d.mayFollow) {
        expect(definitionOf(channel, d.direction, f), `${channel} ${d.status} → ${f}`).to.not.equal(undefined);
        expect(f).to.not.equal(d.status);
      }
    }
  });

  it("give each status a one-line meaning, known sources, and nothing that breaks a Markdown table", () => {
    for (const { channel, d } of all()) {
      expect(d.meaning, `${channel} ${d.status}`).to.match(/^[A-Za-z].*\.$/);
      expect(d.meaning).to.not.match(/[|\n]/);
      expect(d.sources.length, `${channel} ${d.status}`).to.be.greaterThan(0);
      for (const s of d.sources) expect(Object.keys(SOURCES)).to.include(s);
    }
  });

  it("make every LEVETID_UTLOPT and FEIL an error, and let a channel expire conversations in a direction only where it has LEVETID_UTLOPT", () => {
    for (const { channel, d } of all()) {
      if (d.status === "LEVETID_UTLOPT" || d.status === "FEIL") expect([d.terminal, d.error], `${channel} ${d.direction}`).to.deep.equal([true, true]);
    }
    const expiring = CHANNELS.flatMap((c) => DIRECTIONS.filter((dir) => definitionOf(c, dir, "LEVETID_UTLOPT")).map((dir) => `${c} ${dir}`));
    expect(expiring).to.deep.equal(["DPI OUTGOING", "DPO OUTGOING", "DPO INCOMING", "DPF OUTGOING", "DPF INCOMING", "DPV OUTGOING", "DPE OUTGOING", "DPE INCOMING"]);
  });

  it("poll only DPF and DPV, outgoing, from SENDT (DpfStatusStrategy, DpvStatusStrategy: isStartPolling)", () => {
    expect(CHANNELS.map((c) => [c, STATUS_MODELS[c].polling?.direction, STATUS_MODELS[c].polling?.startsAt])).to.deep.equal([
      ["DPI", undefined, undefined],
      ["DPO", undefined, undefined],
      ["DPF", "OUTGOING", "SENDT"],
      ["DPV", "OUTGOING", "SENDT"],
      ["DPE", undefined, undefined],
    ]);
  });
});

describe("core/status: the seed document's tables (acceptance lists)", () => {
  /** Every seed row, its channel row, and the values the row must have: [status, direction, terminal, error, endsExpiry]. */
  const expected: Record<string, [string, Direction, boolean, boolean, boolean]> = {
    "DPO statuser #1": ["OPPRETTET", "OUTGOING", false, false, false],
    "DPO statuser #2": ["SENDT", "OUTGOING", false, false, false],
    "DPO statuser #3": ["OPPRETTET", "INCOMING", false, false, false],
    "DPO statuser #4": ["INNKOMMENDE_MOTTATT", "INCOMING", false, false, false],
    "DPO statuser #5": ["INNKOMMENDE_LEVERT", "INCOMING", true, false, true],
    "DPO statuser #6": ["MOTTATT", "OUTGOING", false, false, false],
    "DPO statuser #7": ["LEVERT", "OUTGOING", false, false, true],
    "DPO statuser #8": ["LEST", "OUTGOING", true, false, true],
    "DPF statuser (utgående) #1": ["OPPRETTET", "OUTGOING", false, false, false],
    "DPF statuser (utgående) #2": ["SENDT", "OUTGOING", false, false, false],
    "DPF statuser (utgående) #3": ["KLAR_FOR_MOTTAK", "OUTGOING", false, false, true],
    "DPF statuser (utgående) #4": ["LEST", "OUTGOING", true, false, true],
    "DPF statuser (innkommende) #1": ["OPPRETTET", "INCOMING", false, false, false],
    "DPF statuser (innkommende) #2": ["INNKOMMENDE_MOTTATT", "INCOMING", false, false, false],
    "DPF statuser (innkommende) #3": ["INNKOMMENDE_LEVERT", "INCOMING", true, false, true],
    "DPF feilstatuser #1": ["FEIL", "OUTGOING", true, true, true],
    "DPF feilstatuser #2": ["MANUELT_HÅNDTERT", "OUTGOING", true, true, true],
    "DPF feilstatuser #3": ["AVVIST", "OUTGOING", true, true, true],
    "DPV statuser #1": ["OPPRETTET", "OUTGOING", false, false, false],
    "DPV statuser #2": ["SENDT", "OUTGOING", false, false, false],
    "DPV statuser #3": ["LEVERT", "OUTGOING", false, false, true],
    "DPV statuser #4": ["LEST", "OUTGOING", true, false, true],
  };

  for (const t of SEED_TABLES) {
    t.rows.forEach((row, i) => {
      const id = `${t.table} #${i + 1}`;
      it(`${id} (${row[0]}) appears in the ${t.channel} table`, () => {
        const hits = STATUS_MODELS[t.channel].statuses.filter((d) => (d.seedRows as readonly string[]).includes(id));
        expect(hits, id).to.have.length(1);
        const d = hits[0]!;
        expect([d.status, d.direction, d.terminal, d.error, d.endsExpiry]).to.deep.equal(expected[id]);
        expect(d.status).to.equal(mapLegacyStatus(row[0]!, t.channel));
        expect(d.direction).to.equal(t.direction(row));
        expect(d.seedName).to.equal(d.status === row[0] ? undefined : row[0]);
        expect(d.sources).to.include("seed");
      });
    });
  }

  it("are all covered, and no table cites a seed row that does not exist", () => {
    const ids = SEED_TABLES.flatMap((t) => t.rows.map((_, i) => `${t.table} #${i + 1}`));
    expect(ids).to.have.members(Object.keys(expected));
    const cited = all().flatMap(({ d }) => d.seedRows);
    expect([...cited].sort()).to.deep.equal([...ids].sort());
  });

  it("name the older statuses LEVERING and AAPNING by their meaning: MOTTATT and LEVERT (seed DPO rows 6, 7)", () => {
    expect(definitionOf("DPO", "OUTGOING", "MOTTATT")!.seedName).to.equal("LEVERING");
    expect(definitionOf("DPO", "OUTGOING", "LEVERT")!.seedName).to.equal("AAPNING");
    expect(definitionOf("DPF", "OUTGOING", "MANUELT_HÅNDTERT")!.seedName).to.equal("MANUELT HÅNDTERT");
    const renamed = all().filter(({ d }) => d.seedName !== undefined).map(({ channel, d }) => `${channel} ${d.status}`);
    expect(renamed).to.deep.equal(["DPO MOTTATT", "DPO LEVERT", "DPF MANUELT_HÅNDTERT"]);
  });

  it("match the seed file cell for cell, where ../shared/seeds is present", function () {
    if (!existsSync(SEED_FILE)) this.skip();
    const text = readFileSync(SEED_FILE, "utf8");
    for (const t of SEED_TABLES) {
      const parsed = parseSeedTables(text, t.heading)[t.index];
      expect(parsed, t.table).to.deep.equal(t.rows.map((r) => [...r]));
    }
    expect(text).to.match(/### DPI statuser\s+\*Kommer\*/);
    expect(text).to.not.match(/### DPE statuser/);
  });
});

describe("core/status: DPI's existing vocabulary (src/dpi/status-model.ts) in the DPI table", () => {
  it("has the letter's own statuses as outgoing DPI statuses", () => {
    expect([...OUTGOING_STATUSES]).to.deep.equal(["OPPRETTET", "SENDT", "FEILET", "LEVETID_UTLOPT"]);
    for (const s of OUTGOING_STATUSES) expect(definitionOf("DPI", "OUTGOING", s), s).to.not.equal(undefined);
  });

  it("has each receipt's timeline status as an outgoing DPI status", () => {
    const receipts = ["leveringskvittering", "aapningskvittering", "mottakskvittering", "varslingfeiletkvittering", "returpostkvittering", "feil"];
    expect(receipts.map((r) => statusOfReceipt(r))).to.deep.equal(["LEVERT", "LEST", "LEVERT", "FEIL", "FEIL", "FEIL"]);
    for (const r of receipts) expect(definitionOf("DPI", "OUTGOING", statusOfReceipt(r)!), r).to.not.equal(undefined);
  });

  it("has the incoming message's status as the one incoming DPI status", () => {
    expect(INCOMING_STATUS).to.equal("MOTTATT");
    expect(definitionOf("DPI", "INCOMING", INCOMING_STATUS)!.eformidling).to.equal("INNKOMMENDE_MOTTATT");
  });

  it("maps onto eFormidling as an integrasjonspunkt using us as corner 2 records it (MessageStatusMapper): FEILET → FEIL, FEIL stays FEIL", () => {
    const mapping = Object.fromEntries(STATUS_MODELS.DPI.statuses.filter((d) => d.direction === "OUTGOING").map((d) => [d.status, d.eformidling]));
    expect(mapping).to.deep.equal({
      // A letter still being assembled over the NextMove API is what the integrasjonspunkt calls OPPRETTET.
      UTKAST: "OPPRETTET",
      OPPRETTET: "SENDT",
      SENDT: "MOTTATT",
      FEILET: "FEIL",
      LEVETID_UTLOPT: "LEVETID_UTLOPT",
      LEVERT: "LEVERT",
      LEST: "LEST",
      FEIL: "FEIL",
    });
  });
});
