/** The example AP PKI, loaded for the revocation tests, plus small helpers (mutable clock, closed port). */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { generateKeyPem, loadIssued, makeLeaf } from "../../scripts/lib/cert-factory.js";
import type { Issued } from "../../scripts/lib/cert-factory.js";
import { parseCrl } from "../../src/pki/crl.js";
import type { Crl } from "../../src/pki/crl.js";
import { certsExample } from "./helpers.js";

/** A time inside every example certificate's validity. */
export const AT = new Date("2030-06-01T12:00:00Z");

/** id-kp-OCSPSigning by number: the cert factory's "OCSPSigning" name is unknown to node-forge. */
export const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

export interface ExampleAp {
  root: Issued;
  intermediate: Issued;
  pop1: X509Certificate;
  pop2: X509Certificate;
  pop9: X509Certificate;
  /** certs-example/ap/root-ca.crl.pem (empty; covers the intermediate). */
  rootCrl: Crl;
  /** certs-example/ap/intermediate-ca.crl.pem (revokes POP000009). */
  intermediateCrl: Crl;
}

let cached: ExampleAp | undefined;

export function exampleAp(): ExampleAp {
  if (cached) return cached;
  const ap = (name: string) => readFileSync(join(certsExample, "ap", name), "utf8");
  const root = loadIssued({ certPem: ap("root-ca.pem"), keyPem: ap("root-ca.key.pem") });
  const intermediate = loadIssued({ certPem: ap("intermediate-ca.pem"), keyPem: ap("intermediate-ca.key.pem"), issuer: root });
  cached = {
    root,
    intermediate,
    pop1: new X509Certificate(ap("POP000001.pem")),
    pop2: new X509Certificate(ap("POP000002.pem")),
    pop9: new X509Certificate(ap("POP000009.pem")),
    rootCrl: parseCrl(ap("root-ca.crl.pem"), "root-ca.crl.pem"),
    intermediateCrl: parseCrl(ap("intermediate-ca.crl.pem"), "intermediate-ca.crl.pem"),
  };
  return cached;
}

let responderKey: string | undefined;

/** A delegated OCSP responder certificate issued by the example AP intermediate. */
export function delegatedResponder(options: { ocspSigning: boolean; issuer?: Issued }): Issued {
  responderKey ??= generateKeyPem();
  return makeLeaf({
    subject: { C: "NO", O: "dpi-ap test", CN: options.ocspSigning ? "TEST OCSP Responder" : "TEST Not A Responder" },
    issuer: options.issuer ?? exampleAp().intermediate,
    keyPem: responderKey,
    keyUsage: ["digitalSignature"],
    extKeyUsage: options.ocspSigning ? [OCSP_SIGNING] : ["clientAuth"],
  });
}

/** A clock the test moves by hand. */
export function manualClock(start: Date = AT): { now: () => Date; advance(ms: number): void; set(at: Date): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    set: (at) => {
      t = at.getTime();
    },
  };
}

/** A loopback URL on which nothing listens (the port was just released). */
export async function closedUrl(path = "/ocsp"): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

/** Rewrites the example certificates' http://127.0.0.1:8899 to `base`. */
export function rewriteTo(base: string): (url: string) => string {
  return (url) => url.replace("http://127.0.0.1:8899", base);
}
