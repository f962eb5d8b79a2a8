/**
 * Signers, letters and container surgery for the ASiC-E tests (test/client and test/dpi/asic*).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BuildAsicEInput } from "../../../src/dpi/build/asic-e.js";
import type { XadesSigner } from "../../../src/dpi/build/xades.js";
import { fixedClock } from "../../../src/clock.js";
import { readZip, writeZip, type ZipEntryInput } from "../../../src/dpi/zip.js";
import { CERTS } from "../../helpers/certs.js";

export const NOW = "2025-06-01T10:00:00.000Z";
export const CLOCK = fixedClock(NOW);

const business = (file: string) => join(CERTS, "business", file);
export const BUSINESS_ROOT = new X509Certificate(readFileSync(business("root-ca.pem")));
export const BUSINESS_INTERMEDIATE = new X509Certificate(readFileSync(business("intermediate-ca.pem")));
export const AP_ROOT = new X509Certificate(readFileSync(join(CERTS, "ap", "root-ca.pem")));

/** A virksomhetssertifikat from certs-example with its chain up to the root, as Digdir's profile asks. */
export function businessSigner(orgno: string): XadesSigner {
  return {
    privateKey: createPrivateKey(readFileSync(business(`${orgno}.key.pem`))),
    certificate: new X509Certificate(readFileSync(business(`${orgno}.pem`))),
    chain: [BUSINESS_INTERMEDIATE, BUSINESS_ROOT],
  };
}

export const AVSENDER = "991825827";
export const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

/** A digital letter to postkasseadresse 0000487204 with one PDF, signed by the avsender. */
export function letter(overrides: Partial<BuildAsicEInput> = {}): BuildAsicEInput {
  return {
    hoveddokument: { name: "vedtak.pdf", mimeType: "application/pdf", title: "Vedtak", lang: "no", bytes: PDF },
    mottaker: { postkasseadresse: "0000487204" },
    avsender: { orgnr: AVSENDER },
    signer: businessSigner(AVSENDER),
    clock: CLOCK,
    ...overrides,
  };
}

/** The container's entries as writer input (methods kept), for rebuilding it changed. */
export function entriesOf(container: Uint8Array): ZipEntryInput[] {
  return readZip(container).entries.map((e) => ({ name: e.name, data: e.data, method: e.method }));
}

/** Rebuilds the container with `edit` applied to its entries. */
export function repack(container: Uint8Array, edit: (entries: ZipEntryInput[]) => ZipEntryInput[]): Uint8Array {
  return writeZip(edit(entriesOf(container)));
}

/** Replaces one entry's content. */
export function replaceEntry(container: Uint8Array, name: string, change: (data: Uint8Array) => Uint8Array): Uint8Array {
  let found = false;
  const out = repack(container, (entries) =>
    entries.map((e) => {
      if (e.name !== name) return e;
      found = true;
      return { ...e, data: change(e.data) };
    }),
  );
  if (!found) throw new Error(`no entry ${name}`);
  return out;
}

/** Edits signatures.xml as text. */
export function editSignatures(container: Uint8Array, change: (xml: string) => string): Uint8Array {
  return replaceEntry(container, "META-INF/signatures.xml", (d) => {
    const before = Buffer.from(d).toString("utf8");
    const after = change(before);
    if (after === before) throw new Error("the edit changed nothing");
    return Buffer.from(after, "utf8");
  });
}

export function text(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString("utf8");
}
