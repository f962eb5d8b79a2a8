/**
 * Generates the example test PKI in certs-example/ (or the directory given with --out).
 *
 *   npx tsx scripts/make-certs.ts [--out <dir>]
 *
 * Every run makes new keys, so regenerate only when the layout changes, and commit the result: tests,
 * the demo and the sandbox read these files. Never use them in production.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_P12_PASSWORD, makeCa, makeCrl, makeLeaf, writeIssued } from "./lib/cert-factory.js";
import type { Issued, KeyUsageFlag } from "./lib/cert-factory.js";

export const AP_OCSP_URL = "http://127.0.0.1:8899/ocsp";
export const AP_CRL_URL = "http://127.0.0.1:8899/ap.crl";
export const MASKINPORTEN_KID = "dpi-ap-test-mp-1";

const TEST_O = "dpi-ap test";
const PEPPOL_KEY_USAGE: KeyUsageFlag[] = ["digitalSignature", "keyEncipherment", "dataEncipherment"];
const BUSINESS_KEY_USAGE: KeyUsageFlag[] = ["digitalSignature", "keyEncipherment", "nonRepudiation"];

/** The virksomhetssertifikater: organisation number, name, and which subject attribute carries the number. */
const BUSINESSES = [
  { orgNo: "991825827", name: "DPI-AP TEST AVSENDER (DIGDIR)", form: "organizationIdentifier", role: "sender" },
  { orgNo: "810969342", name: "DPI-AP TEST DATABEHANDLER", form: "serialNumber", role: "databehandler (older Buypass form)" },
  { orgNo: "910076787", name: "DPI-AP TEST BEHANDLINGSANSVARLIG", form: "organizationIdentifier", role: "behandlingsansvarlig in delegated samples" },
  { orgNo: "984661185", name: "DPI-AP TEST DIGIPOST", form: "organizationIdentifier", role: "postbox provider (Digipost)" },
  { orgNo: "922020175", name: "DPI-AP TEST E-BOKS", form: "organizationIdentifier", role: "postbox provider (e-Boks)" },
  { orgNo: "974761076", name: "DPI-AP TEST PRINTLEVERANDØR", form: "organizationIdentifier", role: "print provider" },
  { orgNo: "987654325", name: "DPI-AP TEST AKSESSPUNKTOPERATØR", form: "organizationIdentifier", role: "access point operator (signs feil receipts the access point issues itself)" },
] as const;

export async function makeExamplePki(outDir: string): Promise<void> {
  await makeAccessPointPki(join(outDir, "ap"));
  await makeSmpPki(join(outDir, "smp"));
  await makeBusinessPki(join(outDir, "business"));
  await makeMaskinportenKey(join(outDir, "maskinporten"));
  await writeFile(join(outDir, "README.md"), readme());
}

async function makeAccessPointPki(dir: string): Promise<void> {
  const root = makeCa({ subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST Root CA" } });
  const intermediate = makeCa({ subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST ACCESS POINT CA" }, issuer: root, pathLength: 0 });
  await writeIssued(dir, root, { stem: "root-ca" });
  await writeIssued(dir, intermediate, { stem: "intermediate-ca" });

  const leaves: Array<[string, string]> = [
    ["POP000001", "DPI-AP TEST ACCESS POINT ONE"],
    ["POP000002", "DPI-AP TEST ACCESS POINT TWO"],
    ["POP000009", "DPI-AP TEST REVOKED ACCESS POINT"],
  ];
  const made: Issued[] = [];
  for (const [seat, org] of leaves) {
    const leaf = makeLeaf({
      subject: { C: "NO", O: org, OU: "PEPPOL TEST AP", CN: seat },
      issuer: intermediate,
      keyUsage: PEPPOL_KEY_USAGE,
      extKeyUsage: ["clientAuth"],
      ocspUrl: AP_OCSP_URL,
      crlUrl: AP_CRL_URL,
    });
    await writeIssued(dir, leaf, { pkcs12: true });
    made.push(leaf);
  }

  const revoked = made.find((l) => l.name === "POP000009")!;
  const intermediateCrl = await makeCrl({
    issuer: intermediate,
    revoked: [{ serialNumber: revoked.cert.serialNumber, revocationDate: new Date("2025-01-02T00:00:00Z"), reason: 1 }],
    thisUpdate: new Date("2025-01-02T00:00:00Z"),
  });
  await writeFile(join(dir, "intermediate-ca.crl.pem"), intermediateCrl.pem);
  const rootCrl = await makeCrl({ issuer: root });
  await writeFile(join(dir, "root-ca.crl.pem"), rootCrl.pem);
}

async function makeSmpPki(dir: string): Promise<void> {
  const root = makeCa({ subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST SMP Root CA" } });
  const intermediate = makeCa({
    subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST SERVICE METADATA PUBLISHER CA" },
    issuer: root,
    pathLength: 0,
  });
  await writeIssued(dir, root, { stem: "root-ca" });
  await writeIssued(dir, intermediate, { stem: "intermediate-ca" });
  const leaf = makeLeaf({
    subject: { C: "NO", O: "DPI-AP TEST SMP", OU: "PEPPOL TEST SMP", CN: "SMP000001" },
    issuer: intermediate,
    keyUsage: PEPPOL_KEY_USAGE,
    extKeyUsage: ["clientAuth"],
  });
  await writeIssued(dir, leaf, { pkcs12: true });
  // The SMP leaf names no responder, so access points check it against this (empty) CRL, configured statically.
  await writeFile(join(dir, "intermediate-ca.crl.pem"), (await makeCrl({ issuer: intermediate })).pem);
}

async function makeBusinessPki(dir: string): Promise<void> {
  const root = makeCa({ subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST Business Root CA" } });
  const intermediate = makeCa({ subject: { C: "NO", O: TEST_O, CN: "DPI-AP TEST Business CA" }, issuer: root, pathLength: 0 });
  await writeIssued(dir, root, { stem: "root-ca" });
  await writeIssued(dir, intermediate, { stem: "intermediate-ca" });
  for (const b of BUSINESSES) {
    const leaf = makeLeaf({
      name: b.orgNo,
      subject:
        b.form === "organizationIdentifier"
          ? { C: "NO", O: b.name, organizationIdentifier: `NTRNO-${b.orgNo}`, CN: b.name }
          : { C: "NO", O: b.name, serialNumber: b.orgNo, CN: b.name },
      issuer: intermediate,
      keyUsage: BUSINESS_KEY_USAGE,
    });
    await writeIssued(dir, leaf, { pkcs12: true });
  }
  // The virksomhetssertifikater name no responder (real ones do), so access points check them against this
  // (empty) CRL, configured statically like the SMP one; tests that need a revoked one make it on the fly.
  await writeFile(join(dir, "intermediate-ca.crl.pem"), (await makeCrl({ issuer: intermediate })).pem);
}

async function makeMaskinportenKey(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(join(dir, "signing-key.pem"), privateKey.export({ format: "pem", type: "pkcs8" }));
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const jwks = { keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: MASKINPORTEN_KID, alg: "RS256", use: "sig" }] };
  await writeFile(join(dir, "jwks.json"), JSON.stringify(jwks, null, 2) + "\n");
}

function readme(): string {
  const businessRows = BUSINESSES.map(
    (b) => `| \`business/${b.orgNo}.{pem,key.pem,p12}\` | ${b.name}: ${b.role}; number in ${b.form === "organizationIdentifier" ? `organizationIdentifier \`NTRNO-${b.orgNo}\`` : `serialNumber \`${b.orgNo}\``} |`,
  ).join("\n");
  return `# Example test PKI — NOT FOR PRODUCTION

Everything in this folder is a throw-away test PKI for the unit and end-to-end tests, the demo and the
sandbox. The private keys are public (they are committed). Never trust these roots, and never use these
keys or certificates in production or against real Peppol, Maskinporten or DPI services.

All certificates are RSA-2048 / SHA-256 and valid from 2025-01-01 to 2045-01-01.
Every \`.pem\` is a certificate, every \`.key.pem\` an unencrypted PKCS#8 private key, and every \`.p12\` a
PKCS#12 keystore holding the key, the certificate and its chain (intermediate and root).

**PKCS#12 password: \`${DEFAULT_P12_PASSWORD}\`**; the friendly name (alias) is the file stem (e.g. \`POP000001\`).

## Layout

| Path | What |
|---|---|
| \`ap/root-ca.{pem,key.pem}\` | "DPI-AP TEST Root CA", root of the access point PKI |
| \`ap/intermediate-ca.{pem,key.pem}\` | "DPI-AP TEST ACCESS POINT CA", issues the AP certificates (pathLen 0) |
| \`ap/POP000001.{pem,key.pem,p12}\` | access point certificate, seat POP000001 |
| \`ap/POP000002.{pem,key.pem,p12}\` | access point certificate, seat POP000002 |
| \`ap/POP000009.{pem,key.pem,p12}\` | access point certificate, seat POP000009, **revoked** in \`intermediate-ca.crl.pem\` |
| \`ap/intermediate-ca.crl.pem\` | CRL of the intermediate, revokes POP000009 (keyCompromise), next update 2045-01-01 |
| \`ap/root-ca.crl.pem\` | empty CRL of the root, next update 2045-01-01 |
| \`smp/intermediate-ca.crl.pem\` | empty CRL of the SMP intermediate (SMP000001 names no responder; configure it as a static CRL) |
| \`smp/root-ca.{pem,key.pem}\` | "DPI-AP TEST SMP Root CA" (a separate root, so AP and SMP trust never mix) |
| \`smp/intermediate-ca.{pem,key.pem}\` | "DPI-AP TEST SERVICE METADATA PUBLISHER CA" |
| \`smp/SMP000001.{pem,key.pem,p12}\` | SMP certificate, CN=SMP000001, OU=PEPPOL TEST SMP |
| \`business/root-ca.{pem,key.pem}\` | "DPI-AP TEST Business Root CA" |
| \`business/intermediate-ca.{pem,key.pem}\` | "DPI-AP TEST Business CA", issues the virksomhetssertifikater |
| \`business/intermediate-ca.crl.pem\` | empty CRL of the business intermediate (the virksomhetssertifikater name no responder; configure it as a static CRL) |
${businessRows}
| \`maskinporten/signing-key.pem\` | RSA private key (PKCS#8) of the simulated Maskinporten |
| \`maskinporten/jwks.json\` | its public JWK set: kid \`${MASKINPORTEN_KID}\`, alg RS256, use sig |

Access point leaves (subject \`C=NO, O=<test org>, OU=PEPPOL TEST AP, CN=POP00000n\`) have key usage
digitalSignature, keyEncipherment and dataEncipherment, extended key usage clientAuth, an OCSP responder
URL \`${AP_OCSP_URL}\` and a CRL distribution point \`${AP_CRL_URL}\`. Nothing listens there by
default: tests start their own responder on that port or pass CRLs directly.

Virksomhetssertifikater have key usage digitalSignature, keyEncipherment and nonRepudiation.

## Regenerate

\`\`\`
npx tsx scripts/make-certs.ts            # writes certs-example/
npx tsx scripts/make-certs.ts --out DIR  # writes elsewhere
\`\`\`

Every run makes new keys and serial numbers, so fixtures signed with the old keys must be regenerated too.
Tests that need other certificates (expired, untrusted, wrong organisation number) make them on the fly
with \`scripts/lib/cert-factory.ts\`.
`;
}

function parseOut(argv: readonly string[]): string {
  const at = argv.indexOf("--out");
  if (at >= 0) {
    const dir = argv[at + 1];
    if (!dir) throw new Error("--out needs a directory");
    return resolve(dir);
  }
  return fileURLToPath(new URL("../certs-example/", import.meta.url));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = parseOut(process.argv.slice(2));
  await makeExamplePki(out);
  console.log(`test PKI written to ${out}`);
}
