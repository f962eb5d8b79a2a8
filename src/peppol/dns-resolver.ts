import { Resolver } from "node:dns/promises";
import { DnsLookupError, DnsNameNotFoundError } from "./errors.js";

/**
 * The few DNS queries SML lookup needs, behind an interface so tests and the sandbox can point them at a
 * local server. The node implementation uses c-ares through `node:dns` with its own server list, so it
 * never depends on the host's resolver configuration unless asked to.
 */

export interface NaptrRecord {
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  /** Seconds, when the resolver can tell (node's c-ares binding does not report TTLs for NAPTR). */
  ttl?: number;
}

export interface DnsResolver {
  /** NAPTR records of `name`; throws DnsNameNotFoundError (NXDOMAIN/NODATA) or DnsLookupError. */
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  /** CNAME targets of `name`; same errors. */
  resolveCname(name: string): Promise<string[]>;
  /** IPv4 addresses of `name`; same errors. */
  resolve4(name: string): Promise<string[]>;
}

export interface NodeDnsResolverOptions {
  /**
   * DNS servers as `host` or `host:port` (IPv6 as `[addr]:port`), e.g. `["127.0.0.1:5353"]` for the local
   * simulator. Default: the servers of the host's resolver configuration.
   */
  servers?: readonly string[];
  /** Per-try timeout in milliseconds (c-ares doubles it on each retry). Default 2000. */
  timeoutMs?: number;
  /** Tries per server. Default 2. */
  tries?: number;
}

// c-ares reports a missing name as ENOTFOUND and an existing name without such records as ENODATA.
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(["ENOTFOUND", "ENODATA"]);

export function createNodeDnsResolver(options: NodeDnsResolverOptions = {}): DnsResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);

  async function query<T>(name: string, rrType: string, run: () => Promise<T[]>): Promise<T[]> {
    try {
      const records = await run();
      if (records.length === 0) throw new DnsNameNotFoundError(name, rrType, "ENODATA");
      return records;
    } catch (e) {
      if (e instanceof DnsNameNotFoundError) throw e;
      const code = errorCode(e);
      if (NOT_FOUND_CODES.has(code)) throw new DnsNameNotFoundError(name, rrType, code);
      throw new DnsLookupError(name, rrType, code, { cause: e });
    }
  }

  return {
    resolveNaptr: (name) =>
      query(name, "NAPTR", async () =>
        (await resolver.resolveNaptr(name)).map((r) => ({
          order: r.order,
          preference: r.preference,
          flags: r.flags,
          service: r.service,
          regexp: r.regexp,
          replacement: r.replacement,
        })),
      ),
    resolveCname: (name) => query(name, "CNAME", () => resolver.resolveCname(name)),
    resolve4: (name) => query(name, "A", () => resolver.resolve4(name)),
  };
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EUNKNOWN";
}
