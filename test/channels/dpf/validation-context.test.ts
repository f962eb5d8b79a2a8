import { expect } from "chai";
import { dpfValidationContext } from "../../../src/channels/dpf/validation-context.js";
import type { SvarUtClient } from "../../../src/channels/dpf/svarut-client.js";
import { MissingSvarUtCredentialsError, parseSbd, validateOutgoing, ForsendelseTypeNotFoundError } from "../../../src/sbd/index.js";
import { fixedClock } from "../../../src/clock.js";

/** The SvarUt facts for the integrasjonspunkt's DPF checks of a new message (src/sbd/validate.ts). */

const clock = fixedClock("2026-12-03T10:00:00Z");
const sbd = (sender: string, forsendelseType?: string) =>
  parseSbd(
    {
      standardBusinessDocumentHeader: {
        headerVersion: "1.0",
        sender: [{ identifier: { authority: "iso6523-actorid-upis", value: `0192:${sender}` } }],
        receiver: [{ identifier: { authority: "iso6523-actorid-upis", value: "0192:910075924" } }],
        documentIdentification: { standard: "urn:no:difi:arkivmelding:xsd::arkivmelding", typeVersion: "2.0", type: "arkivmelding", instanceIdentifier: "11111111-1111-4111-8111-111111111111", creationDateAndTime: "2026-12-03T10:00:00+01:00" },
        businessScope: { scope: [{ type: "ConversationId", instanceIdentifier: "22222222-2222-4222-8222-222222222222", identifier: "urn:no:difi:profile:arkivmelding:administrasjon:ver1.0", scopeInformation: [{ expectedResponseDateTime: "2026-12-04T10:00:00+01:00" }] }] },
      },
      arkivmelding: { sikkerhetsnivaa: 3, hoveddokument: "a.pdf", ...(forsendelseType ? { dpf: { forsendelseType } } : {}) },
    },
    { clock },
  );

describe("DPF validation context", () => {
  const asked: string[] = [];
  const svarUt = { forsendelsestyper: async (a: { kontoId: string }) => (asked.push(a.kontoId), ["byggesak"]) } as unknown as SvarUtClient;
  const context = dpfValidationContext({ svarUt, accountOf: (o) => (o === "991825827" ? { orgnr: "991825827", kontoId: "k-991825827", integrasjonId: "i", integrasjonPassord: "p" } : undefined), orgs: ["991825827", "810969342"] });
  const validate = async (s: ReturnType<typeof sbd>, own: string) => validateOutgoing(s, { channel: "DPF", enabledChannels: ["DPF"], clock, dpf: await context(s, own) });

  it("lets a sender with an account through, and asks SvarUt for its types only when the message names one", async () => {
    await validate(sbd("991825827"), "991825827");
    expect(asked).to.deep.equal([]);
    await validate(sbd("991825827", "byggesak"), "991825827");
    expect(asked).to.deep.equal(["k-991825827"]);
  });

  it("refuses an unknown type, and a sender without SvarUt credentials, in the integrasjonspunkt's words", async () => {
    const unknown = await validate(sbd("991825827", "ukjent"), "991825827").then(() => undefined, (e: unknown) => e);
    expect([unknown instanceof ForsendelseTypeNotFoundError, (unknown as Error).message]).to.deep.equal([true, "Found forsendelseType ukjent, but valid types are byggesak"]);
    for (const p of [validate(sbd("810969342"), "810969342"), context(sbd("810969342", "byggesak"), "810969342")]) {
      const e = await p.then(() => undefined, (err: unknown) => err);
      expect([e instanceof MissingSvarUtCredentialsError, (e as Error).message]).to.deep.equal([true, "SvarUt credentials not configured for orgnr 810969342"]);
    }
  });
});
