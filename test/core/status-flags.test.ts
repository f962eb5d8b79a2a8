import { expect } from "chai";
import { flagChanges, flagsAfter, flagsOf, INITIAL_FLAGS } from "../../src/core/status/index.js";

describe("core/status: finished and pollable", () => {
  it("DPI: LEVERT finishes a letter; LEST, FEIL, FEILET and LEVETID_UTLOPT finish it and end polling", () => {
    expect(flagChanges("DPI", "OUTGOING", "OPPRETTET")).to.deep.equal({});
    expect(flagChanges("DPI", "OUTGOING", "SENDT")).to.deep.equal({});
    expect(flagChanges("DPI", "OUTGOING", "LEVERT")).to.deep.equal({ finished: true });
    for (const s of ["LEST", "FEIL", "FEILET", "LEVETID_UTLOPT"]) expect(flagChanges("DPI", "OUTGOING", s), s).to.deep.equal({ finished: true, pollable: false });
    expect(flagChanges("DPI", "INCOMING", "MOTTATT")).to.deep.equal({});
  });

  it("DPF and DPV start polling at SENDT; a terminal status stops it, LEVERT does not", () => {
    expect(flagChanges("DPF", "OUTGOING", "SENDT")).to.deep.equal({ pollable: true });
    expect(flagChanges("DPV", "OUTGOING", "SENDT")).to.deep.equal({ pollable: true });
    expect(flagsOf("DPV", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT"])).to.deep.equal({ finished: true, pollable: true });
    expect(flagsOf("DPV", "OUTGOING", ["OPPRETTET", "SENDT", "LEVERT", "LEST"])).to.deep.equal({ finished: true, pollable: false });
    expect(flagsOf("DPO", "OUTGOING", ["OPPRETTET", "SENDT"])).to.deep.equal({ finished: false, pollable: false });
  });

  it("finished is never cleared; the history folds from no flags; statuses a channel does not know change nothing", () => {
    expect(flagsOf("DPI", "OUTGOING", [])).to.deep.equal(INITIAL_FLAGS);
    expect(flagsOf("DPI", "OUTGOING", ["OPPRETTET", "SENDT", "LEVETID_UTLOPT", "SENDT"])).to.deep.equal({ finished: true, pollable: false });
    expect(flagsAfter("DPI", "OUTGOING", { finished: true, pollable: false }, "SENDT")).to.deep.equal({ finished: true, pollable: false });
    expect(flagChanges("DPI", "OUTGOING", "NO_SUCH_STATUS")).to.deep.equal({});
  });
});
