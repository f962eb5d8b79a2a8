import { DomainError } from "../../errors.js";

/**
 * The parameters of a Content-Disposition header (RFC 6266): PUT /api/messages/out/{id} names the file with
 * `filename` and its title with `name`, as the integrasjonspunkt reads them. `filename*` (RFC 8187, UTF-8)
 * wins over `filename`. Only what is needed is parsed; anything unreadable is refused, never guessed.
 */
export interface Disposition {
  type: string;
  filename?: string | undefined;
  name?: string | undefined;
}

export class ContentDispositionInvalidError extends DomainError {
  readonly code = "content-disposition-invalid";
  readonly kind = "invalid";
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseContentDisposition(header: string | undefined): Disposition {
  if (header === undefined || header.trim() === "") throw new ContentDispositionInvalidError("the Content-Disposition header is required and names the file (filename=...)");
  const [type = "", ...rest] = splitParams(header);
  if (!TOKEN.test(type)) throw new ContentDispositionInvalidError(`Content-Disposition type ${JSON.stringify(type)} is not a token`);
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new ContentDispositionInvalidError(`Content-Disposition parameter ${JSON.stringify(p)} has no value`);
    const key = p.slice(0, eq).trim().toLowerCase();
    if (params.has(key)) throw new ContentDispositionInvalidError(`Content-Disposition parameter ${key} appears twice`);
    params.set(key, p.slice(eq + 1).trim());
  }
  const extended = params.get("filename*");
  const filename = extended !== undefined ? decodeExtended(extended) : unquote(params.get("filename"));
  return { type: type.toLowerCase(), filename: filename || undefined, name: unquote(params.get("name")) || undefined };
}

/** Splits on `;` outside quoted strings. */
function splitParams(header: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i]!;
    if (quoted && ch === "\\" && i + 1 < header.length) {
      cur += ch + header[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ";" && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new ContentDispositionInvalidError("Content-Disposition has an unterminated quoted string");
  out.push(cur.trim());
  return out.filter((s, i) => i === 0 || s !== "");
}

function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!v.startsWith('"')) {
    if (!TOKEN.test(v)) throw new ContentDispositionInvalidError(`Content-Disposition value ${JSON.stringify(v)} must be a token or a quoted string`);
    return v;
  }
  if (!v.endsWith('"') || v.length < 2) throw new ContentDispositionInvalidError(`Content-Disposition value ${v} is not a quoted string`);
  return v.slice(1, -1).replace(/\\(.)/g, "$1");
}

function decodeExtended(v: string): string {
  const m = /^([A-Za-z0-9!#$&+^`{}~-]+)'[A-Za-z0-9-]*'(.*)$/.exec(v);
  if (!m || m[1]!.toLowerCase() !== "utf-8") throw new ContentDispositionInvalidError(`filename* must be UTF-8''<percent-encoded>, got ${JSON.stringify(v)}`);
  try {
    return decodeURIComponent(m[2]!);
  } catch {
    throw new ContentDispositionInvalidError(`filename* has bad percent-encoding: ${JSON.stringify(v)}`);
  }
}
