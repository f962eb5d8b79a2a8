/**
 * `dpi-ap participants add|remove|list`: onboarding served participants from the command line. It reads the
 * access point's own configuration (the same DPI_AP_* environment), works on its store directly and registers
 * in the SMP through the management API like the admin REST API does; a running access point sees the change
 * within DPI_AP_PARTICIPANTS_REFRESH_MS.
 */
import { loadConfig } from "../config.js";
import { DomainError } from "../errors.js";
import { silentLogger } from "../log.js";
import { ServedDirectory } from "../participants/directory.js";
import { ParticipantsService } from "../participants/service.js";
import { SmpManagementClient } from "../peppol/smp-management.js";
import { loadKeyStore } from "../pki/keystore.js";
import { ParticipantsRepo } from "../store/participants-repo.js";
import { openDatabase } from "../store/prisma.js";
import { EXIT, UsageError, type CliIo } from "./usage.js";

export const PARTICIPANTS_HELP = `Usage: dpi-ap participants <subcommand>

Subcommands:
  add <orgno> --role sender|postbox|print   Serve a participant: store it and register it in the SMP for the
                                            document types of its role (a sender: the DPI receipts; a postbox
                                            provider: digital and flyttet letters; a print provider: utskrift)
  remove <orgno> [--role <role>]            Take one role (or all) out of the SMP and the store
  list [--json]                             The stored participants, their roles and states

Reads the access point's configuration from the environment (DPI_AP_DATABASE_URL, DPI_AP_SMP_MANAGEMENT_URL,
_USER and _PASSWORD, DPI_AP_AS4_KEYSTORE, and DPI_AP_SMP_ENDPOINT_URL or DPI_AP_PUBLIC_URL for the endpoint
published in the SMP). Exit codes: 0 done, 1 refused (the error's code is printed), 2 usage error.
`;

export async function runParticipants(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { positional, role, json } = parseArgs(rest);
  if (sub === "list") {
    if (positional.length > 0) throw new UsageError("list takes no arguments");
  } else if (sub === "add") {
    if (positional.length !== 1 || role === undefined) throw new UsageError("usage: dpi-ap participants add <orgno> --role sender|postbox|print");
  } else if (sub === "remove") {
    if (positional.length !== 1) throw new UsageError("usage: dpi-ap participants remove <orgno> [--role <role>]");
  } else {
    throw new UsageError(sub === undefined ? "participants needs a subcommand" : `unknown participants subcommand "${sub}"`);
  }

  const config = loadConfig(io.env as NodeJS.ProcessEnv);
  const { db } = await openDatabase(config.databaseUrl);
  try {
    const service = await serviceFor(config, db);
    if (sub === "list") {
      const rows = await service.list();
      if (json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) io.stdout("no served participants\n");
      else for (const r of rows) io.stdout(`${r.participant}  ${r.role.padEnd(7)}  ${r.state}${r.smpManaged ? "" : "  (SMP not managed here)"}${r.lastError ? `  ${r.lastError}` : ""}\n`);
      return EXIT.ok;
    }
    try {
      if (sub === "add") {
        const { row, created } = await service.add(positional[0]!, role!);
        io.stdout(`${row.participant} ${row.role}: ${created ? "added" : "already served; SMP entries ensured"} (${row.state})\n`);
      } else {
        const removed = await service.remove(positional[0]!, role);
        io.stdout(`${removed[0]!.participant}: removed ${removed.map((r) => r.role).join(", ")}\n`);
      }
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      io.stderr(`dpi-ap: ${e.code}: ${e.detail}\n`);
      return EXIT.failed;
    }
  } finally {
    await db.$disconnect();
  }
}

async function serviceFor(config: ReturnType<typeof loadConfig>, db: Awaited<ReturnType<typeof openDatabase>>["db"]): Promise<ParticipantsService> {
  const repo = new ParticipantsRepo(db);
  const m = config.participants.smpManagement;
  let smp: ConstructorParameters<typeof ParticipantsService>[0]["smp"];
  if (m) {
    const endpointUrl = config.participants.endpointUrl ?? (config.publicUrl ? `${config.publicUrl}${config.as4.path}` : undefined);
    if (!endpointUrl) throw new UsageError("set DPI_AP_SMP_ENDPOINT_URL (or DPI_AP_PUBLIC_URL): the AS4 endpoint to publish in the SMP");
    if (!config.as4.keystore) throw new UsageError("set DPI_AP_AS4_KEYSTORE: its certificate is published in the SMP");
    const ks = await loadKeyStore({ type: "pkcs12", file: config.as4.keystore, password: config.as4.keystorePassword });
    smp = { client: new SmpManagementClient({ baseUrl: m.url, user: m.user, password: m.password }), endpoint: () => ({ endpointUrl, certificate: ks.certificate }), spelling: config.discovery.spelling };
  }
  return new ParticipantsService({ repo, directory: new ServedDirectory(repo), smp, clock: () => new Date(), log: silentLogger });
}

function parseArgs(args: readonly string[]): { positional: string[]; role: string | undefined; json: boolean } {
  const positional: string[] = [];
  let role: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--role") {
      role = args[++i];
      if (role === undefined) throw new UsageError("--role needs a value");
    } else if (a.startsWith("--role=")) role = a.slice("--role=".length);
    else if (a === "--json") json = true;
    else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, role, json };
}
