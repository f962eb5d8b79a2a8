import nodemailer from "nodemailer";
import type { SmtpConfig } from "../../config.js";
import type { OutgoingMail } from "./mail-message.js";

/**
 * The SMTP server mail leaves through (nodemailer), as the integrasjonspunkt's difi.move.mail.* configure it:
 * host, port, optional authentication; implicit TLS or STARTTLS (required when configured so).
 */

export interface MailTransport {
  /** Resolves once the SMTP server accepted the mail; rejects with nodemailer's error otherwise. */
  send(m: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export function createSmtpTransport(c: SmtpConfig): MailTransport {
  const t = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.secure,
    requireTLS: c.requireTls,
    ...(c.auth ? { auth: c.auth } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
  });
  return {
    async send(m) {
      const info = await t.sendMail(m);
      return { messageId: info.messageId };
    },
    close: () => t.close(),
  };
}

/** The SMTP server refused the mail for good (5xx: unknown mailbox, too large, policy); 4xx and network errors pass. */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}
