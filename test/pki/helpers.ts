/** Shared paths and a small ad-hoc PKI for the pki tests (keys are reused to keep the tests fast). */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { generateKeyPem, makeCa, makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { Issued } from "../../scripts/lib/cert-factory.js";

export const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
export const certsExample = fileURLToPath(new URL("../../certs-example/", import.meta.url));
export const peppolVectors = fileURLToPath(new URL("../../../shared/vectors/pki/", import.meta.url));
export const hasPeppolVectors = existsSync(peppolVectors);

export const AT = new Date("2030-06-01T00:00:00Z");

export async function exampleText(relative: string): Promise<string> {
  return readFile(certsExample + relative, "utf8");
}

export interface TestPki {
  rootKey: string;
  caKey: string;
  leafKey: string;
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
}

let cached: TestPki | undefined;

/** root → intermediate → leaf, valid 2025..2045, built once per test run. */
export function testPki(): TestPki {
  if (cached) return cached;
  const rootKey = generateKeyPem();
  const caKey = generateKeyPem();
  const leafKey = generateKeyPem();
  const root = makeCa({ subject: { C: "NO", O: "pki test", CN: "PKI TEST Root" }, keyPem: rootKey });
  const intermediate = makeCa({ subject: { C: "NO", O: "pki test", CN: "PKI TEST Issuing CA" }, issuer: root, keyPem: caKey });
  const leaf = makeLeaf({ subject: { C: "NO", O: "pki test", CN: "PKI TEST Leaf" }, issuer: intermediate, keyPem: leafKey });
  cached = { rootKey, caKey, leafKey, root, intermediate, leaf };
  return cached;
}
