/**
 * DNS messages in RFC 1035 wire format: just the record types the SML simulator serves (A, CNAME, SOA,
 * NAPTR), others carried as raw RDATA. Decoding follows compression pointers (with a loop guard); encoding
 * writes names uncompressed, which every resolver accepts.
 */

export const RR_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, NAPTR: 35, OPT: 41, ANY: 255 } as const;
export const RR_CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export type RData =
  | { type: "A"; address: string }
  | { type: "CNAME"; target: string }
  | { type: "NS"; host: string }
  | { type: "SOA"; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { type: "NAPTR"; order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
  | { type: "RAW"; rrType: number; bytes: Uint8Array };

export interface DnsRecord {
  name: string;
  class: number;
  ttl: number;
  data: RData;
}

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

export class DnsWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DnsWireError";
  }
}

// ---- decoding ----------------------------------------------------------------------------------------

export function decodeMessage(buf: Uint8Array): DnsMessage {
  const r = new Reader(buf);
  const id = r.u16();
  const f = r.u16();
  const counts = [r.u16(), r.u16(), r.u16(), r.u16()] as const;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const records = (n: number): DnsRecord[] => Array.from({ length: n }, () => r.record());
  const answers = records(counts[1]);
  const authority = records(counts[2]);
  const additional = records(counts[3]);
  return { id, flags: decodeFlags(f), questions, answers, authority, additional };
}

export function decodeFlags(f: number): DnsFlags {
  return {
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    rcode: f & 0xf,
  };
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DnsWireError("message truncated");
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  charString(): string {
    return Buffer.from(this.bytes(this.u8())).toString("latin1");
  }
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let jumps = 0;
    let length = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsWireError("name runs past the message");
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsWireError("truncated compression pointer");
        if (++jumps > 64) throw new DnsWireError("compression pointer loop");
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsWireError("unsupported label type");
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new DnsWireError("label runs past the message");
      length += len + 1;
      if (length > 255) throw new DnsWireError("name longer than 255 octets");
      labels.push(Buffer.from(this.buf.subarray(pos + 1, pos + 1 + len)).toString("latin1"));
      pos += 1 + len;
    }
    return labels.join(".");
  }
  record(): DnsRecord {
    const name = this.name();
    const type = this.u16();
    const klass = this.u16();
    const ttl = this.u32();
    const rdlength = this.u16();
    this.need(rdlength);
    const end = this.pos + rdlength;
    const data = this.rdata(type, rdlength);
    if (this.pos !== end) throw new DnsWireError(`RDATA of type ${type} has the wrong length`);
    return { name, class: klass, ttl, data };
  }
  private rdata(type: number, length: number): RData {
    switch (type) {
      case RR_TYPE.A: {
        if (length !== 4) throw new DnsWireError("A record RDATA must be 4 octets");
        return { type: "A", address: Array.from(this.bytes(4)).join(".") };
      }
      case RR_TYPE.CNAME:
        return { type: "CNAME", target: this.name() };
      case RR_TYPE.NS:
        return { type: "NS", host: this.name() };
      case RR_TYPE.SOA:
        return { type: "SOA", mname: this.name(), rname: this.name(), serial: this.u32(), refresh: this.u32(), retry: this.u32(), expire: this.u32(), minimum: this.u32() };
      case RR_TYPE.NAPTR:
        return {
          type: "NAPTR",
          order: this.u16(),
          preference: this.u16(),
          flags: this.charString(),
          service: this.charString(),
          regexp: this.charString(),
          replacement: this.name(),
        };
      default:
        return { type: "RAW", rrType: type, bytes: Uint8Array.from(this.bytes(length)) };
    }
  }
}

// ---- encoding ----------------------------------------------------------------------------------------

export function encodeFlags(f: DnsFlags): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.rcode & 0xf)
  );
}

export function encodeMessage(msg: DnsMessage): Buffer {
  const w = new Writer();
  w.u16(msg.id);
  w.u16(encodeFlags(msg.flags));
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authority.length);
  w.u16(msg.additional.length);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...msg.answers, ...msg.authority, ...msg.additional]) w.record(rr);
  return w.toBuffer();
}

export function rrTypeNumber(data: RData): number {
  return data.type === "RAW" ? data.rrType : RR_TYPE[data.type];
}

class Writer {
  private chunks: Buffer[] = [];
  u8(v: number): void {
    this.chunks.push(Buffer.from([v & 0xff]));
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    this.chunks.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.chunks.push(b);
  }
  raw(b: Uint8Array): void {
    this.chunks.push(Buffer.from(b));
  }
  charString(s: string): void {
    const b = Buffer.from(s, "latin1");
    if (b.length > 255) throw new DnsWireError("character-string longer than 255 octets");
    this.u8(b.length);
    this.raw(b);
  }
  name(name: string): void {
    this.raw(encodeName(name));
  }
  record(rr: DnsRecord): void {
    this.name(rr.name);
    this.u16(rrTypeNumber(rr.data));
    this.u16(rr.class);
    this.u32(rr.ttl);
    const body = new Writer();
    body.rdata(rr.data);
    const bytes = body.toBuffer();
    this.u16(bytes.length);
    this.raw(bytes);
  }
  private rdata(d: RData): void {
    switch (d.type) {
      case "A": {
        const parts = d.address.split(".").map(Number);
        if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new DnsWireError(`bad IPv4 address ${d.address}`);
        this.raw(Uint8Array.from(parts));
        return;
      }
      case "CNAME":
        return this.name(d.target);
      case "NS":
        return this.name(d.host);
      case "SOA":
        this.name(d.mname);
        this.name(d.rname);
        for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) this.u32(v);
        return;
      case "NAPTR":
        this.u16(d.order);
        this.u16(d.preference);
        this.charString(d.flags);
        this.charString(d.service);
        this.charString(d.regexp);
        this.name(d.replacement);
        return;
      case "RAW":
        this.raw(d.bytes);
        return;
    }
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A domain name as a sequence of length-prefixed labels ending in the root label; "" and "." are the root. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of trimmed.split(".")) {
    const b = Buffer.from(label, "latin1");
    if (b.length === 0) throw new DnsWireError(`empty label in ${JSON.stringify(name)}`);
    if (b.length > 63) throw new DnsWireError(`label longer than 63 octets in ${JSON.stringify(name)}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsWireError(`name longer than 255 octets: ${JSON.stringify(name)}`);
  return out;
}
