import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import { loadIssued, makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { Issued } from "../../scripts/lib/cert-factory.js";
import { problemOf } from "../../src/api/problem-map.js";
import { fixedClock } from "../../src/clock.js";
import {
  dpiDocumentTypeId,
  dpiProcessIdForLetter,
  encodeIdentifierForUrl,
  formatIdentifier,
  norwegianParticipantId,
  parseParticipantId,
} from "../../src/peppol/identifiers.js";
import type { DocumentTypeId, ParticipantId } from "../../src/peppol/identifiers.js";
import { createSmpClient } from "../../src/peppol/smp-client.js";
import type { SmpClientOptions } from "../../src/peppol/smp-client.js";
import {
  SmpDocumentTypeNotSupportedError,
  SmpEndpointNotActiveError,
  SmpError,
  SmpHttpError,
  SmpIdentifierMismatchError,
  SmpNoAs4EndpointError,
  SmpParticipantNotRegisteredError,
  SmpProcessNotSupportedError,
  SmpRedirectCertificateMismatchError,
  SmpRedirectLoopError,
  SmpUntrustedCertificateError,
} from "../../src/peppol/smp-errors.js";
import { PEPPOL_AS4_TRANSPORT_PROFILE } from "../../src/peppol/smp-xml.js";
import { startSmpSim } from "../../src/sim/smp/index.js";
import type { SmpSim, SmpSimService } from "../../src/sim/smp/index.js";
import { CERTS } from "../helpers/certs.js";

const read = (rel: string) => readFileSync(path.join(CERTS, rel), "utf8");
const smpRoot = new X509Certificate(read("smp/root-ca.pem"));
const smpIntermediate = new X509Certificate(read("smp/intermediate-ca.pem"));
const apRoot = new X509Certificate(read("ap/root-ca.pem"));
const pop1 = read("ap/POP000001.pem");
const pop2 = read("ap/POP000002.pem");
const smp1 = { privateKey: createPrivateKey(read("smp/SMP000001.key.pem")), certificate: new X509Certificate(read("smp/SMP000001.pem")) };

const NOW = new Date("2026-01-15T12:00:00Z");
const digital = dpiDocumentTypeId("digital");
const digitalUpper = dpiDocumentTypeId("digital", "Innbyggerpost");
const utskrift = dpiDocumentTypeId("utskrift");
const digitalProcess = dpiProcessIdForLetter("digital");
const utskriftProcess = dpiProcessIdForLetter("utskrift");

let nextOrgno = 910000100;
const freshParticipant = (): ParticipantId => norwegianParticipantId(String(nextOrgno++));

function service(overrides: Partial<SmpSimService> = {}): SmpSimService {
  return {
    documentType: formatIdentifier(digital),
    process: formatIdentifier(digitalProcess),
    endpointUrl: "https://c3.example/as4",
    certificatePem: pop2,
    serviceDescription: "DPI C3",
    technicalContactUrl: "mailto:drift@c3.example",
    ...overrides,
  };
}

function metadataUrl(base: string, participant: ParticipantId, documentType: DocumentTypeId): string {
  return `${base}/${encodeIdentifierForUrl(participant)}/services/${encodeIdentifierForUrl(documentType)}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

async function startServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("peppol/smp-client against the SMP simulator over HTTP", () => {
  let sim: SmpSim;
  let smpIssuer: Issued;

  before(async () => {
    sim = await startSmpSim({ signer: smp1 });
    smpIssuer = loadIssued({ certPem: read("smp/intermediate-ca.pem"), keyPem: read("smp/intermediate-ca.key.pem") });
  });
  after(async () => {
    await sim.close();
  });

  const client = (overrides: Partial<SmpClientOptions> = {}) =>
    createSmpClient({ smpUrl: sim.url, anchors: [smpRoot], intermediates: [smpIntermediate], clock: fixedClock(NOW), ...overrides });

  describe("success", () => {
    it("reads the ServiceGroup", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), [service(), service({ documentType: formatIdentifier(utskrift), process: formatIdentifier(utskriftProcess) })]);
      const group = await client().getServiceGroup(p);
      expect(group.participant).to.deep.equal({ scheme: p.scheme, value: p.value });
      expect(group.references.map((r) => r.documentType?.value)).to.deep.equal([digital.value, utskrift.value]);
      expect(group.references[0]!.href).to.equal(metadataUrl(sim.url, p, digital));
    });

    it("finds the AS4 endpoint and the receiver's certificate", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service({ activation: "2025-01-01T00:00:00Z", expiration: "2030-01-01T00:00:00Z" }));
      const endpoint = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess });
      expect(endpoint.endpointUrl).to.equal("https://c3.example/as4");
      expect(endpoint.certificate.fingerprint256).to.equal(new X509Certificate(pop2).fingerprint256);
      expect(endpoint.transportProfile).to.equal(PEPPOL_AS4_TRANSPORT_PROFILE);
      expect(endpoint.documentType).to.deep.equal(digital);
      expect(endpoint.process).to.deep.equal(digitalProcess);
      expect(endpoint.participant).to.deep.equal(p);
      expect(endpoint.serviceDescription).to.equal("DPI C3");
      expect(endpoint.technicalContactUrl).to.equal("mailto:drift@c3.example");
      expect(endpoint.serviceActivationDate?.toISOString()).to.equal("2025-01-01T00:00:00.000Z");
      expect(endpoint.smpCertificate.fingerprint256).to.equal(smp1.certificate.fingerprint256);
    });

    it("keeps the SignedServiceMetadata it read, byte for byte, with its SHA-256, on the metadata and the endpoint", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const url = metadataUrl(sim.url, p, digital);
      const endpoint = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess });
      const asServed = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const d = endpoint.document!;
      expect([d.url, d.fetchedAt.toISOString(), d.sha256]).to.deep.equal([url, NOW.toISOString(), createHash("sha256").update(asServed).digest("hex")]);
      expect(Buffer.from(d.body).equals(Buffer.from(asServed))).to.equal(true);
      expect(Buffer.from(d.body).toString("utf8")).to.include("https://c3.example/as4");
    });

    it("takes the first endpoint that has the profile and is active", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), [
        service({ transportProfile: "busdox-transport-as2-ver1p0", endpointUrl: "https://as2.example/" }),
        service({ endpointUrl: "https://old.example/as4", expiration: "2025-12-31T00:00:00Z" }),
        service({ endpointUrl: "https://new.example/as4", activation: "2026-01-01T00:00:00Z", certificatePem: pop1 }),
        service({ endpointUrl: "https://later.example/as4" }),
      ]);
      const endpoint = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess });
      expect(endpoint.endpointUrl).to.equal("https://new.example/as4");
      expect(endpoint.certificate.subject).to.include("POP000001");
      // At another lookup time the choice follows the dates.
      const earlier = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess, at: new Date("2025-06-01T00:00:00Z") });
      expect(earlier.endpointUrl).to.equal("https://old.example/as4");
    });

    it("matches the participant case-insensitively", async () => {
      sim.register("iso6523-actorid-upis::0088:abc123xyz", service());
      const asked = parseParticipantId("iso6523-actorid-upis::0088:ABC123XYZ");
      const endpoint = await client().lookupEndpoint({ participant: asked, documentType: digital, process: digitalProcess });
      expect(endpoint.endpointUrl).to.equal("https://c3.example/as4");
    });

    it("takes the SMP base URL from a resolver (the SML)", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const asked: ParticipantId[] = [];
      const c = client({
        smpUrl: (participant) => {
          asked.push(participant);
          return Promise.resolve(`${sim.url}/`);
        },
      });
      await c.lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess });
      expect(asked).to.deep.equal([p]);
    });
  });

  describe("what the registration does not allow", () => {
    it("unregistered participant", async () => {
      const e = await rejection(client().lookupEndpoint({ participant: freshParticipant(), documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpParticipantNotRegisteredError);
      expect(e).to.include({ code: "peppol-smp-participant-not-registered", kind: "unsupported" });
    });

    it("unsupported document type", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: utskrift, process: utskriftProcess }));
      expect(e).to.be.instanceOf(SmpDocumentTypeNotSupportedError);
      expect(e).to.include({ code: "peppol-smp-document-type-not-supported", kind: "unsupported" });
    });

    it("document type in another spelling (case-sensitive)", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digitalUpper, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpDocumentTypeNotSupportedError);
    });

    it("process not registered for the document type", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: utskriftProcess }));
      expect(e).to.be.instanceOf(SmpProcessNotSupportedError);
      expect((e as Error).message).to.include(utskriftProcess.value);
    });

    it("expired and not yet active endpoints", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), [
        service({ expiration: "2025-12-31T23:59:59Z" }),
        service({ activation: "2026-02-01T00:00:00Z" }),
      ]);
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpEndpointNotActiveError);
      expect(e).to.include({ code: "peppol-smp-endpoint-not-active" });
    });

    it("no endpoint with the AS4 transport profile", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service({ transportProfile: "busdox-transport-as2-ver1p0" }));
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpNoAs4EndpointError);
      expect(e).to.include({ code: "peppol-smp-no-as4-endpoint" });
      // The same registration serves a caller that asks for that profile.
      const as2 = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess, transportProfile: "busdox-transport-as2-ver1p0" });
      expect(as2.transportProfile).to.equal("busdox-transport-as2-ver1p0");
    });
  });

  describe("answers that cannot be trusted", () => {
    it("SMP certificate outside the configured SMP CA", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const e = await rejection(
        client({ anchors: [apRoot], intermediates: [] }).lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }),
      );
      expect(e).to.be.instanceOf(SmpUntrustedCertificateError);
    });

    it("SMP certificate refused by the revocation hook", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      let seen: readonly X509Certificate[] = [];
      const c = client({
        checkSmpCertificatePath: (certPath) => {
          seen = certPath;
          throw new Error("revoked (keyCompromise)");
        },
      });
      const e = await rejection(c.lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpUntrustedCertificateError);
      expect((e as Error).message).to.include("revoked");
      expect(seen.map((c) => c.fingerprint256)).to.deep.equal([smp1.certificate, smpIntermediate, smpRoot].map((c) => c.fingerprint256));
    });

    it("another participant in the answer (deliberately wrong registration)", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service({ respondAs: { participant: "iso6523-actorid-upis::0192:999999999" } }));
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpIdentifierMismatchError);
      expect(e).to.include({ code: "peppol-smp-identifier-mismatch" });
    });

    it("another document type in the answer", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service({ respondAs: { documentType: formatIdentifier(utskrift) } }));
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpIdentifierMismatchError);
    });

    it("the Innbyggerpost spelling differs only when the caller allows it", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service({ respondAs: { documentType: formatIdentifier(digitalUpper) } }));
      const query = { participant: p, documentType: digital, process: digitalProcess };
      expect(await rejection(client().lookupEndpoint(query))).to.be.instanceOf(SmpIdentifierMismatchError);
      const endpoint = await client({ acceptInnbyggerpostSpellings: true }).lookupEndpoint(query);
      expect(endpoint.documentType).to.deep.equal(digitalUpper);
      // The allowance is about that spelling only: another DPI type is still a mismatch.
      const q2 = freshParticipant();
      sim.register(formatIdentifier(q2), service({ respondAs: { documentType: formatIdentifier(dpiDocumentTypeId("feil", "Innbyggerpost")) } }));
      const e = await rejection(client({ acceptInnbyggerpostSpellings: true }).lookupEndpoint({ ...query, participant: q2 }));
      expect(e).to.be.instanceOf(SmpIdentifierMismatchError);
    });
  });

  describe("SMP Redirect", () => {
    let target: SmpSim;
    let third: SmpSim;
    let smp2: Issued;

    before(async () => {
      smp2 = makeLeaf({ subject: { C: "NO", O: "Other SMP AS", OU: "PEPPOL TEST SMP", CN: "SMP000002" }, issuer: smpIssuer });
      target = await startSmpSim({ signer: { privateKey: smp2.privateKey, certificate: smp2.cert } });
      third = await startSmpSim({ signer: smp1 });
    });
    after(async () => {
      await target.close();
      await third.close();
    });

    it("is followed once when the target is signed by the named certificate", async () => {
      const p = freshParticipant();
      const href = metadataUrl(target.url, p, digital);
      sim.register(formatIdentifier(p), { documentType: formatIdentifier(digital), redirect: { href, certificateUid: "CN=SMP000002,OU=PEPPOL TEST SMP,O=Other SMP AS,C=NO" } });
      target.register(formatIdentifier(p), service({ endpointUrl: "https://redirected.example/as4" }));
      const metadata = await client().getServiceMetadata(p, digital);
      expect(metadata.url).to.equal(href);
      expect(metadata.redirectedFrom).to.equal(metadataUrl(sim.url, p, digital));
      expect(metadata.smpCertificate.subject).to.include("SMP000002");
      const endpoint = await client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess });
      expect(endpoint.endpointUrl).to.equal("https://redirected.example/as4");
      // The record kept is the target's, which the endpoint came from.
      expect(metadata.document.url).to.equal(href);
      expect(Buffer.from(metadata.document.body).toString("utf8")).to.include("https://redirected.example/as4");
      expect(metadata.document.sha256).to.equal(createHash("sha256").update(metadata.document.body).digest("hex"));
    });

    it("is refused when the target redirects again", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), {
        documentType: formatIdentifier(digital),
        redirect: { href: metadataUrl(target.url, p, digital), certificateUid: "CN=SMP000002,OU=PEPPOL TEST SMP,O=Other SMP AS,C=NO" },
      });
      target.register(formatIdentifier(p), {
        documentType: formatIdentifier(digital),
        redirect: { href: metadataUrl(third.url, p, digital), certificateUid: "CN=SMP000001,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP,C=NO" },
      });
      third.register(formatIdentifier(p), service());
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpRedirectLoopError);
      expect(third.stats().serviceMetadataRequests).to.equal(0);
    });

    it("is refused when the target's signer is not the CertificateUID", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), {
        documentType: formatIdentifier(digital),
        redirect: { href: metadataUrl(target.url, p, digital), certificateUid: "CN=SMP000001,OU=PEPPOL TEST SMP,O=DPI-AP TEST SMP,C=NO" },
      });
      target.register(formatIdentifier(p), service());
      const e = await rejection(client().lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpRedirectCertificateMismatchError);
      expect(e).to.include({ code: "peppol-smp-redirect-certificate-mismatch" });
    });
  });

  describe("HTTP failures", () => {
    it("5xx is unavailable (worth retrying), 403 is not", async () => {
      let status = 503;
      const server = await startServer((_req, res) => {
        res.writeHead(status).end("nope");
      });
      try {
        const c = client({ smpUrl: server.url });
        const query = { participant: freshParticipant(), documentType: digital, process: digitalProcess };
        const e1 = await rejection(c.lookupEndpoint(query));
        expect(e1).to.be.instanceOf(SmpHttpError);
        expect(e1).to.include({ failure: "status", httpStatus: 503, kind: "unavailable", code: "peppol-smp-http-failure" });
        status = 403;
        expect(await rejection(c.lookupEndpoint(query))).to.include({ httpStatus: 403, kind: "upstream" });
      } finally {
        await server.close();
      }
    });

    it("a refused connection is unavailable (worth retrying)", async () => {
      const server = await startServer((_req, res) => res.end());
      await server.close();
      const e = await rejection(client({ smpUrl: server.url }).getServiceGroup(freshParticipant()));
      expect(e).to.be.instanceOf(SmpHttpError);
      expect(e).to.include({ failure: "network", kind: "unavailable" });
    });

    it("a silent SMP times out (unavailable)", async () => {
      const server = await startServer(() => {
        /* never answers */
      });
      try {
        const e = await rejection(client({ smpUrl: server.url, timeoutMs: 150 }).getServiceGroup(freshParticipant()));
        expect(e).to.be.instanceOf(SmpHttpError);
        expect(e).to.include({ failure: "timeout", kind: "unavailable" });
        expect(problemOf(e as SmpError)?.status).to.equal(504);
      } finally {
        await server.close();
      }
    });

    it("an oversized answer is refused, declared or streamed", async () => {
      const p = freshParticipant();
      sim.register(formatIdentifier(p), service());
      const e1 = await rejection(client({ maxResponseBytes: 500 }).lookupEndpoint({ participant: p, documentType: digital, process: digitalProcess }));
      expect(e1).to.include({ failure: "too-large", kind: "upstream" });
      const server = await startServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/xml" }); // chunked, no content-length
        res.write("<a>");
        res.end("x".repeat(2000) + "</a>");
      });
      try {
        const e2 = await rejection(client({ smpUrl: server.url, maxResponseBytes: 500 }).getServiceGroup(p));
        expect(e2).to.include({ failure: "too-large", kind: "upstream" });
      } finally {
        await server.close();
      }
    });

    it("every failure is an SmpError the REST edge can answer", async () => {
      const e = await rejection(client().lookupEndpoint({ participant: freshParticipant(), documentType: digital, process: digitalProcess }));
      expect(e).to.be.instanceOf(SmpError);
      expect(problemOf(e as SmpError)?.toProblem()).to.include({ status: 422, code: "peppol-smp-participant-not-registered" });
    });
  });
});
