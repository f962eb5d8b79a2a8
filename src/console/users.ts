import { parsePasswordHash, type PasswordHash } from "./password.js";

/**
 * The console's users, from DPI_AP_CONSOLE_USERS: comma-separated `<user>:<role>:<scrypt hash>` entries
 * (`dpi-ap console hash-password` prints a hash). An operator sees everything and acts; a viewer only sees.
 */

export const CONSOLE_ROLES = ["operator", "viewer"] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export interface ConsoleUser {
  name: string;
  role: ConsoleRole;
  password: PasswordHash;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** The users of the entries; each problem (named by user, never showing a hash) goes to `problems`. */
export function parseConsoleUsers(entries: readonly string[], problems: string[]): ConsoleUser[] {
  const users: ConsoleUser[] = [];
  for (const entry of entries) {
    const [name = "", role = "", hash = "", ...rest] = entry.split(":");
    const shown = NAME.test(name) ? `"${name}"` : "an entry";
    if (!NAME.test(name) || rest.length > 0) {
      problems.push(`DPI_AP_CONSOLE_USERS: ${shown} is not <user>:<role>:<scrypt hash> (user: letters, digits, . _ @ -)`);
      continue;
    }
    if (!(CONSOLE_ROLES as readonly string[]).includes(role)) {
      problems.push(`DPI_AP_CONSOLE_USERS: user ${shown}: role must be operator or viewer`);
      continue;
    }
    if (users.some((u) => u.name === name)) {
      problems.push(`DPI_AP_CONSOLE_USERS: user ${shown} is listed twice`);
      continue;
    }
    try {
      users.push({ name, role: role as ConsoleRole, password: parsePasswordHash(hash) });
    } catch (err) {
      problems.push(`DPI_AP_CONSOLE_USERS: user ${shown}: ${(err as Error).message}`);
    }
  }
  return users;
}
