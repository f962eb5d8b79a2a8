/**
 * Exit codes and the usage error of the `dpi-ap` command. The codes follow grep and diff: 0 the answer is
 * yes, 1 the answer is no, 2 the question could not be asked.
 */

export const EXIT = {
  /** Everything checked and verified. */
  ok: 0,
  /** Verification failed, or something could not be checked (see the verdict). */
  failed: 1,
  /** Bad command line, unreadable --trust/--key, or an internal error. */
  usage: 2,
} as const;

/** The command line (or a file it names) is wrong; main prints the message and exits with 2. */
export class UsageError extends Error {
  readonly code = "CLI_USAGE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Where a command writes; injectable so tests can capture output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** The current time, for `--at`'s default. */
  now(): Date;
  /** All of standard input as text (e.g. a password piped in); absent: the command has none. */
  stdin?: () => Promise<string>;
}

export const MAIN_HELP = `Usage: dpi-ap <command> [options]

Commands:
  as4 verify <file>   Check an AS4 message: what it is, each signature reference, the SignatureValue,
                      the signer's certificate chain and (with --key) the encrypted attachments.
  participants add|remove|list
                      Served participants: store them and register them in the SMP for their role
                      (dpi-ap help participants).
  evidence verify <zip>
                      Check an evidence bundle from the operator console offline and say what it
                      proves (dpi-ap help evidence verify).
  console hash-password
                      Read a password from standard input and print its scrypt hash for
                      DPI_AP_CONSOLE_USERS (dpi-ap help console).
  help [command]      Show help, e.g. "dpi-ap help as4 verify".

Exit codes: 0 everything verified, 1 verification failed or incomplete, 2 usage or operational error.
`;
