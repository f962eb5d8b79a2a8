import { legacyDnsName, naptrDnsName, normalizeZone } from "../../peppol/sml.js";
import { participantKey, type ParticipantId } from "../../peppol/identifiers.js";
import { RCODE, RR_CLASS_IN, RR_TYPE, rrTypeNumber, type DnsMessage, type DnsRecord, type RData } from "./wire.js";

/**
 * The authoritative data of an SML zone: for each registered participant a `Meta:SMP` U-NAPTR record at its
 * BDXL name and, optionally, the deprecated `B-<md5>` name. Answers queries the way an authoritative server
 * must (RFC 1034 §4.3.2, RFC 2308): AA set, NXDOMAIN or NODATA with the zone's SOA for negative caching,
 * empty non-terminals exist, CNAMEs are returned (and chased inside the zone) for other types.
 */

export interface NaptrSpec {
  order?: number;
  preference?: number;
  flags: string;
  service: string;
  regexp: string;
  replacement?: string;
}

export interface SmlRegistration {
  /** SMP base URL published through a `Meta:SMP` NAPTR record (`!^.*$!<url>!`). */
  smpUrl?: string;
  /** Extra NAPTR records at the participant's name (e.g. to test odd or broken SML data). */
  naptr?: readonly NaptrSpec[];
  /**
   * Also publish the deprecated CNAME-method name `B-<md5>`: a CNAME to the SMP host, or an A record when
   * the host is an IPv4 literal (a CNAME cannot point at an address). Default: the zone's setting.
   */
  legacyCname?: boolean;
  /** TTL of this participant's records in seconds. Default: the zone's. */
  ttl?: number;
}

export interface SmlZoneOptions {
  /** Default TTL of records, seconds. Default 60. */
  ttl?: number;
  /** SOA minimum: how long resolvers may cache NXDOMAIN, seconds. Default 60. */
  negativeTtl?: number;
  legacyCname?: boolean;
}

const URL_DELIMITERS = ["!", "|", "~", "%", "#", "@"];

export class SmlZone {
  readonly zone: string;
  private readonly ttl: number;
  private readonly negativeTtl: number;
  private readonly legacyCname: boolean;
  private serial = 1;
  private readonly byName = new Map<string, DnsRecord[]>();
  private readonly namesOf = new Map<string, string[]>();

  constructor(zone: string, options: SmlZoneOptions = {}) {
    this.zone = normalizeZone(zone);
    this.ttl = options.ttl ?? 60;
    this.negativeTtl = options.negativeTtl ?? 60;
    this.legacyCname = options.legacyCname ?? false;
  }

  /** Register, replace or (with undefined) remove a participant's records. */
  set(participant: ParticipantId, registration: SmlRegistration | undefined): void {
    const key = participantKey(participant);
    for (const name of this.namesOf.get(key) ?? []) this.byName.delete(name);
    this.namesOf.delete(key);
    this.serial++;
    if (!registration) return;

    const ttl = registration.ttl ?? this.ttl;
    const names: string[] = [];
    const naptrName = naptrDnsName(participant, this.zone);
    const naptr: DnsRecord[] = [];
    if (registration.smpUrl !== undefined) {
      naptr.push(this.record(naptrName, ttl, { type: "NAPTR", order: 100, preference: 10, flags: "U", service: "Meta:SMP", regexp: metaSmpRegexp(registration.smpUrl), replacement: "" }));
    }
    for (const n of registration.naptr ?? []) {
      naptr.push(
        this.record(naptrName, ttl, {
          type: "NAPTR",
          order: n.order ?? 100,
          preference: n.preference ?? 10,
          flags: n.flags,
          service: n.service,
          regexp: n.regexp,
          replacement: n.replacement ?? "",
        }),
      );
    }
    if (naptr.length > 0) {
      this.byName.set(naptrName, naptr);
      names.push(naptrName);
    }
    if ((registration.legacyCname ?? this.legacyCname) && registration.smpUrl !== undefined) {
      const legacyName = legacyDnsName(participant, this.zone).toLowerCase();
      const host = new URL(registration.smpUrl).hostname;
      const data: RData = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? { type: "A", address: host } : { type: "CNAME", target: host };
      this.byName.set(legacyName, [this.record(legacyName, ttl, data)]);
      names.push(legacyName);
    }
    this.namesOf.set(key, names);
  }

  /** The response to a query, or undefined when the message must be ignored (it is itself a response). */
  answer(query: DnsMessage): DnsMessage | undefined {
    if (query.flags.qr) return undefined;
    const reply = (rcode: number, aa: boolean, answers: DnsRecord[] = [], authority: DnsRecord[] = []): DnsMessage => ({
      id: query.id,
      flags: { qr: true, opcode: query.flags.opcode, aa, tc: false, rd: query.flags.rd, ra: false, rcode },
      questions: query.questions,
      answers,
      authority,
      additional: [],
    });
    if (query.flags.opcode !== 0) return reply(RCODE.NOTIMP, false);
    const question = query.questions[0];
    if (query.questions.length !== 1 || !question) return reply(RCODE.FORMERR, false);
    if (question.class !== RR_CLASS_IN && question.class !== RR_TYPE.ANY) return reply(RCODE.REFUSED, false);

    const qname = question.name.toLowerCase().replace(/\.$/, "");
    if (qname !== this.zone && !qname.endsWith(`.${this.zone}`)) return reply(RCODE.REFUSED, false);

    const soa = this.soa();
    const stored = qname === this.zone ? [soa] : this.byName.get(qname);
    if (!stored) {
      // A name with names below it exists even without records (an empty non-terminal).
      const suffix = `.${qname}`;
      const exists = [...this.byName.keys()].some((n) => n.endsWith(suffix));
      return reply(exists ? RCODE.NOERROR : RCODE.NXDOMAIN, true, [], [soa]);
    }

    const answers = this.select(stored, question.type, question.name);
    return answers.length > 0 ? reply(RCODE.NOERROR, true, answers) : reply(RCODE.NOERROR, true, [], [soa]);
  }

  private select(records: DnsRecord[], qtype: number, ownerAsAsked: string, depth = 0): DnsRecord[] {
    const asAsked = (rr: DnsRecord): DnsRecord => ({ ...rr, name: ownerAsAsked });
    if (qtype === RR_TYPE.ANY) return records.map(asAsked);
    const direct = records.filter((rr) => rrTypeNumber(rr.data) === qtype);
    if (direct.length > 0 || qtype === RR_TYPE.CNAME) return direct.map(asAsked);
    const cname = records.find((rr) => rr.data.type === "CNAME");
    if (!cname || cname.data.type !== "CNAME" || depth > 8) return [];
    const target = cname.data.target.toLowerCase();
    const chased = this.byName.get(target);
    return [asAsked(cname), ...(chased ? this.select(chased, qtype, target, depth + 1) : [])];
  }

  private soa(): DnsRecord {
    return this.record(this.zone, this.negativeTtl, {
      type: "SOA",
      mname: `ns1.${this.zone}`,
      rname: `hostmaster.${this.zone}`,
      serial: this.serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: this.negativeTtl,
    });
  }

  private record(name: string, ttl: number, data: RData): DnsRecord {
    return { name, class: RR_CLASS_IN, ttl, data };
  }
}

/** `!^.*$!<url>!` with a delimiter that does not occur in the URL. */
export function metaSmpRegexp(smpUrl: string): string {
  const d = URL_DELIMITERS.find((c) => !smpUrl.includes(c));
  if (!d) throw new TypeError(`no NAPTR delimiter fits ${smpUrl}`);
  return `${d}^.*$${d}${smpUrl.replace(/\\/g, "\\\\")}${d}`;
}
