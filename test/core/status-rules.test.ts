import { expect } from "chai";
import {
  CHANNELS,
  LEGACY_STATUS_NAMES,
  STATUS_MODELS,
  canRegister,
  directionsOf,
  endsExpiry,
  endsPolling,
  isPolled,
  isTerminal,
  mapLegacyStatus,
  startsPolling,
  toEformidling,
  underExpirySupervision,
  type Channel,
} from "../../src/core/status/index.js";

describe("core/status: mapLegacyStatus", () => {
  it("maps the seed's DPO names by meaning: LEVERING → MOTTATT (seed DPO #6), AAPNING → LEVERT (seed DPO #7)", () => {
    // docs cc61228d renamed exactly these rows; IP 597bf8986 DpoReceiptMapper: levering → MOTTATT, aapning → LEVERT.
    expect(mapLegacyStatus("LEVERING")).to.equal("MOTTATT");
    expect(mapLegacyStatus("AAPNING")).to.equal("LEVERT");
    expect(mapLegacyStatus("LEVERING", "DPO")).to.equal("MOTTATT");
    expect(mapLegacyStatus("AAPNING", "DPO")).to.equal("LEVERT");
  });

  it("maps the other old names and spellings", () => {
    expect(LEGACY_STATUS_NAMES.map((l) => [l.name, l.status, l.channels.join(",")])).to.deep.equal([
      ["LEVERING", "MOTTATT", "DPO"],
      ["AAPNING", "LEVERT", "DPO"],
      ["MOTTAK", "MOTTATT", "DPO"],
      ["MANUELT HÅNDTERT", "MANUELT_HÅNDTERT", "DPF"],
      ["MANUELT_HANDTERT", "MANUELT_HÅNDTERT", "DPF"],
      ["VARSLINGFEILET", "FEIL", "DPI"],
      ["KLAR_FOR_PRINT", "LEVERT", "DPI"],
      ["POST_RETURNERT", "FEIL", "DPI"],
    ]);
    expect(mapLegacyStatus("MANUELT HÅNDTERT")).to.equal("MANUELT_HÅNDTERT");
    expect(mapLegacyStatus("MANUELT_HANDTERT", "DPF")).to.equal("MANUELT_HÅNDTERT");
    expect(mapLegacyStatus("POST_RETURNERT", "DPI")).to.equal("FEIL");
  });

  it("leaves today's names and the kept DPF names alone", () => {
    for (const s of ["LEVERT", "LEST", "MOTTATT", "FEIL", "FEILET", "KLAR_FOR_MOTTAK", "AVVIST", "LEVETID_UTLOPT", "unknown"]) expect(mapLegacyStatus(s)).to.equal(s);
  });

  it("translates a channel's old names only on that channel", () => {
    expect(mapLegacyStatus("LEVERING", "DPI")).to.equal("LEVERING");
    expect(mapLegacyStatus("KLAR_FOR_PRINT", "DPO")).to.equal("KLAR_FOR_PRINT");
    expect(mapLegacyStatus("MANUELT HÅNDTERT", "DPV")).to.equal("MANUELT HÅNDTERT");
  });
});

describe("core/status: canRegister", () => {
  it("accepts the next step of a conversation and returns the name to store", () => {
    expect(canRegister([], "OPPRETTET", "DPO", "OUTGOING")).to.deep.equal({ ok: true, status: "OPPRETTET" });
    expect(canRegister(["OPPRETTET", "SENDT"], "LEVERING", "DPO", "OUTGOING")).to.deep.equal({ ok: true, status: "MOTTATT" });
    expect(canRegister(["OPPRETTET", "SENDT", "LEVERT"], "KLAR_FOR_MOTTAK", "DPF", "OUTGOING")).to.deep.equal({ ok: true, status: "KLAR_FOR_MOTTAK" });
  });

  it("does not register a status the conversation already has (DefaultConversationService: hasStatus)", () => {
    expect(canRegister(["OPPRETTET", "SENDT"], "SENDT", "DPO", "OUTGOING")).to.deep.equal({
      ok: false,
      code: "status-duplicate",
      status: "SENDT",
      detail: "the conversation already has SENDT",
    });
    // DpfConversationStrategyImpl registers SENDT and LEVERT, then NextMoveSender registers SENDT again.
    expect(canRegister(["OPPRETTET", "SENDT", "LEVERT"], "SENDT", "DPF", "OUTGOING")).to.include({ ok: false, code: "status-duplicate" });
    // An old name is the same status as its new one.
    expect(canRegister(["OPPRETTET", "SENDT", "LEVERING"], "MOTTATT", "DPO", "OUTGOING")).to.include({ ok: false, code: "status-duplicate", status: "MOTTATT" });
    expect(canRegister(["MOTTATT"], "MOTTATT", "DPI", "INCOMING")).to.include({ ok: false, code: "status-duplicate" });
  });

  it("refuses a status the channel cannot reach in the conversation's direction", () => {
    expect(canRegister(["OPPRETTET", "SENDT"], "KLAR_FOR_MOTTAK", "DPO", "OUTGOING")).to.deep.equal({
      ok: false,
      code: "status-not-in-model",
      status: "KLAR_FOR_MOTTAK",
      detail: "DPO has no OUTGOING status KLAR_FOR_MOTTAK",
    });
    expect(canRegister(["OPPRETTET"], "INNKOMMENDE_LEVERT", "DPO", "OUTGOING")).to.include({ code: "status-not-in-model" });
    expect(canRegister(["OPPRETTET"], "MOTTATT", "DPO", "INCOMING")).to.include({ code: "status-not-in-model" });
    expect(canRegister([], "OPPRETTET", "DPV", "INCOMING")).to.include({ code: "status-not-in-model" });
    expect(canRegister(["OPPRETTET", "SENDT"], "ANNET", "DPO", "OUTGOING")).to.include({ code: "status-not-in-model" });
    expect(canRegister(["OPPRETTET", "SENDT"], "FEIL", "DPI", "INCOMING")).to.include({ code: "status-not-in-model" });
    expect(canRegister(["OPPRETTET", "SENDT"], "LEVERING", "DPI", "OUTGOING")).to.include({ code: "status-not-in-model", status: "LEVERING" });
  });

  it("allows LEST after LEVERT: LEVERT ends expiry but is not terminal (DPO, DPF, DPV, DPI)", () => {
    for (const c of ["DPO", "DPF", "DPV", "DPI"] as const) {
      expect(canRegister(["OPPRETTET", "SENDT", "LEVERT"], "LEST", c, "OUTGOING"), c).to.deep.equal({ ok: true, status: "LEST" });
    }
  });

  it("after a terminal status accepts only what that status lists as late news", () => {
    const refused = (history: string[], next: string, channel: Channel, terminal: string) =>
      expect(canRegister(history, next, channel, "OUTGOING"), `${channel} ${history.join(",")} + ${next}`).to.include({
        ok: false,
        code: "status-after-terminal",
        terminal,
      });
    const accepted = (history: string[], next: string, channel: Channel) =>
      expect(canRegister(history, next, channel, "OUTGOING"), `${channel} ${history.join(",")} + ${next}`).to.include({ ok: true });

    // DPO: the receiver's MOTTATT/LEVERT status messages and its kvittering travel separately (ResponseStatusSender).
    accepted(["OPPRETTET", "SENDT", "LEST"], "MOTTATT", "DPO");
    accepted(["OPPRETTET", "SENDT", "MOTTATT", "LEST"], "LEVERT", "DPO");
    accepted(["OPPRETTET", "SENDT", "FEIL"], "LEVERT", "DPO");
    refused(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "FEIL"], "LEST", "DPO", "FEIL");
    refused(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT", "LEST"], "FEIL", "DPO", "LEST");
    refused(["OPPRETTET", "SENDT", "LEST"], "LEVETID_UTLOPT", "DPO", "LEST");
    // DPO: late news after LEVETID_UTLOPT is recorded (NextMoveQueueImpl, AltinnNextMoveMessageHandler)…
    accepted(["OPPRETTET", "SENDT", "LEVETID_UTLOPT"], "MOTTATT", "DPO");
    accepted(["OPPRETTET", "SENDT", "LEVETID_UTLOPT", "MOTTATT", "LEVERT"], "LEST", "DPO");
    // …but every terminal status in the history must allow the next one.
    refused(["OPPRETTET", "SENDT", "LEVETID_UTLOPT", "LEST"], "FEIL", "DPO", "LEST");

    // DPF and DPV: a terminal status stops polling, so nothing more is learnt; DPV's read-then-purged poll is the exception.
    refused(["OPPRETTET", "SENDT", "LEVERT", "LEST"], "KLAR_FOR_MOTTAK", "DPF", "LEST");
    refused(["OPPRETTET", "SENDT", "LEVERT", "AVVIST"], "LEST", "DPF", "AVVIST");
    refused(["OPPRETTET", "LEVETID_UTLOPT"], "SENDT", "DPF", "LEVETID_UTLOPT");
    accepted(["OPPRETTET", "SENDT", "LEVERT", "LEST"], "ANNET", "DPV");
    refused(["OPPRETTET", "SENDT", "LEVETID_UTLOPT"], "LEVERT", "DPV", "LEVETID_UTLOPT");
    accepted(["OPPRETTET", "SENDT", "LEVERT", "ANNET"], "LEST", "DPV");

    // DPE: nothing follows LEVERT but a late MOTTATT.
    accepted(["OPPRETTET", "SENDT", "LEVERT"], "MOTTATT", "DPE");
    refused(["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"], "FEIL", "DPE", "LEVERT");
    accepted(["OPPRETTET", "SENDT", "LEVETID_UTLOPT"], "LEVERT", "DPE");

    // DPI: FEILET comes with its own feil receipt; receipts arriving after expiry are recorded; FEILET ends the rest.
    accepted(["OPPRETTET", "SENDT", "FEILET"], "FEIL", "DPI");
    accepted(["OPPRETTET", "SENDT", "FEIL"], "FEILET", "DPI");
    refused(["OPPRETTET", "SENDT", "FEILET"], "LEVERT", "DPI", "FEILET");
    accepted(["OPPRETTET", "SENDT", "LEVETID_UTLOPT"], "LEVERT", "DPI");
    accepted(["OPPRETTET", "SENDT", "LEVETID_UTLOPT", "LEVERT"], "LEST", "DPI");
    // A varslingfeilet receipt is FEIL, but the letter is still in the postbox: it may yet be LEVERT and LEST.
    accepted(["OPPRETTET", "SENDT", "LEST"], "FEIL", "DPI");
    accepted(["OPPRETTET", "SENDT", "FEIL"], "LEVERT", "DPI");
    accepted(["OPPRETTET", "SENDT", "LEVERT", "FEIL"], "LEST", "DPI");
    refused(["OPPRETTET", "SENDT", "FEIL"], "LEVETID_UTLOPT", "DPI", "FEIL");
  });

  it("closes an incoming conversation at its terminal status", () => {
    expect(canRegister(["OPPRETTET", "INNKOMMENDE_MOTTATT", "INNKOMMENDE_LEVERT"], "FEIL", "DPF", "INCOMING")).to.deep.equal({
      ok: false,
      code: "status-after-terminal",
      status: "FEIL",
      terminal: "INNKOMMENDE_LEVERT",
      detail: "FEIL cannot follow the terminal status INNKOMMENDE_LEVERT on DPF",
    });
    expect(canRegister(["OPPRETTET", "LEVETID_UTLOPT"], "INNKOMMENDE_MOTTATT", "DPO", "INCOMING")).to.include({ code: "status-after-terminal", terminal: "LEVETID_UTLOPT" });
    expect(canRegister(["OPPRETTET", "INNKOMMENDE_MOTTATT"], "INNKOMMENDE_LEVERT", "DPE", "INCOMING")).to.deep.equal({ ok: true, status: "INNKOMMENDE_LEVERT" });
  });
});

describe("core/status: terminal statuses, expiry and polling", () => {
  const terminal = (c: Channel) => [...new Set(STATUS_MODELS[c].statuses.filter((d) => isTerminal(c, d.status, d.direction)).map((d) => d.status))];

  it("are terminal exactly where nothing further is expected", () => {
    expect(terminal("DPO")).to.deep.equal(["LEST", "FEIL", "LEVETID_UTLOPT", "INNKOMMENDE_LEVERT"]);
    expect(terminal("DPF")).to.deep.equal(["LEST", "FEIL", "MANUELT_HÅNDTERT", "AVVIST", "LEVETID_UTLOPT", "INNKOMMENDE_LEVERT"]);
    expect(terminal("DPV")).to.deep.equal(["LEST", "FEIL", "LEVETID_UTLOPT"]);
    expect(terminal("DPE")).to.deep.equal(["LEVERT", "FEIL", "LEVETID_UTLOPT", "INNKOMMENDE_LEVERT"]);
    expect(terminal("DPI")).to.deep.equal(["FEILET", "LEVETID_UTLOPT", "LEST", "FEIL"]);
  });

  it("include the integrasjonspunkt's own completing statuses wherever a channel has them (LEST, FEIL, LEVETID_UTLOPT, INNKOMMENDE_LEVERT)", () => {
    for (const c of CHANNELS) {
      for (const s of ["LEST", "FEIL", "LEVETID_UTLOPT", "INNKOMMENDE_LEVERT"]) {
        if (directionsOf(c, s).length > 0) expect(isTerminal(c, s), `${c} ${s}`).to.equal(true);
      }
    }
  });

  it("answer isTerminal without a direction, and say no for a status the channel does not have", () => {
    expect(isTerminal("DPO", "FEIL")).to.equal(true);
    expect(isTerminal("DPO", "LEVERT")).to.equal(false);
    expect(isTerminal("DPE", "LEVERT")).to.equal(true);
    expect(isTerminal("DPO", "AVVIST")).to.equal(false);
    expect(isTerminal("DPI", "FEILET")).to.equal(true);
    expect(isTerminal("DPO", "FEILET")).to.equal(false);
  });

  it("end expiry at LEVERT on every channel (LEVERT sets finished), and at KLAR_FOR_MOTTAK and every DPI receipt", () => {
    for (const c of CHANNELS) expect(endsExpiry(c, "LEVERT", "OUTGOING"), c).to.equal(true);
    expect(endsExpiry("DPF", "KLAR_FOR_MOTTAK", "OUTGOING")).to.equal(true);
    for (const s of ["LEVERT", "LEST", "FEIL"]) expect(endsExpiry("DPI", s, "OUTGOING"), s).to.equal(true);
    expect(endsExpiry("DPI", "MOTTATT", "OUTGOING")).to.equal(false);
    expect(endsExpiry("DPI", "SENDT", "OUTGOING")).to.equal(false);
    expect(endsExpiry("DPI", "MOTTATT", "INCOMING")).to.equal(false);
    expect(endsExpiry("DPO", "MOTTATT", "OUTGOING")).to.equal(false);
    expect(endsExpiry("DPO", "INNKOMMENDE_LEVERT", "INCOMING")).to.equal(true);
    expect(endsExpiry("DPV", "ANNET", "OUTGOING")).to.equal(false);
  });

  it("start polling at SENDT and end it at a terminal status, on DPF and DPV only", () => {
    expect(startsPolling("DPF", "SENDT")).to.equal(true);
    expect(startsPolling("DPV", "SENDT")).to.equal(true);
    expect(startsPolling("DPO", "SENDT")).to.equal(false);
    expect(startsPolling("DPV", "SENDT", "INCOMING")).to.equal(false);
    expect(endsPolling("DPV", "LEST")).to.equal(true);
    expect(endsPolling("DPF", "AVVIST")).to.equal(true);
    expect(endsPolling("DPF", "LEVERT")).to.equal(false);
    expect(endsPolling("DPV", "ANNET")).to.equal(false);
    expect(endsPolling("DPO", "LEST")).to.equal(false);
    expect(endsPolling("DPF", "INNKOMMENDE_LEVERT", "INCOMING")).to.equal(false);
  });

  it("poll a conversation from SENDT until a terminal status", () => {
    expect(isPolled("DPV", "OUTGOING", ["OPPRETTET"])).to.equal(false);
    expect(isPolled("DPV", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT"])).to.equal(true);
    expect(isPolled("DPV", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT", "LEST"])).to.equal(false);
    expect(isPolled("DPF", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT", "KLAR_FOR_MOTTAK"])).to.equal(true);
    expect(isPolled("DPF", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT", "MANUELT HÅNDTERT"])).to.equal(false);
    expect(isPolled("DPO", "OUTGOING", ["OPPRETTET", "SENDT"])).to.equal(false);
  });

  it("supervise expiry until a status answers the conversation, in the directions the channel expires", () => {
    expect(underExpirySupervision("DPO", "OUTGOING", ["OPPRETTET", "SENDT", "MOTTATT"])).to.equal(true);
    expect(underExpirySupervision("DPO", "OUTGOING", ["OPPRETTET", "SENDT", "MOTTATT", "LEVERT"])).to.equal(false);
    expect(underExpirySupervision("DPO", "OUTGOING", ["OPPRETTET", "SENDT", "AAPNING"])).to.equal(false);
    expect(underExpirySupervision("DPO", "INCOMING", ["OPPRETTET", "INNKOMMENDE_MOTTATT"])).to.equal(true);
    expect(underExpirySupervision("DPF", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT"])).to.equal(false);
    expect(underExpirySupervision("DPI", "OUTGOING", ["OPPRETTET", "SENDT"])).to.equal(true);
    expect(underExpirySupervision("DPI", "OUTGOING", ["OPPRETTET", "SENDT", "FEIL"])).to.equal(false);
    expect(underExpirySupervision("DPI", "INCOMING", ["MOTTATT"])).to.equal(false);
    expect(underExpirySupervision("DPV", "INCOMING", [])).to.equal(false);
  });

  it("report each status as its integrasjonspunkt status", () => {
    expect(toEformidling("DPI", "OUTGOING", "FEILET")).to.equal("FEIL");
    expect(toEformidling("DPI", "OUTGOING", "FEIL")).to.equal("FEIL");
    expect(toEformidling("DPI", "INCOMING", "MOTTATT")).to.equal("INNKOMMENDE_MOTTATT");
    expect(toEformidling("DPF", "OUTGOING", "KLAR_FOR_MOTTAK")).to.equal("LEVERT");
    expect(toEformidling("DPO", "OUTGOING", "MOTTATT")).to.equal("MOTTATT");
    expect(toEformidling("DPO", "OUTGOING", "KLAR_FOR_MOTTAK")).to.equal(undefined);
  });
});
