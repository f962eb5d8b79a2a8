import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { decodeJwt } from "jose";
import { BusinessSystem, type CitizenLetter } from "../../src/client/business-system.js";
import { KrrClient, KrrLookupError } from "../../src/client/krr-client.js";
import { decryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { createGrantClient } from "../../src/maskinporten/grant-client.js";
import { keyStoreFromPem } from "../../src/pki/keystore.js";
import { loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { KRR_SANDBOX } from "../../src/sim/krr/index.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { tinyPdf } from "../../scripts/lib/tiny-pdf.js";
import { businessSigner, CERTS } from "../helpers/certs.js";
import { DpiNetwork, eventually, getJson, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";

const AVSENDER = "910076787";
const P = KRR_SANDBOX.persons;

/** The letter a business system writes once; KRR decides whether it goes digital or on paper. */
const letter = (personidentifikator: string): CitizenLetter => ({
  personidentifikator,
  digital: { ikkesensitivtittel: "Vedtak", spraak: "NO", sikkerhetsnivaa: 3 },
  print: {
    mottaker: { navn: "Kari Nordmann", adresselinje1: "Storgata 1", postnummer: "0155", poststed: "Oslo" },
    retur: { mottaker: { navn: "Etaten", adresselinje1: "Postboks 1", postnummer: "0101", poststed: "Oslo" }, returposthaandtering: "DIREKTE_RETUR" },
    utskriftstype: "SORT_HVIT",
  },
  document: { name: "vedtak.pdf", mimeType: "application/pdf", bytes: tinyPdf(`Til ${personidentifikator}`), title: "Vedtak" },
});

describe("e2e: the business system looks the citizen up in KRR, then sends digital or print", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;
  let system: BusinessSystem;
  let krr: KrrClient;

  /** The letter as the provider fetches it at corner 3: its forretningsmelding and the package it decrypts. */
  const atProvider = async (provider: string, messageId: string) => {
    const token = await net.token(provider);
    const item = await eventually(`the letter at ${provider}`, async () => {
      const r = await getJson(c3, "/messages/in", token);
      return (r.body as { forretningsmelding: string; downloadurl: string }[] | undefined)?.find(
        (i) => (decodeJwt(i.forretningsmelding) as any).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier === messageId,
      );
    });
    const cms = new Uint8Array(await (await fetch(item.downloadurl, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
    const { privateKey, certificate } = businessSigner(provider);
    await decryptDokumentpakke(cms, privateKey, certificate); // throws unless encrypted to this provider's certificate
    return (decodeJwt(item.forretningsmelding) as any).standardBusinessDocument;
  };

  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
    const grant = createGrantClient({ ...(await loadExampleSigner(AVSENDER)), audience: net.sandbox.maskinporten.issuer, tokenEndpoint: net.sandbox.maskinporten.tokenUrl });
    const keys = keyStoreFromPem({
      key: readFileSync(path.join(CERTS, `business/${AVSENDER}.key.pem`)),
      certificate: readFileSync(path.join(CERTS, `business/${AVSENDER}.pem`)),
      chain: readFileSync(path.join(CERTS, "business/intermediate-ca.pem")),
    });
    system = new BusinessSystem({ accessPointUrl: c2.url, grant, signer: { privateKey: keys.privateKey, certificate: keys.certificate, chain: keys.chain }, sender: `0192:${AVSENDER}` });
    krr = new KrrClient({ url: net.sandbox.krr.url, grant });
  });
  after(async () => {
    await net?.close();
  });

  it("a citizen with a postbox gets a digital letter at the provider KRR names, encrypted to KRR's certificate", async () => {
    const sent = await system.sendToCitizen(letter(P.eboks), krr);
    expect({ kind: sent.route.kind, provider: sent.route.kind === "digital" ? sent.route.provider : undefined }).to.deep.equal({ kind: "digital", provider: "922020175" });
    const sbd = await atProvider("922020175", sent.messageId);
    expect(sbd.standardBusinessDocumentHeader.receiver[0].identifier.value).to.equal("0192:922020175");
    expect(sbd.digital.mottaker.postkasseadresse).to.equal("0201809057301");
  });

  it("a reserved citizen, one without a postbox and one KRR does not know get a print letter to KRR's print provider", async () => {
    for (const [fnr, reason, status] of [
      [P.reserved, "reserved", "AKTIV"],
      [P.noPostbox, "no-postbox", "AKTIV"],
      ["01010112345", "not-active", "IKKE_REGISTRERT"],
    ] as const) {
      const sent = await system.sendToCitizen(letter(fnr), krr);
      expect(sent.route, fnr).to.deep.equal({ kind: "print", personidentifikator: fnr, reason, status });
      const sbd = await atProvider("974761076", sent.messageId);
      expect([sbd.standardBusinessDocumentHeader.receiver[0].identifier.value, sbd.utskrift.mottaker.navn], fnr).to.deep.equal(["0192:974761076", "Kari Nordmann"]);
    }
  });

  it("a citizen KRR has deleted (SLETTET) goes to print even with a postbox on record", async () => {
    net.sandbox.krr.state.addPerson({ fnr: "12345678901", status: "SLETTET", postbox: { provider: "984661185", address: "gone#1", certificate: businessSigner("984661185").certificate } });
    expect(await krr.route("12345678901")).to.deep.equal({ kind: "print", personidentifikator: "12345678901", reason: "not-active", status: "SLETTET" });
  });

  it("sends nothing when KRR refuses the lookup (a token without the KRR scopes)", async () => {
    const narrow = new KrrClient({ url: net.sandbox.krr.url, grant: createGrantClient({ ...(await loadExampleSigner(AVSENDER)), audience: net.sandbox.maskinporten.issuer, tokenEndpoint: net.sandbox.maskinporten.tokenUrl }), scopes: ["digitalpostinnbygger:send"] });
    const error = await system.sendToCitizen(letter(P.digipost), narrow).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(KrrLookupError);
    expect((error as KrrLookupError).status).to.equal(403);
  });
});
