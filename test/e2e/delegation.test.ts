import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { decodeJwt } from "jose";
import { BusinessSystem } from "../../src/client/business-system.js";
import { createGrantClient, GrantRequestError } from "../../src/maskinporten/grant-client.js";
import { keyStoreFromPem } from "../../src/pki/keystore.js";
import { ALTINN_DELEGATION_WRITE_SCOPE, loadExampleSigner } from "../../src/sim/maskinporten/defaults.js";
import { grantDelegation, revokeDelegation, SANDBOX_DPI_RESOURCE } from "../../src/sim/altinn-authorization/index.js";
import type { RunningAccessPoint } from "../../src/server.js";
import { tinyPdf } from "../../scripts/lib/tiny-pdf.js";
import { CERTS, certificate } from "../helpers/certs.js";
import { DpiNetwork, eventually, getJson, PROVIDERS, SENDERS } from "../helpers/dpi-network.js";

/** 991825827 (avsender) lets 810969342 (databehandler) send DPI for it, then takes it back. */
const AVSENDER = "991825827";
const DATABEHANDLER = "810969342";
const SCOPE = "digitalpostinnbygger:send";

describe("e2e: delegation in Altinn Autorisasjon decides whether a databehandler may send for an avsender", function () {
  this.timeout(60_000);
  let net: DpiNetwork;
  let c2: RunningAccessPoint;
  let c3: RunningAccessPoint;

  const grantClient = async (orgno: string) =>
    createGrantClient({ ...(await loadExampleSigner(orgno)), audience: net.sandbox.maskinporten.issuer, tokenEndpoint: net.sandbox.maskinporten.tokenUrl });
  /** The avsender's own call to Altinn, with its own Maskinporten token. */
  const delegation = async (action: typeof grantDelegation) => {
    const token = (await (await grantClient(AVSENDER)).getToken({ scope: ALTINN_DELEGATION_WRITE_SCOPE })).access_token;
    return action({ url: net.sandbox.altinnAuthorization.url, token, consumerOrg: AVSENDER, supplierOrg: DATABEHANDLER, resourceId: SANDBOX_DPI_RESOURCE });
  };
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => (e instanceof GrantRequestError ? { status: e.status, error: e.oauthError, description: e.description } : e),
    );

  before(async () => {
    net = await DpiNetwork.start();
    c2 = await net.corner({ name: "c2", seat: "POP000001", served: SENDERS, receives: "receipts" });
    c3 = await net.corner({ name: "c3", seat: "POP000002", served: PROVIDERS, receives: "letters" });
  });
  after(async () => {
    await net?.close();
  });

  it("the sandbox seeded its delegation (910076787 → 810969342) through Altinn's API", () => {
    expect(net.sandbox.altinnAuthorization.state.delegations().map((d) => [d.consumerOrg, d.supplierOrg, d.resourceId])).to.deep.equal([
      ["910076787", DATABEHANDLER, SANDBOX_DPI_RESOURCE],
    ]);
  });

  it("grant: the databehandler gets a delegated token and sends a letter for the avsender; revoke: its next token request is refused", async () => {
    const databehandler = await grantClient(DATABEHANDLER);
    const expectedRefusal = { status: 400, error: "invalid_scope", description: `Consumer ${AVSENDER} has not delegated ${SCOPE} to ${DATABEHANDLER}` };
    expect(await refusal(databehandler.requestToken({ scope: SCOPE, consumerOrg: AVSENDER })), "before the grant").to.deep.equal(expectedRefusal);

    expect((await delegation(grantDelegation)).status).to.equal(201);
    const token = (await databehandler.requestToken({ scope: SCOPE, consumerOrg: AVSENDER })).access_token;
    const claims = decodeJwt(token);
    expect([claims.consumer, claims.supplier]).to.deep.equal([
      { authority: "iso6523-actorid-upis", ID: `0192:${AVSENDER}` },
      { authority: "iso6523-actorid-upis", ID: `0192:${DATABEHANDLER}` },
    ]);

    // The databehandler's fagsystem signs with its own certificate and names the avsender.
    const keys = keyStoreFromPem({
      key: readFileSync(path.join(CERTS, `business/${DATABEHANDLER}.key.pem`)),
      certificate: readFileSync(path.join(CERTS, `business/${DATABEHANDLER}.pem`)),
      chain: readFileSync(path.join(CERTS, "business/intermediate-ca.pem")),
    });
    const system = new BusinessSystem({
      accessPointUrl: c2.url,
      grant: databehandler,
      signer: { privateKey: keys.privateKey, certificate: keys.certificate, chain: keys.chain },
      sender: `0192:${DATABEHANDLER}`,
      avsender: `0192:${AVSENDER}`,
    });
    const sent = await system.sendDigital({
      receiver: "0192:984661185",
      recipientCertificate: certificate("business/984661185.pem"),
      postkasseadresse: "test.testesen#1234",
      ikkesensitivtittel: "Sendt av databehandler",
      spraak: "NO",
      sikkerhetsnivaa: 3,
      document: { name: "brev.pdf", mimeType: "application/pdf", bytes: tinyPdf("På vegne av avsender"), title: "Brev" },
    });
    const providerToken = await net.token("984661185");
    const at3 = await eventually("the delegated letter at corner 3", async () => {
      const r = await getJson(c3, "/messages/in", providerToken);
      return (r.body as { forretningsmelding: string }[] | undefined)?.find(
        (i) => (decodeJwt(i.forretningsmelding) as any).standardBusinessDocument.standardBusinessDocumentHeader.documentIdentification.instanceIdentifier === sent.messageId,
      );
    });
    const sbd = (decodeJwt(at3.forretningsmelding) as any).standardBusinessDocument;
    expect([sbd.standardBusinessDocumentHeader.sender[0].identifier.value, sbd.digital.avsender.virksomhetsidentifikator.value]).to.deep.equal([
      `0192:${DATABEHANDLER}`,
      `0192:${AVSENDER}`,
    ]);

    expect((await delegation(revokeDelegation)).status).to.equal(204);
    expect(await refusal(databehandler.requestToken({ scope: SCOPE, consumerOrg: AVSENDER })), "after the revocation").to.deep.equal(expectedRefusal);
    // The databehandler still sends for the avsender that has not revoked (910076787).
    expect((await databehandler.requestToken({ scope: SCOPE, consumerOrg: "910076787" })).token_type).to.equal("Bearer");
  });
});
