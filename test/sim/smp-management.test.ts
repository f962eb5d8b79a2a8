import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { dpiDocumentTypeId, dpiProcessId, encodeIdentifierForUrl, formatIdentifier, norwegianParticipantId } from "../../src/peppol/identifiers.js";
import { DPI_PROCESS_IDS } from "../../src/dpi/document-types.js";
import { verifySmpSignature } from "../../src/peppol/smp-signature.js";
import { SmpManagementClient, SmpManagementError, serviceGroupXml, serviceMetadataXml } from "../../src/peppol/smp-management.js";
import { parseServiceGroup, parseSignedServiceMetadata } from "../../src/peppol/smp-xml.js";
import { startSmpSim, type SmpSim } from "../../src/sim/smp/index.js";
import type { ParticipantId } from "../../src/peppol/identifiers.js";
import { CERTS } from "../helpers/certs.js";

const read = (rel: string) => readFileSync(path.join(CERTS, rel), "utf8");
const smp1 = { privateKey: createPrivateKey(read("smp/SMP000001.key.pem")), certificate: new X509Certificate(read("smp/SMP000001.pem")) };
const apCert = new X509Certificate(read("ap/POP000001.pem"));
const trust = { anchors: [new X509Certificate(read("smp/root-ca.pem"))], intermediates: [new X509Certificate(read("smp/intermediate-ca.pem"))], at: new Date("2026-01-15T12:00:00Z") };

const sender = norwegianParticipantId("991825827");
const receipt = dpiDocumentTypeId("leveringskvittering");
const processes = [dpiProcessId(DPI_PROCESS_IDS.digital), dpiProcessId(DPI_PROCESS_IDS.utskrift)];
const endpoint = { endpointUrl: "https://c2.example/as4", certificate: apCert };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("sim/smp management API (phoss-SMP's REST shape)", () => {
  let sim: SmpSim;
  let sml: { registered: string[]; removed: string[]; fail: boolean };
  const groupUrl = (p: ParticipantId = sender) => `${sim.url}/${encodeIdentifierForUrl(p)}`;
  const metadataUrl = (p: ParticipantId = sender) => `${groupUrl(p)}/services/${encodeIdentifierForUrl(receipt)}`;
  const alice = () => new SmpManagementClient({ baseUrl: sim.url, user: "alice", password: "alice-pw" });

  beforeEach(async () => {
    sml = { registered: [], removed: [], fail: false };
    sim = await startSmpSim({
      signer: smp1,
      users: { alice: "alice-pw", bob: "bob-pw" },
      sml: {
        registerParticipant: (p) => {
          if (sml.fail) throw new Error("SML refused");
          sml.registered.push(formatIdentifier(p));
        },
        unregisterParticipant: (p) => void sml.removed.push(formatIdentifier(p)),
      },
    });
  });
  afterEach(() => sim.close());

  it("creates a group (registering it in the SML), takes metadata, and serves it signed by the SMP", async () => {
    await alice().putServiceGroup(sender);
    expect(sml.registered).to.deep.equal(["iso6523-actorid-upis::0192:991825827"]);
    await alice().putServiceMetadata(sender, receipt, processes, endpoint);

    const group = parseServiceGroup(await (await fetch(groupUrl())).text());
    expect(group.references.map((r) => r.documentType && `${r.documentType.scheme}::${r.documentType.value}`)).to.deep.equal([formatIdentifier(receipt)]);
    const signed = await (await fetch(metadataUrl())).text();
    const verified = verifySmpSignature(signed, trust);
    expect(verified.signerCertificate.fingerprint256).to.equal(smp1.certificate.fingerprint256);
    const metadata = parseSignedServiceMetadata(signed);
    if (metadata.kind !== "service-information") throw new Error("expected service information");
    expect(metadata.serviceInformation.processes.map((p) => p.process.value)).to.deep.equal([DPI_PROCESS_IDS.digital, DPI_PROCESS_IDS.utskrift]);
    expect(metadata.serviceInformation.processes[0]!.endpoints[0]!.address).to.equal("https://c2.example/as4");
    expect(metadata.serviceInformation.processes[0]!.endpoints[0]!.certificate.fingerprint256).to.equal(apCert.fingerprint256);
  });

  it("PUT of a group twice by its owner is one group; PUT of metadata replaces that document type's endpoints", async () => {
    await alice().putServiceGroup(sender);
    await alice().putServiceGroup(sender);
    await alice().putServiceMetadata(sender, receipt, processes, endpoint);
    await alice().putServiceMetadata(sender, receipt, processes.slice(0, 1), { ...endpoint, endpointUrl: "https://c2.example/as4-new" });
    expect(sml.registered).to.have.length(1);
    const metadata = parseSignedServiceMetadata(await (await fetch(metadataUrl())).text());
    if (metadata.kind !== "service-information") throw new Error("expected service information");
    expect(metadata.serviceInformation.processes.map((p) => p.endpoints.map((e) => e.address))).to.deep.equal([["https://c2.example/as4-new"]]);
  });

  it("refuses as phoss does: no or bad credentials 403, another owner's group 403", async () => {
    const put = (authorization?: string) =>
      fetch(groupUrl(), { method: "PUT", body: serviceGroupXml(sender), headers: authorization ? { authorization } : {} });
    expect((await put()).status).to.equal(403);
    expect((await put("Bearer")).status).to.equal(403);
    expect((await put(basic("alice", "wrong"))).status).to.equal(403);
    expect((await put(basic("mallory", "alice-pw"))).status).to.equal(403);
    expect((await put(basic("alice", "alice-pw"))).status).to.equal(200);
    expect((await put(basic("bob", "bob-pw"))).status).to.equal(403);
    const bobMeta = await fetch(metadataUrl(), { method: "PUT", body: serviceMetadataXml(sender, receipt, processes, endpoint), headers: { authorization: basic("bob", "bob-pw") } });
    expect(bobMeta.status).to.equal(403);
    expect((await fetch(groupUrl(), { method: "DELETE", headers: { authorization: basic("bob", "bob-pw") } })).status).to.equal(403);
    expect(sml.registered).to.have.length(1);
  });

  it("metadata for a group that does not exist is 404; malformed or inconsistent XML is 400", async () => {
    const auth = { authorization: basic("alice", "alice-pw") };
    const meta = (body: string) => fetch(metadataUrl(), { method: "PUT", body, headers: auth });
    expect((await meta(serviceMetadataXml(sender, receipt, processes, endpoint))).status).to.equal(404);
    expect((await fetch(groupUrl(), { method: "PUT", body: "<ServiceGroup", headers: auth })).status).to.equal(400);
    expect((await fetch(groupUrl(), { method: "PUT", body: serviceGroupXml(norwegianParticipantId("810969342")), headers: auth })).status).to.equal(400);
    expect((await fetch(groupUrl(), { method: "PUT", body: '<!DOCTYPE x [<!ENTITY e "x">]><x/>', headers: auth })).status).to.equal(400);
    await alice().putServiceGroup(sender);
    expect((await meta("not xml")).status).to.equal(400);
    expect((await meta(serviceMetadataXml(norwegianParticipantId("810969342"), receipt, processes, endpoint))).status).to.equal(400);
    expect((await meta(serviceMetadataXml(sender, dpiDocumentTypeId("feil"), processes, endpoint))).status).to.equal(400);
    expect((await fetch(`${sim.url}/not-an-identifier`, { method: "PUT", body: serviceGroupXml(sender), headers: auth })).status).to.equal(400);
  });

  it("a refused SML registration leaves no group (500)", async () => {
    sml.fail = true;
    const error = await alice().putServiceGroup(sender).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SmpManagementError);
    expect((error as SmpManagementError).httpStatus).to.equal(500);
    expect((await fetch(groupUrl())).status).to.equal(404);
  });

  it("DELETE removes metadata, then the group and its SML record; deleting again is absent", async () => {
    await alice().putServiceGroup(sender);
    await alice().putServiceMetadata(sender, receipt, processes, endpoint);
    expect(await alice().deleteServiceMetadata(sender, receipt)).to.equal("deleted");
    expect((await fetch(metadataUrl())).status).to.equal(404);
    expect(await alice().deleteServiceMetadata(sender, receipt)).to.equal("absent");
    expect(await alice().deleteServiceGroup(sender)).to.equal("deleted");
    expect(sml.removed).to.deep.equal(["iso6523-actorid-upis::0192:991825827"]);
    expect((await fetch(groupUrl())).status).to.equal(404);
    expect(await alice().deleteServiceGroup(sender)).to.equal("absent");
  });
});
