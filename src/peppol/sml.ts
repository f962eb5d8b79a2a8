import { createHash } from "node:crypto";
import { systemClock, type Clock } from "../clock.js";
import { createNodeDnsResolver, type DnsResolver, type NaptrRecord } from "./dns-resolver.js";
import {
  DnsNameNotFoundError,
  ParticipantNotRegisteredError,
  SmlBadRegexpError,
  SmlBadSmpUrlError,
  SmlNoSmpRecordError,
} from "./errors.js";
import { formatIdentifier, participantKey, type ParticipantId } from "./identifiers.js";

/**
 * SML lookup: from a participant identifier to the base URL of the SMP that holds its metadata.
 *
 * - `naptr` (BDXL, current Peppol): query NAPTR at `base32(sha256(lower(value))).<scheme>.<zone>` and apply
 *   the regexp of the `Meta:SMP` record with flag `U`.
 * - `cname` (deprecated Peppol method): the SMP is `http://B-<md5(lower(value))>.<scheme>.<zone>/`.
 * - `static`: one configured SMP for everyone (how ELMA is often configured in closed setups).
 */

export const SML_ZONES = {
  prod: "participant.sml.prod.tech.peppol.org",
  test: "participant.sml.test.tech.peppol.org",
  /** The EC-run zones that OpenPeppol's SML replaced; only for the deprecated CNAME method. */
  legacyProd: "edelivery.tech.ec.europa.eu",
  legacyTest: "acc.edelivery.tech.ec.europa.eu",
} as const;

export const NAPTR_SMP_SERVICE = "Meta:SMP";

// ---- DNS names ---------------------------------------------------------------------------------------

/** The BDXL label of a participant value: lower-case base32 (no padding) of SHA-256 of the lower-cased value. */
export function naptrLabel(participantValue: string): string {
  const digest = createHash("sha256").update(participantValue.toLowerCase(), "utf8").digest();
  return base32(digest).toLowerCase();
}

/** `<naptrLabel>.<scheme>.<zone>`, all lower case. */
export function naptrDnsName(participant: ParticipantId, zone: string): string {
  return `${naptrLabel(participant.value)}.${participant.scheme.toLowerCase()}.${normalizeZone(zone)}`;
}

/** `B-<md5 hex of the lower-cased value>.<scheme>.<zone>` (deprecated CNAME method). */
export function legacyDnsName(participant: ParticipantId, zone: string): string {
  const md5 = createHash("md5").update(participant.value.toLowerCase(), "utf8").digest("hex");
  return `B-${md5}.${participant.scheme.toLowerCase()}.${normalizeZone(zone)}`;
}

export function normalizeZone(zone: string): string {
  const z = zone.trim().toLowerCase().replace(/^\.+|\.+$/g, "");
  if (z === "" || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(z)) throw new TypeError(`invalid SML zone ${JSON.stringify(zone)}`);
  return z;
}

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

// ---- NAPTR regexp (RFC 3402 §3.2) --------------------------------------------------------------------

export interface NaptrRegexp {
  delimiter: string;
  /** The pattern translated to a JavaScript RegExp. */
  pattern: RegExp;
  /** The substitution, split into literal text and back-reference numbers. */
  replacement: ReadonlyArray<string | number>;
}

const MAX_REGEXP_LENGTH = 1024;
// Each unbounded quantifier multiplies worst-case backtracking by the input length (a DNS name, < 256);
// three keep the worst case in the tens of millions of steps. Real SML records use one (`^.*$`).
const MAX_QUANTIFIERS = 3;
const ERE_SPECIAL = ".[]()*+?{}|^$\\";

/**
 * Splits and compiles a NAPTR regexp field `<d>ERE<d>replacement<d>flags` for any delimiter <d> the RFC
 * allows (not a digit, backslash, `i` or NUL). The ERE is restricted to a safe subset: no back-references,
 * POSIX classes or backslashes inside brackets, no quantified groups, at most three quantifiers.
 */
export function parseNaptrRegexp(field: string): NaptrRegexp {
  const fail = (reason: string): never => {
    throw new SmlBadRegexpError(field, reason);
  };
  if (field.length < 3) fail("too short");
  if (field.length > MAX_REGEXP_LENGTH) fail(`longer than ${MAX_REGEXP_LENGTH} characters`);
  const delimiter = field[0]!;
  if (/[0-9\\i\0]/.test(delimiter)) fail(`${JSON.stringify(delimiter)} cannot be a delimiter`);

  // Split at unescaped delimiters, keeping escapes for the part parsers.
  const parts: string[] = [];
  let current = "";
  for (let i = 1; i < field.length; i++) {
    const c = field[i]!;
    if (c === "\\") {
      if (i + 1 >= field.length) fail("ends with a lone backslash");
      current += c + field[++i];
    } else if (c === delimiter) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (parts.length !== 2) fail(`expected three ${JSON.stringify(delimiter)} delimiters after the first`);
  const [ere, repl] = parts as [string, string];
  const flags = current;
  if (flags !== "" && flags !== "i") fail(`unknown flags ${JSON.stringify(flags)}`);
  if (ere === "") fail("empty pattern");

  const source = ereToJavaScript(ere, delimiter, fail);
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, flags === "i" ? "i" : "");
  } catch (e) {
    return fail(`pattern does not compile: ${(e as Error).message}`);
  }
  const groups = countGroups(source);
  return { delimiter, pattern, replacement: parseReplacement(repl, delimiter, groups, fail) };
}

/** Applies a NAPTR regexp to `input` (sed-like: the first match is replaced by the substitution). */
export function applyNaptrRegexp(field: string, input: string): string {
  const { pattern, replacement } = parseNaptrRegexp(field);
  const m = pattern.exec(input);
  if (!m) throw new SmlBadRegexpError(field, `does not match ${JSON.stringify(input)}`);
  const substituted = replacement.map((p) => (typeof p === "number" ? (m[p] ?? "") : p)).join("");
  return input.slice(0, m.index) + substituted + input.slice(m.index + m[0].length);
}

function ereToJavaScript(ere: string, delimiter: string, fail: (reason: string) => never): string {
  let out = "";
  let quantifiers = 0;
  let inBracket = false;
  let bracketStart = -1;
  let previous = ""; // previous token outside brackets, to spot quantified groups
  for (let i = 0; i < ere.length; i++) {
    const c = ere[i]!;
    if (inBracket) {
      if (c === "\\") fail("backslash inside a bracket expression");
      if (c === "[" && /[:=.]/.test(ere[i + 1] ?? "")) fail("POSIX character classes are not supported");
      // `]` right after `[` or `[^` is a literal member.
      if (c === "]" && i > bracketStart + 1 && !(i === bracketStart + 2 && ere[bracketStart + 1] === "^")) {
        inBracket = false;
        previous = "]";
      }
      out += c;
      continue;
    }
    if (c === "\\") {
      const next = ere[++i];
      if (next === undefined) fail("pattern ends with a backslash");
      if (next === delimiter) out += escapeForRegExp(next!);
      else if (ERE_SPECIAL.includes(next!)) out += `\\${next}`;
      else fail(`undefined escape \\${next}`);
      previous = "literal";
      continue;
    }
    if (c === "[") {
      inBracket = true;
      bracketStart = i;
      out += c;
      continue;
    }
    if (c === "(" && ere[i + 1] === "?") fail("(? constructs are not ERE");
    if ("*+?{".includes(c)) {
      if (previous === ")") fail("quantified groups are not supported");
      quantifiers++;
      if (quantifiers > MAX_QUANTIFIERS) fail(`more than ${MAX_QUANTIFIERS} quantifiers`);
      if (c === "{") {
        const close = ere.indexOf("}", i);
        if (close < 0 || !/^\{[0-9]+(,[0-9]*)?\}$/.test(ere.slice(i, close + 1))) fail("malformed interval");
        out += ere.slice(i, close + 1);
        i = close;
        previous = "quantifier";
        continue;
      }
      previous = "quantifier";
      out += c;
      continue;
    }
    previous = c === ")" ? ")" : "literal";
    out += c;
  }
  if (inBracket) fail("unterminated bracket expression");
  return out;
}

function parseReplacement(
  repl: string,
  delimiter: string,
  groups: number,
  fail: (reason: string) => never,
): Array<string | number> {
  const out: Array<string | number> = [];
  let text = "";
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i]!;
    if (c !== "\\") {
      text += c;
      continue;
    }
    const next = repl[++i]!;
    if (next === "\\" || next === delimiter) {
      text += next;
    } else if (/[1-9]/.test(next)) {
      const n = Number(next);
      if (n > groups) fail(`back-reference \\${n} but the pattern has ${groups} group(s)`);
      if (text) out.push(text);
      text = "";
      out.push(n);
    } else {
      fail(`undefined escape \\${next} in the replacement`);
    }
  }
  if (text) out.push(text);
  return out;
}

function countGroups(source: string): number {
  let n = 0;
  let inBracket = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (inBracket) inBracket = c !== "]";
    else if (c === "[") inBracket = true;
    else if (c === "(") n++;
  }
  return n;
}

function escapeForRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

// ---- NAPTR selection ---------------------------------------------------------------------------------

export interface SmpUrlOptions {
  /** Accept `http:` SMP URLs (local sandbox only; Peppol requires https since SML 1.3). */
  allowHttp?: boolean;
}

/**
 * Checks that a URL is absolute https (or http when allowed), without credentials, query or fragment, and
 * returns it without trailing slashes so callers can append `/<participant>`.
 */
export function normalizeSmpUrl(url: string, options: SmpUrlOptions = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SmlBadSmpUrlError(url, "not an absolute URL");
  }
  const allowed = options.allowHttp ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(parsed.protocol)) {
    throw new SmlBadSmpUrlError(url, options.allowHttp ? "scheme must be https or http" : "scheme must be https");
  }
  if (parsed.username || parsed.password) throw new SmlBadSmpUrlError(url, "must not carry credentials");
  if (parsed.search || parsed.hash || url.includes("?") || url.includes("#")) {
    throw new SmlBadSmpUrlError(url, "must not carry a query or fragment");
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}

/**
 * The SMP base URL from the NAPTR records of `dnsName`: records with service `Meta:SMP` and flag `U`
 * (both case-insensitive), tried in (order, preference) order; the first whose regexp yields a valid URL
 * wins. If none is usable, the first record's failure is thrown.
 */
export function smpUrlFromNaptr(records: readonly NaptrRecord[], dnsName: string, participant: string, options: SmpUrlOptions = {}): string {
  const candidates = records
    .filter((r) => r.service.toLowerCase() === NAPTR_SMP_SERVICE.toLowerCase() && r.flags.toLowerCase() === "u")
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  if (candidates.length === 0) {
    const seen = records.map((r) => `${r.service}/${r.flags}`).join(", ");
    throw new SmlNoSmpRecordError(participant, dnsName, `no NAPTR record with service Meta:SMP and flag U (found: ${seen || "none"})`);
  }
  let firstError: unknown;
  for (const record of candidates) {
    try {
      return normalizeSmpUrl(applyNaptrRegexp(record.regexp, dnsName), options);
    } catch (e) {
      firstError ??= e;
    }
  }
  throw firstError;
}

// ---- locator with cache ------------------------------------------------------------------------------

export type SmlConfig =
  | { mode: "naptr"; zone: string; allowHttp?: boolean }
  | { mode: "cname"; zone: string; /** Check with DNS that the name exists (default true). */ verify?: boolean }
  | { mode: "static"; smpUrl: string; allowHttp?: boolean };

export interface SmpLocation {
  /** Absolute SMP base URL without trailing slash, e.g. `https://smp.example/path`. */
  baseUrl: string;
  method: SmlConfig["mode"];
  /** The DNS name that was asked (naptr and cname modes). */
  dnsName?: string;
}

export interface SmlCacheOptions {
  /** TTL when DNS does not report one (node's resolver never does for NAPTR). Default 600 s. */
  defaultTtlSeconds?: number;
  /** Upper bound on any positive TTL. Default 3600 s. */
  maxTtlSeconds?: number;
  /** How long "not registered" is remembered. Default 60 s; 0 disables negative caching. */
  negativeTtlSeconds?: number;
  /** Entries kept at most; the oldest are dropped first. Default 10 000. */
  maxEntries?: number;
}

export interface SmlLocatorOptions {
  /** Default: node's resolver with the host's servers. */
  resolver?: DnsResolver;
  clock?: Clock;
  cache?: SmlCacheOptions;
}

export interface SmlLocator {
  /** The SMP base URL of a participant; throws ParticipantNotRegisteredError, SmlNoSmpRecordError, SmlBadRegexpError, SmlBadSmpUrlError or DnsLookupError. */
  locate(participant: ParticipantId): Promise<SmpLocation>;
  /** Forget cached answers (all, or one participant's). */
  clearCache(participant?: ParticipantId): void;
}

type CacheEntry = { expiresAt: number } & ({ location: SmpLocation } | { error: ParticipantNotRegisteredError });

export function createSmlLocator(config: SmlConfig, options: SmlLocatorOptions = {}): SmlLocator {
  if (config.mode === "static") {
    const location: SmpLocation = { baseUrl: normalizeSmpUrl(config.smpUrl, { allowHttp: config.allowHttp ?? false }), method: "static" };
    return { locate: async () => location, clearCache: () => undefined };
  }

  const zone = normalizeZone(config.zone);
  const resolver = options.resolver ?? createNodeDnsResolver();
  const clock = options.clock ?? systemClock;
  const defaultTtl = options.cache?.defaultTtlSeconds ?? 600;
  const maxTtl = options.cache?.maxTtlSeconds ?? 3600;
  const negativeTtl = options.cache?.negativeTtlSeconds ?? 60;
  const maxEntries = options.cache?.maxEntries ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<SmpLocation>>();

  async function lookupNaptr(participant: ParticipantId): Promise<{ location: SmpLocation; ttl: number | undefined }> {
    const dnsName = naptrDnsName(participant, zone);
    const records = await notRegisteredOnMissing(participant, dnsName, () => resolver.resolveNaptr(dnsName));
    const baseUrl = smpUrlFromNaptr(records, dnsName, formatIdentifier(participant), {
      allowHttp: config.mode === "naptr" && (config.allowHttp ?? false),
    });
    const ttls = records.map((r) => r.ttl).filter((t): t is number => t !== undefined);
    return { location: { baseUrl, method: "naptr", dnsName }, ttl: ttls.length > 0 ? Math.min(...ttls) : undefined };
  }

  async function lookupCname(participant: ParticipantId): Promise<{ location: SmpLocation; ttl: undefined }> {
    const dnsName = legacyDnsName(participant, zone);
    if (config.mode !== "cname" || config.verify !== false) {
      await notRegisteredOnMissing(participant, dnsName, async () => {
        try {
          return await resolver.resolveCname(dnsName);
        } catch (e) {
          // The name may carry an A record directly instead of a CNAME.
          if (e instanceof DnsNameNotFoundError && e.dnsCode === "ENODATA") return resolver.resolve4(dnsName);
          throw e;
        }
      });
    }
    return { location: { baseUrl: `http://${dnsName.toLowerCase()}`, method: "cname", dnsName }, ttl: undefined };
  }

  async function lookup(participant: ParticipantId, key: string): Promise<SmpLocation> {
    const now = clock().getTime();
    try {
      const { location, ttl } = config.mode === "naptr" ? await lookupNaptr(participant) : await lookupCname(participant);
      remember(key, { location, expiresAt: now + Math.min(ttl ?? defaultTtl, maxTtl) * 1000 });
      return location;
    } catch (e) {
      if (e instanceof ParticipantNotRegisteredError && negativeTtl > 0) {
        remember(key, { error: e, expiresAt: now + negativeTtl * 1000 });
      }
      throw e;
    }
  }

  function remember(key: string, entry: CacheEntry): void {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }

  return {
    async locate(participant) {
      const key = participantKey(participant);
      const hit = cache.get(key);
      if (hit && hit.expiresAt > clock().getTime()) {
        if ("error" in hit) throw hit.error;
        return hit.location;
      }
      cache.delete(key);
      const pending = inFlight.get(key);
      if (pending) return pending;
      const started = lookup(participant, key).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
    clearCache(participant) {
      if (participant) cache.delete(participantKey(participant));
      else cache.clear();
    },
  };
}

async function notRegisteredOnMissing<T>(participant: ParticipantId, dnsName: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DnsNameNotFoundError) throw new ParticipantNotRegisteredError(formatIdentifier(participant), dnsName, { cause: e });
    throw e;
  }
}
