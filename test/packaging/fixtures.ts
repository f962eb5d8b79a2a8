import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { expect } from "chai";
import { fixedClock } from "../../src/clock.js";
import { DomainError } from "../../src/errors.js";
import { readZip, writeZip, type ZipEntryInput } from "../../src/dpi/zip.js";
import type { BuildEformidlingAsicInput } from "../../src/packaging/index.js";
import { businessSigner, CERTS, certificate, VECTORS } from "../helpers/certs.js";

/** Keys, certificates, a sample message and zip surgery for the packaging tests. */

const INTERMEDIATE = certificate("business/intermediate-ca.pem");
export const BUSINESS_ROOT = certificate("business/root-ca.pem");
export const AP_ROOT = certificate("ap/root-ca.pem");

/** The sending organisation (its virksomhetssertifikat and the issuing CA). */
export const SENDER = { ...businessSigner("910076787"), chain: [INTERMEDIATE] };
/** The receiving integrasjonspunkt's certificate and key. */
export const RECEIVER = businessSigner("984661185");
/** Someone else. */
export const OTHER = businessSigner("922020175");

export const certPath = (orgno: string) => path.join(CERTS, `business/${orgno}.pem`);
export const keyPath = (orgno: string) => path.join(CERTS, `business/${orgno}.key.pem`);
export const ROOT_PATH = path.join(CERTS, "business/root-ca.pem");
export const INTERMEDIATE_PATH = path.join(CERTS, "business/intermediate-ca.pem");

export const CLOCK = fixedClock("2026-05-04T10:11:12Z");
export const SIGNATURE_ID = "0f4a3f56-6d1c-4a55-9d0e-6c2b9f1e7a10";

export const ARKIVMELDING = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding"/>\n');
export const TEST_TXT = Buffer.from("Testing 1 2 3\n");

/** The DPO message of the integrasjonspunkt's cucumber feature (vectors/eformidling/wire/dpo-asic-manifest.xml). */
export function dpoInput(overrides: Partial<BuildEformidlingAsicInput> = {}): BuildEformidlingAsicInput {
  return {
    sender: "0192:910077473",
    receiver: "0192:910075918",
    documents: [
      { name: "arkivmelding.xml", mimeType: "application/xml", bytes: ARKIVMELDING },
      { name: "test.txt", mimeType: "text/plain", bytes: TEST_TXT },
    ],
    signer: SENDER,
    clock: CLOCK,
    newId: () => SIGNATURE_ID,
    ...overrides,
  };
}

/** A vector file's bytes, or undefined when ../shared/vectors is absent (the test then skips). */
export function vector(rel: string): Buffer | undefined {
  const file = path.join(VECTORS, rel);
  return existsSync(file) ? readFileSync(file) : undefined;
}

export function entryNames(zip: Uint8Array): string[] {
  return readZip(zip).entries.map((e) => e.name);
}

export function entry(zip: Uint8Array, name: string): Buffer {
  const found = readZip(zip).entries.find((e) => e.name === name);
  if (!found) throw new Error(`no ${name} in the zip`);
  return Buffer.from(found.data);
}

/**
 * Rewrites a container: `edit` gets the entries (mimetype first) and returns the new list. Methods are kept, so
 * `mimetype` stays stored unless the edit says otherwise.
 */
export function rezip(zip: Uint8Array, edit: (entries: ZipEntryInput[]) => ZipEntryInput[]): Uint8Array {
  const entries: ZipEntryInput[] = readZip(zip).entries.map((e) => ({ name: e.name, data: e.data, method: e.method }));
  return writeZip(edit(entries));
}

export function replaceData(zip: Uint8Array, name: string, data: (old: Uint8Array) => Uint8Array): Uint8Array {
  let found = false;
  const out = rezip(zip, (entries) =>
    entries.map((e) => {
      if (e.name !== name) return e;
      found = true;
      return { ...e, data: data(e.data) };
    }),
  );
  if (!found) throw new Error(`no ${name} in the zip`);
  return out;
}

export function signatureName(zip: Uint8Array): string {
  const name = entryNames(zip).find((n) => /^META-INF\/signature.*\.p7s$/.test(n));
  if (!name) throw new Error("no signature in the zip");
  return name;
}

/** The DomainError `fn` throws; fails the test when it throws something else or nothing. */
export function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  expect.fail("expected a DomainError, nothing was thrown");
}

export function expectCode(fn: () => unknown, code: string): DomainError {
  const err = domainError(fn);
  expect(err.code, err.message).to.equal(code);
  return err;
}

export function certificateSubjectCn(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}
