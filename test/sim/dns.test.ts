import { expect } from "chai";
import dgram from "node:dgram";
import { Resolver } from "node:dns/promises";
import { createNodeDnsResolver } from "../../src/peppol/dns-resolver.js";
import {
  DnsLookupError,
  DnsNameNotFoundError,
  ParticipantNotRegisteredError,
  SmlBadRegexpError,
  SmlBadSmpUrlError,
  SmlNoSmpRecordError,
} from "../../src/peppol/errors.js";
import { participantId } from "../../src/peppol/identifiers.js";
import { createSmlLocator, legacyDnsName, naptrDnsName } from "../../src/peppol/sml.js";
import { startDnsSim, type DnsSim } from "../../src/sim/dns/server.js";
import { RCODE, RR_CLASS_IN, RR_TYPE, decodeMessage, encodeMessage } from "../../src/sim/dns/wire.js";

/**
 * The DNS simulator over real UDP/TCP on 127.0.0.1, queried by node's own resolver (c-ares) and by the
 * SML locator, so the whole discovery path runs over the real protocol.
 */

const ZONE = "sml.dpi.test";
const DIGIPOST = participantId("0192:984661185");
const EBOKS = participantId("0192:922020175");
const NOBODY = participantId("0192:000000000");

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return expect.fail("the promise resolved");
}

/** One raw UDP exchange with the simulator. */
async function exchange(sim: DnsSim, packet: Buffer): Promise<Buffer> {
  const socket = dgram.createSocket("udp4");
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      socket.once("message", (msg) => resolve(msg));
      socket.once("error", reject);
      socket.send(packet, sim.port, sim.address);
    });
  } finally {
    socket.close();
  }
}

function query(name: string, type: number, id = 0x1234): Buffer {
  return encodeMessage({
    id,
    flags: { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ name, type, class: RR_CLASS_IN }],
    answers: [],
    authority: [],
    additional: [],
  });
}

describe("sim/dns (authoritative SML zone over UDP/TCP)", () => {
  let sim: DnsSim;
  let resolver: Resolver;

  before(async () => {
    sim = await startDnsSim({
      zone: ZONE,
      records: {
        "iso6523-actorid-upis::0192:984661185": "https://smp.digipost.test/smp/",
        "0192:922020175": { smpUrl: "http://127.0.0.1:8089", legacyCname: true },
      },
      legacyCname: false,
    });
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([sim.server]);
  });

  after(async () => {
    await sim.close();
  });

  it("answers NAPTR queries from node's resolver with a Meta:SMP U record", async () => {
    const records = await resolver.resolveNaptr(naptrDnsName(DIGIPOST, ZONE));
    expect(records).to.deep.equal([
      { flags: "U", service: "Meta:SMP", regexp: "!^.*$!https://smp.digipost.test/smp/!", replacement: "", order: 100, preference: 10 },
    ]);
  });

  it("answers in a case-insensitive way and echoes the question as asked", async () => {
    const name = naptrDnsName(DIGIPOST, ZONE).toUpperCase();
    const reply = decodeMessage(await exchange(sim, query(name, RR_TYPE.NAPTR, 0xbeef)));
    expect(reply.id).to.equal(0xbeef);
    expect(reply.flags).to.include({ qr: true, aa: true, rd: true, ra: false, tc: false, rcode: RCODE.NOERROR });
    expect(reply.questions).to.deep.equal([{ name, type: RR_TYPE.NAPTR, class: RR_CLASS_IN }]);
    expect(reply.answers).to.have.length(1);
    expect(reply.answers[0]!.name).to.equal(name);
    expect(reply.answers[0]!.ttl).to.equal(60);
  });

  it("says NXDOMAIN with the zone's SOA for unknown participants", async () => {
    const reply = decodeMessage(await exchange(sim, query(naptrDnsName(NOBODY, ZONE), RR_TYPE.NAPTR)));
    expect(reply.flags.rcode).to.equal(RCODE.NXDOMAIN);
    expect(reply.flags.aa).to.equal(true);
    expect(reply.answers).to.have.length(0);
    expect(reply.authority.map((r) => r.data.type)).to.deep.equal(["SOA"]);
    expect(reply.authority[0]!.name).to.equal(ZONE);
    const e = await rejection(resolver.resolveNaptr(naptrDnsName(NOBODY, ZONE)));
    expect((e as { code?: string }).code).to.equal("ENOTFOUND");
  });

  it("says NODATA for other types and for empty non-terminals, REFUSED outside the zone", async () => {
    expect(((await rejection(resolver.resolve4(naptrDnsName(DIGIPOST, ZONE)))) as { code?: string }).code).to.equal("ENODATA");
    expect(((await rejection(resolver.resolveNaptr(`iso6523-actorid-upis.${ZONE}`))) as { code?: string }).code).to.equal("ENODATA");
    const outside = decodeMessage(await exchange(sim, query("example.org", RR_TYPE.A)));
    expect(outside.flags.rcode).to.equal(RCODE.REFUSED);
    expect(outside.flags.aa).to.equal(false);
  });

  it("answers the SOA of the zone apex", async () => {
    const soa = await resolver.resolveSoa(ZONE);
    expect(soa.nsname).to.equal(`ns1.${ZONE}`);
    expect(soa.minttl).to.equal(60);
  });

  it("answers FORMERR to a malformed query", async () => {
    const packet = query("x." + ZONE, RR_TYPE.A, 0x4242).subarray(0, 15);
    const reply = decodeMessage(await exchange(sim, packet));
    expect(reply.id).to.equal(0x4242);
    expect(reply.flags.qr).to.equal(true);
    expect(reply.flags.rcode).to.equal(RCODE.FORMERR);
  });

  it("publishes the legacy B-<md5> name as an A record for an IPv4 SMP host", async () => {
    const name = legacyDnsName(EBOKS, ZONE);
    expect(await resolver.resolve4(name)).to.deep.equal(["127.0.0.1"]);
    // DIGIPOST was registered without the legacy name.
    expect(((await rejection(resolver.resolve4(legacyDnsName(DIGIPOST, ZONE)))) as { code?: string }).code).to.equal("ENOTFOUND");
  });

  it("publishes the legacy name as a CNAME for a named SMP host", async () => {
    const p = participantId("0192:810418052");
    sim.setParticipant(p, { smpUrl: "https://smp.example.org/", legacyCname: true });
    try {
      expect(await resolver.resolveCname(legacyDnsName(p, ZONE))).to.deep.equal(["smp.example.org"]);
      const reply = decodeMessage(await exchange(sim, query(legacyDnsName(p, ZONE), RR_TYPE.A)));
      expect(reply.answers.map((r) => r.data)).to.deep.equal([{ type: "CNAME", target: "smp.example.org" }]);
    } finally {
      sim.setParticipant(p, undefined);
    }
  });

  it("falls back to TCP when the UDP answer is truncated", async () => {
    const p = participantId("0192:811111112");
    const naptr = Array.from({ length: 12 }, (_, i) => ({
      order: 100 + i,
      flags: "U",
      service: "Meta:SMP",
      regexp: `!^.*$!https://smp-${i}.a-rather-long-host-name.example.org/some/path/segments!`,
    }));
    sim.setParticipant(p, { naptr });
    try {
      const tcpBefore = sim.stats.tcp;
      const records = await resolver.resolveNaptr(naptrDnsName(p, ZONE));
      expect(records).to.have.length(12);
      expect(sim.stats.tcp).to.be.greaterThan(tcpBefore);
      const udpReply = decodeMessage(await exchange(sim, query(naptrDnsName(p, ZONE), RR_TYPE.NAPTR)));
      expect(udpReply.flags.tc).to.equal(true);
      expect(udpReply.answers).to.have.length(0);
    } finally {
      sim.setParticipant(p, undefined);
    }
  });

  describe("SML locator against the simulator", () => {
    const dns = () => createNodeDnsResolver({ servers: [sim.server], timeoutMs: 1000, tries: 1 });

    it("locates the SMP of registered participants (https; http only when allowed)", async () => {
      const strict = createSmlLocator({ mode: "naptr", zone: ZONE }, { resolver: dns() });
      expect(await strict.locate(DIGIPOST)).to.deep.equal({ baseUrl: "https://smp.digipost.test/smp", method: "naptr", dnsName: naptrDnsName(DIGIPOST, ZONE) });
      expect(await rejection(strict.locate(EBOKS))).to.be.instanceOf(SmlBadSmpUrlError);
      const sandbox = createSmlLocator({ mode: "naptr", zone: ZONE, allowHttp: true }, { resolver: dns() });
      expect((await sandbox.locate(EBOKS)).baseUrl).to.equal("http://127.0.0.1:8089");
    });

    it("reports unregistered participants, and sees registrations change once the cache allows", async () => {
      const p = participantId("0192:822222222");
      const locator = createSmlLocator({ mode: "naptr", zone: ZONE }, { resolver: dns(), cache: { negativeTtlSeconds: 0 } });
      expect(await rejection(locator.locate(p))).to.be.instanceOf(ParticipantNotRegisteredError);
      sim.setParticipant(p, "https://new-smp.example/");
      try {
        expect((await locator.locate(p)).baseUrl).to.equal("https://new-smp.example");
      } finally {
        sim.setParticipant(p, undefined);
      }
    });

    it("reports SML records without Meta:SMP and with broken regexps", async () => {
      const noSmp = participantId("0192:833333333");
      const broken = participantId("0192:844444444");
      sim.setParticipant(noSmp, { naptr: [{ flags: "U", service: "Meta:LOC", regexp: "!^.*$!https://x!" }] });
      sim.setParticipant(broken, { naptr: [{ flags: "U", service: "Meta:SMP", regexp: "!(a+)+!https://x!" }] });
      try {
        const locator = createSmlLocator({ mode: "naptr", zone: ZONE }, { resolver: dns() });
        expect(await rejection(locator.locate(noSmp))).to.be.instanceOf(SmlNoSmpRecordError);
        expect(await rejection(locator.locate(broken))).to.be.instanceOf(SmlBadRegexpError);
      } finally {
        sim.setParticipant(noSmp, undefined);
        sim.setParticipant(broken, undefined);
      }
    });

    it("uses the legacy CNAME method", async () => {
      const locator = createSmlLocator({ mode: "cname", zone: ZONE }, { resolver: dns() });
      expect((await locator.locate(EBOKS)).baseUrl).to.equal(`http://${legacyDnsName(EBOKS, ZONE).toLowerCase()}`);
      expect(await rejection(locator.locate(DIGIPOST))).to.be.instanceOf(ParticipantNotRegisteredError);
    });

    it("maps node's errors: NXDOMAIN and NODATA to not-found, REFUSED to an unavailable failure", async () => {
      const r = dns();
      const nx = await rejection(r.resolveNaptr(naptrDnsName(NOBODY, ZONE)));
      expect(nx).to.be.instanceOf(DnsNameNotFoundError);
      expect((nx as DnsNameNotFoundError).dnsCode).to.equal("ENOTFOUND");
      const nodata = await rejection(r.resolveCname(naptrDnsName(DIGIPOST, ZONE)));
      expect((nodata as DnsNameNotFoundError).dnsCode).to.equal("ENODATA");
      const refused = await rejection(r.resolveNaptr("outside.example.org"));
      expect(refused).to.be.instanceOf(DnsLookupError);
      expect((refused as DnsLookupError).kind).to.equal("unavailable");
      expect((refused as DnsLookupError).dnsCode).to.equal("EREFUSED");
    });
  });

  it("times out against a server that never answers (unavailable DnsLookupError)", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    try {
      const r = createNodeDnsResolver({ servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 100, tries: 1 });
      const e = await rejection(r.resolveNaptr(naptrDnsName(DIGIPOST, ZONE)));
      expect(e).to.be.instanceOf(DnsLookupError);
      expect((e as DnsLookupError).dnsCode).to.equal("ETIMEOUT");
    } finally {
      silent.close();
    }
  });

  it("listens on an IPv6 loopback address too", async function () {
    let sim6: DnsSim;
    try {
      sim6 = await startDnsSim({ host: "::1", zone: ZONE, records: { "0192:984661185": "https://smp6.example" } });
    } catch {
      this.skip(); // no IPv6 loopback in this environment
    }
    try {
      expect(sim6.server).to.equal(`[::1]:${sim6.port}`);
      const r = createNodeDnsResolver({ servers: [sim6.server], timeoutMs: 1000, tries: 1 });
      expect((await r.resolveNaptr(naptrDnsName(DIGIPOST, ZONE)))[0]!.regexp).to.equal("!^.*$!https://smp6.example!");
    } finally {
      await sim6.close();
    }
  });
});
