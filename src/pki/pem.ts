/** Reading certificates from PEM bundles, DER files and trust-anchor folders. */
import { X509Certificate } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { PemFormatError } from "./errors.js";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
const CERTIFICATE_EXTENSIONS = new Set([".pem", ".crt", ".cer", ".der"]);

/**
 * Every certificate in `input`: a PEM text with one or more CERTIFICATE blocks (other blocks such as keys
 * are ignored), or a single DER certificate. Throws PemFormatError when there is no certificate or a block
 * is not a certificate.
 */
export function parseCertificates(input: string | Uint8Array): X509Certificate[] {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  if (bytes[0] === 0x30) return [decode(bytes, "DER certificate")];

  const text = bytes.toString("utf8");
  const certificates: X509Certificate[] = [];
  let index = 0;
  for (const match of text.matchAll(CERTIFICATE_BLOCK)) {
    index += 1;
    const body = match[1] ?? "";
    if (!BASE64_BODY.test(body)) throw new PemFormatError(`certificate block ${index} is not base64`);
    certificates.push(decode(Buffer.from(body.replace(/\s+/g, ""), "base64"), `certificate block ${index}`));
  }
  if (certificates.length === 0) throw new PemFormatError("no certificate found");
  return certificates;
}

/** The single certificate in `input`; PemFormatError if there are none or several. */
export function parseCertificate(input: string | Uint8Array): X509Certificate {
  const all = parseCertificates(input);
  if (all.length !== 1) throw new PemFormatError(`expected one certificate, found ${all.length}`);
  return all[0]!;
}

/** Every certificate in a PEM bundle or DER file. */
export async function readCertificates(path: string): Promise<X509Certificate[]> {
  try {
    return parseCertificates(await readFile(path));
  } catch (error) {
    if (error instanceof PemFormatError) throw new PemFormatError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Trust anchors from files and folders: a file contributes every certificate in it; a folder contributes
 * its *.pem, *.crt, *.cer and *.der files (not recursively). Duplicates are dropped.
 */
export async function loadAnchors(paths: readonly string[]): Promise<X509Certificate[]> {
  const out: X509Certificate[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((n) => CERTIFICATE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      for (const name of names) out.push(...(await readCertificates(join(path, name))));
    } else {
      out.push(...(await readCertificates(path)));
    }
  }
  return uniqueCertificates(out);
}

/** Drops repeated certificates (same DER), keeping the first occurrence. */
export function uniqueCertificates(certs: readonly X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => {
    if (seen.has(c.fingerprint256)) return false;
    seen.add(c.fingerprint256);
    return true;
  });
}

/** PEM text of the certificates, one block each. */
export function toPemBundle(certs: readonly X509Certificate[]): string {
  return certs.map((c) => c.toString()).join("");
}

function decode(der: Buffer, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new PemFormatError(`${what} is not an X.509 certificate`, { cause });
  }
}
