/**
 * A local SMTP server that keeps every mail it accepts (smtp-server; read back parsed with mailparser): the
 * sandbox's mail relay for DPF's mail delivery, and what tests read the mails from. Plain SMTP on loopback (no
 * STARTTLS); with `auth` set it requires AUTH PLAIN/LOGIN with those credentials, as a relay that needs them
 * refuses a client without. `setDown(true)` answers every new connection 421 (service not available), a
 * temporary failure a sender must try again after.
 */
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** The envelope (MAIL FROM, RCPT TO). */
  envelope: { from: string; to: string[] };
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Header names in lower case. */
  headers: ReadonlyMap<string, string>;
  attachments: { filename: string; contentType: string; content: Buffer }[];
  raw: Buffer;
  receivedAt: Date;
}

export interface SmtpSimOptions {
  host?: string;
  port?: number;
  auth?: { user: string; pass: string } | undefined;
  /** Largest mail accepted (SIZE), bytes; default 50 MB. */
  maxBytes?: number;
}

export interface SmtpSim {
  readonly host: string;
  readonly port: number;
  /** Every mail accepted, oldest first. */
  mails(): readonly ReceivedMail[];
  /** Resolves with the first mail (already kept or still to come) that `match` accepts. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Calls `listener` with every mail accepted from now on (the sandbox logs them). */
  onMail(listener: (m: ReceivedMail) => void): void;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startSmtpSim(o: SmtpSimOptions = {}): Promise<SmtpSim> {
  const kept: ReceivedMail[] = [];
  const waiters = new Set<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }>();
  let down = false;
  const listeners: ((m: ReceivedMail) => void)[] = [];
  const maxBytes = o.maxBytes ?? 50 * 1024 * 1024;
  const server = new SMTPServer({
    disabledCommands: o.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !o.auth,
    allowInsecureAuth: true,
    size: maxBytes,
    logger: false,
    onConnect(_session, callback) {
      if (!down) return callback();
      const err = Object.assign(new Error("Service not available, try again later"), { responseCode: 421 });
      callback(err);
    },
    onAuth(auth, _session, callback) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(Object.assign(new Error("Message too large"), { responseCode: 552 }));
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((p) => {
            const mail: ReceivedMail = {
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address) },
              from: p.from?.text ?? "",
              to: Array.isArray(p.to) ? p.to.map((a) => a.text).join(", ") : (p.to?.text ?? ""),
              subject: p.subject ?? "",
              text: p.text ?? "",
              headers: new Map([...p.headers].map(([k, v]) => [k.toLowerCase(), typeof v === "string" ? v : JSON.stringify(v)])),
              attachments: p.attachments.map((a) => ({ filename: a.filename ?? "", contentType: a.contentType, content: a.content })),
              raw,
              receivedAt: new Date(),
            };
            kept.push(mail);
            for (const l of listeners) l(mail);
            for (const w of [...waiters]) if (w.match(mail)) {
              waiters.delete(w);
              w.resolve(mail);
            }
            callback();
          })
          .catch((err: unknown) => callback(Object.assign(new Error(`Unreadable message: ${err instanceof Error ? err.message : String(err)}`), { responseCode: 554 })));
      });
    },
  });
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve(server.server.address() as AddressInfo));
  });
  return {
    host: address.address,
    port: address.port,
    mails: () => kept,
    waitFor(match, timeoutMs = 10_000) {
      const found = kept.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = {
          match,
          resolve: (m: ReceivedMail) => {
            clearTimeout(t);
            resolve(m);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${kept.length} kept)`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    onMail: (l) => void listeners.push(l),
    setDown: (d) => void (down = d),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
