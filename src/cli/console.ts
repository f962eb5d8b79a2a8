import { hashPassword } from "../console/password.js";
import { EXIT, UsageError, type CliIo } from "./usage.js";

/** `dpi-ap console hash-password`: the hash of a console user's password, for DPI_AP_CONSOLE_USERS. */

export const CONSOLE_HELP = `Usage: dpi-ap console hash-password < password-file

Reads a password from standard input (its first line; at least 12 characters) and prints its scrypt hash,
to put in DPI_AP_CONSOLE_USERS as <user>:<operator|viewer>:<hash>. The password is never an argument, so
it stays out of the shell history and the process list. Each run salts anew: two hashes of one password differ.

Example:
  read -rs pw && printf '%s\\n' "$pw" | dpi-ap console hash-password
`;

export const MIN_PASSWORD_LENGTH = 12;

export async function runConsole(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "hash-password") throw new UsageError(sub === undefined ? "console needs a subcommand" : `unknown console subcommand "${sub}"`);
  if (rest.length > 0) throw new UsageError("console hash-password takes no arguments: the password is read from standard input");
  if (!io.stdin) throw new UsageError("console hash-password needs standard input");
  // The first line, without its line end: `echo` and a file saved by an editor both add one.
  const password = (await io.stdin()).split(/\r?\n/)[0] ?? "";
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  io.stdout(`${await hashPassword(password)}\n`);
  return EXIT.ok;
}
