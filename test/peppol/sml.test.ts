import { expect } from "chai";
import type { DnsResolver, NaptrRecord } from "../../src/peppol/dns-resolver.js";
import {
  DnsLookupError,
  DnsNameNotFoundError,
  ParticipantNotRegisteredError,
  SmlBadRegexpError,
  SmlBadSmpUrlError,
  SmlNoSmpRecordError,
} from "../../src/peppol/errors.js";
import { participantId } from "../../src/peppol/identifiers.js";
import {
  SML_ZONES,
  applyNaptrRegexp,
  base32,
  createSmlLocator,
  legacyDnsName,
  naptrDnsName,
  naptrLabel,
  normalizeSmpUrl,
  parseNaptrRegexp,
  smpUrlFromNaptr,
} from "../../src/peppol/sml.js";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return expect.fail("the promise resolved");
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return expect.fail("nothing was thrown");
}

const naptr = (regexp: string, extra: Partial<NaptrRecord> = {}): NaptrRecord => ({
  order: 100,
  preference: 10,
  flags: "U",
  service: "Meta:SMP",
  regexp,
  replacement: "",
  ...extra,
});

describe("peppol/sml", () => {
  describe("DNS names (spec vectors, peppol-as4-smp.md §5)", () => {
    const vectors: Array<[string, string, string?]> = [
      ["0088:123abc", "y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq", "f5e78500450d37de5aabe6648ac3bb70"],
      ["0088:123ABC", "y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq", "f5e78500450d37de5aabe6648ac3bb70"],
      ["9915:test", "eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a", "85008b8279e07ab0392da75fa55856a2"],
      ["0010:5798000000001", "xukhfqabqziki3ykvr2fhr4snfa3pf5vpq6k4tonv3lmvsy5arvq"],
      ["0088:1234567890123", "sjsyvccmqyjxk3weuapffq4x3umcrf4qryherj4vovhmonh7gccq"],
      ["0088:4035811991021", "LZMEDSMZXYD37YC74TZVPYCMUANFCMN667JHGBFQDDRVMSE6NYTA".toLowerCase()],
    ];
    for (const [value, label, md5] of vectors) {
      it(`${value} → ${label.slice(0, 12)}…`, () => {
        expect(naptrLabel(value)).to.equal(label);
        const p = participantId(value);
        expect(naptrDnsName(p, SML_ZONES.test)).to.equal(`${label}.iso6523-actorid-upis.participant.sml.test.tech.peppol.org`);
        if (md5) expect(legacyDnsName(p, SML_ZONES.legacyTest)).to.equal(`B-${md5}.iso6523-actorid-upis.acc.edelivery.tech.ec.europa.eu`);
      });
    }

    it("lower-cases scheme and zone, and trims dots off the zone", () => {
      const p = participantId("9915:test", "ISO6523-ACTORID-UPIS");
      expect(naptrDnsName(p, ".SML.Local.")).to.equal("eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a.iso6523-actorid-upis.sml.local");
      expect(() => naptrDnsName(p, "bad zone")).to.throw(TypeError);
    });

    it("base32 follows RFC 4648 without padding", () => {
      const cases: Array<[string, string]> = [
        ["", ""],
        ["f", "MY"],
        ["fo", "MZXQ"],
        ["foo", "MZXW6"],
        ["foob", "MZXW6YQ"],
        ["fooba", "MZXW6YTB"],
        ["foobar", "MZXW6YTBOI"],
      ];
      for (const [input, output] of cases) expect(base32(Buffer.from(input))).to.equal(output);
    });
  });

  describe("NAPTR regexp", () => {
    const name = "eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a.iso6523-actorid-upis.sml.local";

    it("applies the usual !^.*$!url! form", () => {
      expect(applyNaptrRegexp("!^.*$!https://smp.example/path!", name)).to.equal("https://smp.example/path");
    });

    it("accepts any allowed delimiter and escaped delimiters", () => {
      expect(applyNaptrRegexp("|^.*$|https://smp.example|", name)).to.equal("https://smp.example");
      expect(applyNaptrRegexp("#^.*$#https://smp.example/a\\#b#", name)).to.equal("https://smp.example/a#b");
      expect(applyNaptrRegexp("!^.*$!https://smp.example/x\\!y!", name)).to.equal("https://smp.example/x!y");
      expect(applyNaptrRegexp("!^.*$!https://smp.example/back\\\\slash!", name)).to.equal("https://smp.example/back\\slash");
      // An escaped delimiter inside the pattern is a literal character.
      expect(applyNaptrRegexp("/^[a-z0-9]*\\/?.*$/https:\\/\\/smp.example/", "abc/def")).to.equal("https://smp.example");
    });

    it("substitutes back-references and honours the i flag", () => {
      expect(applyNaptrRegexp("!^([a-z0-9]+)\\.iso6523-actorid-upis\\.(.*)$!https://smp.\\2/\\1!", name)).to.equal(
        "https://smp.sml.local/eh5boavaktmbgzyh2a63dz4qov33fvp5nsdvqklucfraayoodw6a",
      );
      expect(applyNaptrRegexp("!^EH5.*$!https://smp.example!i", name)).to.equal("https://smp.example");
      expect(thrown(() => applyNaptrRegexp("!^EH5.*$!https://smp.example!", name))).to.be.instanceOf(SmlBadRegexpError);
    });

    it("is sed-like: only the matched part is replaced", () => {
      expect(applyNaptrRegexp("!b+!X!", "abbbc")).to.equal("aXc");
    });

    const bad: Array<[string, string]> = [
      ["!^.*$!https://x", "expected three"],
      ["!^.*$!https://x!y!", "expected three"],
      ["1^.*$1x1", "cannot be a delimiter"],
      ["\\^.*$\\x\\", "cannot be a delimiter"],
      ["i^.*$ixi", "cannot be a delimiter"],
      ["!^.*$!x!g", "unknown flags"],
      ["!!x!", "empty pattern"],
      ["!(a+)+$!x!", "quantified groups"],
      ["!(a|a)*$!x!", "quantified groups"],
      ["!(a){2,}!x!", "quantified groups"],
      ["!a*b*c*d*!x!", "more than 3 quantifiers"],
      ["!\\d+!x!", "undefined escape"],
      ["![[:alpha:]]!x!", "POSIX"],
      ["![\\w]!x!", "backslash inside a bracket"],
      ["!(?=a)!x!", "(? constructs"],
      ["!^(.*)$!\\2!", "back-reference \\2"],
      ["!^.*$!\\q!", "undefined escape \\q in the replacement"],
      ["!a{x}!y!", "malformed interval"],
      ["![abc!x!", "unterminated bracket"],
      ["!(abc!x!", "does not compile"],
      ["x", "too short"],
    ];
    for (const [field, reason] of bad) {
      it(`rejects ${field}`, () => {
        const e = thrown(() => parseNaptrRegexp(field));
        expect(e).to.be.instanceOf(SmlBadRegexpError);
        expect((e as SmlBadRegexpError).code).to.equal("peppol-sml-bad-regexp");
        expect((e as Error).message).to.contain(reason);
      });
    }

    it("rejects a pattern that does not match the name", () => {
      expect((thrown(() => applyNaptrRegexp("!^nomatch$!https://x!", name)) as Error).message).to.contain("does not match");
    });
  });

  describe("SMP URL checks", () => {
    it("requires https unless http is allowed, and drops trailing slashes", () => {
      expect(normalizeSmpUrl("https://smp.example/")).to.equal("https://smp.example");
      expect(normalizeSmpUrl("https://SMP.example:8443/a/b//")).to.equal("https://smp.example:8443/a/b");
      expect(thrown(() => normalizeSmpUrl("http://smp.example"))).to.be.instanceOf(SmlBadSmpUrlError);
      expect(normalizeSmpUrl("http://127.0.0.1:8080/", { allowHttp: true })).to.equal("http://127.0.0.1:8080");
      for (const url of ["ftp://smp.example", "smp.example", "https://u:p@smp.example", "https://smp.example/?a=b", "https://smp.example/#x"]) {
        expect(thrown(() => normalizeSmpUrl(url, { allowHttp: true })), url).to.be.instanceOf(SmlBadSmpUrlError);
      }
    });

    it("picks the Meta:SMP record with flag U, case-insensitively, in order and preference", () => {
      const records = [
        naptr("!^.*$!https://other.example!", { service: "Meta:Other" }),
        naptr("!^.*$!https://no-flag.example!", { flags: "" }),
        naptr("!^.*$!https://second.example!", { order: 100, preference: 20 }),
        naptr("!^.*$!https://first.example!", { order: 100, preference: 5, service: "meta:smp", flags: "u" }),
        naptr("!^.*$!https://later.example!", { order: 50, preference: 99 }),
      ];
      expect(smpUrlFromNaptr(records, "x.zone", "p")).to.equal("https://later.example");
      expect(smpUrlFromNaptr(records.slice(0, 4), "x.zone", "p")).to.equal("https://first.example");
    });

    it("falls back to the next record when one is unusable, else throws the first failure", () => {
      expect(smpUrlFromNaptr([naptr("!^.*$!http://plain.example!", { order: 1 }), naptr("!^.*$!https://ok.example!", { order: 2 })], "n", "p")).to.equal(
        "https://ok.example",
      );
      expect(thrown(() => smpUrlFromNaptr([naptr("!^.*$!http://plain.example!")], "n", "p"))).to.be.instanceOf(SmlBadSmpUrlError);
      expect(smpUrlFromNaptr([naptr("!^.*$!http://plain.example!")], "n", "p", { allowHttp: true })).to.equal("http://plain.example");
      expect(thrown(() => smpUrlFromNaptr([naptr("!(a+)+!x!"), naptr("broken")], "n", "p"))).to.be.instanceOf(SmlBadRegexpError);
    });

    it("reports a missing Meta:SMP record", () => {
      const e = thrown(() => smpUrlFromNaptr([naptr("!^.*$!https://x!", { service: "Meta:LOC" })], "n.zone", "iso6523-actorid-upis::0088:1"));
      expect(e).to.be.instanceOf(SmlNoSmpRecordError);
      expect((e as SmlNoSmpRecordError).kind).to.equal("upstream");
      expect((e as Error).message).to.contain("Meta:LOC/U");
    });
  });

  describe("locator", () => {
    const zone = "sml.local";
    const known = participantId("0192:991825827");
    const unknown = participantId("0192:000000000");

    /** NAPTR answers from `behaviour`; legacy names answer CNAME or A as listed in `legacy`, else NXDOMAIN. */
    function fakeResolver(behaviour: (name: string) => NaptrRecord[] | Error, legacy: Record<string, "cname" | "a"> = {}) {
      const calls: string[] = [];
      const resolver: DnsResolver = {
        async resolveNaptr(name) {
          calls.push(`NAPTR ${name}`);
          const r = behaviour(name);
          if (r instanceof Error) throw r;
          return r;
        },
        async resolveCname(name) {
          calls.push(`CNAME ${name}`);
          if (legacy[name] === "cname") return ["smp.example"];
          throw new DnsNameNotFoundError(name, "CNAME", legacy[name] === "a" ? "ENODATA" : "ENOTFOUND");
        },
        async resolve4(name) {
          calls.push(`A ${name}`);
          if (legacy[name] === "a") return ["127.0.0.1"];
          throw new DnsNameNotFoundError(name, "A", legacy[name] === "cname" ? "ENODATA" : "ENOTFOUND");
        },
      };
      return { resolver, calls };
    }

    function clockAt(start: string) {
      let now = new Date(start).getTime();
      return { clock: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
    }

    const registered = (name: string): NaptrRecord[] | Error =>
      name === naptrDnsName(known, zone) ? [naptr("!^.*$!https://smp.example/dpi/!")] : new DnsNameNotFoundError(name, "NAPTR", "ENOTFOUND");

    it("locates an SMP by NAPTR and caches it for the default TTL", async () => {
      const { resolver, calls } = fakeResolver(registered);
      const time = clockAt("2025-01-01T00:00:00Z");
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver, clock: time.clock, cache: { defaultTtlSeconds: 100 } });
      expect(await locator.locate(known)).to.deep.equal({ baseUrl: "https://smp.example/dpi", method: "naptr", dnsName: naptrDnsName(known, zone) });
      // Same participant in another case: same cache entry.
      await locator.locate(participantId("0192:991825827", "ISO6523-actorid-upis"));
      time.advance(99);
      await locator.locate(known);
      expect(calls).to.have.length(1);
      time.advance(2);
      await locator.locate(known);
      expect(calls).to.have.length(2);
      locator.clearCache(known);
      await locator.locate(known);
      expect(calls).to.have.length(3);
    });

    it("honours record TTLs up to the configured maximum", async () => {
      let ttl = 5;
      const { resolver, calls } = fakeResolver(() => [naptr("!^.*$!https://smp.example!", { ttl })]);
      const time = clockAt("2025-01-01T00:00:00Z");
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver, clock: time.clock, cache: { maxTtlSeconds: 50 } });
      await locator.locate(known);
      time.advance(6);
      await locator.locate(known);
      expect(calls).to.have.length(2);
      ttl = 100_000;
      locator.clearCache();
      await locator.locate(known);
      time.advance(49);
      await locator.locate(known);
      expect(calls).to.have.length(3);
      time.advance(2);
      await locator.locate(known);
      expect(calls).to.have.length(4);
    });

    it("reports unregistered participants and caches that for the negative TTL", async () => {
      const { resolver, calls } = fakeResolver(registered);
      const time = clockAt("2025-01-01T00:00:00Z");
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver, clock: time.clock, cache: { negativeTtlSeconds: 30 } });
      const e = await rejection(locator.locate(unknown));
      expect(e).to.be.instanceOf(ParticipantNotRegisteredError);
      expect((e as ParticipantNotRegisteredError).code).to.equal("peppol-participant-not-registered");
      expect((e as ParticipantNotRegisteredError).kind).to.equal("not-found");
      expect((e as ParticipantNotRegisteredError).participant).to.equal("iso6523-actorid-upis::0192:000000000");
      expect(await rejection(locator.locate(unknown))).to.be.instanceOf(ParticipantNotRegisteredError);
      expect(calls).to.have.length(1);
      time.advance(31);
      expect(await rejection(locator.locate(unknown))).to.be.instanceOf(ParticipantNotRegisteredError);
      expect(calls).to.have.length(2);
    });

    it("treats a name without NAPTR records (NODATA) as not registered", async () => {
      const { resolver } = fakeResolver((name) => new DnsNameNotFoundError(name, "NAPTR", "ENODATA"));
      expect(await rejection(createSmlLocator({ mode: "naptr", zone }, { resolver }).locate(known))).to.be.instanceOf(ParticipantNotRegisteredError);
    });

    it("passes DNS failures on as unavailable (worth retrying) and does not cache them", async () => {
      let fail = true;
      const { resolver, calls } = fakeResolver((name) => (fail ? new DnsLookupError(name, "NAPTR", "ETIMEOUT") : registered(name)));
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver });
      const e = await rejection(locator.locate(known));
      expect(e).to.be.instanceOf(DnsLookupError);
      expect((e as DnsLookupError).kind).to.equal("unavailable");
      expect((e as DnsLookupError).kind).to.equal("unavailable");
      fail = false;
      expect((await locator.locate(known)).baseUrl).to.equal("https://smp.example/dpi");
      expect(calls).to.have.length(2);
    });

    it("does not cache bad SML data, and requires https unless allowed", async () => {
      const { resolver, calls } = fakeResolver(() => [naptr("!^.*$!http://127.0.0.1:8080/!")]);
      const strict = createSmlLocator({ mode: "naptr", zone }, { resolver });
      expect(await rejection(strict.locate(known))).to.be.instanceOf(SmlBadSmpUrlError);
      expect(await rejection(strict.locate(known))).to.be.instanceOf(SmlBadSmpUrlError);
      expect(calls).to.have.length(2);
      const sandbox = createSmlLocator({ mode: "naptr", zone, allowHttp: true }, { resolver });
      expect((await sandbox.locate(known)).baseUrl).to.equal("http://127.0.0.1:8080");
    });

    it("coalesces concurrent lookups of one participant", async () => {
      const { resolver, calls } = fakeResolver(registered);
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver });
      const results = await Promise.all([locator.locate(known), locator.locate(known), locator.locate(known)]);
      expect(results.map((r) => r.baseUrl)).to.deep.equal(Array(3).fill("https://smp.example/dpi"));
      expect(calls).to.have.length(1);
    });

    it("bounds the cache", async () => {
      const { resolver, calls } = fakeResolver(() => [naptr("!^.*$!https://smp.example!")]);
      const locator = createSmlLocator({ mode: "naptr", zone }, { resolver, cache: { maxEntries: 2 } });
      const a = participantId("0192:000000001");
      const b = participantId("0192:000000002");
      const c = participantId("0192:000000003");
      for (const p of [a, b, c, c, b]) await locator.locate(p);
      expect(calls).to.have.length(3);
      await locator.locate(a); // evicted by c
      expect(calls).to.have.length(4);
    });

    it("uses the legacy CNAME name and checks that it exists", async () => {
      const { resolver, calls } = fakeResolver(registered, { [legacyDnsName(known, zone)]: "cname" });
      const locator = createSmlLocator({ mode: "cname", zone }, { resolver });
      const location = await locator.locate(known);
      expect(location.method).to.equal("cname");
      expect(location.dnsName).to.equal(legacyDnsName(known, zone));
      expect(location.baseUrl).to.equal(`http://${legacyDnsName(known, zone).toLowerCase()}`);
      expect(await rejection(locator.locate(unknown))).to.be.instanceOf(ParticipantNotRegisteredError);
      expect(calls[0]).to.match(/^CNAME B-/);
      const unchecked = createSmlLocator({ mode: "cname", zone, verify: false }, { resolver });
      expect((await unchecked.locate(unknown)).baseUrl).to.match(/^http:\/\/b-[0-9a-f]{32}\.iso6523-actorid-upis\.sml\.local$/);
      expect(calls).to.have.length(2);
    });

    it("accepts a legacy name that has an A record instead of a CNAME", async () => {
      const { resolver, calls } = fakeResolver(registered, { [legacyDnsName(unknown, zone)]: "a" });
      const location = await createSmlLocator({ mode: "cname", zone }, { resolver }).locate(unknown);
      expect(location.dnsName).to.equal(legacyDnsName(unknown, zone));
      expect(calls.map((c) => c.split(" ")[0])).to.deep.equal(["CNAME", "A"]);
    });

    it("serves a static SMP URL without DNS", async () => {
      const { resolver, calls } = fakeResolver(registered);
      const locator = createSmlLocator({ mode: "static", smpUrl: "https://test-smp.elma-smp.no/" }, { resolver });
      expect(await locator.locate(unknown)).to.deep.equal({ baseUrl: "https://test-smp.elma-smp.no", method: "static" });
      expect(calls).to.have.length(0);
      expect(() => createSmlLocator({ mode: "static", smpUrl: "http://test-smp.elma-smp.no" })).to.throw(SmlBadSmpUrlError);
      expect((await createSmlLocator({ mode: "static", smpUrl: "http://localhost:1/", allowHttp: true }).locate(known)).baseUrl).to.equal("http://localhost:1");
    });
  });
});
