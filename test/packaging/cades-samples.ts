/**
 * Detached CAdES signatures over one ASiCManifest from every producer the packaging tests meet: ours
 * (signDetachedCades), openssl in the forms it makes (SHA-1/256/512, the signer by key identifier, the chain
 * carried, no certificates, no signed attributes, the content inside, RSASSA-PSS) when openssl is installed, and
 * BouncyCastle as commons-asic signs (SHA-1 with RSA) when java and Debian's bcprov/bcpkix are. For the CAdES
 * check's differential test.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { signDetachedCades } from "../../src/packaging/index.js";
import { certPath, CLOCK, INTERMEDIATE_PATH, keyPath, SENDER } from "./fixtures.js";

export interface CadesSample {
  readonly name: string;
  readonly signature: Uint8Array;
}

export const MANIFEST = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ASiCManifest xmlns="http://uri.etsi.org/02918/v1.2.1#"><SigReference URI="META-INF/signature.p7s" MimeType="application/x-pkcs7-signature"/></ASiCManifest>\n',
);

const HERE = fileURLToPath(new URL(".", import.meta.url));
const BC_JARS = ["bcprov", "bcpkix", "bcutil"].map((j) => `/usr/share/java/${j}.jar`);
const SENDER_ORG = "910076787";

export function cadesSamples(): CadesSample[] {
  const samples: CadesSample[] = [{ name: "signDetachedCades", signature: signDetachedCades(MANIFEST, SENDER, CLOCK()) }];
  if (run("openssl", ["version"])) samples.push(...opensslSamples());
  if (BC_JARS.every(existsSync) && run("javac", ["-version"]) && run("java", ["-version"])) samples.push(bouncyCastleSample());
  return samples;
}

function run(cmd: string, args: string[], cwd?: string): boolean {
  const r = spawnSync(cmd, args, { cwd, stdio: "ignore", timeout: 120_000 });
  return r.error === undefined && r.status === 0;
}

function inScratch<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "efm-cades-samples-"));
  try {
    writeFileSync(join(dir, "manifest.xml"), MANIFEST);
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function opensslSamples(): CadesSample[] {
  const forms: Record<string, string[]> = {
    "SHA-256": ["-md", "sha256"],
    "SHA-1": ["-md", "sha1"],
    "SHA-512 with the chain": ["-md", "sha512", "-certfile", INTERMEDIATE_PATH],
    "signer by key identifier": ["-md", "sha256", "-keyid"],
    "no certificates": ["-md", "sha256", "-nocerts"],
    "no signed attributes": ["-md", "sha256", "-noattr"],
    "content inside": ["-md", "sha256", "-nodetach"],
    "RSASSA-PSS": ["-md", "sha256", "-keyopt", "rsa_padding_mode:pss"],
  };
  return inScratch((dir) =>
    Object.entries(forms).map(([name, args]) => {
      const ok = run("openssl", ["cms", "-sign", "-binary", "-in", "manifest.xml", "-signer", certPath(SENDER_ORG), "-inkey", keyPath(SENDER_ORG), "-outform", "DER", "-out", "s.p7s", ...args], dir);
      if (!ok) throw new Error(`openssl cms -sign ${args.join(" ")} failed`);
      return { name: `openssl ${name}`, signature: new Uint8Array(readFileSync(join(dir, "s.p7s"))) };
    }),
  );
}

/* BcInterop.java signs as commons-asic's SignatureHelper: SHA-1 with RSA, BouncyCastle's default attributes. */
function bouncyCastleSample(): CadesSample {
  return inScratch((dir) => {
    const classes = join(dir, "classes");
    if (!run("javac", ["-nowarn", "-cp", BC_JARS.join(":"), "-d", classes, join(HERE, "BcInterop.java")])) throw new Error("javac BcInterop.java failed");
    const out = join(dir, "bc.p7s");
    if (!run("java", ["-cp", [classes, ...BC_JARS].join(":"), "BcInterop", "sign", keyPath(SENDER_ORG), certPath(SENDER_ORG), join(dir, "manifest.xml"), out])) {
      throw new Error("BcInterop sign failed");
    }
    return { name: "BouncyCastle (commons-asic)", signature: new Uint8Array(readFileSync(out)) };
  });
}
