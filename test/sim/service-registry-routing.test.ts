import { expect } from "chai";
import {
  decideArkivmelding,
  decideRegisteredOnly,
  registeredProcesses,
  routeDigitalpost,
  svarUtLevel,
} from "../../src/sim/service-registry/routing.js";
import type { RoutingFacts } from "../../src/sim/service-registry/routing.js";
import { DEFAULT_PROCESSES, PROCESSES, arkivmeldingProcess } from "../../src/sim/service-registry/processes.js";
import type { SrProcess } from "../../src/sim/service-registry/processes.js";
import type { KrrPerson, SmpRegistration, SvarUtMottakersystem } from "../../src/sim/service-registry/state.js";

const process = (identifier: string): SrProcess => DEFAULT_PROCESSES.find((p) => p.identifier === identifier)!;
const administrasjon = process(PROCESSES.arkivmeldingAdministrasjon);
const planOgBygg = process(arkivmeldingProcess("planByggOgGeodata"));
const innsynskrav = process(PROCESSES.innsynskrav);
const journalpost = process(PROCESSES.journalpost);
const meeting = process(PROCESSES.meeting);
const avtalt = process(PROCESSES.avtalt);

const smp = (...processes: SrProcess[]): SmpRegistration[] => processes.map((p) => ({ process: p.identifier, documentTypes: p.documentTypes }));
const facts = (o: { smp?: SmpRegistration[]; svarUt?: SvarUtMottakersystem[]; enableDpfDpv?: boolean } = {}): RoutingFacts => ({
  smp: o.smp ?? [],
  svarUt: o.svarUt ?? [],
  enableDpfDpv: o.enableDpfDpv ?? true,
});

describe("sim/service-registry routing (the SR's channel choice as pure functions)", () => {
  describe("arkivmelding processes (ServiceRecordService.createArkivmeldingServiceRecord)", () => {
    it("1. SMP has the process → DPO, at any security level, without asking SvarUt", () => {
      const f = facts({ smp: smp(administrasjon), svarUt: [{ niva: 4 }] });
      for (const level of [undefined, 3, 4]) {
        expect(decideArkivmelding(administrasjon, level, f)).to.deep.equal({ kind: "record", service: "DPO", rule: "smp-registered" });
      }
    });

    it("2a. not in SMP, SvarUt has mottakersystemer → DPF at the highest level when none is asked", () => {
      const f = facts({ svarUt: [{ niva: 3 }, { niva: 4 }] });
      expect(decideArkivmelding(administrasjon, undefined, f)).to.deep.equal({ kind: "record", service: "DPF", rule: "svarut", securityLevel: 4 });
    });

    it("2b. a requested level must equal some mottakersystem's niva → DPF at that level", () => {
      const f = facts({ svarUt: [{ niva: 3 }, { niva: 4 }] });
      expect(decideArkivmelding(administrasjon, 3, f)).to.deep.equal({ kind: "record", service: "DPF", rule: "svarut", securityLevel: 3 });
      expect(decideArkivmelding(administrasjon, 4, f)).to.deep.equal({ kind: "record", service: "DPF", rule: "svarut", securityLevel: 4 });
    });

    it("2c. SvarUt lacks the requested level: level 4 is refused, level 3 falls back to DPV", () => {
      const f = facts({ svarUt: [{ niva: 3 }] });
      expect(decideArkivmelding(administrasjon, 4, f)).to.deep.equal({ kind: "refused", rule: "security-level-4-not-in-svarut" });
      const only4 = facts({ svarUt: [{ niva: 4 }] });
      expect(decideArkivmelding(administrasjon, 3, only4)).to.deep.equal({ kind: "record", service: "DPV", rule: "dpv-fallback" });
    });

    it("2d. mottakersystemer with a forsendelseType do not count", () => {
      const f = facts({ svarUt: [{ niva: 4, forsendelseType: "byggesak" }] });
      expect(decideArkivmelding(administrasjon, undefined, f)).to.deep.equal({ kind: "record", service: "DPV", rule: "dpv-fallback" });
      expect(decideArkivmelding(administrasjon, 4, f)).to.deep.equal({ kind: "refused", rule: "security-level-4-not-in-svarut" });
    });

    it("3. neither SMP nor SvarUt → DPV, unless the level is 4 → refused", () => {
      expect(decideArkivmelding(administrasjon, undefined, facts())).to.deep.equal({ kind: "record", service: "DPV", rule: "dpv-fallback" });
      expect(decideArkivmelding(administrasjon, 3, facts())).to.deep.equal({ kind: "record", service: "DPV", rule: "dpv-fallback" });
      expect(decideArkivmelding(administrasjon, 4, facts())).to.deep.equal({ kind: "refused", rule: "security-level-4-not-in-svarut" });
    });

    it("4. SMP has the document type for another process only → DPV (SvarUt is not asked), nothing at level 4", () => {
      const f = facts({ smp: smp(administrasjon), svarUt: [{ niva: 4 }] });
      expect(decideArkivmelding(planOgBygg, undefined, f)).to.deep.equal({ kind: "record", service: "DPV", rule: "smp-other-process" });
      expect(decideArkivmelding(planOgBygg, 4, f)).to.deep.equal({ kind: "none", rule: "security-level-4-smp-other-process" });
    });

    it("5. with enable-dpf-dpv off, only DPO remains", () => {
      const f = facts({ svarUt: [{ niva: 4 }], enableDpfDpv: false });
      expect(decideArkivmelding(administrasjon, undefined, f)).to.deep.equal({ kind: "none", rule: "dpf-dpv-disabled" });
      expect(decideArkivmelding(administrasjon, 4, facts({ smp: smp(administrasjon), enableDpfDpv: false })).kind).to.equal("record");
    });

    it("an SMP registration counts when it shares one of the process's document types", () => {
      const registrations: SmpRegistration[] = [
        { process: "urn:example:other", documentTypes: ["urn:no:difi:arkivmelding:xsd::arkivmelding"] },
        { process: "urn:example:unrelated", documentTypes: ["urn:example:doc"] },
      ];
      expect([...registeredProcesses(registrations, [administrasjon])]).to.deep.equal(["urn:example:other"]);
    });
  });

  describe("einnsyn and avtalt processes (ServiceRecordService.createServiceRecord)", () => {
    it("einnsyn → DPE only when SMP has exactly that process", () => {
      expect(decideRegisteredOnly(innsynskrav, facts({ smp: smp(innsynskrav) }))).to.deep.equal({ kind: "record", service: "DPE", rule: "smp-registered" });
      expect(decideRegisteredOnly(innsynskrav, facts())).to.deep.equal({ kind: "none", rule: "not-registered" });
      // journalpost and meeting share the publisering document type; registration for one is not the other
      expect(decideRegisteredOnly(meeting, facts({ smp: smp(journalpost) }))).to.deep.equal({ kind: "none", rule: "not-registered" });
    });

    it("avtalt → DPO only when SMP has exactly that process; no DPF/DPV fallback", () => {
      expect(decideRegisteredOnly(avtalt, facts({ smp: smp(avtalt) }))).to.deep.equal({ kind: "record", service: "DPO", rule: "smp-registered" });
      expect(decideRegisteredOnly(avtalt, facts({ svarUt: [{ niva: 4 }] }))).to.deep.equal({ kind: "none", rule: "not-registered" });
    });

    it("refuses other categories", () => {
      expect(() => decideRegisteredOnly(administrasjon, facts())).to.throw(TypeError, /ARKIVMELDING/);
    });
  });

  describe("SvarUt's level (SvarUtService.hasSvarUtAdressering)", () => {
    it("is the requested level when some niva equals it, else the maximum, else none", () => {
      expect(svarUtLevel([{ niva: 3 }, { niva: 4 }], undefined)).to.equal(4);
      expect(svarUtLevel([{ niva: 3 }, { niva: 4 }], 3)).to.equal(3);
      expect(svarUtLevel([{ niva: 3 }], 4)).to.equal(undefined);
      expect(svarUtLevel([], undefined)).to.equal(undefined);
      expect(svarUtLevel([{ niva: 3, forsendelseType: "" }, { niva: 4, forsendelseType: null }], undefined)).to.equal(4);
    });
  });

  describe("digital post (DpiMessageRouter)", () => {
    const withPostbox: KrrPerson = {
      reservasjon: "NEI",
      status: "AKTIV",
      varslingsstatus: "KAN_VARSLES",
      digitalPost: { postkasseadresse: "a", postkasseleverandoeradresse: "984661185" },
      sertifikat: "MIIB",
    };

    it("info (NOT_OBLIGATED): an active person with a postbox → DPI, anyone else → DPV", () => {
      expect(routeDigitalpost(withPostbox, "NOT_OBLIGATED")).to.equal("DPI");
      // info ignores reservation and notification status
      expect(routeDigitalpost({ ...withPostbox, reservasjon: "JA", varslingsstatus: "KAN_IKKE_VARSLES" }, "NOT_OBLIGATED")).to.equal("DPI");
      expect(routeDigitalpost({ ...withPostbox, status: "SLETTET" }, "NOT_OBLIGATED")).to.equal("DPV");
      const { sertifikat: _, ...noCertificate } = withPostbox;
      expect(routeDigitalpost(noCertificate, "NOT_OBLIGATED")).to.equal("DPV");
      const { digitalPost: __, ...noPostbox } = withPostbox;
      expect(routeDigitalpost(noPostbox, "NOT_OBLIGATED")).to.equal("DPV");
    });

    it("vedtak (OBLIGATED): reserved → PRINT, not notifiable → PRINT, else as info", () => {
      expect(routeDigitalpost(withPostbox, "OBLIGATED")).to.equal("DPI");
      expect(routeDigitalpost({ ...withPostbox, reservasjon: "JA" }, "OBLIGATED")).to.equal("PRINT");
      expect(routeDigitalpost({ ...withPostbox, varslingsstatus: "KAN_IKKE_VARSLES" }, "OBLIGATED")).to.equal("PRINT");
      const { digitalPost: _, ...noPostbox } = withPostbox;
      expect(routeDigitalpost(noPostbox, "OBLIGATED")).to.equal("DPV");
    });
  });
});
