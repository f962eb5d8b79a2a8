import { expect } from "chai";
import { channelAccessPointEnv, channelPlan, CHANNEL_PLANS, isSettled, messageProgress, webhookFilter, type ChannelEndpoints } from "../../src/bench/channels.js";
import { accessPointEnv } from "../../src/bench/access-point-process.js";
import { loadConfig } from "../../src/config.js";
import { CERTS } from "../helpers/certs.js";

const seen = (entries: [string, number][]) => new Map(entries);

describe("bench: eFormidling channels, when a message counts as delivered", () => {
  it("DPO: delivered at MOTTATT, final at LEVERT (the receiving archive system took it), failed at FEIL", () => {
    const rule = channelPlan("dpo").rule;
    expect(messageProgress(rule, seen([]))).to.deep.equal({});
    expect(messageProgress(rule, seen([["SENDT", 5]]))).to.deep.equal({});
    expect(messageProgress(rule, seen([["MOTTATT", 10]]))).to.deep.equal({ deliveredAt: 10 });
    expect(messageProgress(rule, seen([["MOTTATT", 10], ["LEVERT", 30]]))).to.deep.equal({ deliveredAt: 10, finalAt: 30 });
    // LEVERT pushed before MOTTATT (the two webhook deliveries raced): delivered is the earliest of the two.
    expect(messageProgress(rule, seen([["LEVERT", 12], ["MOTTATT", 14]]))).to.deep.equal({ deliveredAt: 12, finalAt: 12 });
    // An error receipt after MOTTATT: the message failed, whatever it saw before.
    expect(messageProgress(rule, seen([["MOTTATT", 10], ["FEIL", 40]]))).to.deep.equal({ deliveredAt: 10, failed: { status: "FEIL", at: 40 } });
  });

  it("DPE: delivered at MOTTATT, final at LEVERT (terminal on DPE)", () => {
    const rule = channelPlan("dpe").rule;
    expect(messageProgress(rule, seen([["MOTTATT", 7]]))).to.deep.equal({ deliveredAt: 7 });
    expect(messageProgress(rule, seen([["MOTTATT", 7], ["LEVERT", 9]]))).to.deep.equal({ deliveredAt: 7, finalAt: 9 });
    expect(messageProgress(rule, seen([["LEVETID_UTLOPT", 50]]))).to.deep.equal({ failed: { status: "LEVETID_UTLOPT", at: 50 } });
  });

  it("DPV: delivered when Altinn published it (LEVERT), final when read (LEST); ANNET (purged, gone) fails", () => {
    const rule = channelPlan("dpv").rule;
    expect(messageProgress(rule, seen([["LEVERT", 3]]))).to.deep.equal({ deliveredAt: 3 });
    expect(messageProgress(rule, seen([["LEVERT", 3], ["LEST", 3]]))).to.deep.equal({ deliveredAt: 3, finalAt: 3 });
    expect(messageProgress(rule, seen([["ANNET", 8]]))).to.deep.equal({ failed: { status: "ANNET", at: 8 } });
  });

  it("DPF: delivered at LEVERT (SvarUt's KLAR_FOR_MOTTAK) or LEST when polling saw LEST first; final at LEST", () => {
    const rule = channelPlan("dpf").rule;
    expect(messageProgress(rule, seen([["LEVERT", 4]]))).to.deep.equal({ deliveredAt: 4 });
    expect(messageProgress(rule, seen([["LEST", 6]]))).to.deep.equal({ deliveredAt: 6, finalAt: 6 });
    // SvarUt's AVVIST is FEIL in the integrasjonspunkt's words.
    expect(messageProgress(rule, seen([["FEIL", 2]]))).to.deep.equal({ failed: { status: "FEIL", at: 2 } });
  });

  it("a message is settled once final or failed, not when only delivered", () => {
    expect(isSettled({})).to.equal(false);
    expect(isSettled({ deliveredAt: 1 })).to.equal(false);
    expect(isSettled({ deliveredAt: 1, finalAt: 2 })).to.equal(true);
    expect(isSettled({ failed: { status: "FEIL", at: 3 } })).to.equal(true);
  });

  it("subscribes to exactly the statuses its rule looks at, outgoing, of its channel", () => {
    expect(webhookFilter(channelPlan("dpo"))).to.equal("status=MOTTATT,LEVERT,LEST,FEIL,LEVETID_UTLOPT&direction=OUTGOING&serviceIdentifier=DPO");
    expect(webhookFilter(channelPlan("dpe"))).to.equal("status=MOTTATT,LEVERT,FEIL,LEVETID_UTLOPT&direction=OUTGOING&serviceIdentifier=DPE");
    expect(webhookFilter(channelPlan("dpv"))).to.equal("status=LEVERT,LEST,FEIL,LEVETID_UTLOPT,ANNET&direction=OUTGOING&serviceIdentifier=DPV");
    expect(webhookFilter(channelPlan("dpf"))).to.equal("status=LEVERT,LEST,FEIL,LEVETID_UTLOPT&direction=OUTGOING&serviceIdentifier=DPF");
  });

  it("sends to the Service Registry simulator's organisation of each channel; only DPO and DPE have a receiving corner", () => {
    expect(Object.values(CHANNEL_PLANS).map((p) => [p.serviceIdentifier, p.receiver, p.receivingCorner, p.documentType])).to.deep.equal([
      ["DPO", "910076787", true, "arkivmelding"],
      ["DPE", "810969342", true, "publisering"],
      ["DPV", "910075946", false, "arkivmelding"],
      ["DPF", "910075924", false, "arkivmelding"],
    ]);
  });
});

const SIMS: ChannelEndpoints = {
  serviceRegistryUrl: "http://127.0.0.1:42001",
  maskinportenTokenUrl: "http://127.0.0.1:42002/token",
  altinnTokenExchangeUrl: "http://127.0.0.1:42003/authentication/api/v1/exchange/maskinporten",
  brokerUrl: "http://127.0.0.1:42004/broker/api/v1",
  correspondenceUrl: "http://127.0.0.1:42005/correspondence/api/v1",
  svarUtUrl: "http://127.0.0.1:42006",
  serviceBusUrl: "http://127.0.0.1:42007",
};

/** A corner's whole environment in a channel run, as the bench starts it. */
function cornerConfig(channel: "dpo" | "dpe" | "dpv" | "dpf", corner: "corner 2" | "corner 3", orgno: string) {
  return loadConfig(
    accessPointEnv({
      name: corner,
      seat: corner === "corner 2" ? "POP000001" : "POP000002",
      port: 40200,
      dir: "/tmp/bench-ch",
      served: [`0192:${orgno}`],
      endpoints: { maskinportenIssuer: "http://127.0.0.1:42002/", maskinportenJwksUrl: "http://127.0.0.1:42002/jwk", pkiUrl: "http://127.0.0.1:42008/", smlZone: "sml.test", dnsServer: "127.0.0.1:42009" },
      certsDir: CERTS,
      logLevel: "warn",
      outboxPollMs: 100,
      extraEnv: channelAccessPointEnv(channelPlan(channel), corner, orgno, SIMS, CERTS),
    }),
  );
}

describe("bench: a channel run's access point settings", () => {
  it("DPO: the NextMove API for the corner's organisation alone, its own Maskinporten client, the broker polled every 200 ms", () => {
    const c = cornerConfig("dpo", "corner 2", "991825827");
    expect(c.nextMove).to.deep.include({ enabled: true, channels: ["DPO"], orgs: ["991825827"], keystoreDir: `${CERTS}/business`, keystorePassword: "changeit" });
    expect(c.nextMove.users.map((u) => u.name)).to.deep.equal(["arkiv"]);
    expect([...c.nextMove.clientIds]).to.deep.equal([["991825827", "dpi-ap-test-991825827"]]);
    expect(c.serviceRegistry.url).to.equal("http://127.0.0.1:42001");
    expect(c.serviceRegistry.maskinporten.tokenUrl).to.equal("http://127.0.0.1:42002/token");
    expect(c.dpo).to.deep.include({ brokerUrl: "http://127.0.0.1:42004/broker/api/v1", pollMs: 200 });
    expect(c.altinn.tokenExchangeUrl).to.equal(SIMS.altinnTokenExchangeUrl);
    expect(cornerConfig("dpo", "corner 3", "910076787").nextMove.orgs).to.deep.equal(["910076787"]);
  });

  it("DPE: eInnsyn's corner reads its data queue, the sender its innsyn queue (where eInnsyn's status messages go)", () => {
    const c2 = cornerConfig("dpe", "corner 2", "991825827");
    const c3 = cornerConfig("dpe", "corner 3", "810969342");
    expect([c2.nextMove.channels, c2.dpe.serviceBusUrl, c2.dpe.sasKeyName, c2.dpe.pollMs, c2.dpe.mode]).to.deep.equal([["DPE"], "http://127.0.0.1:42007", "MoveDPE-pilotPolicy", 200, "innsyn"]);
    expect(c3.dpe.mode).to.equal("data");
  });

  it("DPV and DPF: status polling every 100 ms, a message asked again every 200 ms; DPF with the sender's SvarUt account", () => {
    const dpv = cornerConfig("dpv", "corner 2", "991825827");
    expect([dpv.nextMove.channels, dpv.dpv.correspondenceUrl, dpv.statusPollMs, dpv.statusPollMinIntervalMs]).to.deep.equal([["DPV"], SIMS.correspondenceUrl, 100, 200]);
    const dpf = cornerConfig("dpf", "corner 2", "991825827");
    expect([dpf.nextMove.channels, dpf.dpf.svarUtUrl, dpf.statusPollMs, dpf.statusPollMinIntervalMs]).to.deep.equal([["DPF"], SIMS.svarUtUrl, 100, 200]);
    expect([...dpf.dpf.svarUtAccounts.values()]).to.deep.equal([
      { orgnr: "991825827", kontoId: "00000000-0000-4000-8000-991825827000", integrasjonId: "00000000-0000-4000-9000-991825827000", integrasjonPassord: "sandbox" },
    ]);
    expect(dpf.dpf.svarInnAccounts.size).to.equal(0);
  });
});
