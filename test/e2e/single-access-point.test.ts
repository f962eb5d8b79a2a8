import { readFileSync } from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { expect } from "chai";
import { BusinessSystem } from "../../src/client/business-system.js";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { keyStoreFromPem } from "../../src/pki/keystore.js";
import { loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { tinyPdf } from "../../scripts/lib/tiny-pdf.js";
import { CERTS } from "../helpers/certs.js";
import { DpiNetwork, eventually, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";

/**
 * The sandbox's shape: one access point serving senders and providers alike, so a letter goes over AS4 to
 * itself, the example providers poll it, and their receipts travel back the same way. The business system is
 * the reusable client the demo uses: JWT grant, ASiC-E with XAdES, CMS, signed forretningsmelding.
 */
describe("e2e: one access point as corner 2 and corner 3, with the example providers", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let system: BusinessSystem;

  before(async () => {
    net = await DpiNetwork.start();
    const ap = await net.corner({ name: "both", seat: "POP000001", served: [...SENDERS, ...PROVIDERS], receives: "both" });
    await net.sandbox.startProviders(ap.url, { pollIntervalMs: 100, behaviour: { openDelayMs: 200, printDelayMs: 200 } });
    const orgno = "991825827";
    const keys = keyStoreFromPem({
      key: readFileSync(path.join(CERTS, `business/${orgno}.key.pem`)),
      certificate: readFileSync(path.join(CERTS, `business/${orgno}.pem`)),
      chain: readFileSync(path.join(CERTS, "business/intermediate-ca.pem")),
    });
    system = new BusinessSystem({
      accessPointUrl: ap.url,
      grant: createGrantClient({ ...(await loadExampleSigner(orgno)), audience: net.sandbox.maskinporten.issuer, tokenEndpoint: net.sandbox.maskinporten.tokenUrl }),
      signer: { privateKey: keys.privateKey, certificate: keys.certificate, chain: keys.chain },
      sender: `0192:${orgno}`,
      kanal: "single",
    });
  });
  after(async () => {
    await net?.close();
  });

  const cert = (orgno: string) => new X509Certificate(readFileSync(path.join(CERTS, `business/${orgno}.pem`)));
  const statuses = async (conversationId: string, until: string) =>
    eventually(until, async () => {
      const events = await system.timeline(conversationId);
      return events.some((e) => e.status === until) ? events.map((e) => e.status) : undefined;
    });

  it("a digital letter asking for aapningskvittering ends LEVERT and LEST", async () => {
    const sent = await system.sendDigital({
      receiver: "0192:984661185",
      recipientCertificate: cert("984661185"),
      postkasseadresse: "ola.nordmann#9YDT",
      ikkesensitivtittel: "Vedtak",
      spraak: "no",
      sikkerhetsnivaa: 4,
      aapningskvittering: true,
      document: { name: "vedtak.pdf", mimeType: "application/pdf", bytes: tinyPdf("Hei"), title: "Vedtak" },
    });
    expect(await statuses(sent.conversationId, "LEST")).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT", "LEST"]);
  });

  it("a print letter is LEVERT by the print provider's mottakskvittering", async () => {
    const address = { navn: "Kari Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" };
    const sent = await system.sendPrint({
      receiver: "0192:974761076",
      recipientCertificate: cert("974761076"),
      mottaker: address,
      retur: { mottaker: address, returposthaandtering: "DIREKTE_RETUR" },
      utskriftstype: "FARGE",
      document: { name: "brev.pdf", mimeType: "application/pdf", bytes: tinyPdf("Hei"), title: "Brev" },
    });
    const events = await statuses(sent.conversationId, "LEVERT");
    expect(events.slice(0, 3)).to.deep.equal(["OPPRETTET", "SENDT", "LEVERT"]);
  });
});
