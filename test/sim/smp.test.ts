import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { formatIdentifier, norwegianParticipantId, parseDocumentTypeId } from "../../src/peppol/identifiers.js";
import { verifySmpSignature } from "../../src/peppol/smp-signature.js";
import { parseServiceGroup, parseSignedServiceMetadata } from "../../src/peppol/smp-xml.js";
import { loadRegistrations, startSmpSim } from "../../src/sim/smp/index.js";
import type { SmpSim, SmpSimService } from "../../src/sim/smp/index.js";
import { CERTS } from "../helpers/certs.js";

const read = (rel: string) => readFileSync(path.join(CERTS, rel), "utf8");
const smp1 = { privateKey: createPrivateKey(read("smp/SMP000001.key.pem")), certificate: new X509Certificate(read("smp/SMP000001.pem")) };
const trust = {
  anchors: [new X509Certificate(read("smp/root-ca.pem"))],
  intermediates: [new X509Certificate(read("smp/intermediate-ca.pem"))],
  at: new Date("2026-01-15T12:00:00Z"),
};

const participant = "iso6523-actorid-upis::0192:984661185";
const slashDoc = "busdox-docid-qns::urn:example:a/b::Doc##urn:example:c d::1.0";
const digitalDoc =
  "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0";

function service(documentType: string, overrides: Partial<SmpSimService> = {}): SmpSimService {
  return {
    documentType,
    process: "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
    endpointUrl: "https://c3.example/as4",
    certificatePem: read("ap/POP000002.pem"),
    ...overrides,
  };
}

const enc = encodeURIComponent;

describe("sim/smp (busdox SMP 1.x on 127.0.0.1)", () => {
  let sim: SmpSim;

  beforeEach(async () => {
    sim = await startSmpSim({ signer: smp1, registrations: { [participant]: [service(digitalDoc), service(slashDoc)] } });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("serves a ServiceGroup whose hrefs lead to signed metadata that verifies", async () => {
    const response = await fetch(`${sim.url}/${enc(participant)}`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/xml/);
    const group = parseServiceGroup(await response.text());
    expect(group.references.map((r) => r.documentType && formatIdentifier({ kind: "document-type", ...r.documentType }))).to.deep.equal([
      digitalDoc,
      slashDoc,
    ]);
    for (const ref of group.references) {
      const metadata = await fetch(ref.href);
      expect(metadata.status, ref.href).to.equal(200);
      const verified = verifySmpSignature(new Uint8Array(await metadata.arrayBuffer()), trust);
      const parsed = parseSignedServiceMetadata(verified.document);
      expect(parsed.kind).to.equal("service-information");
    }
  });

  it("decodes each path segment on its own (an encoded / stays in the identifier; %3a works too)", async () => {
    const encoded = `${sim.url}/${enc(participant)}/services/${enc(slashDoc)}`;
    expect(enc(slashDoc)).to.include("%2F");
    expect((await fetch(encoded)).status).to.equal(200);
    expect((await fetch(encoded.replace(/%3A/g, "%3a"))).status).to.equal(200);
    const rawSlash = `${sim.url}/${enc(participant)}/services/${enc(slashDoc).replace("%2F", "/")}`;
    expect((await fetch(rawSlash)).status).to.equal(404);
  });

  it("answers 404 for unknown participants and document types, 400 for broken encoding, 405 for POST", async () => {
    expect((await fetch(`${sim.url}/${enc("iso6523-actorid-upis::0192:000000000")}`)).status).to.equal(404);
    expect((await fetch(`${sim.url}/${enc(participant)}/services/${enc("busdox-docid-qns::urn:none")}`)).status).to.equal(404);
    expect((await fetch(`${sim.url}/${enc(participant)}/other/${enc(digitalDoc)}`)).status).to.equal(404);
    expect((await fetch(`${sim.url}/%E0%A4%A`)).status).to.equal(400);
    expect((await fetch(`${sim.url}/${enc(participant)}`, { method: "POST" })).status).to.equal(405);
    expect(sim.stats().notFound).to.equal(3);
  });

  it("matches participants case-insensitively and document types exactly", async () => {
    expect((await fetch(`${sim.url}/${enc(participant.toUpperCase())}`)).status).to.equal(200);
    const upper = digitalDoc.replace("::innbyggerpost##", "::Innbyggerpost##");
    expect((await fetch(`${sim.url}/${enc(participant)}/services/${enc(upper)}`)).status).to.equal(404);
  });

  it("adds and removes registrations at runtime", async () => {
    const other = formatIdentifier(norwegianParticipantId("922020175"));
    const url = `${sim.url}/${enc(other)}/services/${enc(digitalDoc)}`;
    expect((await fetch(url)).status).to.equal(404);
    sim.register(other, service(digitalDoc));
    expect((await fetch(url)).status).to.equal(200);
    expect(sim.unregister(other, slashDoc)).to.equal(false);
    expect(sim.unregister(other, digitalDoc)).to.equal(true);
    expect((await fetch(url)).status).to.equal(404);
    expect(sim.unregister(participant)).to.equal(true);
    expect((await fetch(`${sim.url}/${enc(participant)}`)).status).to.equal(404);
  });

  it("refuses registrations outside the identifier policy or with unreadable certificates", () => {
    expect(() => sim.register("iso6523-actorid-upis::0192:984661185", service("no-separator"))).to.throw();
    expect(() => sim.register("iso6523-actorid-upis::0192:984661185", service(digitalDoc, { certificatePem: "junk" }))).to.throw(/certificate/);
    expect(() => sim.register("not an id", service(digitalDoc))).to.throw();
  });

  it("serves a Redirect entry as a signed Redirect", async () => {
    const other = formatIdentifier(norwegianParticipantId("974761076"));
    sim.register(other, { documentType: digitalDoc, redirect: { href: "https://smp2.example/x/services/y", certificateUid: "CN=SMP000002,C=NO" } });
    const response = await fetch(`${sim.url}/${enc(other)}/services/${enc(digitalDoc)}`);
    const verified = verifySmpSignature(new Uint8Array(await response.arrayBuffer()), trust);
    expect(parseSignedServiceMetadata(verified.document)).to.deep.equal({
      kind: "redirect",
      redirect: { href: "https://smp2.example/x/services/y", certificateUid: "CN=SMP000002,C=NO" },
    });
  });

  it("serves under a base path", async () => {
    const based = await startSmpSim({ signer: smp1, basePath: "/smp/", registrations: { [participant]: [service(digitalDoc)] } });
    try {
      expect(based.url).to.match(/\/smp$/);
      expect((await fetch(`${based.url}/${enc(participant)}`)).status).to.equal(200);
      expect((await fetch(`${based.url.replace(/\/smp$/, "")}/${enc(participant)}`)).status).to.equal(404);
      const group = parseServiceGroup(await (await fetch(`${based.url}/${enc(participant)}`)).text());
      expect(group.references[0]!.href.startsWith(`${based.url}/`)).to.equal(true);
    } finally {
      await based.close();
    }
  });

  describe("loadRegistrations", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), "smp-reg-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("reads the documented JSON format with certificate files relative to it", async () => {
      writeFileSync(path.join(dir, "ap.pem"), read("ap/POP000001.pem"));
      const file = path.join(dir, "registrations.json");
      writeFileSync(
        file,
        JSON.stringify({
          participants: {
            [participant]: [
              {
                documentType: digitalDoc,
                process: "cenbii-procid-ubl::urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0",
                endpointUrl: "https://c3.example/as4",
                certificateFile: "ap.pem",
                activation: "2025-01-01T00:00:00Z",
              },
              { documentType: slashDoc, redirect: { href: "https://smp2.example/a", certificateUid: "CN=SMP000002" } },
            ],
          },
        }),
      );
      const registrations = await loadRegistrations(file);
      const entries = registrations[participant]!;
      expect(entries).to.have.length(2);
      expect((entries[0] as SmpSimService).certificatePem).to.include("BEGIN CERTIFICATE");
      const fromFile = await startSmpSim({ signer: smp1, registrations });
      try {
        const res = await fetch(`${fromFile.url}/${enc(participant)}/services/${enc(digitalDoc)}`);
        const parsed = parseSignedServiceMetadata(verifySmpSignature(new Uint8Array(await res.arrayBuffer()), trust).document);
        if (parsed.kind !== "service-information") throw new Error("expected ServiceInformation");
        const endpoint = parsed.serviceInformation.processes[0]!.endpoints[0]!;
        expect(endpoint.certificate.subject).to.include("POP000001");
        expect(endpoint.serviceActivationDate?.toISOString()).to.equal("2025-01-01T00:00:00.000Z");
        expect(parseDocumentTypeId(digitalDoc).value).to.equal(parsed.serviceInformation.documentType.value);
      } finally {
        await fromFile.close();
      }
    });

    it("rejects entries with both or neither certificate field, unknown keys and bad identifiers", async () => {
      const write = (entry: object, key = participant) => {
        const file = path.join(dir, "r.json");
        writeFileSync(file, JSON.stringify({ participants: { [key]: [entry] } }));
        return file;
      };
      const base = { documentType: digitalDoc, process: "cenbii-procid-ubl::urn:p", endpointUrl: "https://c3.example/as4" };
      const pem = read("ap/POP000001.pem");
      for (const [what, file] of [
        ["neither certificate", write(base)],
        ["both certificates", write({ ...base, certificatePem: pem, certificateFile: "x.pem" })],
        ["unknown key", write({ ...base, certificatePem: pem, colour: "blue" })],
        ["bad participant", write({ ...base, certificatePem: pem }, "0192:984661185")],
        ["bad date", write({ ...base, certificatePem: pem, expiration: "tomorrow" })],
      ] as const) {
        let failed = false;
        try {
          await loadRegistrations(file);
        } catch {
          failed = true;
        }
        expect(failed, what).to.equal(true);
      }
      // The base entry with a certificate loads, so each failure above is about its one change.
      expect(await loadRegistrations(write({ ...base, certificatePem: pem }))).to.have.property(participant);
    });
  });
});
