import { AS4_VERIFY_HELP, runAs4Verify } from "./as4-verify.js";
import { EXIT, MAIN_HELP, UsageError, type CliIo } from "./usage.js";
import { PARTICIPANTS_HELP, runParticipants } from "./participants.js";
import { CONSOLE_HELP, runConsole } from "./console.js";
import { EVIDENCE_VERIFY_HELP, runEvidenceVerify } from "./evidence-verify.js";

/**
 * The `dpi-ap` command line: dispatches to one module per subcommand and turns failures into exit codes.
 * bin/dpi-ap.js calls {@link main}; tests call it with captured output.
 */

export type { CliIo } from "./usage.js";
export { EXIT } from "./usage.js";

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    now: () => new Date(),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

const HELP: Record<string, string> = {
  "": MAIN_HELP,
  as4: `Usage: dpi-ap as4 <subcommand>\n\nSubcommands:\n  verify <file>   Check an AS4 message (dpi-ap help as4 verify)\n`,
  "as4 verify": AS4_VERIFY_HELP,
  participants: PARTICIPANTS_HELP,
  console: CONSOLE_HELP,
  "console hash-password": CONSOLE_HELP,
  evidence: EVIDENCE_VERIFY_HELP,
  "evidence verify": EVIDENCE_VERIFY_HELP,
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    const [command, sub, ...rest] = argv;
    if (command === undefined) throw new UsageError("no command given");
    if (command === "help" || command === "--help" || command === "-h") {
      const topic = argv.slice(1).join(" ");
      const text = HELP[topic];
      if (text === undefined) throw new UsageError(`no help for "${topic}"`);
      io.stdout(text);
      return EXIT.ok;
    }
    if (command === "as4") {
      if (sub === "verify") return await runAs4Verify(rest, io);
      throw new UsageError(sub === undefined ? "as4 needs a subcommand" : `unknown as4 subcommand "${sub}"`);
    }
    if (command === "participants") return await runParticipants(argv.slice(1), io);
    if (command === "console") return await runConsole(argv.slice(1), io);
    if (command === "evidence") {
      if (sub === "verify") return await runEvidenceVerify(rest, io);
      throw new UsageError(sub === undefined ? "evidence needs a subcommand" : `unknown evidence subcommand "${sub}"`);
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dpi-ap: ${e.message}\nRun "dpi-ap help" for usage.\n`);
      return EXIT.usage;
    }
    io.stderr(`dpi-ap: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.usage;
  }
}
