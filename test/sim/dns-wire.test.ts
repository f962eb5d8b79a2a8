import { expect } from "chai";
import { participantId } from "../../src/peppol/identifiers.js";
import { naptrDnsName } from "../../src/peppol/sml.js";
import {
  DnsWireError,
  RCODE,
  RR_CLASS_IN,
  RR_TYPE,
  decodeFlags,
  decodeMessage,
  encodeFlags,
  encodeMessage,
  encodeName,
  type DnsMessage,
} from "../../src/sim/dns/wire.js";
import { SmlZone, metaSmpRegexp } from "../../src/sim/dns/zone.js";

const FLAGS = { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 };

function message(partial: Partial<DnsMessage>): DnsMessage {
  return { id: 7, flags: FLAGS, questions: [], answers: [], authority: [], additional: [], ...partial };
}

function q(name: string, type: number = RR_TYPE.NAPTR, flags = FLAGS): DnsMessage {
  return message({ flags, questions: [{ name, type, class: RR_CLASS_IN }] });
}

describe("sim/dns wire format", () => {
  it("encodes a header as RFC 1035 lays it out", () => {
    const bytes = encodeMessage(message({ id: 0xabcd, questions: [{ name: "a.b", type: RR_TYPE.A, class: RR_CLASS_IN }] }));
    expect(bytes.subarray(0, 12).toString("hex")).to.equal("abcd" + "0100" + "0001" + "0000" + "0000" + "0000");
    expect(bytes.subarray(12).toString("hex")).to.equal("0161" + "0162" + "00" + "0001" + "0001");
  });

  it("round-trips flags", () => {
    const all = { qr: true, opcode: 2, aa: true, tc: true, rd: true, ra: true, rcode: 5 };
    expect(decodeFlags(encodeFlags(all))).to.deep.equal(all);
    expect(encodeFlags(all)).to.equal(0x8000 | (2 << 11) | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 5);
  });

  it("round-trips every record type it knows, and unknown ones as raw bytes", () => {
    const msg = message({
      flags: { ...FLAGS, qr: true, aa: true },
      questions: [{ name: "x.zone", type: RR_TYPE.ANY, class: RR_CLASS_IN }],
      answers: [
        { name: "x.zone", class: RR_CLASS_IN, ttl: 60, data: { type: "A", address: "192.0.2.1" } },
        { name: "x.zone", class: RR_CLASS_IN, ttl: 60, data: { type: "CNAME", target: "smp.example" } },
        { name: "x.zone", class: RR_CLASS_IN, ttl: 60, data: { type: "NAPTR", order: 1, preference: 2, flags: "U", service: "Meta:SMP", regexp: "!^.*$!https://s!", replacement: "" } },
        { name: "x.zone", class: RR_CLASS_IN, ttl: 5, data: { type: "RAW", rrType: RR_TYPE.TXT, bytes: Uint8Array.from([3, 0x61, 0x62, 0x63]) } },
      ],
      authority: [
        { name: "zone", class: RR_CLASS_IN, ttl: 60, data: { type: "SOA", mname: "ns1.zone", rname: "h.zone", serial: 9, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
        { name: "zone", class: RR_CLASS_IN, ttl: 60, data: { type: "NS", host: "ns1.zone" } },
      ],
    });
    expect(decodeMessage(encodeMessage(msg))).to.deep.equal(msg);
  });

  it("follows compression pointers when decoding", () => {
    // Header (1 question, 1 answer), question "a.zone" NAPTR, answer owner = pointer to offset 12,
    // CNAME target "b" + pointer to "zone" (offset 14).
    const header = Buffer.from("0001" + "8400" + "0001" + "0001" + "0000" + "0000", "hex");
    const question = Buffer.concat([encodeName("a.zone"), Buffer.from("00230001", "hex")]);
    const rdata = Buffer.from("0162c00e", "hex");
    const answer = Buffer.concat([Buffer.from("c00c" + "0005" + "0001" + "0000003c", "hex"), Buffer.from([0, rdata.length]), rdata]);
    const decoded = decodeMessage(Buffer.concat([header, question, answer]));
    expect(decoded.answers[0]).to.deep.equal({ name: "a.zone", class: 1, ttl: 60, data: { type: "CNAME", target: "b.zone" } });
  });

  it("rejects pointer loops, truncated messages and oversized names or labels", () => {
    const loop = Buffer.concat([Buffer.from("0001" + "0000" + "0001" + "0000" + "0000" + "0000", "hex"), Buffer.from("c00c00010001", "hex")]);
    expect(() => decodeMessage(loop)).to.throw(DnsWireError, /loop/);
    expect(() => decodeMessage(Buffer.from("0001", "hex"))).to.throw(DnsWireError, /truncated/);
    const full = encodeMessage(q("a.zone"));
    expect(() => decodeMessage(full.subarray(0, full.length - 1))).to.throw(DnsWireError);
    expect(() => encodeName(`${"a".repeat(64)}.zone`)).to.throw(DnsWireError, /63/);
    expect(() => encodeName(Array(130).fill("ab").join("."))).to.throw(DnsWireError, /255/);
    expect(() => encodeName("a..b")).to.throw(DnsWireError, /empty label/);
    expect(encodeName(".")).to.deep.equal(Buffer.from([0]));
    const longRegexp = message({ answers: [{ name: "x", class: 1, ttl: 1, data: { type: "NAPTR", order: 1, preference: 1, flags: "U", service: "s", regexp: "r".repeat(256), replacement: "" } }] });
    expect(() => encodeMessage(longRegexp)).to.throw(DnsWireError, /255/);
  });
});

describe("sim/dns SmlZone", () => {
  const zone = new SmlZone("sml.test", { ttl: 30, negativeTtl: 15 });
  const p = participantId("0192:984661185");
  zone.set(p, { smpUrl: "https://smp.example/", legacyCname: true });
  const name = naptrDnsName(p, "sml.test");

  it("answers authoritatively with the NAPTR record", () => {
    const reply = zone.answer(q(name))!;
    expect(reply.flags).to.deep.equal({ qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, rcode: RCODE.NOERROR });
    expect(reply.answers).to.deep.equal([
      { name, class: 1, ttl: 30, data: { type: "NAPTR", order: 100, preference: 10, flags: "U", service: "Meta:SMP", regexp: "!^.*$!https://smp.example/!", replacement: "" } },
    ]);
  });

  it("adds the SOA (minimum = negative TTL) to NXDOMAIN and NODATA answers", () => {
    const nx = zone.answer(q(`nobody.iso6523-actorid-upis.sml.test`))!;
    expect(nx.flags.rcode).to.equal(RCODE.NXDOMAIN);
    expect(nx.authority[0]!.data).to.include({ type: "SOA", minimum: 15 });
    const nodata = zone.answer(q(name, RR_TYPE.A))!;
    expect(nodata.flags.rcode).to.equal(RCODE.NOERROR);
    expect(nodata.answers).to.have.length(0);
    expect(nodata.authority).to.have.length(1);
  });

  it("ignores responses and refuses what it does not serve", () => {
    expect(zone.answer(q(name, RR_TYPE.NAPTR, { ...FLAGS, qr: true }))).to.equal(undefined);
    expect(zone.answer(q(name, RR_TYPE.NAPTR, { ...FLAGS, opcode: 4 }))!.flags.rcode).to.equal(RCODE.NOTIMP);
    expect(zone.answer(message({}))!.flags.rcode).to.equal(RCODE.FORMERR);
    expect(zone.answer(message({ questions: [{ name, type: RR_TYPE.NAPTR, class: 3 }] }))!.flags.rcode).to.equal(RCODE.REFUSED);
    expect(zone.answer(q("sml.test.evil.example"))!.flags.rcode).to.equal(RCODE.REFUSED);
  });

  it("answers ANY with every record, and removes a participant completely", () => {
    const z = new SmlZone("sml.test");
    z.set(p, { smpUrl: "https://a.example", naptr: [{ flags: "U", service: "Meta:LOC", regexp: "!x!y!" }] });
    expect(z.answer(q(name, RR_TYPE.ANY))!.answers).to.have.length(2);
    z.set(p, undefined);
    expect(z.answer(q(name))!.flags.rcode).to.equal(RCODE.NXDOMAIN);
    expect(z.answer(q("iso6523-actorid-upis.sml.test"))!.flags.rcode).to.equal(RCODE.NXDOMAIN);
  });

  it("chooses a NAPTR delimiter that does not occur in the URL", () => {
    expect(metaSmpRegexp("https://a.example/x")).to.equal("!^.*$!https://a.example/x!");
    expect(metaSmpRegexp("https://a.example/x!y")).to.equal("|^.*$|https://a.example/x!y|");
  });
});
