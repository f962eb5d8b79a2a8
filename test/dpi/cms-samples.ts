/**
 * CMS EnvelopedData from every producer the dokumentpakke tests meet: pkijs (encryptDokumentpakke, BER with
 * indefinite lengths), our DER writer for eFormidling (encryptCms), Digdir's packages (BouncyCastle's
 * streaming output) when ../shared/vectors is there, and openssl's output in the forms it can make (OAEP with
 * each parameter choice and a label, PKCS#1 v1.5, a subject key identifier, streamed BER, and the other
 * recipient kinds) when openssl is installed. For the CMS structure check's differential test and timing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { encryptCms } from "../../src/packaging/index.js";
import { hasCommand, makeRecipient } from "./keys.js";
import { vectorPath } from "./vectors.js";

export interface CmsSample {
  readonly name: string;
  readonly cms: Uint8Array;
}

const PLAIN = new TextEncoder().encode("PK\u0003\u0004 a dokumentpakke stands in here ".repeat(20));

export async function cmsSamples(): Promise<CmsSample[]> {
  const recipient = makeRecipient("samples", "05aa");
  const samples: CmsSample[] = [
    { name: "pkijs (encryptDokumentpakke)", cms: await encryptDokumentpakke(PLAIN, recipient.cert) },
    { name: "encryptCms rsaes-oaep", cms: encryptCms(PLAIN, recipient.cert, "rsaes-oaep") },
    { name: "encryptCms rsa-pkcs1v15", cms: encryptCms(PLAIN, recipient.cert, "rsa-pkcs1v15") },
  ];
  for (const set of ["digital", "digital-pa-vegne-av"]) {
    const path = vectorPath(`${set}-dokumentpakke.cms`);
    if (existsSync(path)) samples.push({ name: `Digdir ${set}`, cms: readFileSync(path) });
  }
  if (hasCommand("openssl", "version")) samples.push(...opensslSamples());
  return samples;
}

function opensslSamples(): CmsSample[] {
  const dir = mkdtempSync(join(tmpdir(), "dpi-cms-samples-"));
  const run = (args: string[]): Buffer => {
    const result = spawnSync("openssl", args, { cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr.toString()}`);
    return result.stdout;
  };
  try {
    writeFileSync(join(dir, "plain.bin"), PLAIN);
    // openssl req writes a subject key identifier, which -keyid needs.
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rsa/O=DPI test", "-days", "1", "-keyout", "rsa.key", "-out", "rsa.pem"]);
    run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=ec", "-days", "1", "-keyout", "ec.key", "-out", "ec.pem"]);
    const oaep = ["-recip", "rsa.pem", "-keyopt", "rsa_padding_mode:oaep"];
    const forms: Record<string, string[]> = {
      "OAEP SHA-256/MGF1-SHA-256": [...oaep, "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256"],
      "OAEP defaults": oaep,
      "OAEP SHA-256/MGF1-SHA-1": [...oaep, "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha1"],
      "OAEP with a label": [...oaep, "-keyopt", "rsa_oaep_label:0102"],
      "PKCS#1 v1.5": ["-recip", "rsa.pem"],
      "subject key identifier": ["-recip", "rsa.pem", "-keyid"],
      "streamed, RSA and EC recipients": ["-stream", "-recip", "rsa.pem", "-recip", "ec.pem"],
      "KeyAgreeRecipientInfo": ["-recip", "ec.pem"],
      "KEKRecipientInfo": ["-secretkey", "000102030405060708090a0b0c0d0e0f", "-secretkeyid", "0a0b"],
      "PasswordRecipientInfo": ["-pwri_password", "secret"],
    };
    return Object.entries(forms).map(([name, args]) => ({
      name: `openssl ${name}`,
      cms: new Uint8Array(run(["cms", "-encrypt", "-binary", "-in", "plain.bin", "-outform", "DER", "-aes-256-cbc", ...args])),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
