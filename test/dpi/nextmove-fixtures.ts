/**
 * What the NextMove → DPI tests feed the mapping: eFormidling's NextMove and Service Registry vectors from
 * ../shared/vectors/eformidling (skipped when absent), a business certificate for the vectors' sender issued
 * from the example business CA, and recipients whose keys we hold so the dokumentpakke can be opened.
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { loadIssued, makeLeaf } from "../../scripts/lib/cert-factory.js";
import { fixedClock } from "../../src/clock.js";
import type { XadesSigner } from "../../src/dpi/build/xades.js";
import type { DpiServiceRecord, NextMoveFile } from "../../src/dpi/from-nextmove.js";
import { CERTS, VECTORS } from "../helpers/certs.js";
import { makeRecipient, type Recipient } from "./keys.js";
import { fakeMaskinportenToken } from "../sim/postbox-fixtures.js";

export const NOW = "2025-06-01T10:00:00.000Z";
export const CLOCK = fixedClock(NOW);

/** The vectors' SBDH sender, and the postbox provider of the person 09118532322's record. */
export const SENDER = "910077473";
export const POSTBOX_PROVIDER = "987464291";
export const PRINT_PROVIDER = "974761076";

const EFORMIDLING = path.join(VECTORS, "eformidling");

/** A vector under ../shared/vectors/eformidling as JSON, or a skip of the running test when it is absent. */
export function readEformidlingVector(ctx: Mocha.Context, rel: string): any {
  const file = path.join(EFORMIDLING, rel);
  if (!existsSync(file)) ctx.skip();
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The person's DPI record for the info process, as the Service Registry answers it. */
export function personRecord(ctx: Mocha.Context, id = "09118532322"): DpiServiceRecord & { pemCertificate: string } {
  return readEformidlingVector(ctx, `sr/identifier/${id}.json`).serviceRecords[0];
}

const business = (file: string) => readFileSync(path.join(CERTS, "business", file), "utf8");
const intermediate = loadIssued({ certPem: business("intermediate-ca.pem"), keyPem: business("intermediate-ca.key.pem") });
const root = loadIssued({ certPem: business("root-ca.pem"), keyPem: business("root-ca.key.pem") });

/** A virksomhetssertifikat from the example business CA (certs-example has none for the vectors' sender). */
export function issuedBusinessSigner(orgno: string): XadesSigner {
  const leaf = makeLeaf({ issuer: intermediate, subject: { C: "NO", O: `Test ${orgno}`, CN: `Test ${orgno}`, organizationIdentifier: `NTRNO-${orgno}` } });
  return { privateKey: leaf.privateKey, certificate: leaf.cert, chain: [intermediate.cert, root.cert] };
}

export const SIGNER = issuedBusinessSigner(SENDER);
/** As the access points trust them (README DPI_AP_BUSINESS_TRUST_ANCHORS). */
export const BUSINESS_ANCHORS = [root.cert, intermediate.cert];

export const POSTBOX: Recipient = makeRecipient(`Postbox ${POSTBOX_PROVIDER}`, "0a01");
export const PRINTER: Recipient = makeRecipient(`Print ${PRINT_PROVIDER}`, "0a02");

/** What the avsender's Maskinporten token says (consumer = the avsender); corner 4 reads only its claims. */
export const TOKEN = fakeMaskinportenToken(SENDER);

const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

/** The vectors' hoveddokument (arkivmelding.xml), its metadata file test.txt, and an untitled attachment. */
export const FILES: readonly NextMoveFile[] = [
  { filename: "arkivmelding.xml", mimetype: "application/xml", title: "Vedtak om tilskudd", bytes: Buffer.from("<arkivmelding/>") },
  { filename: "test.txt", mimetype: "text/plain", bytes: Buffer.from("metadata") },
  { filename: "vedlegg.pdf", mimetype: "application/pdf", title: "  ", bytes: PDF },
];
