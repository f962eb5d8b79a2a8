import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import { loadIssued, makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { Clock } from "../../src/clock.js";
import { dpiDocumentTypeId, dpiProcessIdForLetter, formatIdentifier, norwegianParticipantId } from "../../src/peppol/identifiers.js";
import type { ParticipantId } from "../../src/peppol/identifiers.js";
import { createCachingSmpClient } from "../../src/peppol/smp-cache.js";
import type { SmpCacheOptions } from "../../src/peppol/smp-cache.js";
import { createSmpClient } from "../../src/peppol/smp-client.js";
import {
  SmpEndpointNotActiveError,
  SmpHttpError,
  SmpParticipantNotRegisteredError,
  SmpUntrustedCertificateError,
} from "../../src/peppol/smp-errors.js";
import { startSmpSim } from "../../src/sim/smp/index.js";
import type { SmpSim, SmpSimService } from "../../src/sim/smp/index.js";
import { CERTS } from "../helpers/certs.js";

const read = (rel: string) => readFileSync(path.join(CERTS, rel), "utf8");
const smpRoot = new X509Certificate(read("smp/root-ca.pem"));
const smpIntermediate = new X509Certificate(read("smp/intermediate-ca.pem"));
const smp1 = { privateKey: createPrivateKey(read("smp/SMP000001.key.pem")), certificate: new X509Certificate(read("smp/SMP000001.pem")) };
const T0 = Date.parse("2026-01-15T12:00:00Z");
const MINUTE = 60_000;
const digital = dpiDocumentTypeId("digital");
const process = dpiProcessIdForLetter("digital");

let nextOrgno = 920000100;
const freshParticipant = (): ParticipantId => norwegianParticipantId(String(nextOrgno++));

function movableClock(): Clock & { advance(ms: number): void; reset(): void } {
  let now = T0;
  const clock = (() => new Date(now)) as Clock & { advance(ms: number): void; reset(): void };
  clock.advance = (ms) => {
    now += ms;
  };
  clock.reset = () => {
    now = T0;
  };
  return clock;
}

function service(overrides: Partial<SmpSimService> = {}): SmpSimService {
  return {
    documentType: formatIdentifier(digital),
    process: formatIdentifier(process),
    endpointUrl: "https://c3.example/as4",
    certificatePem: read("ap/POP000002.pem"),
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

describe("peppol/smp-cache", () => {
  const clock = movableClock();
  let sim: SmpSim;

  before(async () => {
    sim = await startSmpSim({ signer: smp1 });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    clock.reset();
    sim.resetStats();
  });

  const cachedClient = (options: SmpCacheOptions = {}, smpUrl = sim.url) =>
    createCachingSmpClient(
      createSmpClient({ smpUrl, anchors: [smpRoot], intermediates: [smpIntermediate], clock }),
      { ttlMs: 60 * MINUTE, negativeTtlMs: 5 * MINUTE, clock, ...options },
    );
  const lookup = (c: ReturnType<typeof cachedClient>, participant: ParticipantId) =>
    c.lookupEndpoint({ participant, documentType: digital, process });

  it("answers a repeated lookup from the cache until the TTL runs out", async () => {
    const p = freshParticipant();
    sim.register(formatIdentifier(p), service());
    const c = cachedClient();
    const first = await lookup(c, p);
    const second = await lookup(c, p);
    expect(second.endpointUrl).to.equal(first.endpointUrl);
    expect(sim.stats().serviceMetadataRequests).to.equal(1);
    expect(c.stats()).to.include({ hits: 1, misses: 1 });

    clock.advance(59 * MINUTE);
    await lookup(c, p);
    expect(sim.stats().serviceMetadataRequests).to.equal(1);
    clock.advance(2 * MINUTE);
    await lookup(c, p);
    expect(sim.stats().serviceMetadataRequests).to.equal(2);
  });

  it("shares one request between concurrent lookups", async () => {
    const p = freshParticipant();
    sim.register(formatIdentifier(p), service());
    const c = cachedClient();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => lookup(c, p)));
    expect(new Set(results.map((r) => r.endpointUrl)).size).to.equal(1);
    expect(sim.stats().serviceMetadataRequests).to.equal(1);
    expect(c.stats()).to.include({ misses: 1, shared: 4 });
  });

  it("remembers 'not registered' for the shorter negative TTL", async () => {
    const p = freshParticipant();
    const c = cachedClient();
    expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpParticipantNotRegisteredError);
    expect(sim.stats()).to.include({ serviceMetadataRequests: 1, serviceGroupRequests: 1 });

    sim.register(formatIdentifier(p), service()); // registered meanwhile: still hidden by the negative entry
    clock.advance(4 * MINUTE);
    expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpParticipantNotRegisteredError);
    expect(sim.stats()).to.include({ serviceMetadataRequests: 1, serviceGroupRequests: 1 });
    expect(c.stats().negativeHits).to.equal(1);

    clock.advance(2 * MINUTE);
    expect((await lookup(c, p)).endpointUrl).to.equal("https://c3.example/as4");
    expect(sim.stats().serviceMetadataRequests).to.equal(2);
  });

  it("selects the endpoint anew on every hit, so an endpoint expiring inside the TTL is seen at once", async () => {
    const p = freshParticipant();
    sim.register(formatIdentifier(p), service({ expiration: new Date(T0 + 10 * MINUTE) }));
    const c = cachedClient();
    await lookup(c, p);
    clock.advance(20 * MINUTE);
    expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpEndpointNotActiveError);
    expect(sim.stats().serviceMetadataRequests).to.equal(1);
  });

  it("does not cache other failures", async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const c = cachedClient({}, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const p = freshParticipant();
      expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpHttpError);
      expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpHttpError);
      expect(requests).to.equal(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("keeps at most maxEntries keys, dropping the least recently used", async () => {
    const [a, b, d] = [freshParticipant(), freshParticipant(), freshParticipant()];
    for (const p of [a, b, d]) sim.register(formatIdentifier(p), service());
    const c = cachedClient({ maxEntries: 2 });
    await lookup(c, a);
    await lookup(c, b);
    await lookup(c, a); // a is now the most recent
    await lookup(c, d); // evicts b
    expect(c.stats().size).to.equal(2);
    expect(sim.stats().serviceMetadataRequests).to.equal(3);
    await lookup(c, a);
    expect(sim.stats().serviceMetadataRequests).to.equal(3);
    await lookup(c, b);
    expect(sim.stats().serviceMetadataRequests).to.equal(4);
  });

  it("forgets a participant on invalidate", async () => {
    const p = freshParticipant();
    sim.register(formatIdentifier(p), service());
    const c = cachedClient();
    await lookup(c, p);
    c.invalidate(p);
    await lookup(c, p);
    expect(sim.stats().serviceMetadataRequests).to.equal(2);
  });

  it("never keeps an answer past its SMP certificate's expiry", async () => {
    const issuer = loadIssued({ certPem: read("smp/intermediate-ca.pem"), keyPem: read("smp/intermediate-ca.key.pem") });
    const shortLived = makeLeaf({
      subject: { C: "NO", O: "DPI-AP TEST SMP", OU: "PEPPOL TEST SMP", CN: "SMP000003" },
      issuer,
      notBefore: new Date(T0 - MINUTE),
      notAfter: new Date(T0 + 10 * MINUTE),
    });
    const shortSim = await startSmpSim({ signer: { privateKey: shortLived.privateKey, certificate: shortLived.cert } });
    try {
      const p = freshParticipant();
      shortSim.register(formatIdentifier(p), service());
      const c = cachedClient({}, shortSim.url);
      await lookup(c, p);
      clock.advance(5 * MINUTE);
      await lookup(c, p);
      expect(shortSim.stats().serviceMetadataRequests).to.equal(1);
      clock.advance(10 * MINUTE);
      expect(await rejection(lookup(c, p))).to.be.instanceOf(SmpUntrustedCertificateError);
      expect(shortSim.stats().serviceMetadataRequests).to.equal(2);
    } finally {
      await shortSim.close();
    }
  });
});
