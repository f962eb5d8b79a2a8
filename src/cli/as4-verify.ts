import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { X509Certificate } from "node:crypto";
import { keyStoreFromPem, keyStoreFromPkcs12 } from "../pki/keystore.js";
import { PemFormatError } from "../pki/errors.js";
import { readCertificates, uniqueCertificates } from "../pki/pem.js";
import { analyseAs4Message, type DecryptionKeyInput } from "./as4/analyse.js";
import { formatAs4Report, formatAs4ReportJson } from "./as4-report.js";
import { EXIT, UsageError, type CliIo } from "./usage.js";

/** `dpi-ap as4 verify`: reads the options and the key material, runs the analysis, prints the report. */

export const AS4_VERIFY_HELP = `Usage: dpi-ap as4 verify <file> [options]

Checks an AS4 message and explains what is wrong with it: what the message is (UserMessage, Receipt or
Error signal, with its ids, parties, service, action and parts), whether each signed reference's digest
matches, whether the SignatureValue verifies with the BinarySecurityToken certificate, whether the
signature covers exactly eb:Messaging, the Body and every attachment, and what our own receiver
(verifyEnvelope) says. Known interop traps are pointed out.

<file> is an HTTP dump (optional request/status line, headers, blank line, body), a raw MIME
multipart/related body (starting with its --boundary line), or bare SOAP XML.

Options:
  --trust <pem>          Trust anchor certificates (PEM/DER file or folder); repeatable. Validates the
                         signer's chain. Revocation is not checked.
  --at <iso time>        Validate the chain at this time (default: now), e.g. 2022-03-07T17:41:28Z.
  --key <p12>            Our access point keystore (PKCS#12, or PEM with key and certificate) to unwrap
                         the content key and decrypt the attachments; their digests are then checked.
  --password <pw>        Keystore password (default: $DPI_AP_KEY_PASSWORD, else empty).
  --content-type <ct>    Content-Type of the body, when the file does not say or says it wrongly.
  --json                 Print the report as JSON.
  -h, --help             Show this help.

Exit codes: 0 everything verified; 1 something failed, or could not be checked for lack of --trust or
--key; 2 usage or operational error.
`;

const OPTIONS = {
  trust: { type: "string", multiple: true },
  at: { type: "string" },
  key: { type: "string" },
  password: { type: "string" },
  "content-type": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

export async function runAs4Verify(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(AS4_VERIFY_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`as4 verify needs exactly one file, got ${positionals.length}`);
  const file = positionals[0]!;
  if (values.password !== undefined && values.key === undefined) throw new UsageError("--password needs --key");
  const at = values.at === undefined ? io.now() : parseTime(values.at);

  await requireFile(file, "the message file");
  const anchors = values.trust === undefined ? undefined : await readAnchors(values.trust);
  const key = values.key === undefined ? undefined : await readKey(values.key, values.password ?? io.env["DPI_AP_KEY_PASSWORD"] ?? "");

  const report = await analyseAs4Message(
    { path: file },
    {
      at,
      ...(anchors !== undefined ? { anchors } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(values["content-type"] !== undefined ? { contentType: values["content-type"] } : {}),
    },
  );
  io.stdout(values.json ? formatAs4ReportJson(report, file) : formatAs4Report(report, file));
  return report.verdict.status === "verified" ? EXIT.ok : EXIT.failed;
}

function parseTime(text: string): Date {
  const t = new Date(text);
  if (!ISO_TIME.test(text) || Number.isNaN(t.getTime())) throw new UsageError(`--at must be an ISO 8601 time such as 2022-03-07T17:41:28Z, got "${text}"`);
  return t;
}

async function requireFile(path: string, what: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) throw new UsageError(`${what} ${path} is not a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
}

/**
 * Anchors from files and folders, like pki loadAnchors, except that files in a folder without a certificate
 * (keys, CRLs next to the CA certificates) are skipped rather than refused.
 */
export async function readAnchors(paths: readonly string[]): Promise<X509Certificate[]> {
  const found: X509Certificate[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      throw new UsageError(`cannot read --trust ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
    if (!info.isDirectory()) {
      found.push(...(await certificatesIn(path, true)));
      continue;
    }
    const names = (await readdir(path)).filter((n) => CERTIFICATE_FILE.test(n)).sort();
    for (const name of names) found.push(...(await certificatesIn(join(path, name), false)));
  }
  const anchors = uniqueCertificates(found);
  if (anchors.length === 0) throw new UsageError(`--trust ${paths.join(", ")}: no certificates found`);
  return anchors;
}

const CERTIFICATE_FILE = /\.(pem|crt|cer|der)$/i;

async function certificatesIn(path: string, required: boolean): Promise<X509Certificate[]> {
  try {
    return await readCertificates(path);
  } catch (e) {
    if (!required && e instanceof PemFormatError && /no certificate found/.test(e.message)) return [];
    throw new UsageError(`cannot read --trust ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

async function readKey(path: string, password: string): Promise<DecryptionKeyInput> {
  await requireFile(path, "--key");
  try {
    const data = await readFile(path);
    const store = data.includes("-----BEGIN")
      ? keyStoreFromPem({ key: data, certificate: data, ...(password !== "" ? { passphrase: password } : {}) })
      : keyStoreFromPkcs12(data, password);
    return { privateKey: store.privateKey, certificate: store.certificate };
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(`cannot use --key ${path}: ${e instanceof Error ? e.message : String(e)}${code ? ` (${code})` : ""}`, { cause: e });
  }
}
