import dgram from "node:dgram";
import net from "node:net";
import { toParticipantId, type ParticipantId } from "../../peppol/identifiers.js";
import { DnsWireError, RCODE, decodeMessage, encodeMessage, type DnsMessage } from "./wire.js";
import { SmlZone, type SmlRegistration, type SmlZoneOptions } from "./zone.js";

/**
 * A small authoritative DNS server for an SML zone, over UDP and TCP on the same port, so `node:dns`
 * (`Resolver.setServers(["127.0.0.1:<port>"])`) and any other resolver can run the real SML lookup against
 * it. UDP answers longer than 512 octets are truncated (TC) and the client retries over TCP.
 */

export interface DnsSimOptions extends SmlZoneOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  zone: string;
  /** Participant (`scheme::value` or a bare `0192:...` value) → SMP URL or registration. */
  records?: Readonly<Record<string, string | SmlRegistration>>;
  /** Also listen on TCP (default true). */
  tcp?: boolean;
}

export interface DnsSim {
  address: string;
  port: number;
  zone: string;
  /** `host:port` for `Resolver.setServers` (IPv6 in brackets). */
  server: string;
  /** Register (SMP URL or registration) or remove (undefined) a participant. */
  setParticipant(participant: string | ParticipantId, registration: string | SmlRegistration | undefined): void;
  /** Queries answered so far, per transport. */
  readonly stats: { udp: number; tcp: number };
  close(): Promise<void>;
}

const MAX_UDP_PAYLOAD = 512;

export async function startDnsSim(options: DnsSimOptions): Promise<DnsSim> {
  const zone = new SmlZone(options.zone, options);
  const setParticipant: DnsSim["setParticipant"] = (participant, registration) =>
    zone.set(toParticipantId(participant), typeof registration === "string" ? { smpUrl: registration } : registration);
  for (const [participant, registration] of Object.entries(options.records ?? {})) setParticipant(participant, registration);

  const host = options.host ?? "127.0.0.1";
  const stats = { udp: 0, tcp: 0 };
  const respond = (bytes: Buffer): Buffer | undefined => {
    let query: DnsMessage;
    try {
      query = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof DnsWireError) || bytes.length < 12) return undefined;
      // Echo the id with FORMERR, as RFC 1035 asks, when at least the header is readable.
      const reply = Buffer.alloc(12);
      bytes.copy(reply, 0, 0, 2);
      reply.writeUInt16BE(0x8000 | (bytes.readUInt16BE(2) & 0x7800) | RCODE.FORMERR, 2);
      return reply;
    }
    const answer = zone.answer(query);
    return answer ? encodeMessage(answer) : undefined;
  };

  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(options.port ?? 0, host, () => {
        udp.off("error", reject);
        resolve();
      });
    });
    const port = udp.address().port;
    let tcp: net.Server | undefined;
    if (options.tcp !== false) {
      try {
        tcp = await listenTcp(host, port, respond, stats);
      } catch (e) {
        udp.close();
        // The ephemeral UDP port may be taken on TCP; pick another one.
        if ((e as NodeJS.ErrnoException).code === "EADDRINUSE" && !options.port && attempt < 5) continue;
        throw e;
      }
    }
    udp.on("message", (msg, rinfo) => {
      const reply = respond(msg);
      if (!reply) return;
      stats.udp++;
      udp.send(reply.length > MAX_UDP_PAYLOAD ? truncated(reply) : reply, rinfo.port, rinfo.address);
    });
    udp.on("error", () => undefined);

    return {
      address: host,
      port,
      zone: zone.zone,
      server: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
      setParticipant,
      stats,
      async close() {
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          tcp ? closeTcp(tcp) : Promise.resolve(),
        ]);
      },
    };
  }
}

/** The header and question of a reply with TC set and no records: the client retries over TCP. */
function truncated(reply: Buffer): Buffer {
  const decoded = decodeMessage(reply);
  return encodeMessage({ ...decoded, flags: { ...decoded.flags, tc: true }, answers: [], authority: [], additional: [] });
}

const tcpSockets = new WeakMap<net.Server, Set<net.Socket>>();

async function listenTcp(host: string, port: number, respond: (b: Buffer) => Buffer | undefined, stats: { tcp: number }): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = respond(Buffer.from(message));
        if (!reply) continue;
        stats.tcp++;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  });
  tcpSockets.set(server, sockets);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

function closeTcp(server: net.Server): Promise<void> {
  for (const socket of tcpSockets.get(server) ?? []) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
