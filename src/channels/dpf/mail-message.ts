import type { MailFiles } from "./mail-documents.js";

/**
 * The mail of one forsendelse (README, "DPF", mail delivery), in Norwegian for the receiving organisation's staff:
 * what it is, why it came by mail, and its documents: attached at security level 3; at level 4 only links to an
 * authenticated download on this access point (the NextMove API's credentials for the organisation), since a
 * mailbox is not a place for documents that need the highest level. The header `X-DPI-AP-Forsendelse-Id` names
 * the forsendelse for filters and for tests.
 */

export const FORSENDELSE_ID_HEADER = "X-DPI-AP-Forsendelse-Id";

export interface MailFacts {
  forsendelseId: string;
  title: string | undefined;
  sender: string | undefined;
  receiverOrg: string;
  level: number;
  /** Why it came by mail, in Norwegian ("Forsendelsen kunne ikke konverteres: …"). */
  why: string;
}

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

/** The mail; `links` (one per file, in order) at level 4, none at level 3. */
export function composeMail(f: MailFacts, files: MailFiles, o: { from: string; to: string; links?: readonly string[] | undefined; linkExpires?: Date | undefined }): OutgoingMail {
  const attach = f.level < 4;
  const lines = [
    `En forsendelse fra KS SvarInn til organisasjon ${f.receiverOrg} kunne ikke leveres til sak-/arkivsystemet og leveres derfor på e-post.`,
    "",
    `Årsak: ${f.why}`,
    "",
    `Tittel: ${f.title ?? "(uten tittel)"}`,
    `Avsender: ${f.sender ?? "(ukjent)"}`,
    `Forsendelse-id: ${f.forsendelseId}`,
    `Sikkerhetsnivå: ${f.level}`,
    "",
  ];
  if (files.note) lines.push(`Merk: ${files.note}`, "");
  if (attach) {
    lines.push(`Dokumentene ligger vedlagt (${files.files.length}):`, ...files.files.map((d) => `- ${d.filename}`));
  } else {
    lines.push(
      "Forsendelsen krever sikkerhetsnivå 4, så dokumentene er ikke vedlagt. Last dem ned med organisasjonens",
      "brukernavn og passord (eller Maskinporten-token) for NextMove-API-et på aksesspunktet:",
      ...files.files.map((d, n) => `- ${d.filename}: ${o.links?.[n] ?? ""}`),
    );
    if (o.linkExpires) lines.push("", `Lenkene virker til ${o.linkExpires.toISOString()}.`);
  }
  return {
    from: o.from,
    to: o.to,
    subject: `Forsendelse fra SvarInn: ${f.title ?? f.forsendelseId}`,
    text: `${lines.join("\n")}\n`,
    headers: { [FORSENDELSE_ID_HEADER]: f.forsendelseId },
    attachments: attach ? files.files.map((d) => ({ filename: d.filename, content: Buffer.from(d.bytes), contentType: d.contentType })) : [],
  };
}
