import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import forge from "node-forge";
import type { Signer } from "../../src/as4/wss-sign.js";
import type { UserMessage } from "../../src/as4/user-message.js";

/**
 * Test keys and messages for the AS4 sign/verify tests. Uses the example PKI's AP certificate when
 * scripts/make-certs.ts has produced it, otherwise a throwaway self-signed one (trust is not checked here).
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const cache = new Map<string, Signer>();

export function testSigner(cn = "POP000001"): Signer {
  const cached = cache.get(cn);
  if (cached) return cached;
  const certPath = `${ROOT}certs-example/ap/${cn}.pem`;
  const keyPath = `${ROOT}certs-example/ap/${cn}.key.pem`;
  let signer: Signer;
  if (existsSync(certPath) && existsSync(keyPath)) {
    signer = {
      privateKey: createPrivateKey(readFileSync(keyPath)),
      certificate: new X509Certificate(readFileSync(certPath)),
    };
  } else {
    signer = selfSigned(cn);
  }
  cache.set(cn, signer);
  return signer;
}

/** A self-signed RSA-2048 certificate; Node makes the key (fast), node-forge the certificate. */
export function selfSigned(cn: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = "01" + createHash("sha1").update(cn).digest("hex").slice(0, 16);
  cert.validity.notBefore = new Date("2024-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2034-01-01T00:00:00Z");
  const name = [{ name: "commonName", value: cn }, { shortName: "OU", value: "PEPPOL TEST AP" }, { name: "countryName", value: "NO" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString());
  cert.sign(forgeKey, forge.md.sha256.create());
  return { privateKey, certificate: new X509Certificate(forge.pki.certificateToPem(cert)) };
}

export function sha256(data: Buffer | string): Buffer {
  return createHash("sha256").update(data).digest();
}

export interface TestAttachment {
  contentId: string;
  bytes: Buffer;
}

export function testAttachments(n: number): TestAttachment[] {
  return Array.from({ length: n }, (_, i) => ({
    contentId: `att-${i + 1}-3f2504e0-4f89-11d3-9a0c-0305e82c3301@dpi-ap.test`,
    bytes: Buffer.from(`\x1f\x8b payload number ${i + 1} \u00e6\u00f8\u00e5 ${"x".repeat(100 * (i + 1))}`, "utf8"),
  }));
}

export function testUserMessage(attachments: readonly TestAttachment[] = []): UserMessage {
  return {
    messageId: "0d7b1c8e-4c2f-4e4a-9a36-1f2d3c4b5a69@dpi-ap.test",
    timestamp: new Date("2026-03-01T12:34:56.789Z"),
    fromPartyId: "PNO000001",
    toPartyId: "PNO000002",
    service: { value: "urn:fdc:digdir.no:2020:profile:egovernment:innbyggerpost:digital:ver1.0", type: "cenbii-procid-ubl" },
    action: "busdox-docid-qns::urn:fdc:digdir.no:2020:innbyggerpost:xsd::innbyggerpost##urn:fdc:digdir.no:2020:innbyggerpost:schema:digital::1.0",
    conversationId: "c0ffee00-0000-4000-8000-000000000001",
    originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
    finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
    parts: attachments.map((a) => ({
      href: `cid:${a.contentId}`,
      mimeType: "application/xml",
      compressionType: "application/gzip",
      characterSet: "UTF-8",
    })),
  };
}

export const FIXED_IDS = { messagingId: "msg-1", bodyId: "body-1" };
