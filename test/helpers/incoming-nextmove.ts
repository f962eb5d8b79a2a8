import { Readable } from "node:stream";
import { fixedClock } from "../../src/clock.js";
import { buildEformidlingAsic, encryptCms, type KeyTransportScheme } from "../../src/packaging/index.js";
import { orgKeyStoresOf, type OrgKeyStores } from "../../src/pki/org-keystores.js";
import type { BlobStore } from "../../src/store/blob-store.js";
import type { Sql } from "../../src/store/sql.js";
import { parsed, sbdJsonOf, arkivmeldingJson } from "../sbd/fixtures.js";
import type { StandardBusinessDocument } from "../../src/sbd/index.js";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { businessSigner, certificate, CERTS, type Signer } from "./certs.js";

/**
 * Incoming NextMove messages as a channel would hand them over: an SBD addressed to one of the test
 * organisations, and its package, a real ASiC-E signed by the sender and CMS-encrypted to the receiver's
 * certificate from certs-example.
 */

/** Receiving organisations with a keystore, and one whose keystore the deployment lacks. */
export const RECEIVER_ORG = "984661185";
export const SECOND_ORG = "922020175";
export const KEYLESS_ORG = "991825827";
export const SENDER_ORG = "910076787";

export const SIGNERS: Record<string, Signer> = {
  [RECEIVER_ORG]: businessSigner(RECEIVER_ORG),
  [SECOND_ORG]: businessSigner(SECOND_ORG),
  [KEYLESS_ORG]: businessSigner(KEYLESS_ORG),
};

export function testKeyStores(): OrgKeyStores {
  return orgKeyStoresOf(new Map([RECEIVER_ORG, SECOND_ORG].map((o) => [o, { ...SIGNERS[o]!, chain: [] }])));
}

const SENDER_SIGNER = { ...businessSigner(SENDER_ORG), chain: [certificate("business/intermediate-ca.pem")] };

export interface IncomingOptions {
  messageId: string;
  conversationId?: string;
  receiver?: string;
  sender?: string;
  /** arkivmelding (default), arkivmelding_kvittering, innsynskrav or status. */
  type?: "arkivmelding" | "arkivmelding_kvittering" | "innsynskrav" | "status";
  process?: string;
}

/** An incoming SBD (arkivmelding unless said otherwise) from 0192:`sender` to 0192:`receiver`. */
export function incomingSbd(o: IncomingOptions): StandardBusinessDocument {
  const edit = (json: { standardBusinessDocumentHeader: Record<string, any> }) => {
    const h = json.standardBusinessDocumentHeader;
    h.sender[0].identifier.value = `0192:${o.sender ?? SENDER_ORG}`;
    h.receiver[0].identifier.value = `0192:${o.receiver ?? RECEIVER_ORG}`;
    h.documentIdentification.instanceIdentifier = o.messageId;
    h.documentIdentification.creationDateAndTime = "2030-01-01T10:00:00+01:00";
    const scope = h.businessScope.scope[0];
    scope.instanceIdentifier = o.conversationId ?? `c0000000-0000-4000-8000-${o.messageId.slice(-12)}`;
    scope.scopeInformation[0].expectedResponseDateTime = "2030-01-02T11:00:00+01:00";
    if (o.process) scope.identifier = o.process;
  };
  switch (o.type ?? "arkivmelding") {
    case "arkivmelding":
      return parsed(arkivmeldingJson(edit));
    case "arkivmelding_kvittering":
      return parsed(
        sbdJsonOf(
          "arkivmelding_kvittering",
          "urn:no:difi:arkivmelding:xsd::arkivmelding_kvittering",
          o.process ?? "urn:no:difi:profile:arkivmelding:response:ver1.0",
          { receiptType: "OK", relatedToMessageId: "0b0f0e0d-0000-4000-8000-000000000001" },
          edit,
        ),
      );
    case "innsynskrav":
      return parsed(
        sbdJsonOf("innsynskrav", "urn:no:difi:einnsyn:xsd::innsynskrav", o.process ?? "urn:no:difi:profile:einnsyn:innsynskrav:ver1.0", { orgnr: SENDER_ORG, epost: "a@example.org" }, edit),
      );
    case "status":
      return parsed(sbdJsonOf("status", "urn:no:difi:eformidling:xsd::status", "urn:no:difi:profile:arkivmelding:response:ver1.0", { status: "LEVERT" }, edit));
  }
}

/** The plain ASiC-E of a message to `receiver`: arkivmelding.xml and a PDF, signed by the sender. */
export function plainAsic(receiver = RECEIVER_ORG): Uint8Array {
  return buildEformidlingAsic({
    sender: `0192:${SENDER_ORG}`,
    receiver: `0192:${receiver}`,
    documents: [
      { name: "arkivmelding.xml", mimeType: "application/xml", bytes: Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<arkivmelding xmlns="http://www.arkivverket.no/standarder/noark5/arkivmelding"/>\n') },
      { name: "vedtak.pdf", mimeType: "application/pdf", bytes: Buffer.from("%PDF-1.4 test\n") },
    ],
    signer: SENDER_SIGNER,
    clock: fixedClock("2030-01-01T09:00:00Z"),
  });
}

/** The business-certificate anchors of certs-example: what a package's signer must chain to. */
export function businessAnchors() {
  return [certificate("business/root-ca.pem"), certificate("business/intermediate-ca.pem")];
}

/** A package signed with a key outside the business PKI (an access point's certificate from another CA). */
export function untrustedAsic(receiver = RECEIVER_ORG): Uint8Array {
  return buildEformidlingAsic({
    sender: `0192:${SENDER_ORG}`,
    receiver: `0192:${receiver}`,
    documents: [{ name: "vedtak.pdf", mimeType: "application/pdf", bytes: Buffer.from("%PDF-1.4 test\n") }],
    signer: { privateKey: createPrivateKey(readFileSync(path.join(CERTS, "ap/POP000009.key.pem"))), certificate: certificate("ap/POP000009.pem"), chain: [] },
    clock: fixedClock("2030-01-01T09:00:00Z"),
  });
}

/**
 * A signed package whose document was changed afterwards. The document is incompressible, so deflate stores its
 * bytes as they are and one of them can be flipped in the zip itself.
 */
export function tamperedAsic(receiver = RECEIVER_ORG): Uint8Array {
  const doc = Buffer.alloc(4096);
  for (let i = 0; i < doc.length; i++) doc[i] = (i * 7919 + 13) % 251 ^ (i >> 3);
  const asic = Buffer.from(
    buildEformidlingAsic({
      sender: `0192:${SENDER_ORG}`,
      receiver: `0192:${receiver}`,
      documents: [{ name: "vedtak.pdf", mimeType: "application/pdf", bytes: doc }],
      signer: SENDER_SIGNER,
      clock: fixedClock("2030-01-01T09:00:00Z"),
    }),
  );
  const at = asic.indexOf(doc.subarray(2000, 2032));
  if (at < 0) throw new Error("the test document was compressed after all; nothing to tamper with");
  asic[at] = asic[at]! ^ 0x01;
  return asic;
}

/** `asic` in the CMS envelope to the certificate of `recipientOrg` (DPE's PKCS#1 v1.5 or the others' OAEP). */
export function envelope(asic: Uint8Array, recipientOrg: string, scheme: KeyTransportScheme = "rsaes-oaep"): Uint8Array {
  return encryptCms(asic, SIGNERS[recipientOrg]!.certificate, scheme);
}

export async function storeBlob(blobs: BlobStore, bytes: Uint8Array): Promise<{ key: string; size: number }> {
  const b = await blobs.write(Readable.from([Buffer.from(bytes)]));
  return { key: b.key, size: b.size };
}

/** How many status rows `messageId` has, in either direction, read inside a delivery's transaction. */
export async function statusCount(tx: Sql, messageId: string): Promise<number> {
  const [row] = await tx.query<{ n: number | bigint }>(`SELECT COUNT(*) AS "n" FROM "ConversationStatus" WHERE "messageId" = $1`, messageId);
  return Number(row!.n);
}
