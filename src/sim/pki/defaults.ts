/**
 * Responder options for the example access point PKI in certs-example/: the AP intermediate CA answers,
 * and POP000009 is revoked (keyCompromise, 2025-01-02) as in its committed CRL.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PkiResponderOptions } from "./server.js";

/** certs-example/ of this checkout. */
export const DEFAULT_CERTS_DIR = fileURLToPath(new URL("../../../certs-example/", import.meta.url));

/** The host and port the example AP certificates name in their AIA and CRL distribution point. */
export const EXAMPLE_AP_RESPONDER = { host: "127.0.0.1", port: 8899 } as const;

/** Options for {@link startPkiResponder} serving certs-example/ap; add port/host/clock as needed. */
export async function loadExampleApResponderOptions(certsDir: string = DEFAULT_CERTS_DIR): Promise<PkiResponderOptions> {
  const ap = join(certsDir, "ap");
  const revokedLeaf = new X509Certificate(await readFile(join(ap, "POP000009.pem")));
  return {
    issuer: {
      cert: new X509Certificate(await readFile(join(ap, "intermediate-ca.pem"))),
      privateKey: createPrivateKey(await readFile(join(ap, "intermediate-ca.key.pem"))),
    },
    revoked: [{ serialNumber: revokedLeaf.serialNumber, revokedAt: new Date("2025-01-02T00:00:00Z"), reason: 1 }],
  };
}
